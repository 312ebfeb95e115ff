"""Mail: messages sent to units and the office (send), filings fetched from the mailbox (mailbox)."""
