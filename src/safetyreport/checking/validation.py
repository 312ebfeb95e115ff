"""`validate`: files and folders in, a report of findings per file out. No printing here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..errors import UserError
from ..findings import Finding, finding, has_errors, tally
from ..model import FileRead, Submission
from ..reading.grid import SPREADSHEET_SUFFIXES, WPS_SUFFIXES, is_lock_file, parse_a1
from ..reading.reader import hashed, read_file
from ..schema import SchemaSet
from .rules import check_form, check_submission, check_submitter


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class FileReport:
    path: str
    submitter: str = ""
    forms: list[str] = field(default_factory=list)  # schema ids found
    findings: list[Finding] = field(default_factory=list)

    @property
    def unreadable(self) -> bool:
        return any(f.unreadable for f in self.findings)

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def to_dict(self) -> dict:
        return {"path": self.path, "submitter": self.submitter, "forms": self.forms,
                "ok": self.ok, "findings": [f.to_dict() for f in self.findings]}


@dataclass
class ValidationReport:
    files: list[FileReport] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    form_labels: dict[str, str] = field(default_factory=dict)  # schema id → 附件3 工作情况表

    @property
    def exit_code(self) -> int:
        """0 clean (warnings allowed), 1 errors in a filing, 2 an input could not be read."""
        if any(f.unreadable for f in self.files):
            return 2
        return 1 if any(not f.ok for f in self.files) else 0

    def to_dict(self) -> dict:
        errors, warnings = tally([x for f in self.files for x in f.findings])
        return {"files": [f.to_dict() for f in self.files],
                "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
                "summary": {"files": len(self.files), "errors": errors, "warnings": warnings,
                            "exit_code": self.exit_code}}


MAIL_SUFFIXES = {".eml"}  # saved mail: intake takes its attachments (validate reads spreadsheets only)


class NoFilesError(UserError):
    """Paths that hold no spreadsheet at all; the message is Chinese."""

    kind = "no-files"


def require_files(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """collect_files, refusing when there is nothing to read (a wrong folder, say)."""
    paths = list(paths)
    files, skipped = collect_files(paths)
    if not files:
        where = "、".join(str(p) for p in paths) or "（未指定）"
        more = f"（其中有 {len(skipped)} 个不是报表的文件已跳过）" if skipped else ""
        raise NoFilesError(f"在 {where} 中没有找到报表文件（.xlsx、.xls）{more}。请检查文件夹是否正确。")
    return files, skipped


def collect_files(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """Files named, and spreadsheets in folders named (recursively). Lock files and other files
    in a folder are skipped and listed; a file named explicitly is always tried."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for p in paths:
        if p.is_dir():
            for child, hidden, regular in sorted(_entries(p, False)):
                suffix = child.suffix.lower()
                if not regular:
                    skipped.append(Skipped(str(child), "不是普通文件（管道、设备或失效的链接），已跳过"))
                elif hidden:
                    skipped.append(Skipped(str(child), "隐藏文件或隐藏文件夹中的文件（名称以“.”开头），已跳过；"
                                                       "如确是报表，请改名后重新登记"))
                elif is_lock_file(child):
                    skipped.append(Skipped(str(child), "Excel/WPS 打开文件时产生的临时锁文件，已跳过"))
                elif suffix in SPREADSHEET_SUFFIXES or suffix in WPS_SUFFIXES or suffix in MAIL_SUFFIXES:
                    files.append(child)
                else:
                    skipped.append(Skipped(str(child), "不是电子表格文件，已跳过"))
        else:
            files.append(p)  # read_file reports a missing or unreadable one
    return files, skipped


