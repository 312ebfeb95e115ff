"""Use cases that combine the rooms: a Thursday's merge, and the newcomer's demo.

Each returns data; the CLI prints it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import output_folder
from .checking.validation import MAIL_SUFFIXES, require_files
from .config import Config, load_config, write_default_config
from .errors import UsageError, UserError
from .findings import has_errors
from .ledger.intake import Arrival, IntakeReport, take_in
from .ledger.merge import PeriodResult, merge_period, totals_form
from .ledger.store import Filing, Ledger
from .periods import DATED_KINDS, Period, PeriodError, filing_periods, form_deadlines, parse_period
from .schema import SchemaSet
from .values import cn_date

if TYPE_CHECKING:
    from .ledger.intake import RebuildOutcome
    from .ledger.merge import Duplicate
    from .ledger.status import CampaignRecord, StatusReport
    from .mail.mailbox import FetchReport
    from .mail.send import MailOutcome
    from .outputs.board import Board
    from .outputs.briefing import Briefing


@dataclass
class MergeOutcome:
    result: PeriodResult
    intake: IntakeReport | None
    workbook: Path
    district_filing: Path
    alongside: Any = None  # what merge_job's `alongside` gave

    @property
    def exit_code(self) -> int:
        """2 when a file named could not be taken in at all (as intake says), else 1 on errors."""
        if self.intake is not None and self.intake.exit_code == 2:
            return 2
        return 1 if has_errors(self.result.findings) else 0

    def to_dict(self) -> dict:
        data = self.result.to_dict()
        data["taken"] = [{"path": t.path, "filing_id": t.filing.id if t.filing else None,
                          "submitter": t.filing.submitter if t.filing else None,
                          "period": t.filing.period if t.filing else None, "named_elsewhere": t.named_elsewhere}
                         for t in (self.intake.taken if self.intake else [])]
        data["warnings"] = self.intake.warnings if self.intake else []
        data["skipped"] = [{"path": s.path, "reason": s.reason} for s in (self.intake.skipped if self.intake else [])]
        data["outputs"] = {"workbook": str(self.workbook), "district_filing": str(self.district_filing)}
        return data


@dataclass
class InitOutcome:
    config: Path
    ledger: Path

    def to_dict(self) -> dict:
        return {"config": str(self.config), "ledger": str(self.ledger)}


def init_job(folder: Path, force: bool = False, campaign: Path | None = None) -> InitOutcome:
    """A campaign folder: the configuration and an empty ledger (the only ordinary way a ledger
    comes to be; every other command refuses to create one silently). `campaign`: another
    campaign's folder to start from (its configuration, schemas and templates; none of its filings)."""
    if campaign is not None and not campaign.exists():  # a shipped campaign by its name
        from .shipped import shipped_campaign, shipped_campaigns

        named = shipped_campaign(str(campaign))
        if named is None:
            raise UsageError(f"找不到活动文件夹“{campaign}”。可写一个活动文件夹的路径，或随附的活动名称："
                             f"{'、'.join(shipped_campaigns())}。")
        campaign = named
    target = copy_campaign(campaign, folder, force) if campaign else write_default_config(folder, force=force)
    with Ledger(folder, create=True) as ledger:
        return InitOutcome(target, ledger.path)


CAMPAIGN_PARTS = ("templates", "总结素材.md")  # besides the configuration and its schemas_dir


def copy_campaign(source: Path, folder: Path, force: bool = False) -> Path:
    """A new campaign folder started from `source`: its safetyreport.toml (checked first), its
    schemas folder and templates, never its ledger, archive, outputs or backups."""
    import shutil

    from .config import new_config_path, read_config_text

    cfg = load_config(source)  # a campaign that does not load is named now, not after copying
    origin = Path(cfg.source).parent
    target = new_config_path(folder, force)
    if origin.resolve() == folder.resolve():
        raise UsageError("新文件夹与原活动文件夹相同，请换一个文件夹。")
    folder.mkdir(parents=True, exist_ok=True)
    # its own parts only: a schemas_dir outside the folder (D:/表样) is left where it is, and still named
    inside = [p for p in [cfg.campaign.schemas_dir or "", *CAMPAIGN_PARTS]
              if p and not Path(p).is_absolute() and ".." not in Path(p).parts]
    for part in (p for p in inside if (origin / p).exists()):
        if (origin / part).is_dir():
            shutil.copytree(origin / part, folder / part, dirs_exist_ok=True)
        else:
            shutil.copy2(origin / part, folder / part)
    from .atomic import write_text_atomic

    write_text_atomic(target, read_config_text(Path(cfg.source)))
    return target


def intake_job(cfg: Config, paths: list[Path], period_text: str | None, received_text: str | None,
               progress: Callable[[Path], None] | None = None, new_ledger: bool = False,
               jobs: int | None = None) -> IntakeReport:
    schemas = cfg.schema_set
    period = parse_period(cfg, period_text) if period_text else None
    when = parse_received(received_text)
    files, skipped = require_files(paths)  # a wrong folder is named before anything else
    mails = [p for p in files if p.suffix.lower() in MAIL_SUFFIXES]
    sheets = [p for p in files if p.suffix.lower() not in MAIL_SUFFIXES]
    with Ledger.of(cfg, create=new_ledger, changes=True) as ledger:
        report = (take_in(sheets, cfg, ledger, schemas, Arrival(period=period, received_at=when), progress=progress,
                          jobs=jobs) if sheets else IntakeReport())
        report.skipped = skipped
        if mails:  # saved mail: its attachments, received when its headers say, marked so
            from .checking.validation import Skipped
            from .mail.mailbox import take_eml

            taken, failed = take_eml(cfg, ledger, schemas, mails, period)
            for mail in taken:
                report.taken += mail.files
                report.skipped += [Skipped(f"{mail.subject}/{name}", reason) for name, reason in mail.skipped]
            report.failed += [Skipped(str(path), reason) for path, reason in failed]
        return report


