"""A small Python API for analysts (in a notebook): the ledger's figures as pandas DataFrames.

    from safetyreport import api
    api.period_table("D:/专项整治", "2021-09-23")   # one row per submitter: 累计 and 当周 of 附件3
    api.long_table("D:/专项整治")                    # every value of every form, with its source
    api.wide_table("D:/专项整治", "found_total")     # submitter × period, counted 累计
    api.filings_table("D:/专项整治")                 # what the ledger holds

`config` is a campaign folder, a safetyreport.toml, or a loaded Config. Nothing here writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config, load_config
from .ledger.store import Ledger

if TYPE_CHECKING:
    import pandas as pd


def _config(config: Config | str | Path) -> Config:
    return config if isinstance(config, Config) else load_config(Path(config))


def period_table(config: Config | str | Path, period: str) -> pd.DataFrame:
    """The merged period (as `safetyreport merge` computes it): one row per roster submitter with
    its status (filed / carried / missing) and 附件3's 累计 and 当周 of every column."""
    import pandas as pd

    from .ledger.merge import merge_period
    from .periods import parse_period

    cfg = _config(config)
    schemas = cfg.schema_set
    with Ledger.of(cfg) as ledger, ledger.snapshot():
        result = merge_period(cfg, ledger, parse_period(cfg, period, weekly_only=True), schemas)
    rows = []
    for r in result.rows:
        row = {"submitter": r.submitter.name, "kind": r.submitter.kind_label, "status": r.status,
               "source_period": r.source_period}
        row.update({f"cumulative.{k}": r.cumulative.get(k) for k in result.column_keys})
        row.update({f"weekly.{k}": (r.weekly or {}).get(k) for k in result.column_keys})
        rows.append(row)
    return pd.DataFrame(rows).set_index("submitter")


def long_table(config: Config | str | Path, periods: list[str] | None = None) -> pd.DataFrame:
    """Every value of every form the ledger holds (withdrawn filings left out), one a row, with its
    period, submitter, form, row, column, cell, file and whether it counts (as `export` writes it)."""
    from .outputs.export import long_frame, long_records
    from .periods import parse_period

    cfg = _config(config)
    schemas = cfg.schema_set
    keys = {parse_period(cfg, p).key for p in periods} if periods else None
    with Ledger.of(cfg) as ledger, ledger.snapshot():
        return long_frame(long_records(cfg, ledger, schemas, keys))


def wide_table(config: Config | str | Path, column: str = "found_total", row: str = "cumulative") -> pd.DataFrame:
    """Submitter × period of one 附件3 column (the counted value), in roster order."""
    from .outputs.export import wide_frame

    cfg = _config(config)
    return wide_frame(long_table(cfg), column, row, order=[s.name for s in cfg.roster])


def filings_table(config: Config | str | Path) -> pd.DataFrame:
    """Every filing the ledger holds, one a row (as `safetyreport filings --json` lists them)."""
    import pandas as pd

    from .workflow import filings_job

    report = filings_job(_config(config), None, None)
    return pd.DataFrame([{k: v for k, v in r.to_dict().items() if k != "history"} for r in report.rows])