def _entries(folder: Path, hidden: bool) -> Iterator[tuple[Path, bool, bool]]:
    """(path, in or itself hidden, a regular file) of everything below `folder` that is not a
    folder, as `Path.rglob("*")` walks it (a link to a folder is neither followed nor listed; a
    folder that may not be read is passed over) — from the directory entries themselves, so a
    week's folder costs no system call per file (merge lists it three times)."""
    import os

    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except PermissionError:
        return
    for entry in entries:
        path = folder / entry.name
        dot = hidden or entry.name.startswith(".")
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not entry.is_symlink():
                yield from _entries(path, dot)
            continue
        try:
            regular = entry.is_file()
        except OSError:
            regular = False
        yield path, dot, regular


def submissions_for(reads: list[FileRead], labels: dict[str, str],
                    week: Callable[[FileRead], str] = lambda read: "") -> dict[str, Submission]:
    """The filing each file belongs to, for rules across forms (附件4/5 against 附件3).

    A file's own forms come first. Forms it lacks are taken from files of the same submitter in
    the same folder and the same week (`week`: from the file name's date or the form's own date;
    one unit's files of two weeks in one folder are two filings) — one form per file is common —
    the most recently modified one winning. Two copies of one form inside a file are reported;
    the first counts.
    """
    siblings = _siblings(reads, week)
    result: dict[str, Submission] = {}
    for read in reads:
        sub = Submission(submitter=read.submitter, files=[read])
        for form in read.forms:
            kept = sub.forms.get(form.schema_id)
            if kept is None:
                sub.forms[form.schema_id] = form
                continue
            read.findings.append(finding(
                "duplicate-form", path=form.path, sheet=form.sheet, cell=form.region,
                form=form.schema_id, form_label=labels.get(form.schema_id, form.schema_id),
                places=f"工作表“{kept.sheet}”和“{form.sheet}”", kept=f"工作表“{kept.sheet}”"))
        if read.submitter:
            others = sorted((r for r in siblings[_sibling_key(read, week)]
                             if r is not read and r.sha256 != read.sha256),
                            key=lambda r: (_mtime(r.path), r.path), reverse=True)
            for other in others:
                for form in other.forms:
                    if form.schema_id not in sub.forms:
                        sub.forms[form.schema_id] = form
                        sub.files.append(other)
        result[read.path] = sub
    return result


def _sibling_key(read: FileRead, week: Callable[[FileRead], str]) -> tuple[str, str, str]:
    return str(Path(read.path).parent), read.submitter.name if read.submitter else "", week(read)


def _siblings(reads: list[FileRead], week: Callable[[FileRead], str]) -> dict[tuple[str, str, str], list[FileRead]]:
    """A submitter's files of one week in one folder, which may lend each other forms."""
    siblings: dict[tuple[str, str, str], list[FileRead]] = defaultdict(list)
    for read in reads:
        if read.submitter:
            siblings[_sibling_key(read, week)].append(read)
    return siblings


def week_of(cfg: Config, read: FileRead) -> str:
    """The week a file speaks for, as far as it says: a date in its name, else its forms' own date."""
    from ..periods import period_from_name, period_of_date

    named = period_from_name(cfg, Path(read.path).stem)
    if named is not None:
        return named.key
    dated = next((period_of_date(cfg, f.footer.date) for f in read.forms if f.footer.date), None)
    return dated.key if dated is not None else ""


def _mark_duplicate_files(reads: list[FileRead]) -> None:
    """The same bytes saved under two names: say so (merge counts them once)."""
    seen: dict[str, FileRead] = {}
    for read in sorted(reads, key=lambda r: r.path):
        if not read.sha256:
            continue
        if read.sha256 in seen:
            read.findings.append(finding("duplicate-file", path=read.path,
                                         other=Path(seen[read.sha256].path).name))
        else:
            seen[read.sha256] = read