def latest_filed_period(cfg: Config, ledger: Ledger) -> Period:
    """Default period for merge: the latest one that has filings (else the first)."""
    keys = {f.period for f in ledger.filings() if f.period}
    periods = filing_periods(cfg)
    filed = [p for p in periods if p.key in keys]
    return filed[-1] if filed else periods[0]


def merge_job(cfg: Config, paths: list[Path], period_text: str | None, out: Path | None = None,
              schemas: SchemaSet | None = None, progress: Callable[[Path], None] | None = None,
              received_text: str | None = None, new_ledger: bool = False, jobs: int | None = None,
              alongside: Callable[[MergeOutcome], Any] | None = None) -> MergeOutcome:
    """Take in `paths`, merge the period and write both workbooks. `alongside(outcome)`: work
    that needs the outcome but not the workbooks (the --json text), done after the district
    filing in that filing's process while the consolidated workbook is written here; its
    result is `outcome.alongside`."""
    from .ledger.status import period_status, verdicts
    from .outputs.workbooks import write_consolidated, write_district_filing
    from .periods import now
    from .reading.parallel import collector_paused, side_by_side

    schemas = schemas or cfg.schema_set
    period = parse_period(cfg, period_text, weekly_only=True) if period_text else None  # totals are weekly
    when = parse_received(received_text)
    if paths:
        require_files(paths)
    # recording a week's filings and building both workbooks make many objects and few cycles
    with collector_paused():
        with Ledger.of(cfg, create=new_ledger, changes=bool(paths)) as ledger:
            intake = None
            if paths:
                came = Arrival(source="folder", default_period=period, received_at=when)
                intake = take_in(paths, cfg, ledger, schemas, came, progress=progress, jobs=jobs)
            with ledger.snapshot():
                period = period or latest_filed_period(cfg, ledger)
                result = merge_period(cfg, ledger, period, schemas)
                result.findings += archive_findings(ledger, {c.filing.id: c.filing for r in result.rows
                                                             for c in r.forms.values()}.values())
                said = verdicts(period_status(cfg, ledger, period, schemas), now(cfg))  # as status says
        folder = output_folder(out, cfg.folder / OUTPUT_FOLDER)
        workbook = folder / f"{safe_file_name(cfg.campaign.district)}专项整治汇总_{period.key}.xlsx"
        filing = folder / f"{safe_file_name(cfg.campaign.district)}_{period.key}.xlsx"
        outcome = MergeOutcome(result, intake, workbook, filing)
        # the district filing (and `alongside`) in a forked process, the larger consolidated
        # workbook here: a child pays for every page of the merge's objects it touches
        (_, outcome.alongside), _ = side_by_side([
            lambda: (write_district_filing(result, cfg, schemas, filing), alongside(outcome) if alongside else None),
            lambda: write_consolidated(result, schemas, workbook, said, cfg.campaign.weekly_forms)], jobs)
    return outcome


OUTPUT_FOLDER = "输出"  # beside the configuration: workbooks and reports
FORMS_FOLDER = "空白报表"


@dataclass
class FilingRow:
    filing: Filing
    forms: list[str]
    state: str  # counted | superseded | withdrawn | unassigned
    history: list[dict]

    def to_dict(self) -> dict:
        f = self.filing
        from .ledger.store import receipt_source_label

        return {"filing_id": f.id, "file": f.original_name, "path": f.original_path, "submitter": f.submitter,
                "period": f.period, "received_at": f.received_at.isoformat(), "received_source": f.received_source,
                "received_source_text": receipt_source_label(f.received_source), "state": self.state,
                "withdrawn_reason": f.withdrawn, "forms": self.forms, "errors": f.errors,
                "warnings": f.warnings, "sha256": f.sha256, "history": self.history}


@dataclass
class FilingsReport:
    rows: list[FilingRow]
    form_labels: dict[str, str]
    period: Period | None
    submitter: str | None

    def to_dict(self) -> dict:
        return {"period": self.period.to_dict() if self.period else None, "submitter": self.submitter,
                "filings": [r.to_dict() for r in self.rows]}


def filings_job(cfg: Config, period_text: str | None, submitter_text: str | None) -> FilingsReport:
    """What the ledger holds, for a period and/or a submitter: each file with its receipt time and
    source, whether it counts, is superseded or was withdrawn, and its errors and warnings."""
    schemas = cfg.schema_set
    period = parse_period(cfg, period_text) if period_text else None
    submitter = None
    if submitter_text:
        sub = cfg.roster.match(submitter_text)
        if sub is None:
            raise UsageError(f"“{submitter_text}”不在报送名单中。名单：{cfg.roster.names()}")
        submitter = sub.name
    rows = []
    with Ledger.of(cfg) as ledger, ledger.snapshot():
        forms = ledger.forms_of_filings()
        for f in ledger.all_filings():
            if (period and f.period != period.key) or (submitter and f.submitter != submitter):
                continue
            n, live = ledger.counting(f.id)
            state = ("withdrawn" if f.withdrawn else "unassigned" if not (f.submitter and f.period)
                     else "superseded" if n and not live else "counted")
            rows.append(FilingRow(f, sorted(forms.get(f.id, [])), state, ledger.history(f.id)))
    return FilingsReport(rows, schemas.short_labels(), period, submitter)


@dataclass
class WithdrawOutcome:
    filing: Filing
    undo: bool

    def to_dict(self) -> dict:
        f = self.filing
        return {"filing_id": f.id, "file": f.original_name, "submitter": f.submitter, "period": f.period,
                "withdrawn": f.withdrawn is not None, "reason": f.withdrawn, "undo": self.undo}


def withdraw_job(cfg: Config, filing_id: int, reason: str, undo: bool = False) -> WithdrawOutcome:
    """Stop a wrongly taken filing from counting (or, with undo, let it count again). The ledger
    records who-what-when in its log; the filing, its original and its values stay."""
    with Ledger.of(cfg, changes=True) as ledger:
        f = ledger.filing(filing_id)
        if undo:
            if not f.withdrawn:
                raise UsageError(f"编号 {filing_id}（{f.original_name}）没有撤回，无需恢复。")
            return WithdrawOutcome(ledger.reinstate(filing_id, reason), True)
        if f.withdrawn:
            raise UsageError(f"编号 {filing_id}（{f.original_name}）已于此前撤回（原因：{f.withdrawn}）。")
        return WithdrawOutcome(ledger.withdraw(filing_id, reason), False)


