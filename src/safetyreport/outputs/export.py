"""The ledger's figures for analysts: a long table (one value a row) and wide tables (submitter ×
period for a chosen column), as pandas DataFrames, written to .xlsx, .csv or .parquet.

pandas is imported here and only here, inside the functions: it costs a quarter of a second
that `--help` and `validate` must not pay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..ledger.store import Ledger
from ..schema import SchemaSet

if TYPE_CHECKING:
    import pandas as pd

# the long table's stable keys (--keys, the notebook API) and the Chinese headers a clerk reads by default
HEADERS = {"period": "周期", "submitter": "填报单位", "kind": "类别", "form": "报表编号", "form_label": "报表",
           "row": "行键", "row_label": "行", "column": "栏目键", "column_label": "栏目", "unit": "计量单位",
           "value": "数值", "text": "原文", "cell": "单元格", "file": "来源文件", "filing_id": "登记编号",
           "received_at": "收到时间", "counted": "是否计入", "submitter_index": "填报单位"}
LONG_COLUMNS = ["period", "submitter", "kind", "form", "form_label", "row", "row_label", "column",
                "column_label", "unit", "value", "text", "cell", "file", "filing_id", "received_at",
                "counted"]
ROW_LABELS = {"cumulative": "累计", "weekly": "当周"}
DEFAULT_WIDE = ["found_total", "fixed_total", "insp_found_total", "insp_fixed_total", "found_major", "insp_found_major"]
FORMATS = ("xlsx", "csv", "parquet")


def long_records(cfg: Config, ledger: Ledger, schemas: SchemaSet, periods: set[str] | None = None) -> list[dict]:
    """Every value of every form the ledger holds (withdrawn filings left out), with where it came
    from and whether it counts (a superseded form's values are there, marked not counted)."""
    kinds = {s.name: s.kind_label for s in cfg.roster}
    filings = {f.id: f for f in ledger.filings()}
    index = [(fid, filing_id, schema_id, sup) for fid, filing_id, schema_id, sup in ledger.form_index()
             if filings[filing_id].period and (periods is None or filings[filing_id].period in periods)]
    forms = ledger.load_forms({fid for fid, *_ in index})
    out: list[dict] = []
    for fid, filing_id, schema_id, sup in index:
        if schema_id not in schemas or fid not in forms:
            continue
        schema, form, filing = schemas[schema_id], forms[fid], filings[filing_id]
        base = {"period": filing.period, "submitter": filing.submitter or "", "kind": kinds.get(filing.submitter, ""),
                "form": schema_id, "form_label": schema.short, "file": filing.original_name, "filing_id": filing.id,
                "received_at": filing.received_at.isoformat(), "counted": sup is None}
        if schema.layout == "list":
            cells = [(f"record_{n}", f"第{n}条", rec) for n, rec in enumerate(form.records, start=1)]
        else:
            cells = [(row, ROW_LABELS.get(row, form.row_labels.get(row, row)), values)
                     for row, values in form.table.items()]
        for row, row_label, values in cells:
            for key, cell in values.items():
                column = schema.column(key)
                value = cell.value
                if isinstance(value, list):
                    value = "、".join(value)
                numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                out.append({**base, "row": row or "value", "row_label": row_label, "column": key,
                            "column_label": column.display, "unit": column.unit,
                            "value": value if numeric else None, "text": cell.text, "cell": f"{form.sheet}!{cell.ref}"})
    return out


def long_frame(records: list[dict]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame.from_records(records, columns=LONG_COLUMNS)
    # counts stay whole numbers (3, not 3.0) beside amounts in 万元 (0.25)
    frame["value"] = pd.Series([r["value"] for r in records], dtype=object, index=frame.index)
    return frame


def wide_frame(long: pd.DataFrame, column: str, row: str = "cumulative",
               order: list[str] | None = None) -> pd.DataFrame:
    """Submitter × period for one column of 附件3 (the counted value), in roster order."""
    import pandas as pd

    part = long[(long["column"] == column) & (long["row"] == row) & long["counted"].astype(bool)]
    if part.empty:
        return pd.DataFrame()
    wide = part.pivot_table(index="submitter", columns="period", values="value", aggfunc="first")
    wide = wide.astype(float)
    if order:
        wide = wide.reindex([n for n in order if n in wide.index] + [n for n in wide.index if n not in order])
    wide = wide.reindex(columns=sorted(wide.columns))
    wide.columns.name = None
    if ((wide.fillna(0) % 1) == 0).all().all():
        wide = wide.astype("Int64")
    return wide


def safe_text(frame: pd.DataFrame, csv: bool) -> pd.DataFrame:
    """Every text value (and the index, where units' names stand) through `values.sheet_text`."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    from ..values import sheet_text

    def clean(v: Any) -> Any:
        return sheet_text(v, csv) if isinstance(v, str) else v

    def texty(dtype: Any) -> bool:  # object columns, and pandas 3's own string columns
        return is_object_dtype(dtype) or is_string_dtype(dtype)

    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        if texty(out[name].dtype):  # kept as objects: whole numbers stay whole (15, not 15.0)
            out[name] = pd.Series([clean(v) for v in out[name]], index=out.index, dtype=object)
    if texty(out.index.dtype):
        out.index = out.index.map(clean)
    return out


def frames_to_xlsx(tables: dict[str, tuple[pd.DataFrame, bool]]) -> bytes:
    """Each table a sheet of our one xlsx writer: text always written as text, never a formula."""
    import math

    from .xlsx import Book

    def plain(v: Any) -> Any:  # numpy and pandas scalars → Python; missing → blank
        if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("<NA>", "nan", "NaT"):
            return None
        return v.item() if hasattr(v, "item") else v

    book = Book()
    for name, (frame, keep_index) in tables.items():
        sheet = book.sheet(name[:31])
        heads = ([frame.index.name or ""] if keep_index else []) + [str(c) for c in frame.columns]
        for col, head in enumerate(heads, start=1):
            sheet.put(1, col, head, "sr-header")
        for r, (index, row) in enumerate(zip(frame.index, frame.itertuples(index=False), strict=True), start=2):
            values = ([index] if keep_index else []) + list(row)
            for col, value in enumerate(values, start=1):
                sheet.put(r, col, plain(value))
        sheet.freeze_at = (2, 2 if keep_index else 1)
    return book.to_bytes()


@dataclass
class ExportOutcome:
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    wide: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": [str(p) for p in self.files], "rows": self.rows, "wide_columns": self.wide}


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """The long table as a clerk reads it: Chinese headers, 是/否 for whether a value counts,
    receipt times as times (a spreadsheet shows them as dates, not as text)."""
    import pandas as pd

    out = frame.copy()
    if "counted" in out:
        out["counted"] = out["counted"].map(lambda v: "是" if bool(v) else "否")
    if "received_at" in out:
        out["received_at"] = pd.to_datetime(out["received_at"]).map(
            lambda t: t.tz_localize(None) if t is not None and t.tzinfo else t)
    out.columns = [HEADERS.get(str(c), str(c)) for c in out.columns]
    if out.index.name:
        out.index.name = HEADERS.get(str(out.index.name), str(out.index.name))
    return out


def _totals_columns(cfg: Config, schemas, columns: list[str] | None) -> list:
    """The totals form's columns (附件3's in the built-in campaign), which the wide tables are of;
    none for a campaign of lists (it has no wide tables: asking for one is told why)."""
    from ..errors import UsageError
    from ..ledger.merge import totals_form

    form_id = totals_form(cfg, schemas)
    if form_id is None and columns:
        raise UsageError("本活动的报表都是清单，没有合计表，不能按栏目导出宽表；明细表中有全部记录。")
    return list(schemas[form_id].columns) if form_id else []


def _wide_columns(table_cols: list, columns: list[str] | None) -> list[str]:
    from ..errors import UsageError

    by_label = {c.display: c.key for c in table_cols} | {c.label[-1]: c.key for c in table_cols}
    keys = {c.key for c in table_cols}
    chosen = [by_label.get(c, c) for c in columns] if columns else [c for c in DEFAULT_WIDE if c in keys]
    unknown = [c for c in chosen if c not in keys]
    if unknown:
        known = "、".join(f"{c.key}（{c.display}）" for c in table_cols)
        raise UsageError(f"合计表没有栏目“{'、'.join(unknown)}”。可选：{known}")
    return chosen


def export_job(cfg: Config, out: Path | None, fmt: str = "xlsx", period_texts: list[str] | None = None,
               columns: list[str] | None = None, keys: bool = False) -> ExportOutcome:
    """`columns`: the 附件3 columns of the wide tables, by key or by their Chinese label;
    `keys`: the stable English keys as headers (for scripts), else Chinese headers, 是/否 and dates."""
    from ..atomic import output_folder, write_bytes_atomic
    from ..errors import UsageError
    from ..periods import parse_period

    if fmt not in FORMATS:
        raise UsageError(f"不支持的格式“{fmt}”，可选：{'、'.join(FORMATS)}。")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError("导出 .parquet 需要 pyarrow：pip install pyarrow（或改用 --format xlsx / csv）。") from None
    schemas = cfg.schema_set
    periods = {parse_period(cfg, p).key for p in period_texts} if period_texts else None
    table_cols = _totals_columns(cfg, schemas, columns)
    chosen = _wide_columns(table_cols, columns)
    with Ledger.of(cfg) as ledger, ledger.snapshot():
        records = long_records(cfg, ledger, schemas, periods)
    long = long_frame(records)
    roster = [sub.name for sub in cfg.roster]
    wides = {c: wide_frame(long, c, order=roster) for c in chosen}
    folder = output_folder(out, cfg.folder / "输出")
    stem = f"{cfg.campaign.district or '专项整治'}_数据导出"
    outcome = ExportOutcome(rows=len(long), wide=chosen)
    label = {c.key: c.display for c in table_cols}
    people = not keys and fmt != "parquet"  # parquet is for programs: stable keys, typed values
    shown = for_people(long) if people else long
    if people:
        for frame in wides.values():
            frame.index.name = HEADERS["submitter"]
    tables = {"明细": (shown, False), **{f"累计_{label[c]}": (frame, True) for c, frame in wides.items()}}
    if fmt == "xlsx":
        path = folder / f"{stem}.xlsx"
        write_bytes_atomic(path, frames_to_xlsx(tables))
        outcome.files.append(path)
        return outcome
    for name, (frame, keep_index) in tables.items():
        path = folder / f"{stem}_{name}.{fmt}"
        frame = safe_text(frame, csv=fmt == "csv")
        if fmt == "csv":  # UTF-8 with BOM: Excel on a Chinese Windows opens it without mojibake
            data = frame.to_csv(index=keep_index).encode("utf-8-sig")
        else:
            import io

            buf = io.BytesIO()
            if "value" in frame:
                frame = frame.assign(value=frame["value"].astype(float))  # parquet wants one type
            frame.to_parquet(buf, index=keep_index)
            data = buf.getvalue()
        write_bytes_atomic(path, data)
        outcome.files.append(path)
    return outcome
