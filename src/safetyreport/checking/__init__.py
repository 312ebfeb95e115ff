"""Checking: the rules of the notice (rules), a batch of files judged without the ledger (validation), the same hazard or firm told apart (identity)."""