@dataclass
class CorrectOutcome:
    changed: list[dict]  # {"filing_id", "file", "submitter", "before", "after"}
    undone: bool = False
    dry_run: bool = False

    def to_dict(self) -> dict:
        return {"changed": self.changed, "undone": self.undone, "dry_run": self.dry_run}


def correct_job(cfg: Config, period_text: str | None = None, submitter_text: str | None = None,
                pattern: str | None = None, received_text: str | None = None, to_period: str | None = None,
                reason: str = "", dry_run: bool = False, mail: Path | None = None) -> CorrectOutcome:
    """Many filings corrected in one step: the receipt time (the clerk's evidence: the mail's real
    arrival) or the period, for the filings a period, a unit and a file-name pattern select; each
    change logged with what it was, and the whole batch undone by `undo_correction_job`."""
    import fnmatch
    import uuid

    if not (period_text or submitter_text or pattern):
        raise UsageError("请用 --period、--submitter 或 --file 指定要更正哪些报表（不会一次改动全部报表）。")
    if mail is not None:  # the evidence is the mail itself: the time its office server stamped on arrival
        received_text = mail_arrival_text(mail)
    if not (received_text or to_period):
        raise UsageError("请用 --received-at 或 --mail 指定实际收到时间，或用 --to-period 指定应登记的周期。")
    if not reason.strip():
        raise UsageError("请用 --reason 写明更正的依据（如“按邮件实际到达时间”），它会记入台账。")
    period = parse_period(cfg, period_text) if period_text else None
    target = parse_period(cfg, to_period, weekly_only=True) if to_period else None
    from .ledger.intake import campaign_time

    given = parse_received(received_text)
    when = campaign_time(cfg, given) if given else None
    unit = cfg.roster.match(submitter_text) if submitter_text else None
    if submitter_text and unit is None:
        raise UsageError(f"“{submitter_text}”不在报送名单中。名单：{cfg.roster.names()}")
    batch = uuid.uuid4().hex[:8]
    with Ledger.of(cfg, changes=not dry_run) as ledger:
        chosen = [f for f in ledger.all_filings()
                  if (period is None or f.period == period.key) and (unit is None or f.submitter == unit.name)
                  and (pattern is None or fnmatch.fnmatch(f.original_name, pattern)
                       or fnmatch.fnmatch(f.original_path, pattern))]
        if not chosen:
            raise UsageError("没有符合条件的报表。可用 safetyreport filings 查看台账中的报表。")
        changed = []
        with nullcontext() if dry_run else ledger.transaction():
            for f in chosen:
                after_time, after_period = when or f.received_at, target.key if target else f.period
                if not dry_run:
                    ledger.correct(f, batch, reason, when, target.key if target else None)
                changed.append(_change(f, {"received_at": f.received_at.isoformat(), "period": f.period},
                                       {"received_at": after_time.isoformat(), "period": after_period}))
    return CorrectOutcome(changed, dry_run=dry_run)


def mail_arrival_text(path: Path) -> str:
    """When a saved mail (.eml) reached the office: its topmost Received stamp (the office's own
    server), as `--received-at` would say it. A mail with only its sender's Date is no evidence."""
    from .mail.mailbox import parse, received_by_headers

    try:
        raw = path.read_bytes()
    except OSError as e:
        from .atomic import os_error_text

        raise UsageError(f"无法读取邮件文件 {os_error_text(e)}") from None
    when, source = received_by_headers(parse(raw))
    if when is None or source != "mail-received":
        raise UsageError(f"{path} 中没有收件服务器记下的到达时间（Received），不能作为收到时间的依据；"
                         "请看邮箱中显示的到达时间，用 --received-at 指定。")
    return when.isoformat()


def undo_correction_job(cfg: Config) -> CorrectOutcome:
    """The latest correction batch put back as it was."""
    with Ledger.of(cfg, changes=True) as ledger:
        last = ledger.last_correction()
        if not last:
            raise UsageError("台账中没有可以撤销的更正。")
        changed = []
        with ledger.transaction():
            for filing_id, detail in last:
                f = ledger.undo_correction(filing_id, detail)
                changed.append(_change(f, detail["after"], detail["before"]))
    return CorrectOutcome(changed, undone=True)


def _change(f: Filing, before: dict, after: dict) -> dict:
    """One corrected filing as `correct` reports it: what it was and what it is."""
    return {"filing_id": f.id, "file": f.original_name, "submitter": f.submitter, "before": before, "after": after}


@dataclass
class DecideOutcome:
    duplicate: Duplicate
    verdict: str
    note: str

    def to_dict(self) -> dict:
        d = self.duplicate
        return {"duplicate_id": d.id, "verdict": self.verdict, "note": self.note, "what": d.what, "name": d.name,
                "first": d.first, "second": d.second}


def decide_job(cfg: Config, duplicate_id: str, verdict: str, note: str = "") -> DecideOutcome:
    """Record the clerk's verdict on a suspected duplicate. The id (or a unique beginning of it)
    must name one the merges of this campaign have found; otherwise the candidates are listed."""
    if verdict not in ("same", "different"):
        raise UsageError("第二个参数应为 same（同一个，只计一次）或 different（不是同一个，分别计）。")
    schemas = cfg.schema_set
    with Ledger.of(cfg) as ledger:
        keys = {f.period for f in ledger.filings() if f.period}
        found: dict[str, Duplicate] = {}
        for p in filing_periods(cfg):
            if p.key in keys:
                found.update({d.id: d for d in merge_period(cfg, ledger, p, schemas).duplicates})
        wanted = duplicate_id.strip().lower()
        hits = [d for i, d in sorted(found.items()) if i.startswith(wanted)] if wanted else []
        if len(hits) != 1:
            listing = "；".join(f"{d.id} {d.what}“{d.name}”（{d.first}、{d.second}）" for d in
                               (hits or sorted(found.values(), key=lambda d: d.id)))
            if not found:
                raise UsageError(f"没有编号为“{duplicate_id}”的疑似重复：台账中还没有任何疑似重复。")
            why = "对应多个疑似重复" if hits else "不是已发现的疑似重复的编号"
            raise UsageError(f"“{duplicate_id}”{why}。可选：{listing}")
        ledger.backup(cfg.ledger.keep_backups)
        ledger.decide(hits[0].id, verdict, note)
        return DecideOutcome(hits[0], verdict, note)


