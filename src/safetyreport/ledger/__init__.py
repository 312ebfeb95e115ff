"""The ledger: what was received and kept (store), taking files in (intake), the district's figures for a period (merge), who filed on time, late, wrong or not at all (status)."""
