"""The one base of every error that is the user's to fix, with its stable code.

Each library error a clerk can act on (a configuration, a period, the ledger, a mailbox, a file)
derives from `UserError`: its message is Chinese and says what and where; `kind` is the stable
code that `--json` carries. The CLI catches `UserError` in one place and exits 2 ("usage or
unreadable input"); anything else is a bug and is reported as 程序内部错误. Nothing here prints.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake or a situation the user can fix; the message is Chinese."""

    kind = "usage"


class UsageError(UserError):
    """An argument that names nothing the campaign has: a unit, a filing number, a format, a time."""

    kind = "usage"