def archive_findings(ledger: Ledger, filings) -> list:
    """A finding for each filing whose archived original is missing or altered."""
    from .findings import finding

    out = []
    for f in sorted(filings, key=lambda f: f.id):
        problem = ledger.verify(f)
        if problem:
            out.append(finding(problem, path=f.original_path, archive=f.archive_path))
    return out


@dataclass
class CheckOutcome:
    checked: int
    findings: list
    unconfirmed: list[dict] = field(default_factory=list)  # messages a run died while sending
    settled: int = 0  # of those, what the clerk said now (--mail-sent / --mail-resend)

    @property
    def exit_code(self) -> int:
        return 1 if self.findings or self.unconfirmed else 0

    def to_dict(self) -> dict:
        return {"checked": self.checked, "problems": [f.to_dict() for f in self.findings],
                "unconfirmed_mail": self.unconfirmed, "settled_mail": self.settled}


def record_findings(ledger: Ledger, filings, rewrite: bool = False) -> list:
    """A finding for each filing whose record in the archive contradicts the ledger (or,
    with `rewrite`, the record written again from the ledger, and no finding)."""
    from .findings import finding

    out = []
    for f in sorted(filings, key=lambda f: f.id):
        problem = ledger.verify_record(f)
        if problem and rewrite:
            ledger.rewrite_record(f)
        elif problem:
            out.append(finding("record-altered", path=f.original_path,
                               record=str(ledger.record_path(f).relative_to(ledger.folder)), problem=problem))
    return out


def check_job(cfg: Config, settle: str | None = None, rewrite_records: bool = False) -> CheckOutcome:
    """The ledger is sound (SQLite's full integrity check), every filing's original is in the
    archive with the SHA-256 it was taken with, and no message is left half-sent by a run that
    died (`settle`: "sent" or "resend" says what became of those)."""
    with Ledger.of(cfg, changes=settle is not None or rewrite_records) as ledger:
        ledger.assert_sound(full=True)
        settled = 0
        if settle is not None:
            settled = ledger.settle_mail([m["key"] for m in ledger.unconfirmed_mail()], sent=settle == "sent")
        filings = ledger.all_filings()
        problems = archive_findings(ledger, filings) + record_findings(ledger, filings, rewrite_records)
        return CheckOutcome(len(filings), problems, ledger.unconfirmed_mail(), settled)


def rebuild_job(cfg: Config) -> RebuildOutcome:
    """A lost ledger recreated from archive/ alone. Refuses when a ledger with filings is there."""
    from .ledger.intake import rebuild
    from .ledger.store import LEDGER_NAME, LedgerError

    path = cfg.folder / LEDGER_NAME
    if path.is_file() and path.stat().st_size > 0:
        with Ledger.of(cfg) as ledger:
            if ledger.all_filings():
                raise LedgerError(f"报送台账 {path} 还在，里面有 {len(ledger.all_filings())} 份报表，不需要重建。"
                                  "如要换成备份，请用 safetyreport restore；确要重建，请先把它移到别处。")
    if not (cfg.folder / "archive").is_dir():
        raise LedgerError(f"{cfg.folder} 中没有 archive/ 文件夹，无从重建。")
    schemas = cfg.schema_set
    with Ledger.of(cfg, create=True) as ledger:
        return rebuild(cfg, ledger, schemas)


@dataclass
class RestoreOutcome:
    backups: list[dict]
    restored: str | None = None
    saved_current: str | None = None

    def to_dict(self) -> dict:
        return {"backups": self.backups, "restored": self.restored, "saved_current": self.saved_current}


def restore_job(cfg: Config, which: str | None) -> RestoreOutcome:
    """List the backups (newest first, each checked), or bring one back: by its number in that
    list or its file name. A damaged backup is never restored. The ledger being replaced is kept
    first: a sound one as a backup, a damaged one set aside as 备份/损坏-….db (never rotated out)."""
    from .ledger.store import (
        BACKUP_NAME,
        LEDGER_NAME,
        BackupInfo,
        LedgerError,
        backups,
        copy_database,
        inspect_database,
    )

    found = backups(cfg.folder)
    listing = [b.to_dict() for b in found]
    if which is None:
        return RestoreOutcome(listing)
    chosen: BackupInfo | None
    if which.isdigit() and 1 <= int(which) <= len(found):
        chosen = found[int(which) - 1]
    else:
        chosen = next((b for b in found if which in (b.path.name, b.path.stem)), None)
        if chosen is None and Path(which).is_file():
            chosen = inspect_database(Path(which))
    if chosen is None:
        names = "；".join(f"{i} {b.path.name}（{b.filings} 份报表）" for i, b in enumerate(found, 1)) or "（没有备份）"
        raise LedgerError(f"没有“{which}”这个备份。可选：{names}")
    if not chosen.good:
        good = next((b for b in found if b.good), None)
        raise LedgerError(f"备份 {chosen.path.name} 已损坏（{chosen.problem}），不能用来恢复。"
                          + (f"最新的完好备份是 {good.path.name}。" if good else "备份/ 中没有完好的备份。"))
    target = cfg.folder / LEDGER_NAME
    saved = None
    if target.is_file() and target.stat().st_size > 0:
        current = inspect_database(target)
        if current.good:
            with Ledger(cfg.folder) as ledger:
                saved = ledger.backup(max(cfg.ledger.keep_backups, len(found) + 1))
        else:
            saved = cfg.folder / BACKUP_NAME / f"损坏-{dt.datetime.now():%Y%m%d-%H%M%S}.db"
            saved.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):  # the damaged ledger's journal goes with it
                side = target.with_name(target.name + suffix)
                if side.exists():
                    side.replace(saved.with_name(saved.name + suffix))
            target.replace(saved)
    copy_database(chosen.path, target)
    with Ledger(cfg.folder) as restored:  # the records beside the originals say what this ledger says
        record_findings(restored, restored.all_filings(), rewrite=True)
    return RestoreOutcome(listing, str(chosen.path), str(saved) if saved else None)