def _mtime(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


def read_checked(item: tuple[Path, str | None], schemas: SchemaSet, roster) -> tuple[FileRead, list[Finding]]:
    """One file read, with the findings of the rules that need only that file (run in a worker
    process); the read is left as the reader made it. Both are kept (reading.cache)."""
    path, sha = item
    read = read_file(path, schemas, roster, sha256=sha)
    own = checked(read, schemas, roster)
    read.across = across_own(read, schemas)
    return read, own


def across_own(read: FileRead, schemas: SchemaSet) -> list[Finding]:
    """The rules across a file's own forms (附件4/5 against 附件3 when they came in one file; the
    first copy of a form counts), the file alone: what intake records, and what validate reports
    for a file that borrows no form from another."""
    forms: dict = {}
    for form in read.forms:
        forms.setdefault(form.schema_id, form)
    return check_submission(Submission(read.submitter, [read], forms), schemas)


def checked(read: FileRead, schemas: SchemaSet, roster) -> list[Finding]:
    """The rules that need only the file: its submitter, each form on its own."""
    out = check_submitter(read, roster)
    for form in read.forms:
        out += check_form(form, schemas[form.schema_id])
    return out



def validate_paths(paths: Iterable[Path], config: Config, schemas: SchemaSet | None = None,
                   progress: Callable[[Path], None] | None = None, jobs: int | None = None) -> ValidationReport:
    """Read, group and check every file, reading on `jobs` processes (default: every core).
    `progress` is called once per file read."""
    from ..reading.parallel import collector_paused

    schemas = schemas or config.schema_set
    files, skipped = require_files(paths)
    with collector_paused():  # thousands of reads alive, few cycles: the collector's passes free nothing
        reads = _read_files(files, config, schemas, jobs, progress)
        _check_together(reads, config, schemas)
        report = ValidationReport(skipped=skipped, form_labels=schemas.short_labels())
        for read in reads:
            report.files.append(FileReport(
                path=read.path, submitter=read.submitter.name if read.submitter else "",
                forms=[f.schema_id for f in read.forms], findings=_ordered(read.findings)))
    return report


def _read_files(files: list[Path], config: Config, schemas: SchemaSet, jobs: int | None,
                  progress: Callable[[Path], None] | None) -> list[FileRead]:
    """Every file read once (reading.cache) with the findings of the rules about it alone."""
    from ..reading.cache import ReadCache
    from ..reading.parallel import read_once

    cache = ReadCache.of(config, schemas)
    reads = []
    try:
        for read, findings in read_once([hashed(p) for p in files], read_checked, schemas, config.roster, cache,
                                        jobs, progress and (lambda item: progress(item[0]))):
            read.findings += findings
            read.stored_forms = None  # kept to the end here, and only the ledger needs them (a province: 190 MB)
            reads.append(read)
    finally:
        if cache is not None:
            cache.close()
    return reads


def _check_together(reads: list[FileRead], config: Config, schemas: SchemaSet) -> None:
    """The same bytes under two names, and the rules across a submitter's files of one week."""
    from ..reading.parallel import with_values

    _mark_duplicate_files(reads)
    by_path = {r.path: r for r in reads}
    labels = {s.id: s.label for s in schemas}
    with_forms = [r for r in reads if r.forms]
    weeks = {r.path: week_of(config, r) for r in with_forms}  # asked twice a file below: worked out once

    def week(read: FileRead) -> str:
        return weeks[read.path]

    for siblings in _siblings(with_forms, week).values():
        if len(siblings) > 1:  # forms sent apart: their values are judged together (the others' kept)
            for read in siblings:
                with_values(read)
    for path, sub in submissions_for(with_forms, labels, week).items():
        read = by_path[path]
        # a file that borrows no form: the rules across its own forms ran when it was read
        found = read.across if len(sub.files) == 1 and read.across is not None else check_submission(sub, schemas)
        # findings about a borrowed form belong to that form's own file, reported there
        read.findings += [f for f in found if f.path == path]


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Stable order for reports and tests: by sheet, then reading order of the cell (a range
    such as 'A1:F10' sorts by its first cell)."""
    def key(f: Finding):
        r, c = parse_a1((f.cell or "").split(":")[0]) or (-1, -1)
        return (f.sheet, r, c, f.code)

    return sorted(findings, key=key)
