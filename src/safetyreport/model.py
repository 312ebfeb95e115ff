"""The domain's data: what was read from a filing, before anyone judges it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .config import Submitter
from .findings import Finding


@dataclass
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


@dataclass
class Submission:
    """One submitter's filing: the forms of one or several files sent together."""

    submitter: Submitter | None
    files: list[FileRead]
    forms: dict[str, FormData] = field(default_factory=dict)  # schema id → the form that counts