def fetch_job(cfg: Config, dry_run: bool = False, new_ledger: bool = False) -> FetchReport:
    """Take the office mailbox's new mail: attachments into the ledger with the mail's arrival as
    receipt time, a 回执 to each sender."""
    from .mail.mailbox import fetch

    schemas = cfg.schema_set
    with Ledger.of(cfg, create=new_ledger, changes=not dry_run) as ledger:
        report = fetch(cfg, ledger, schemas, dry_run=dry_run)
    if not dry_run and (report.messages or not (cfg.folder / OUTPUT_FOLDER / board_file_name()).exists()):
        refresh_board(cfg, report)  # the page a leader bookmarked is current after every run that took mail
    return report


@dataclass
class DismissOutcome:
    dismissed: list[int]
    unknown: list[int]
    still_failed: list[str]

    @property
    def exit_code(self) -> int:
        return 2 if self.unknown else 0

    def to_dict(self) -> dict:
        return {"dismissed": self.dismissed, "unknown": self.unknown, "failed": self.still_failed}


def dismiss_job(cfg: Config, numbers: list[int]) -> DismissOutcome:
    """The clerk has dealt with these failed mails: they are no longer listed."""
    from .mail.mailbox import failed_text

    with Ledger.of(cfg, changes=True) as ledger:
        done = [n for n in numbers if 0 < n < 2**63 and ledger.dismiss_mail(n)]
        return DismissOutcome(done, [n for n in numbers if n not in done],
                              [failed_text(m) for m in ledger.failed_mails()])


def board_file_name() -> str:
    from .outputs.board import load_settings
    from .outputs.report import template_dir

    return load_settings(template_dir()).file


def refresh_board(cfg: Config, report: FetchReport) -> None:
    """Rewrite the 报送看板 after a run that changed the ledger; a failure is told, never fatal."""
    from .atomic import os_error_text

    try:
        report.board = str(board_job(cfg).path)
    except UserError as e:
        report.board_error = str(e)
    except OSError as e:
        report.board_error = f"无法写入报送看板 {os_error_text(e)}"


@dataclass
class BoardOutcome:
    board: Board
    path: Path

    def to_dict(self) -> dict:
        return {"file": str(self.path), **self.board.to_dict()}


def board_periods(cfg: Config, period_text: str | None, at: dt.datetime) -> tuple[list[Period], list[bool]]:
    """The weekly periods a board shows, up to `period_text` or else up to the one being filed now
    (the first whose deadline, grace included, is still ahead; the last when the campaign is over),
    each with whether its deadline has passed at `at`."""
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    weeks = filing_periods(cfg)
    if period_text:
        last = parse_period(cfg, period_text, weekly_only=True)
    else:
        last = next((p for p in weeks if p.deadline + grace > at), weeks[-1])
    shown = [p for p in weeks if p.deadline <= last.deadline]
    return shown, [p.deadline + grace <= at for p in shown]


def board_job(cfg: Config, period_text: str | None = None, out: Path | None = None,
              at: dt.datetime | None = None) -> BoardOutcome:
    """报送看板: one self-contained HTML page with every unit's status in every period so far, the
    filing rates, the district's headline figures and their trend, and the open 重大隐患."""
    from .atomic import write_text_atomic
    from .ledger.status import period_statuses
    from .outputs import board as B
    from .outputs.report import template_dir
    from .periods import now

    schemas = cfg.schema_set
    at = at or now(cfg)
    settings = B.load_settings(template_dir())
    shown, due = board_periods(cfg, period_text, at)
    with Ledger.of(cfg) as ledger, ledger.snapshot():
        statuses = period_statuses(cfg, ledger, shown, schemas)
        history = [merge_period(cfg, ledger, p, schemas) for p, d in zip(shown, due, strict=True) if d]
    deadlines = any(schemas[f].overdue for f in cfg.campaign.weekly_forms if f in schemas)
    board = B.build(settings, cfg.campaign.name, cfg.campaign.office, at, statuses, due, history, deadlines)
    path = output_folder(out, cfg.folder / OUTPUT_FOLDER) / settings.file
    write_text_atomic(path, B.render(board, template_dir()))
    return BoardOutcome(board, path)


def bundled_samples() -> Path:
    """The shipped samples: in the wheel (safetyreport/_data/samples) or the source checkout."""
    from .shipped import data_dir

    return data_dir("samples")


def sample_receipts() -> dict[str, dict[str, str]]:
    """When each sample unit's mail arrived (samples/manifest.json): most Thursday morning, a
    few late. The demo takes the samples in at these times."""
    import json

    return json.loads((bundled_samples() / "manifest.json").read_text(encoding="utf-8"))["receipts"]


@dataclass
class DemoOutcome:
    merge: MergeOutcome
    status: StatusOutcome
    report: ReportOutcome
    board: BoardOutcome

    def to_dict(self) -> dict:
        return {"merge": self.merge.to_dict(), "status": self.status.to_dict(),
                "report": {"issue": self.report.briefing.issue, "files": [str(p) for p in self.report.files]},
                "board": str(self.board.path)}


