"""Taking filings into the ledger: read, check, assign a period and a receipt time, record.

One transaction per run: a crash or Ctrl-C leaves the ledger as it was before the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..checking.validation import Skipped, across_own, checked, read_checked, require_files
from ..config import Config, Submitter
from ..findings import Finding, finding
from ..model import FileRead
from ..periods import Period, filing_periods, period_for, period_from_name, period_of_date, zone
from ..reading.reader import hashed as with_hash
from ..reading.reader import read_file
from ..schema import SchemaSet
from .store import Filing, Ledger


@dataclass
class Taken:
    path: str
    filing: Filing | None  # None when the file could not even be hashed (missing)
    new: bool
    findings: list[Finding] = field(default_factory=list)
    retaken: bool = False  # a withdrawn filing taken in again
    repaired: bool = False  # its missing or altered archived original was put back
    replaced: list[str] = field(default_factory=list)  # the earlier filings whose forms this one replaced
    still_withdrawn: bool = False  # withdrawn bytes that came again: they stay withdrawn until the clerk says
    # the period this arrival named when the same bytes already count in another one: they stay there
    named_elsewhere: str = ""

    def to_dict(self) -> dict:
        f = self.filing
        return {"path": self.path, "new": self.new, "retaken": self.retaken, "repaired": self.repaired,
                "replaced": self.replaced, "still_withdrawn": self.still_withdrawn,
                "filing_id": f.id if f else None,
                "submitter": f.submitter if f else None, "period": f.period if f else None,
                "received_at": f.received_at.isoformat() if f else None,
                "received_source": f.received_source if f else None,
                "named_elsewhere": self.named_elsewhere,
                "findings": [x.to_dict() for x in self.findings]}


@dataclass
class IntakeReport:
    taken: list[Taken] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)  # saved mails that could not be read at all

    @property
    def warnings(self) -> list[str]:
        """What the clerk must hear before trusting the verdicts: a file the same as one already
        counted in another period (it is not counted again), receipt times that are only the
        time the files were copied."""
        same = [f"{Path(t.path).name} 与已登记的编号 {t.filing.id}（{t.filing.period}）内容完全相同：仍计入原来的周期，"
                f"没有计入{t.named_elsewhere}。同一内容的报表只能计入一个周期；如这确是本期的报表（例如两期都只填了“无”），"
                "请单位在表中写上本期日期后重新报送。" for t in self.taken if t.named_elsewhere and t.filing is not None]
        return same + self._copied_times()

    def _copied_times(self) -> list[str]:
        new = [t.filing for t in self.taken if t.new and t.filing is not None]
        if len(new) < 2 or any(f.received_source != "file-time" for f in new):
            return []
        now = dt.datetime.now(tz=new[0].received_at.tzinfo)
        if all(abs((now - f.received_at).total_seconds()) < 15 * 60 for f in new):
            return [f"这 {len(new)} 个文件的收到时间都只是文件的修改时间，且都在刚才几分钟内——文件多半是刚复制来的，"
                    "据此判定的迟报都不可信。请用 safetyreport correct --received-at 按实际收件时间更正"
                    "（或登记时加 --received-at）。"]
        dates = [dt.date.fromisoformat(f.period) for f in new if f.period and len(f.period) == 10]
        if dates and len(dates) == len(new) and all((f.received_at.date() - d).days > 7 for f, d in zip(new, dates)):
            return [f"这 {len(new)} 个文件的收到时间都只是文件的修改时间，且都比所登记周期的截止日晚一周以上——"
                    "多半是后来复制或另存的时间，据此判定的迟报都不可信。请用 safetyreport correct --received-at 更正。"]
        return []

    @property
    def exit_code(self) -> int:
        """2 when a file or a saved mail could not be taken in at all; 1 when a file taken has
        errors (as validate, merge and fetch say for the same file); else 0."""
        if self.failed or any(t.filing is None for t in self.taken):
            return 2
        return 1 if any(f.severity == "error" for t in self.taken if t.new for f in t.findings) else 0

    def to_dict(self) -> dict:
        return {"taken": [t.to_dict() for t in self.taken],
                "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
                "failed": [{"path": s.path, "reason": s.reason} for s in self.failed],
                "warnings": self.warnings,
                "summary": {"files": len(self.taken), "new": sum(t.new for t in self.taken)}}


def campaign_time(cfg: Config, when: dt.datetime) -> dt.datetime:
    """A time in the campaign's zone; a naive time is taken as campaign time (北京时间)."""
    tz = zone(cfg)
    return when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)


