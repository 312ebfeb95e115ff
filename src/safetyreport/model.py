"""The domain's data: what was read from a filing, before anyone judges it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from .config import Submitter
from .findings import Finding


@dataclass(slots=True)  # millions of them at province scale: 72 bytes each instead of 168
class Cell:
    """A typed value with the cell it came from.

    `problem` is set when the text could not be taken as meant ("not-a-number", "blank",
    "formula", "yuan" …); the rules turn problems into findings. `value` is None when unusable.
    """

    value: Any
    ref: str  # A1
    text: str = ""
    problem: str = ""
    formula: str = ""


@dataclass
class Footer:
    reviewer: Cell | None = None
    filer: Cell | None = None
    phone: Cell | None = None
    date: dt.date | None = None
    date_cell: Cell | None = None  # what was typed where the date belongs, if anything
    ref: str = ""  # the footer row, for findings about a missing part


@dataclass
class FormData:
    """One located form: its values keyed by the schema's row and column keys."""

    schema_id: str
    path: str
    sheet: str
    submitter_text: str = ""
    submitter_ref: str = ""
    footer: Footer = field(default_factory=Footer)
    # table / fields: row key → column key → Cell ("" is the only row of a fields form)
    table: dict[str, dict[str, Cell]] = field(default_factory=dict)
    row_labels: dict[str, str] = field(default_factory=dict)  # row key → label (extra rows too)
    # list: one dict per record, and the sheet row (1-based) it came from
    records: list[dict[str, Cell]] = field(default_factory=list)
    record_rows: list[int] = field(default_factory=list)
    none_rows: list[int] = field(default_factory=list)  # rows saying "无 / 暂无": nothing to list
    region: str = ""  # e.g. "A1:AB12", where the form was found

    def value(self, row: str, column: str) -> Any:
        cell = self.table.get(row, {}).get(column)
        return None if cell is None else cell.value


@dataclass
class FileRead:
    """What one file held: the forms found in it and what stopped the reader."""

    path: str
    sha256: str = ""
    forms: list[FormData] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # layout and unreadable-file findings
    submitter: Submitter | None = None
    marker: dict[str, str] = field(default_factory=dict)  # the hidden sheet of a generated blank form
    # each form as the ledger stores it (`stored_form`), when reading made that text already (a
    # worker's or the read cache's): the ledger keeps it as it is rather than making it again
    stored_forms: list[str] | None = None
    # the findings of the rules across this file's own forms (附件4/5 against 附件3, the file alone),
    # when reading ran them (checking.validation.read_checked): kept with the read; None, not run
    across: list[Finding] | None = None
    # the forms are outlines (`form_outline`): where each was found and its footer, no values — a
    # kept read, opened for what needs no more; its values are in `kept` (reading.parallel.with_values)
    outline: bool = False
    kept: bytes | None = None  # the read as the read cache keeps it (reading.cache.kept_bytes)


@dataclass
class Submission:
    """One submitter's filing: the forms of one or several files sent together."""

    submitter: Submitter | None
    files: list[FileRead]
    forms: dict[str, FormData] = field(default_factory=dict)  # schema id → the form that counts


# --- storage form (the ledger keeps parsed values as JSON) -------------------------------------


def _cell_out(c: Cell | None) -> list | None:
    if c is None:
        return None
    return [c.value, c.ref, c.text, c.problem, c.formula]


def _cell_in(v: list | None) -> Cell | None:
    return None if v is None else Cell(*v)


def _date_in(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def form_to_dict(form: FormData) -> dict[str, Any]:
    ft = form.footer
    return {
        "schema_id": form.schema_id, "path": form.path, "sheet": form.sheet,
        "submitter_text": form.submitter_text, "submitter_ref": form.submitter_ref,
        "region": form.region, "row_labels": form.row_labels,
        "table": {r: {k: _cell_out(c) for k, c in cells.items()} for r, cells in form.table.items()},
        "records": [{k: _cell_out(c) for k, c in rec.items()} for rec in form.records],
        "record_rows": form.record_rows, "none_rows": form.none_rows,
        "footer": {"reviewer": _cell_out(ft.reviewer), "filer": _cell_out(ft.filer),
                   "phone": _cell_out(ft.phone), "date": ft.date.isoformat() if ft.date else None,
                   "date_cell": _cell_out(ft.date_cell), "ref": ft.ref},
    }


def form_outline(d: dict[str, Any]) -> dict[str, Any]:
    """Of a form's dict (`form_to_dict`), what taking the filing in reads besides its stored text:
    which form, where, who it names, and its footer's date."""
    ft = d["footer"]
    return {"schema_id": d["schema_id"], "path": d["path"], "sheet": d["sheet"],
            "submitter_text": d["submitter_text"], "submitter_ref": d["submitter_ref"], "region": d["region"],
            "footer": {"date": ft["date"], "date_cell": ft["date_cell"], "ref": ft["ref"]}}


def form_from_outline(d: dict[str, Any]) -> FormData:
    """A form as its outline has it (`form_outline`): no values (a FileRead with `outline` set)."""
    ft = d["footer"]
    return FormData(schema_id=d["schema_id"], path=d["path"], sheet=d["sheet"], submitter_text=d["submitter_text"],
                    submitter_ref=d["submitter_ref"], region=d["region"],
                    footer=Footer(date=_date_in(ft["date"]),
                                  date_cell=_cell_in(ft["date_cell"]), ref=ft["ref"]))


def stored_form(d: dict[str, Any]) -> str:
    """A form's dict (`form_to_dict`) as the ledger stores it: JSON, characters as they are."""
    return json.dumps(d, ensure_ascii=False)


def form_from_dict(d: dict[str, Any]) -> FormData:
    ft = d["footer"]
    return FormData(
        schema_id=d["schema_id"], path=d["path"], sheet=d["sheet"],
        submitter_text=d["submitter_text"], submitter_ref=d["submitter_ref"], region=d["region"],
        row_labels=d["row_labels"],
        table={r: {k: Cell(*c) for k, c in cells.items()} for r, cells in d["table"].items()},
        records=[{k: Cell(*c) for k, c in rec.items()} for rec in d["records"]],
        record_rows=d["record_rows"], none_rows=d.get("none_rows", []),
        footer=Footer(reviewer=_cell_in(ft["reviewer"]), filer=_cell_in(ft["filer"]),
                      phone=_cell_in(ft["phone"]),
                      date=_date_in(ft["date"]),
                      date_cell=_cell_in(ft["date_cell"]), ref=ft["ref"]),
    )