def demo_job(folder: Path, progress: Callable[[Path], None] | None = None, out: Path | None = None) -> DemoOutcome:
    """A whole Thursday on the shipped samples, in `folder`: config, three weeks taken in with
    their receipt times, the last week merged, its filing status and its briefing."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "safetyreport.toml").exists():
        write_default_config(folder)
    cfg = load_config(folder / "safetyreport.toml")
    schemas = cfg.schema_set
    samples = bundled_samples()
    weeks = sorted(p for p in samples.iterdir() if p.is_dir() and p.name[:4].isdigit())
    roster = cfg.roster
    receipts = sample_receipts()
    with Ledger.of(cfg, create=True) as ledger:
        for week in weeks:
            period = parse_period(cfg, week.name)
            times = receipts[week.name]
            for path in sorted(week.iterdir()):
                sub = roster.match(path.stem)
                when = dt.datetime.fromisoformat(times[sub.name]) if sub else period.deadline
                take_in([path], cfg, ledger, schemas, Arrival(period=period, received_at=when))
                if progress:
                    progress(path)
    merged = merge_job(cfg, [], weeks[-1].name, out=out, schemas=schemas)
    last = merged.result.period
    after = last.deadline + dt.timedelta(minutes=5)  # the demo's Thursday, just after the deadline
    status = status_job(cfg, last.key, at=after)
    return DemoOutcome(merged, status, report_job(cfg, "weekly", last.key, out), board_job(cfg, None, out, after))


@dataclass
class RunOutcome:
    """The period's routine, step by step: what was taken, merged, found and written."""

    period: Period
    fetched: FetchReport | None = None
    merged: MergeOutcome | None = None
    status: StatusOutcome | None = None
    report: ReportOutcome | None = None
    board: BoardOutcome | None = None
    dry_run: bool = False
    problems: list[str] = field(default_factory=list)  # a step that could not run, and why
    notes: list[str] = field(default_factory=list)  # a step left out on purpose, and why

    @property
    def exit_code(self) -> int:
        """2 when a step failed (mailbox, mail server, a file), else as status says (1: someone
        filed late, wrong or not at all)."""
        if self.problems or (self.fetched is not None and self.fetched.exit_code == 2):
            return 2
        return self.status.exit_code if self.status is not None else 0

    def to_dict(self) -> dict:
        return {"period": self.period.to_dict(), "dry_run": self.dry_run, "problems": self.problems,
                "notes": self.notes,
                "fetch": self.fetched.to_dict() if self.fetched else None,
                "merge": self.merged.to_dict() if self.merged else None,
                "status": self.status.to_dict() if self.status else None,
                "report": self.report.to_dict() if self.report else None,
                "board": str(self.board.path) if self.board else None}


def run_job(cfg: Config, period_text: str | None = None, email: bool = False, notify_submitters: bool = False,
            dry_run: bool = False, at: dt.datetime | None = None, out: Path | None = None) -> RunOutcome:
    """The clerk's routine for the period now due, in one go: take the mailbox's new mail (when
    one is configured), merge the period, classify every unit (and mail the list when asked), write
    the briefing and refresh the board. `dry_run`: what it would take and send; nothing changes."""
    from .periods import last_due, now

    at = at or now(cfg)
    period = parse_period(cfg, period_text, weekly_only=True) if period_text else last_due(cfg, at)
    outcome = RunOutcome(period, dry_run=dry_run)
    if cfg.imap.host:
        outcome.fetched = _step(outcome, lambda: fetch_job(cfg, dry_run=dry_run))
    outcome.status = status_job(cfg, period.key, email=email, notify_submitters=notify_submitters, dry_run=dry_run,
                                at=at)
    if dry_run:
        return outcome
    outcome.merged = _step(outcome, lambda: merge_job(cfg, [], period.key, out=out))
    report = outcome.status.report
    if report is not None and not any(r.received for r in report.rows):  # nothing to brief on: said, not failed
        outcome.notes.append(f"{period.label}没有收到任何报表，未生成简报。")
    else:
        outcome.report = _step(outcome, lambda: report_job(cfg, "weekly", period.key, out))
    outcome.board = _step(outcome, lambda: board_job(cfg, None, out, at))
    return outcome


def _step(outcome: RunOutcome, work: Callable[[], Any]) -> Any:
    """One step of the routine; a step that fails is told and the others still run."""
    from .atomic import os_error_text

    try:
        return work()
    except UserError as e:
        outcome.problems.append(str(e))
    except OSError as e:
        outcome.problems.append(f"无法读写文件 {os_error_text(e)}")
    return None


def parse_received(text: str | None) -> dt.datetime | None:
    """'2021-09-23 10:15' or '2021-09-23T10:15:00+08:00' (naive = campaign time)."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise UsageError(f"收到时间“{text}”无法识别，应写成 2021-09-23 10:15。") from None


@dataclass
class StatusOutcome:
    report: StatusReport | None
    record: CampaignRecord | None
    mail: MailOutcome | None

    @property
    def exit_code(self) -> int:
        if self.mail is not None and self.mail.error:
            return 2  # the table stands; the mail did not go
        if self.report is not None:
            return self.report.exit_code
        return self.record.exit_code if self.record is not None else 0

    def to_dict(self) -> dict:
        data = self.report.to_dict() if self.report else {"campaign": self.record.to_dict() if self.record else None}
        if self.mail is not None:
            data["mail"] = self.mail.to_dict()
        return data


def status_job(cfg: Config, period_text: str | None, campaign: bool = False, email: bool = False,
               notify_submitters: bool = False, dry_run: bool = False,
               at: dt.datetime | None = None) -> StatusOutcome:
    """Classify every submitter for a period (or the whole campaign so far); optionally e-mail."""
    from .ledger.status import campaign_record, period_status
    from .mail.send import deliver, status_messages
    from .periods import last_due, now

    schemas = cfg.schema_set
    at = at or now(cfg)
    with Ledger.of(cfg, changes=email and not dry_run) as ledger:
        with ledger.snapshot():
            if campaign:
                return StatusOutcome(None, campaign_record(cfg, ledger, schemas, as_of=at), None)
            period = parse_period(cfg, period_text) if period_text else last_due(cfg, at)
            report = period_status(cfg, ledger, period, schemas)
            report.chosen = "" if period_text else f"未指定 --period：取截止时间最近已过的{period.label}"
        mail = None
        if email:
            mail = deliver(cfg, ledger, status_messages(cfg, report, notify_submitters), dry_run=dry_run)
    return StatusOutcome(report, None, mail)


def remind_job(cfg: Config, period_text: str | None, dry_run: bool = False,
               at: dt.datetime | None = None) -> StatusOutcome:
    """催报: remind those who have not filed yet for the coming deadline (once per day and period)."""
    from .ledger.status import period_status
    from .mail.send import deliver, reminder_messages
    from .periods import next_due, now

    schemas = cfg.schema_set
    at = at or now(cfg)
    with Ledger.of(cfg, changes=not dry_run) as ledger:
        period = parse_period(cfg, period_text) if period_text else next_due(cfg, at)
        with ledger.snapshot():
            report = period_status(cfg, ledger, period, schemas)
        mail = deliver(cfg, ledger, reminder_messages(cfg, report, slot=at.date().isoformat(), at=at), dry_run=dry_run)
    return StatusOutcome(report, None, mail)


@dataclass
class FormsOutcome:
    period: Period
    written: list[Path]

    def to_dict(self) -> dict:
        return {"period": self.period.to_dict(), "files": [str(p) for p in self.written]}


def safe_file_name(name: str) -> str:
    """A submitter's name as a file name that stays inside the output folder."""
    import re

    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")
    return cleaned or "未命名"


