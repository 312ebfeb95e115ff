"""Reading: a spreadsheet's cells (grid), located forms with typed cells (reader), many files on every core (parallel)."""