def receipt_time(cfg: Config, path: Path, given: dt.datetime | None,
                 given_source: str = "given") -> tuple[dt.datetime, str]:
    """(receipt time, its source): the time given (--received-at, or a mail's arrival), else the
    file's modification time — a guess only: after a copy it is the time of the copy (see
    ledger.RECEIPT_SOURCES)."""
    if given is not None:
        return campaign_time(cfg, given), given_source
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=zone(cfg)).replace(microsecond=0), "file-time"


@dataclass
class Sender:
    """Who a mail came from, when the filing came by mail: the roster unit its address belongs
    to (None: an address the roster does not know), and the address itself."""

    address: str
    submitter: Submitter | None


def take_in(paths: Iterable[Path], cfg: Config, ledger: Ledger, schemas: SchemaSet, arrival: Arrival | None = None,
            progress: Callable[[Path], None] | None = None, own_transaction: bool = True,
            jobs: int | None = None) -> IntakeReport:
    """Record every file not yet in the ledger, as `arrival` says they came. Bytes already known
    are a no-op.

    Period: `arrival.period` if given; else the period a folder's name gives ("2021-09-23"); else
    `arrival.default_period` (merge's --period); else the period a blank form was made for (its
    hidden marker); else the week of the form's own date (表尾日期); else the next deadline after
    the receipt time. A form dated in another week is flagged. `arrival.sender`: the filing came by
    mail; the sender's address decides the submitter when the roster knows it.
    `own_transaction=False`: the caller holds the transaction (a mail and its files)."""
    from ..reading.cache import ReadCache
    from ..reading.parallel import read_once, stored_texts

    roster = cfg.roster
    files, skipped = require_files(paths)
    report = IntakeReport(skipped=skipped)
    batch = Batch(cfg, ledger, schemas, arrival or Arrival())

    def work() -> None:
        hashed = [with_hash(path) for path in files]
        # bytes the ledger holds already are not read again; the rest are read on every core
        to_read = [i for i, (_, sha) in enumerate(hashed) if not _known_live(ledger, sha)]
        reads = read_once([hashed[i] for i in to_read], read_checked, schemas, roster, cache, jobs,
                          progress and (lambda item: progress(item[0])))
        reading = set(to_read)
        for i, (path, sha) in enumerate(hashed):
            if i in reading:
                read, own = next(reads)
                stored_texts(read)  # a worker's read: the forms' texts it made, for the ledger
                findings = examined(read, own, schemas)
                known = _known_live(ledger, sha)  # the same bytes earlier in this batch
                report.taken.append(_take_known(path, ledger, known, batch) if known else
                                    _record(path, read, findings, batch))
            else:
                report.taken.append(_take_known(path, ledger, _known_live(ledger, sha), batch))
                if progress:
                    progress(path)

    cache = ReadCache.of(cfg, schemas)
    try:
        if own_transaction:
            with ledger.transaction():
                work()
        else:
            work()
    finally:
        if cache is not None:
            cache.close()
    return report


def _known_live(ledger: Ledger, sha: str | None):
    known = ledger.knows(sha) if sha else None
    return known if known and not known.withdrawn else None


def _take_known(path: Path, ledger: Ledger, known, batch: Batch | None = None) -> Taken:
    """Bytes the ledger counts already: nothing new. When this arrival names another period (its
    folder, --period), the clerk is told that they still count where they were first taken."""
    repaired = ledger.repair(known, path)  # the same bytes put a lost original back
    named = None
    if batch is not None:  # the period this arrival names, as _record would place a new file
        came = batch.arrival
        named = came.period or period_from_name(batch.cfg, path.parent.name) or came.default_period
    elsewhere = named.label if named is not None and known.period and named.key != known.period else ""
    return Taken(str(path), known, False, ledger.findings_of(known.id, str(path)), repaired=repaired,
                 named_elsewhere=elsewhere)


@dataclass(frozen=True)
class Arrival:
    """How a batch of files came: the period the clerk named, when they were received and where
    that time came from, how they came (intake, folder, mail) and who sent them by mail."""

    period: Period | None = None
    received_at: dt.datetime | None = None
    source: str = "intake"
    default_period: Period | None = None  # merge's --period: below a folder's own name
    received_source: str = "given"
    sender: Sender | None = None


@dataclass
class Batch:
    """What recording each file of a batch needs."""

    cfg: Config
    ledger: Ledger
    schemas: SchemaSet
    arrival: Arrival