def forms_job(cfg: Config, period_text: str, out: Path | None, submitters: list[str] | None = None,
              with_previous: bool = True) -> FormsOutcome:
    """Blank, prefilled, guarded workbooks (附件3–6 + 工作情况) for roster submitters."""
    from .outputs.workbooks import blank_workbook

    schemas = cfg.schema_set
    period = parse_period(cfg, period_text)
    roster = cfg.roster
    chosen = []
    for name in submitters or [s.name for s in roster]:
        sub = roster.match(name)
        if sub is None:
            raise UsageError(f"“{name}”不在报送名单中。名单：{roster.names()}")
        chosen.append(sub)
    # the forms due this period (a form on a rhythm of its own only in the periods it is due in)
    form_ids = [f for f in form_deadlines(cfg, period, list(dict.fromkeys(cfg.campaign.weekly_forms))) if f in schemas]
    previous: dict[str, dict] = {}
    if with_previous and (cfg.folder / "safetyreport.db").exists() and period.filing:
        previous = _previous_cumulative(cfg, period, schemas)
    written = []
    d = period.deadline.date()
    out = output_folder(out, cfg.folder / FORMS_FOLDER)
    for sub in chosen:
        path = out / f"{safe_file_name(sub.name)}_{period.key}.xlsx"
        blank_workbook(schemas, form_ids, sub.name, period.key, period.label,
                       cn_date(d), path, previous.get(sub.name), totals_form(cfg, schemas))
        written.append(path)
    return FormsOutcome(period, written)


def _previous_cumulative(cfg: Config, period: Period, schemas: SchemaSet) -> dict[str, dict]:
    """Each submitter's last counted 累计数 before `period`, from the ledger."""
    periods = filing_periods(cfg)
    before = [p for p in periods if p.deadline < period.deadline]
    if not before:
        return {}
    with Ledger.of(cfg) as ledger, ledger.snapshot():
        result = merge_period(cfg, ledger, before[-1], schemas)
    return {r.submitter.name: r.cumulative for r in result.rows if r.status != "missing"}


@dataclass
class ReportOutcome:
    briefing: Briefing
    files: list[Path]
    figures: list[Path] = field(default_factory=list)  # the charts, beside the Markdown that links them

    def to_dict(self) -> dict:
        return {"kind": self.briefing.kind, "issue": self.briefing.issue, "title": self.briefing.title,
                "files": [str(p) for p in self.files], "figures": [str(p) for p in self.figures],
                "briefing": self.briefing.to_dict()}


def summary_spans(cfg: Config) -> list[Any]:
    """The phases the configuration names for the summary, else the campaign's months."""
    from .outputs.briefing import Span

    if cfg.briefing.phases:
        return [Span(p.name, p.start, p.end) for p in cfg.briefing.phases]
    out, day = [], cfg.campaign.start.replace(day=1)
    while day <= cfg.campaign.end:
        nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append(Span(f"{day.month}月", max(day, cfg.campaign.start), min(nxt - dt.timedelta(days=1), cfg.campaign.end)))
        day = nxt
    return out


def _summary_notes_template(cfg: Config) -> Path:
    """summary_notes.md: the campaign folder's own, else the built-in campaign's."""
    from .shipped import template_dirs

    own = campaign_templates(cfg)
    return next(p / "summary_notes.md" for p in [*([own] if own else []), *template_dirs()]
                if (p / "summary_notes.md").is_file())


def summary_notes(cfg: Config) -> dict[str, str]:
    """The clerk's own paragraphs for the summary, by section title, from the file beside the
    configuration; the file is made from the template on first use (and never overwritten)."""
    from .atomic import write_text_atomic

    path = cfg.folder / cfg.briefing.summary_notes
    if not path.exists():
        write_text_atomic(path, _summary_notes_template(cfg).read_text(encoding="utf-8"))
    notes: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            notes[current] = []
        elif current and line.strip() and not line.strip().startswith("（请填写"):
            notes[current].append(line.strip())
    return {title: "".join(lines) for title, lines in notes.items()}


REPORT_FORMATS = ("md", "html", "docx", "pdf")
DEFAULT_REPORT_FORMATS = ("md", "html", "docx")


def campaign_templates(cfg: Config) -> Path | None:
    """The campaign folder's own templates/ (its wording), consulted before the built-in ones."""
    folder = cfg.folder / "templates"
    return folder if cfg.source and folder.is_dir() else None


def _require_briefing_forms(cfg: Config, schemas: SchemaSet, kind: str) -> bool:
    """Whether this is the built-in campaign's briefing (its forms take the roles the built-in
    简报, 月报 and 总结 are computed from, Schema.role); any other campaign has a 简报 and a 总结
    computed from its schemas alone (outputs/generic.py), and no 月报 (the built-in campaign's
    "每月2日前" report on its weekly figures): that one is told why not."""
    from .outputs.briefing import roles_missing

    if not roles_missing(schemas.roles(list(cfg.campaign.weekly_forms))):
        return True
    if kind != "monthly":
        return False
    raise UsageError("月报按周报数字逐月汇总，是内置专项整治的报告；本活动收集的报表（"
                     + "、".join(schemas[f].short if f in schemas else f for f in cfg.campaign.weekly_forms)
                     + "）每期都可生成简报（safetyreport report weekly），活动结束时生成总结（safetyreport report summary）。"
                     "汇总结果见 safetyreport merge 生成的汇总工作簿，数据可用 safetyreport export 导出。")


def _before_final(p: Period, final_day: str) -> bool:
    """A period the summary covers: a dated one named by a day up to the final date (the built-in
    campaign's weeks); a month, quarter … due by then."""
    return (p.key if p.kind in DATED_KINDS else p.deadline.date().isoformat()) <= final_day


def report_job(cfg: Config, kind: str, period_text: str | None, out: Path | None,
               formats: tuple[str, ...] = DEFAULT_REPORT_FORMATS) -> ReportOutcome:
    """The weekly briefing (第N期), the monthly progress report or the campaign summary, rendered
    from merge results, filing status and narratives into Markdown, HTML and Word."""
    from .atomic import write_set_atomic
    from .ledger.status import campaign_record, period_status
    from .outputs import briefing as B
    from .outputs import generic as G
    from .outputs.charts import for_briefing
    from .outputs.report import RENDERERS, blocks, render_markdown
    from .periods import final_period, monthly_periods

    schemas = cfg.schema_set
    built_in = _require_briefing_forms(cfg, schemas, kind)
    weeks = filing_periods(cfg)
    b = cfg.briefing
    setting = B.Setting(cfg.campaign.name, b.issuer or cfg.campaign.office, b.report_to, b.copy_to, b.send_to,
                        b.printed_by, b.narrative_groups)
    with Ledger.of(cfg) as ledger, ledger.snapshot():
        if not any(f.period for f in ledger.filings()):
            raise UsageError(f"报送台账 {ledger.path} 中还没有登记任何报表，无法生成报告。"
                              "请先用 safetyreport intake 或 merge 登记收到的报表。")

        def history_to(last: Period) -> list[PeriodResult]:
            return [merge_period(cfg, ledger, p, schemas) for p in weeks if p.deadline <= last.deadline]

        filed = {f.period for f in ledger.filings() if f.period}
        if kind == "weekly":
            period = parse_period(cfg, period_text, weekly_only=True) if period_text else latest_filed_period(cfg, ledger)
            if period.key not in filed:  # a report never states what its data cannot support
                raise UsageError(f"{period.label}还没有收到任何报表，不能生成这一期简报（否则数字全是 0、单位全是漏报）。"
                                 "请先登记这一周的报表，或用 --period 指定已有报表的一周。")
            history = history_to(period)
            previous, said = history[-2] if len(history) > 1 else None, period_status(cfg, ledger, period, schemas)
            doc = B.weekly(setting, history[-1], previous, said, history,
                           summary_spans(cfg) if cfg.briefing.phases else None) if built_in else \
                G.campaign_weekly(setting, history, said, schemas, list(cfg.campaign.weekly_forms))
            stem = f"工作简报{doc.issue}_{period.key}"
        elif kind == "monthly":
            # "2021-10", or any week of it; by default the month of the latest filed week
            key = (parse_period(cfg, period_text) if period_text else latest_filed_period(cfg, ledger)).key[:7]
            month = next((p for p in monthly_periods(cfg) if p.key == key), None)
            in_month = [p for p in weeks if p.key[:7] == key]
            if month is None or not in_month:
                raise PeriodError(f"“{period_text}”不是本次专项整治中有周报的月份，应写成 2021-10。")
            if not filed & {p.key for p in in_month}:
                raise UsageError(f"{int(key[5:7])}月的各周都还没有收到报表，不能生成这个月的月报（否则数字全是 0、"
                                 "各周都是漏报）。请先登记本月的报表。")
            history = history_to(in_month[-1])
            first = len(history) - len(in_month)
            statuses = [period_status(cfg, ledger, p, schemas) for p in in_month]
            doc = B.monthly(setting, month, history[first:], history[first - 1] if first > 0 else None,
                            statuses, history)
            stem = f"月报_{month.key}"
        else:
            final = final_period(cfg)
            final_day = (cfg.deadlines.final or cfg.campaign.end).isoformat()
            covered = [p for p in weeks if p.key in filed and _before_final(p, final_day)]
            if not covered:
                raise UsageError("台账中还没有登记任何一期报表，无法生成总结。")
            history = history_to(covered[-1])
            # the campaign so far: exactly the weeks covered, no deadline still ahead of the data
            grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes + 1)
            record = campaign_record(cfg, ledger, schemas, as_of=min(final.deadline, covered[-1].deadline + grace))
            in_campaign = [p for p in weeks if _before_final(p, final_day)]
            doc = B.summary(setting, final, history, record, summary_spans(cfg), summary_notes(cfg), len(in_campaign),
                            cfg.briefing.summary_notes) if built_in else \
                G.campaign_summary(setting, final, history, record, schemas, list(cfg.campaign.weekly_forms))
            stem = "专项整治总结"
    markdown = render_markdown(doc, campaign_templates(cfg))
    charts = for_briefing(doc, {b.name for b in blocks(markdown) if b.kind == "chart"})
    folder = output_folder(out, cfg.folder / OUTPUT_FOLDER)
    rendered: list[tuple[Path, bytes]] = []
    for fmt in formats:
        for name, data in RENDERERS[fmt](doc, markdown, charts, stem).items():
            rendered.append((folder / name, data))
    write_set_atomic(rendered)  # the report's files replace the old ones together, or not at all
    return ReportOutcome(doc, [p for p, _ in rendered if p.suffix in (".md", ".html", ".docx", ".pdf")],
                         [p for p, _ in rendered if p.suffix == ".png"])