def _record(path: Path, read: FileRead, findings: list[Finding], batch: Batch) -> Taken:
    """Place a file read into its period and keep it in the ledger."""
    cfg, ledger, came = batch.cfg, batch.ledger, batch.arrival
    if came.sender is not None:
        findings = findings + _by_sender(read, came.sender)
    if not read.sha256:  # missing or unreadable before hashing: nothing to keep
        return Taken(str(path), None, False, findings)
    known = ledger.knows(read.sha256)  # withdrawn earlier (say, taken into the wrong period)
    when, when_source = receipt_time(cfg, path, came.received_at, came.received_source)
    dated = _dated(cfg, read)
    marked = period_from_name(cfg, read.marker.get("period", ""))
    chosen = (came.period or period_from_name(cfg, path.parent.name) or came.default_period or marked or dated
              or period_for(cfg, when, [f.schema_id for f in read.forms]))
    placed = placement(cfg, read, chosen, when)
    findings = findings + placed
    if known and known.withdrawn and came.period is None:  # sent again: withdrawn stays withdrawn
        return Taken(str(path), known, False, ledger.findings_of(known.id, str(path)), still_withdrawn=True)
    if known:  # the clerk names the period: it counts again, there
        filing = ledger.retake(known, chosen.key if chosen else None, when, came.source, when_source, placed)
        return Taken(str(path), filing, True, ledger.findings_of(known.id, str(path)), retaken=True)
    filing, new = ledger.add(read, findings, chosen.key if chosen else None, when, came.source, when_source)
    mismatch = next((f for f in findings if f.code == "sender-mismatch"), None)
    if new and mismatch is not None:  # never let one unit's address replace another unit's filing
        filing = ledger.hold(filing.id, HELD_REASON.format(message=mismatch.message), action="hold")
    labels = batch.schemas.short_labels()
    replaced = [f"{name}（编号 {fid}）的{'、'.join(labels.get(s, s) for s in forms)}"
                for fid, name, forms in (ledger.replaced_by(filing.id) if new else [])]
    return Taken(str(path), filing, new, findings, replaced=replaced)


HELD_REASON = "待核实，暂不计入：{message}"


def _by_sender(read: FileRead, sender: Sender) -> list[Finding]:
    """A filing that came by mail belongs to the unit whose address sent it; the form's
    填报单位 decides only when the roster does not know the address. Either way the clerk is told
    when the two disagree."""
    named = read.submitter
    where = next(((f.sheet, f.submitter_ref) for f in read.forms if f.submitter_text), ("", ""))
    if sender.submitter is None:
        return [finding("unknown-sender", path=read.path, address=sender.address,
                        named=named.name if named else "（表中未能识别）")]
    read.submitter = sender.submitter
    if named is not None and named is not sender.submitter:
        return [finding("sender-mismatch", path=read.path, sheet=where[0], cell=where[1], address=sender.address,
                        sender=sender.submitter.name, named=named.name)]
    return []


def examine(read: FileRead, schemas: SchemaSet, roster) -> list[Finding]:
    """Every finding about a file on its own: reading, submitter, each form, and 附件4/5 against
    附件3 when they came in one file (错报 rests on these too; forms sent one per file are checked
    together at merge)."""
    return examined(read, checked(read, schemas, roster), schemas)


def examined(read: FileRead, own: list[Finding], schemas: SchemaSet) -> list[Finding]:
    """`examine`, given the findings of the rules about the file alone (`own`: as validation's
    `checked` gives them, perhaps kept by the read cache; those across its own forms too, when
    reading ran them)."""
    if read.across is None:
        assert not read.outline, "a read's outline holds no values to check"
        read.across = across_own(read, schemas)
    return list(read.findings) + own + read.across


def _dated(cfg: Config, read: FileRead) -> Period | None:
    return next((period_of_date(cfg, f.footer.date) for f in read.forms if f.footer.date), None)


def placement(cfg: Config, read: FileRead, chosen: Period | None, when: dt.datetime) -> list[Finding]:
    """Findings about the period a filing was put in (not about the file): none found, or the
    form's own date (表尾日期) in another week."""
    dated = _dated(cfg, read)
    if chosen is None:
        return [finding("no-period", path=read.path, received_at=when.strftime("%Y-%m-%d %H:%M"))]
    if dated is not None and chosen.filing and dated.key != chosen.key:
        form = next(f for f in read.forms if f.footer.date)
        return [finding("period-mismatch", path=read.path, sheet=form.sheet,
                        cell=form.footer.date_cell.ref if form.footer.date_cell else form.footer.ref,
                        form=form.schema_id, date=dated_text(form.footer.date),
                        dated=dated.label, chosen=chosen.label)]
    return []


# --- rebuilding a lost ledger from the archive alone ------------------------------------------------


@dataclass
class RebuildOutcome:
    ledger: str
    filings: int = 0
    withdrawn: int = 0
    decisions: int = 0
    mail: int = 0
    missing: list[str] = field(default_factory=list)  # records whose original is gone, or unreadable
    refused: list[str] = field(default_factory=list)  # records that contradict their original: why

    @property
    def exit_code(self) -> int:
        """1 when some filing could not be rebuilt (its original gone, or its record not to be trusted)."""
        return 1 if self.missing or self.refused else 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def rebuild(cfg: Config, ledger: Ledger, schemas: SchemaSet) -> RebuildOutcome:
    """Recreate a new, empty ledger's filings from the archive: each original read again and taken
    in as it was taken (submitter, period, receipt time and its source, withdrawn or not, from its
    record in the archive), then the clerk's decisions and the mail already sent, from their journals."""
    from .store import DECISIONS_JOURNAL, MAIL_JOURNAL

    outcome = RebuildOutcome(str(ledger.path))
    roster = cfg.roster
    records = []
    for kept in ledger.records().values():  # the journal's and, from before issue 25, the files beside originals
        if kept.record is None:
            outcome.missing.append(str(kept.path))
        else:
            records.append(kept.record)
    records.sort(key=lambda r: (r.get("taken_at", ""), r.get("sha256", "")))
    withdrawn: list[tuple[str, str, str | None]] = []
    with ledger.transaction():
        for rec in records:
            problem = _record_problem(ledger, rec)
            if problem == "missing":
                outcome.missing.append(rec["original_name"])
                continue
            if problem:
                outcome.refused.append(f"{rec.get('original_name', '（未知文件）')}：{problem}")
                continue
            original = ledger.folder / rec["archive_path"]
            read = read_file(original, schemas, roster, sha256=rec["sha256"])
            read.path = rec["original_path"]  # named as it was taken, not by its archive name
            for form in read.forms:
                form.path = read.path
            read.submitter = roster.get(rec["submitter"]) if rec.get("submitter") else None
            when = dt.datetime.fromisoformat(rec["received_at"])
            chosen = next((p for p in filing_periods(cfg) if p.key == rec.get("period")), None)
            findings = examine(read, schemas, roster) + (placement(cfg, read, chosen, when) if chosen else [])
            ledger.add(read, findings, rec.get("period"), when, rec.get("source", "intake"),
                       rec.get("received_source", "unknown"), taken_at=rec.get("taken_at"))
            outcome.filings += 1
            if rec.get("withdrawn"):
                withdrawn.append((rec["sha256"], rec["withdrawn"], rec.get("withdrawn_at")))
        for line in _journal_lines(ledger.archive / MAIL_JOURNAL):
            ledger.db.execute("INSERT OR IGNORE INTO mail_sent VALUES (?,?,?,?,?,?)",
                              (line["key"], line["kind"], line["period"], line["recipient"], line["subject"],
                               line["sent_at"]))
            outcome.mail += 1
    for sha, reason, at in withdrawn:
        known = ledger.knows(sha)
        if known is None:
            continue
        with ledger.transaction():
            ledger.hold(known.id, reason, at=at)  # when the clerk withdrew it, not now
        outcome.withdrawn += 1
    for line in _journal_lines(ledger.archive / DECISIONS_JOURNAL):
        ledger.decide(line["duplicate_id"], line["verdict"], line.get("note", ""), at=line.get("decided_at"),
                      journal=False)
        outcome.decisions += 1
    return outcome


def dated_text(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _record_problem(ledger: Ledger, rec: dict) -> str | None:
    """Why an archive record cannot be trusted to rebuild its filing: "missing" when
    the original is gone, a reason when the record was edited or names another file."""
    from ..reading.reader import file_sha256
    from .store import record_checksum

    if "checksum" in rec and rec["checksum"] != record_checksum(rec):
        return "记录被改动过（校验和不符），未据此重建；请核对后重新登记原件"
    sha = str(rec.get("sha256", ""))
    if not sha or Path(str(rec.get("archive_path", ""))).stem != sha:
        return "记录所说的原件与存档位置不符，未据此重建"
    original = ledger.folder / rec["archive_path"]
    if not original.is_file():
        return "missing"
    if file_sha256(original) != sha:
        return "存档原件与记录不符（SHA-256 不同），未据此重建"
    return None


def _journal_lines(path: Path) -> list[dict]:
    import json

    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a line cut by a crash
    return out
