"""The ledger: every filing the tool has seen, in one SQLite file next to safetyreport.toml.

Each filing is recorded once (by the SHA-256 of its bytes) with its submitter, period, receipt
time, parsed forms and findings; its original is copied into `archive/` under its hash and never
touched again. Which form of which filing counts is derived (latest receipt per submitter,
period and form) and written back as `superseded_by`, so a clerk can see it in the database too.
Schema changes are numbered migrations, never "delete the file".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import copy_bytes
from ..errors import UserError
from ..findings import Finding, tally
from ..model import FileRead, FormData, form_from_dict, form_to_dict, stored_form

LEDGER_NAME = "safetyreport.db"
ARCHIVE_NAME = "archive"
BACKUP_NAME = "备份"
DECISIONS_JOURNAL = "decisions.jsonl"
MAIL_JOURNAL = "mail_sent.jsonl"
RECORDS_JOURNAL = "filings.jsonl"  # what rebuilds each filing; before issue 25, a .json beside each original

# Each migration is a list of statements, applied in one transaction; PRAGMA user_version
# records how many have run. Never edit a released migration: add the next one.
MIGRATIONS: list[list[str]] = [
    # 1: filings, their forms and findings, the clerk's decisions on suspected duplicates
    [
        """CREATE TABLE filings (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            original_name TEXT NOT NULL,
            original_path TEXT NOT NULL,
            archive_path TEXT NOT NULL,
            submitter TEXT,                -- roster name, NULL when the file named none we know
            period TEXT,                   -- weekly period key, NULL when none could be assigned
            received_at TEXT NOT NULL,     -- ISO 8601 with offset, campaign time zone
            taken_at TEXT NOT NULL,
            source TEXT NOT NULL,          -- 'intake' or 'folder'
            errors INTEGER NOT NULL,
            warnings INTEGER NOT NULL
        )""",
        """CREATE TABLE forms (
            id INTEGER PRIMARY KEY,
            filing_id INTEGER NOT NULL REFERENCES filings(id),
            schema_id TEXT NOT NULL,
            sheet TEXT NOT NULL,
            data TEXT NOT NULL,            -- JSON of the parsed form (values with their cells)
            superseded_by INTEGER REFERENCES forms(id)
        )""",
        "CREATE INDEX forms_filing ON forms(filing_id)",
        """CREATE TABLE findings (
            filing_id INTEGER NOT NULL REFERENCES filings(id),
            code TEXT NOT NULL, severity TEXT NOT NULL, sheet TEXT NOT NULL, cell TEXT NOT NULL,
            form TEXT NOT NULL, column_key TEXT NOT NULL, message TEXT NOT NULL
        )""",
        "CREATE INDEX findings_filing ON findings(filing_id)",
        """CREATE TABLE decisions (
            duplicate_id TEXT PRIMARY KEY, -- stable id of a suspected duplicate pair
            verdict TEXT NOT NULL CHECK (verdict IN ('same', 'different')),
            note TEXT NOT NULL DEFAULT '',
            decided_at TEXT NOT NULL
        )""",
    ],
    # 2: what was e-mailed to whom, so a re-run never sends the same message twice
    [
        """CREATE TABLE mail_sent (
            key TEXT PRIMARY KEY,          -- kind | period | recipient | slot | content digest
            kind TEXT NOT NULL, period TEXT NOT NULL, recipient TEXT NOT NULL,
            subject TEXT NOT NULL, sent_at TEXT NOT NULL
        )""",
    ],
    # 3: where each receipt time came from (a file's modification time is only a guess; filings
    # taken before this migration say 'unknown')
    [
        "ALTER TABLE filings ADD COLUMN received_source TEXT NOT NULL DEFAULT 'unknown'",
    ],
    # 4: a filing the clerk withdrew (taken into the wrong period, say) stops counting, deleting
    # nothing; every such change is in the log. Indexes for the queries that run per filing.
    [
        "ALTER TABLE filings ADD COLUMN withdrawn TEXT",  # NULL, or why it was withdrawn
        """CREATE TABLE filing_log (
            filing_id INTEGER NOT NULL REFERENCES filings(id),
            at TEXT NOT NULL,
            action TEXT NOT NULL,          -- withdraw | reinstate | retake
            reason TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '' -- JSON: what changed (e.g. the period before and after)
        )""",
        "CREATE INDEX filings_submitter_period ON filings(submitter, period)",
        "CREATE INDEX forms_superseded_by ON forms(superseded_by)",
    ],
    # 5: each mail taken from the office mailbox (or a saved .eml), so it is taken once: by its
    # place in the mailbox (UIDVALIDITY + UID) and by its Message-ID
    [
        """CREATE TABLE mail_taken (
            id INTEGER PRIMARY KEY,
            mailbox TEXT NOT NULL,         -- host/folder, or 'eml'
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            sender TEXT NOT NULL,
            subject TEXT NOT NULL,
            received_at TEXT,
            received_source TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            outcome TEXT NOT NULL,         -- taken | no-form | duplicate
            detail TEXT NOT NULL,          -- JSON: files and verdicts, skipped parts, the 回执
            UNIQUE (mailbox, uidvalidity, uid)
        )""",
        "CREATE INDEX mail_taken_message ON mail_taken(message_id)",
    ],
    # 6: a mail's content hash: a second mail reusing a Message-ID with other content is a new
    # mail, never dropped as "taken before" (NULL for mails taken before this migration)
    [
        "ALTER TABLE mail_taken ADD COLUMN content_sha256 TEXT",
    ],
    # 7: a message being sent is claimed before the SMTP conversation and confirmed after it, so a
    # run killed in between leaves a claim: that message is never sent again by itself, but shown
    # to the clerk (the ledger's lock is not held while the mail server is slow)
    [
        """CREATE TABLE mail_attempts (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL, period TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL,
            started_at TEXT NOT NULL,
            pid INTEGER NOT NULL
        )""",
    ],
]

FINDINGS_INSERT = ("INSERT INTO findings (filing_id, code, severity, sheet, cell, form, column_key, message)"
                   " VALUES (?,?,?,?,?,?,?,?)")

LOCK_WAIT_SECONDS = 300  # how long a command waits for another one holding the ledger

# Where a receipt time came from, and whether a 迟报 may rest on it alone.
RECEIPT_SOURCES = {
    "given": ("登记时指定", True),        # --received-at: the clerk read it off the mail
    "mail": ("邮件到达邮箱的时间", True),  # the server's INTERNALDATE
    "mail-received": ("邮件头记录的到达时间", True),  # a saved .eml: the office server's Received stamp
    "mail-header": ("邮件头的发信时间", False),  # the Date header: the sender's clock
    "file-time": ("文件修改时间", False),   # after a copy it is the time of the copy
    "unknown": ("来源未记录", False),       # taken before sources were recorded
}


def receipt_source_label(source: str) -> str:
    return RECEIPT_SOURCES.get(source, (source, False))[0]


def receipt_source_trusted(source: str) -> bool:
    """A time a 迟报 may be stated on; the others make it 待核实."""
    return RECEIPT_SOURCES.get(source, (source, False))[1]


FILING_FIELDS = ("id", "sha256", "original_name", "original_path", "archive_path", "submitter", "period",
                 "received_at", "source", "errors", "warnings", "received_source", "withdrawn")
_FILING_COLUMNS = ("id, sha256, original_name, original_path, archive_path, submitter, period, received_at,"
                   " source, errors, warnings, received_source, withdrawn")

# The queries that run once per file or per form: each must find its rows by an index, so a
# Thursday costs the same in week 12 as in week 1 (tests/test_parallel.py asks SQLite's planner).
QUERIES = {
    "knows": f"SELECT {_FILING_COLUMNS} FROM filings WHERE sha256 = ?",
    "filing": f"SELECT {_FILING_COLUMNS} FROM filings WHERE id = ?",
    "supersede-clear": "UPDATE forms SET superseded_by = NULL WHERE filing_id IN (SELECT id FROM filings"
                       " WHERE submitter = ? AND period = ? AND withdrawn IS NOT NULL)",
    "supersede-rows": "SELECT forms.id, forms.schema_id, filings.received_at, filings.sha256, forms.superseded_by"
                      " FROM forms"
                      " JOIN filings ON filings.id = forms.filing_id WHERE filings.submitter = ? AND filings.period = ?"
                      " AND filings.withdrawn IS NULL",
    "supersede-set": "UPDATE forms SET superseded_by = ? WHERE id = ?",
    "counting": "SELECT count(*), sum(superseded_by IS NULL) FROM forms WHERE filing_id = ?",
    "findings-of": "SELECT code, severity, sheet, cell, form, column_key, message FROM findings"
                   " WHERE filing_id = ? ORDER BY rowid",
}


class LedgerError(UserError):
    """The ledger cannot be opened or written; the message is Chinese."""

    kind = "ledger"


DATABASE_ERRORS = (sqlite3.Error,)  # what the database can raise: the CLI names it without importing SQLite

# --- soundness: a corrupt ledger is never backed up, and always named as such --------------------------

CORRUPT_MARKS = ("malformed", "not a database", "corrupt", "disk image")


def is_corruption(e: BaseException) -> bool:
    """An SQLite error that means the file is damaged (not busy, not full, not read-only)."""
    return isinstance(e, sqlite3.DatabaseError) and any(m in str(e).lower() for m in CORRUPT_MARKS)


def database_problem(db: sqlite3.Connection, full: bool = False) -> str | None:
    """None when SQLite finds the file sound (`quick_check`, or `integrity_check` when `full`),
    else what it found (its first lines)."""
    try:
        rows = db.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as e:
        return str(e)
    return None if rows == [("ok",)] else "；".join(str(r[0]) for r in rows[:3])


@dataclass
class BackupInfo:
    path: Path
    size: int
    filings: int | None  # None when it cannot be read
    problem: str | None  # why it is not a sound ledger

    @property
    def good(self) -> bool:
        return self.problem is None

    def to_dict(self) -> dict:
        return {"file": str(self.path), "name": self.path.name, "size": self.size, "filings": self.filings,
                "good": self.good, "problem": self.problem}


def backups(folder: Path) -> list[BackupInfo]:
    """The backups in a campaign folder's 备份/, newest first, each checked."""
    place = folder / BACKUP_NAME
    found = sorted(place.glob("safetyreport-*.db"), reverse=True) if place.is_dir() else []
    return [inspect_database(p) for p in found]


def inspect_database(path: Path) -> BackupInfo:
    filings = None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problem = database_problem(db)
            if problem is None:
                filings = db.execute("SELECT count(*) FROM filings").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as e:
        problem = str(e)
    return BackupInfo(path, path.stat().st_size, filings, problem)


def corrupt_message(path: Path, problem: str) -> str:
    """What a clerk reads when the ledger is damaged, with the way back."""
    good = next((b for b in backups(path.parent) if b.good), None)
    way = (f"最新的完好备份是 {good.path.name}（{good.filings} 份报表），可用 safetyreport restore {good.path.name} 恢复"
           if good else "备份/ 中没有完好的备份")
    return (f"报送台账已损坏：{path}（SQLite：{problem}）。本次操作没有执行，备份也没有改动。{way}；"
            "或用 safetyreport rebuild 从 archive/ 中的原件重建（请先把损坏的台账移到别处）。")


BACKUP_BESIDE_BYTES = 32 * 1024 * 1024  # a ledger this large is backed up beside the work (backup_child)
BACKUP_CHILD = [sys.executable, "-I", "-S", str(Path(__file__).with_name("backup_child.py"))]


def backup_failed(folder: Path, reason: str) -> str:
    return f"无法在 {folder} 中备份报送台账（{reason}）。本次操作没有执行，台账未改动。"


def _prune_backups(folder: Path, keep: int) -> None:
    for old in sorted(folder.glob("safetyreport-*.db"))[:-keep]:
        old.unlink(missing_ok=True)


@dataclass
class _Beside:
    """A backup being taken by `backup_child` while the command works."""

    process: Any  # subprocess.Popen
    folder: Path
    keep: int

    @classmethod
    def start(cls, source: Path, tmp: Path, target: Path, keep: int) -> _Beside | None:
        """Once the child holds the state before the command (it says `ready`); None when no
        child could be started (the backup is then taken here)."""
        import subprocess  # here, not at import: only a large ledger's backup starts one

        try:
            process = subprocess.Popen([*BACKUP_CHILD, str(source), str(tmp), str(target)], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        except OSError:
            return None
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if first == "ready":
            return cls(process, target.parent, keep)
        process.communicate()
        if not first.startswith("error "):
            return None  # the child did not even start (no Python to run it): taken here instead
        raise LedgerError(backup_failed(target.parent, _child_reason(first)))

    def finish(self) -> None:
        rest, _ = self.process.communicate()
        last = (rest.strip().splitlines() or [""])[-1]
        if self.process.returncode != 0 or last != "ok":
            reason = _child_reason(last) if last.startswith("error ") else "备份进程意外退出"
            raise LedgerError(backup_failed(self.folder, reason))
        _prune_backups(self.folder, self.keep)


def _child_reason(line: str) -> str:
    """`error <errno> <message>` (backup_child's last line) as the clerk reads it."""
    _, number, message = [*line.split(" ", 2), "", ""][:3]
    return _backup_reason(OSError(int(number), message) if number.isdigit() and int(number)
                          else sqlite3.Error(message))


def _backup_reason(e: OSError | sqlite3.Error) -> str:
    """Why a backup failed, in the clerk's words: the system's reason, or SQLite's ("database or
    disk is full" is a full disk)."""
    from ..atomic import os_reason

    if isinstance(e, OSError):
        return os_reason(e)
    return "磁盘空间不足" if "full" in str(e) else str(e)


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup of `source` into `target` (consistent even while another reader has it)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dest = sqlite3.connect(target)
    try:
        src.backup(dest)
    finally:
        src.close()
        dest.close()


@dataclass
class Filing:
    id: int
    sha256: str
    original_name: str
    original_path: str
    archive_path: str
    submitter: str | None
    period: str | None
    received_at: dt.datetime
    source: str
    errors: int
    warnings: int
    received_source: str = "unknown"  # see RECEIPT_SOURCES
    withdrawn: str | None = None  # the clerk's reason, when withdrawn


def _notice_nothing() -> None:
    return None


class Ledger:
    """The ledger of one campaign folder. It is opened, never silently created: a new ledger comes
    from `init`, `demo` or an explicit `--new-ledger` (create=True). A command that finds another
    one writing waits (calling `on_wait` once, so the clerk sees why) up to `wait` seconds."""

    on_wait = staticmethod(_notice_nothing)  # the CLI sets this to print "另一个 safetyreport 正在运行，等待…"

    def __init__(self, folder: Path, create: bool = False, wait: float = LOCK_WAIT_SECONDS):
        self.folder = folder
        self.path = folder / LEDGER_NAME
        self.archive = folder / ARCHIVE_NAME
        self.wait = wait
        self._unsynced: list[Path] = []  # files copied or written, to reach the disk before COMMIT
        self._pending: list[str] = []  # records of this transaction, appended to the journal before COMMIT
        self._records: dict[str, ArchiveRecord] | None = None  # the archive's records, read once when asked
        self._beside: _Beside | None = None  # a backup being taken by a process of its own
        self._seen: dict[tuple[str, int], list] | None = None  # what `_once` read in the current snapshot
        if not create:
            self._refuse_to_create()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=0.2)  # transactions are explicit
            self._locked(lambda: self.db.execute("PRAGMA journal_mode = WAL"))
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            if is_corruption(e):
                raise LedgerError(corrupt_message(self.path, str(e))) from None
            raise LedgerError(f"报送台账 {self.path} 无法打开（{e}）。如文件已损坏，可用 safetyreport restore "
                              "从备份恢复，或用 safetyreport rebuild 从 archive/ 重建。") from None
        except OSError as e:
            from ..atomic import os_reason

            raise LedgerError(f"无法在 {folder} 建立报送台账：{os_reason(e)}") from None

    @classmethod
    def of(cls, cfg, create: bool = False, changes: bool = False) -> Ledger:
        """The ledger of a campaign's configuration (beside safetyreport.toml), with its settings;
        when it cannot be opened, the message also says which configuration was used. `changes`:
        the command is about to change it — a backup is made first."""
        try:
            ledger = cls(cfg.folder, create=create, wait=cfg.ledger.lock_wait_seconds)
        except LedgerError as e:
            if cfg.source:
                raise
            raise LedgerError(f"{e}（所用配置：内置的默认配置——{cfg.folder} 中没有 safetyreport.toml；"
                              "也可用 --config 指定配置文件。）") from None
        if changes:
            try:
                ledger.assert_sound()  # a damaged ledger is never backed up over the good copies
                ledger.backup(cfg.ledger.keep_backups)
            except BaseException:
                ledger.db.close()
                raise
        return ledger

    def assert_sound(self, full: bool = False) -> None:
        problem = database_problem(self.db, full)
        if problem is not None:
            raise LedgerError(corrupt_message(self.path, problem))

    def backup(self, keep: int) -> Path | None:
        """A copy of the ledger in 备份/ by SQLite's online backup API (consistent even while
        another reader has it open), keeping the newest `keep`. None when keep is 0 or the ledger
        holds nothing yet. A large ledger is copied by a process of its own (`backup_child`) while
        the command works: it holds the state before the command from the start, and the
        command's first commit waits for the copy (a province's 130 MB: 0.2 s off a Thursday)."""
        if keep <= 0 or not self.db.execute("SELECT 1 FROM filings LIMIT 1").fetchone():
            return None
        folder = self.folder / BACKUP_NAME
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"safetyreport-{stamp}.db"
        tmp = folder / f".{target.name}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if self.path.stat().st_size >= BACKUP_BESIDE_BYTES:
                self._beside = _Beside.start(self.path, tmp, target, keep)
                if self._beside is not None:
                    return target
            copy = sqlite3.connect(tmp)
            try:
                self.db.backup(copy)
            finally:
                copy.close()
            tmp.replace(target)
        except (OSError, sqlite3.Error) as e:  # a full disk: no half-written backup is left behind
            tmp.unlink(missing_ok=True)
            raise LedgerError(backup_failed(folder, _backup_reason(e))) from None
        _prune_backups(folder, keep)
        return target

    def _backed_up(self) -> None:
        """The backup taken beside the work (if any) is done; LedgerError if it failed."""
        beside, self._beside = self._beside, None
        if beside is not None:
            beside.finish()

    def _refuse_to_create(self) -> None:
        """A missing or empty ledger is never replaced by a new empty one without being asked:
        where filings were kept (archive/, outputs, backups) that would lose them all."""
        try:
            if self.path.stat().st_size > 0:
                return
        except FileNotFoundError:
            pass
        traces = [p.name for p in (self.archive, self.folder / "输出", self.folder / BACKUP_NAME)
                  if p.is_dir() and any(p.iterdir())]
        if traces:
            raise LedgerError(
                f"报送台账 {self.path} 不见了或是空的，但这个文件夹里有以前的 {'、'.join(traces)}。为免丢失已登记的报表，"
                "不会新建空台账。请用 safetyreport restore 从备份恢复，或用 safetyreport rebuild 从 archive/ 重建；"
                "确实要从头开始，请在命令后加 --new-ledger。")
        raise LedgerError(f"{self.folder} 中还没有报送台账（{LEDGER_NAME}）。请先在这个文件夹运行 safetyreport init，"
                          "或在登记第一批报表时新建（safetyreport intake、merge 或 fetch 加 --new-ledger）。")

    def _locked(self, work):
        """Run `work`; while another process holds the ledger, wait (saying so once) up to `wait`."""
        deadline = time.monotonic() + self.wait
        told = False
        while True:
            try:
                return work()
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e):
                    raise
                if time.monotonic() >= deadline:
                    raise LedgerError(f"等待 {self.wait:g} 秒后，另一个 safetyreport 仍在使用报送台账 {self.path}。"
                                      "请等它结束后再运行（可在配置 [ledger] lock_wait_seconds 中加长等待）。") from None
                if not told:
                    Ledger.on_wait()
                    told = True
                time.sleep(0.2)

    def close(self, failing: bool = False) -> None:
        """`failing`: the command is ending on an error of its own, which a failed backup must not hide."""
        try:
            self._sync_copies()  # an original put back outside a transaction (repair)
            self._backed_up()
        except LedgerError:
            if not failing:
                raise
        finally:
            self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close(failing=exc[0] is not None)

    # --- structure ----------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise LedgerError(f"报送台账 {self.path} 由更新版本的 safetyreport 建立（版本 {version}），请升级本工具。")
        if version == len(MIGRATIONS):
            return
        with self.transaction():
            # read again under the lock: several first runs may race to create the tables
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number]:
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    def _sync_copies(self) -> None:
        """The archive copies and records written since the last sync reach the disk, in one sync."""
        if self._pending:
            self._append_records(self._pending)
            self._pending = []
        if self._unsynced:
            from ..atomic import sync_to_disk

            sync_to_disk(self._unsynced)
            self._unsynced = []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: all of it lands, or none of it (a crash mid-way leaves the ledger as it was)."""
        self._locked(lambda: self.db.execute("BEGIN IMMEDIATE"))
        try:
            yield
            self._sync_copies()  # the originals copied and the records written in it, on disk first
            self._backed_up()  # and the backup of the state before it, whole
        except BaseException:
            self._pending = []
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that all see one state of the ledger, while other processes go on writing (WAL):
        a merge, a status or a report never mixes filings from before and after a concurrent intake."""
        if self.db.in_transaction:  # inside a transaction or another snapshot: already one state
            yield
            return
        self.db.execute("BEGIN")
        self._seen = {}
        try:
            yield
        finally:
            self._seen = None
            if self.db.in_transaction:
                self.db.execute("COMMIT")

    def _once(self, name: str, query):
        """Within a snapshot, the filings and the form index are read once (merge and status both
        ask: a province's 52,800 forms); a change made through this connection reads them again."""
        if self._seen is None:
            return query()
        key = (name, self.db.total_changes)
        if key not in self._seen:
            self._seen[key] = query()
        return list(self._seen[key])

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # --- writing ------------------------------------------------------------------------------

    def knows(self, sha256: str) -> Filing | None:
        """The filing of these bytes, withdrawn or not."""
        row = self.db.execute(QUERIES["knows"], (sha256,)).fetchone()
        return self._filing(row) if row else None

    def add(self, read: FileRead, findings: list[Finding], period: str | None,
            received_at: dt.datetime, source: str, received_source: str = "unknown",
            taken_at: str | None = None) -> tuple[Filing, bool]:
        """Record a filing; the same bytes a second time are a no-op. Returns (filing, is_new).
        Call inside `transaction()` together with the supersession update."""
        known = self.knows(read.sha256)
        if known:
            return known, False
        src = Path(read.path)
        archive_rel = f"{ARCHIVE_NAME}/{read.sha256[:2]}/{read.sha256}{src.suffix.lower()}"
        self._archive(src, self.folder / archive_rel)
        errors, warnings = tally(findings)
        cur = self.db.execute(
            "INSERT INTO filings (sha256, original_name, original_path, archive_path, submitter, period,"
            " received_at, taken_at, source, errors, warnings, received_source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (read.sha256, src.name, str(src), archive_rel, read.submitter.name if read.submitter else None,
             period, received_at.isoformat(), taken_at or dt.datetime.now(dt.timezone.utc).isoformat(), source,
             errors, warnings, received_source))
        filing_id = cur.lastrowid
        stored = read.stored_forms
        if stored is None or len(stored) != len(read.forms):
            assert not read.outline, "a read's outline holds no values to store"
            stored = [stored_form(form_to_dict(f)) for f in read.forms]
        self.db.executemany("INSERT INTO forms (filing_id, schema_id, sheet, data) VALUES (?,?,?,?)",
                            [(filing_id, f.schema_id, f.sheet, text) for f, text in zip(read.forms, stored)])
        self.db.executemany(
            FINDINGS_INSERT,
            [(filing_id, f.code, f.severity, f.sheet, f.cell, f.form, f.column, f.message) for f in findings])
        if read.submitter and period:
            self._supersede(read.submitter.name, period)
        assert filing_id is not None  # an INSERT gives its row id
        filing = self.filing(filing_id)
        self._write_record(filing)
        return filing, True

    def _archive(self, src: Path, target: Path) -> None:
        if target.exists():
            return
        tmp = target.with_name(f".{target.name}.tmp")
        try:  # the archive's 256 folders are made as first needed, not asked after for every file
            copy_bytes(src, tmp)
        except FileNotFoundError:
            if not src.exists() or target.parent.is_dir():
                raise
            target.parent.mkdir(parents=True, exist_ok=True)
            copy_bytes(src, tmp)
        os.replace(tmp, target)
        self._unsynced.append(target)

    # --- the archive: originals, and the records that rebuild their filings ---------------------

    def record_of(self, filing: Filing) -> dict:
        """What the archive's record of a filing says, as the ledger has it."""
        withdrawn_at = None
        if filing.withdrawn:
            row = self.db.execute("SELECT at FROM filing_log WHERE filing_id = ? AND action IN ('withdraw', 'hold')"
                                  " ORDER BY rowid DESC LIMIT 1", (filing.id,)).fetchone()
            withdrawn_at = row[0] if row else None
        return {"sha256": filing.sha256, "original_name": filing.original_name,
                "original_path": filing.original_path, "archive_path": filing.archive_path,
                "submitter": filing.submitter, "period": filing.period,
                "received_at": filing.received_at.isoformat(), "received_source": filing.received_source,
                "source": filing.source, "withdrawn": filing.withdrawn, "withdrawn_at": withdrawn_at,
                "taken_at": self.db.execute("SELECT taken_at FROM filings WHERE id = ?", (filing.id,)).fetchone()[0]}

    def records(self) -> dict[str, ArchiveRecord]:
        """The archive's record of each filing by content hash: a record file beside the original
        (how filings were kept before issue 25), then the journal's lines in order — the last one
        said of a filing is what holds. A line cut short by a crash is passed over."""
        if self._records is None:
            found: dict[str, ArchiveRecord] = {}
            for side in sorted(self.archive.glob("*/*.json")):
                try:
                    found[side.stem] = ArchiveRecord(json.loads(side.read_text(encoding="utf-8")), side)
                except (OSError, ValueError):
                    found[side.stem] = ArchiveRecord(None, side)
            journal = self.archive / RECORDS_JOURNAL
            try:
                lines = journal.read_text(encoding="utf-8").splitlines()
            except OSError:
                lines = []
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and isinstance(record.get("sha256"), str):
                    found[record["sha256"]] = ArchiveRecord(record, journal)
            self._records = found
        return self._records

    def verify_record(self, filing: Filing) -> str | None:
        """None when the archive's record of the filing says what the ledger says; else what is wrong."""
        kept = self.records().get(filing.sha256)
        if kept is None:
            return "记录不见了"
        if kept.record is None:
            return "记录文件无法读取"
        record = kept.record
        expected = self.record_of(filing)
        differ = [k for k, v in expected.items() if record.get(k, v if k == "withdrawn_at" else None) != v]
        if differ:
            return "与台账不一致的项：" + "、".join(differ)
        if "checksum" in record and record["checksum"] != record_checksum(record):
            return "校验和不符（记录被改动过）"
        return None

    def rewrite_record(self, filing: Filing) -> None:
        """The record written again from the ledger (the ledger is sound, the record is not)."""
        self._write_record(filing)
        self._sync_copies()

    def record_path(self, filing: Filing) -> Path:
        """Where the archive's record of the filing is: the journal, or the old record file."""
        kept = self.records().get(filing.sha256)
        return kept.path if kept is not None else self.archive / RECORDS_JOURNAL

    def _write_record(self, filing: Filing) -> None:
        """What is needed to rebuild the filing without the ledger — how it was taken (submitter,
        period, receipt time and its source) and whether it was withdrawn — as one line of the
        archive's journal: appended with the transaction's others just before it commits (one
        write and one sync for a whole intake, not a file per filing), at once outside one."""
        record = self.record_of(filing)
        record["checksum"] = record_checksum(record)
        self._pending.append(json.dumps(record, ensure_ascii=False))
        if self._records is not None:
            self._records[filing.sha256] = ArchiveRecord(record, self.archive / RECORDS_JOURNAL)
        if not self.db.in_transaction:
            self._sync_copies()

    def _append_records(self, lines: list[str]) -> None:
        """One append of whole lines. A line a crash cut short before is closed first, so it stays
        one unreadable line and never swallows the next record."""
        self.archive.mkdir(parents=True, exist_ok=True)
        path = self.archive / RECORDS_JOURNAL
        with path.open("ab") as fh:
            if fh.tell() > 0:
                with path.open("rb") as last:
                    last.seek(-1, os.SEEK_END)
                    if last.read(1) != b"\n":
                        fh.write(b"\n")
            fh.write(("\n".join(lines) + "\n").encode("utf-8"))
        self._unsynced.append(path)

    def _journal(self, name: str, record: dict) -> None:
        """Append to an archive journal (decisions, mail sent): what rebuild replays."""
        self.archive.mkdir(parents=True, exist_ok=True)
        with (self.archive / name).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def verify(self, filing: Filing) -> str | None:
        """None when the original is in the archive unchanged; else 'archive-missing' or
        'archive-altered'."""
        from ..reading.reader import file_sha256

        path = self.folder / filing.archive_path
        try:
            return None if file_sha256(path) == filing.sha256 else "archive-altered"
        except OSError:
            return "archive-missing"

    def repair(self, filing: Filing, original: Path) -> bool:
        """The same bytes taken in again put a missing or altered original back. True if repaired."""
        if self.verify(filing) is None:
            return False
        target = self.folder / filing.archive_path
        target.unlink(missing_ok=True)
        self._archive(original, target)
        self._write_record(filing)
        return True

    def _supersede(self, submitter: str, period: str) -> None:
        """For each form, the latest received filing counts; the others point at it. Ties are
        broken by content hash, so the result never depends on the order files were taken in.
        A withdrawn filing takes no part (its forms point nowhere and are left out of the index)."""
        self.db.execute(QUERIES["supersede-clear"], (submitter, period))
        rows = self.db.execute(QUERIES["supersede-rows"], (submitter, period)).fetchall()
        latest: dict[str, tuple] = {}
        for form_id, schema_id, received, sha, _ in rows:
            key = (_instant(received), sha)
            if schema_id not in latest or key > latest[schema_id][0]:
                latest[schema_id] = (key, form_id)
        for form_id, schema_id, _, _, now in rows:
            winner = latest[schema_id][1]
            points = None if form_id == winner else winner
            if points != now:  # a row rewritten only when it changes (a form's row holds its whole text)
                self.db.execute(QUERIES["supersede-set"], (points, form_id))

    # --- the clerk's corrections: withdraw, reinstate, retake (nothing is ever deleted) ----------

    def _log(self, filing_id: int, action: str, reason: str = "", at: str | None = None, **detail) -> None:
        self.db.execute("INSERT INTO filing_log VALUES (?,?,?,?,?)",
                        (filing_id, at or dt.datetime.now(dt.timezone.utc).isoformat(), action, reason,
                         json.dumps(detail, ensure_ascii=False, sort_keys=True)))

    def withdraw(self, filing_id: int, reason: str) -> Filing:
        with self.transaction():
            self.hold(filing_id, reason)
        return self.filing(filing_id)

    def hold(self, filing_id: int, reason: str, action: str = "withdraw", at: str | None = None) -> Filing:
        """The filing stops counting (withdrawn, with the reason); call inside `transaction()`.
        Intake holds a mailed filing whose 填报单位 is another unit's, for the clerk to decide.
        `at`: when (rebuild keeps the time the clerk withdrew it)."""
        f = self.filing(filing_id)
        self.db.execute("UPDATE filings SET withdrawn = ? WHERE id = ?", (reason or "（未说明）", filing_id))
        self._log(filing_id, action, reason, at=at)
        if f.submitter and f.period:
            self._supersede(f.submitter, f.period)
        self._write_record(self.filing(filing_id))
        return self.filing(filing_id)

    def reinstate(self, filing_id: int, reason: str = "") -> Filing:
        with self.transaction():
            f = self.filing(filing_id)
            self.db.execute("UPDATE filings SET withdrawn = NULL WHERE id = ?", (filing_id,))
            self._log(filing_id, "reinstate", reason)
            if f.submitter and f.period:
                self._supersede(f.submitter, f.period)
            self._write_record(self.filing(filing_id))
        return self.filing(filing_id)

    PLACEMENT_CODES = ("period-mismatch", "no-period")  # findings about where a filing was put

    def retake(self, filing: Filing, period: str | None, received_at: dt.datetime, source: str,
               received_source: str, placed: list[Finding]) -> Filing:
        """A withdrawn filing's bytes taken in again: it counts again, in the period now given,
        with the findings about its placement made anew. The log keeps what it was. Call inside
        `transaction()`."""
        marks = ",".join("?" * len(self.PLACEMENT_CODES))
        self.db.execute(f"DELETE FROM findings WHERE filing_id = ? AND code IN ({marks})",
                        (filing.id, *self.PLACEMENT_CODES))
        self.db.executemany(FINDINGS_INSERT,
                            [(filing.id, f.code, f.severity, f.sheet, f.cell, f.form, f.column, f.message)
                             for f in placed])
        errors, warnings = tally(self.findings_of(filing.id, filing.original_path))
        self.db.execute(
            "UPDATE filings SET withdrawn = NULL, period = ?, received_at = ?, source = ?, received_source = ?,"
            " errors = ?, warnings = ? WHERE id = ?",
            (period, received_at.isoformat(), source, received_source, errors, warnings, filing.id))
        self._log(filing.id, "retake", "", period_before=filing.period, period_after=period,
                  received_before=filing.received_at.isoformat(), received_after=received_at.isoformat())
        if filing.submitter:
            for p in {x for x in (filing.period, period) if x is not None}:
                self._supersede(filing.submitter, p)
        now = self.filing(filing.id)
        self._write_record(now)
        return now

    def correct(self, filing: Filing, batch: str, reason: str, received_at: dt.datetime | None = None,
                period: str | None = None) -> Filing:
        """The clerk's correction of a filing's receipt time (now given: the clerk's evidence) or
        period, logged with what it was, so `undo_correction` can put it back. Withdrawn stays
        withdrawn. Call inside `transaction()`."""
        after_time = received_at or filing.received_at
        after_source = "given" if received_at is not None else filing.received_source
        after_period = period or filing.period
        self.db.execute("UPDATE filings SET received_at = ?, received_source = ?, period = ? WHERE id = ?",
                        (after_time.isoformat(), after_source, after_period, filing.id))
        self._log(filing.id, "correct", reason, batch=batch,
                  before={"received_at": filing.received_at.isoformat(), "received_source": filing.received_source,
                          "period": filing.period},
                  after={"received_at": after_time.isoformat(), "received_source": after_source,
                         "period": after_period})
        if filing.submitter:
            for p in {x for x in (filing.period, after_period) if x}:
                self._supersede(filing.submitter, p)
        now = self.filing(filing.id)
        self._write_record(now)
        return now

    def last_correction(self) -> list[tuple[int, dict]]:
        """The filings of the latest correction batch not yet undone, with what they were before."""
        rows = self.db.execute("SELECT filing_id, action, detail FROM filing_log WHERE action IN ('correct', 'uncorrect')"
                               " ORDER BY rowid").fetchall()
        undone = {json.loads(d).get("batch") for _, a, d in rows if a == "uncorrect"}
        batches = [json.loads(d).get("batch") for _, a, d in rows if a == "correct"]
        live = [b for b in batches if b not in undone]
        if not live:
            return []
        last = live[-1]
        return [(fid, json.loads(d)) for fid, a, d in rows if a == "correct" and json.loads(d).get("batch") == last]

    def undo_correction(self, filing_id: int, detail: dict) -> Filing:
        """Put a corrected filing back as it was; call inside `transaction()`."""
        before = detail["before"]
        f = self.filing(filing_id)
        self.db.execute("UPDATE filings SET received_at = ?, received_source = ?, period = ? WHERE id = ?",
                        (before["received_at"], before["received_source"], before["period"], filing_id))
        self._log(filing_id, "uncorrect", "撤销更正", batch=detail["batch"])
        if f.submitter:
            for p in {x for x in (f.period, before["period"]) if x}:
                self._supersede(f.submitter, p)
        now = self.filing(filing_id)
        self._write_record(now)
        return now

    def replaced_by(self, filing_id: int) -> list[tuple[int, str, list[str]]]:
        """The earlier filings whose forms this filing's forms replaced: (number, file, form ids)."""
        rows = self.db.execute(
            "SELECT DISTINCT f.id, f.original_name, o.schema_id FROM forms o JOIN filings f ON f.id = o.filing_id"
            " WHERE o.superseded_by IN (SELECT id FROM forms WHERE filing_id = ?) ORDER BY f.id, o.schema_id",
            (filing_id,)).fetchall()
        out: dict[tuple[int, str], list[str]] = {}
        for fid, name, schema_id in rows:
            out.setdefault((fid, name), []).append(schema_id)
        return [(fid, name, forms) for (fid, name), forms in out.items()]

    def history(self, filing_id: int) -> list[dict]:
        return [{"at": at, "action": action, "reason": reason, "detail": json.loads(detail)}
                for at, action, reason, detail in self.db.execute(
                    "SELECT at, action, reason, detail FROM filing_log WHERE filing_id = ? ORDER BY rowid", (filing_id,))]

    def counting(self, filing_id: int) -> tuple[int, int]:
        """(forms of the filing, of which counting): 0 counting means wholly superseded."""
        n, live = self.db.execute(QUERIES["counting"], (filing_id,)).fetchone()
        return n, live or 0

    # --- mail taken from the mailbox ----------------------------------------------------------

    def mail_known(self, mailbox: str, uidvalidity: int, uid: int, message_id: str, content_sha256: str) -> bool:
        """Taken before: at this place in this mailbox, or (UIDVALIDITY changed, or the same mail
        again) with the same Message-ID and the same content anywhere."""
        return self.db.execute(
            "SELECT 1 FROM mail_taken WHERE (mailbox = ? AND uidvalidity = ? AND uid = ?)"
            " OR (message_id = ? AND (content_sha256 IS NULL OR content_sha256 = ?)) LIMIT 1",
            (mailbox, uidvalidity, uid, message_id, content_sha256)).fetchone() is not None

    def message_id_seen(self, message_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM mail_taken WHERE message_id = ? LIMIT 1",
                               (message_id,)).fetchone() is not None

    def mail_places(self, mailbox: str, uidvalidity: int) -> set[int]:
        return {uid for (uid,) in self.db.execute(
            "SELECT uid FROM mail_taken WHERE mailbox = ? AND uidvalidity = ?", (mailbox, uidvalidity))}

    def note_mail(self, mailbox: str, uidvalidity: int, uid: int, message_id: str, sender: str, subject: str,
                  received_at: dt.datetime | None, received_source: str, outcome: str, detail: dict,
                  content_sha256: str | None = None) -> None:
        """Record a mail as taken. Call inside the `transaction()` that took its attachments in."""
        self.db.execute(
            "INSERT OR IGNORE INTO mail_taken (mailbox, uidvalidity, uid, message_id, sender, subject, received_at,"
            " received_source, taken_at, outcome, detail, content_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (mailbox, uidvalidity, uid, message_id, sender, subject,
             received_at.isoformat() if received_at else None, received_source,
             dt.datetime.now(dt.timezone.utc).isoformat(), outcome, json.dumps(detail, ensure_ascii=False),
             content_sha256))

    def failed_mails(self) -> list[dict]:
        """Mails that could not be taken and that the clerk has not dismissed, oldest first."""
        rows = self.db.execute("SELECT id, message_id, sender, subject, received_at, detail FROM mail_taken"
                               " WHERE outcome = 'failed' ORDER BY id").fetchall()
        return [{"id": i, "message_id": m, "sender": s, "subject": sub, "received_at": r, **json.loads(d)}
                for i, m, s, sub, r, d in rows]

    def dismiss_mail(self, number: int) -> bool:
        """The clerk has dealt with a failed mail (saved it and took it in by hand, say)."""
        with self.transaction():
            return self.db.execute("UPDATE mail_taken SET outcome = 'dismissed' WHERE id = ? AND outcome = 'failed'",
                                   (number,)).rowcount == 1

    def mail_details(self) -> list[dict]:
        """Every mail taken, oldest first, with its stored detail (the 回执 to send among it)."""
        rows = self.db.execute("SELECT message_id, sender, subject, received_at, outcome, detail FROM mail_taken"
                               " ORDER BY id").fetchall()
        return [{"message_id": m, "sender": s, "subject": sub, "received_at": r, "outcome": o, **json.loads(d)}
                for m, s, sub, r, o, d in rows]

    def decide(self, duplicate_id: str, verdict: str, note: str = "", at: str | None = None,
               journal: bool = True) -> None:
        at = at or dt.datetime.now(dt.timezone.utc).isoformat()
        with self.transaction():
            self.db.execute(
                "INSERT INTO decisions VALUES (?,?,?,?) ON CONFLICT(duplicate_id) DO UPDATE SET"
                " verdict = excluded.verdict, note = excluded.note, decided_at = excluded.decided_at",
                (duplicate_id, verdict, note, at))
        if journal:
            self._journal(DECISIONS_JOURNAL, {"duplicate_id": duplicate_id, "verdict": verdict, "note": note,
                                              "decided_at": at})

    def was_sent(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM mail_sent WHERE key = ?", (key,)).fetchone() is not None

    def claim_mail(self, key: str, kind: str, period: str, recipient: str, subject: str) -> str:
        """Before sending: "sent" (sent before), "busy" (another running process is sending it),
        "unconfirmed" (a run died while sending it: it may or may not have gone), or "claimed"
        (ours to send now)."""
        with self.transaction():
            if self.was_sent(key):
                return "sent"
            row = self.db.execute("SELECT pid FROM mail_attempts WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return "busy" if row[0] != os.getpid() and process_alive(row[0]) else "unconfirmed"
            self.db.execute("INSERT INTO mail_attempts VALUES (?,?,?,?,?,?,?)",
                            (key, kind, period, recipient, subject, dt.datetime.now(dt.timezone.utc).isoformat(),
                             os.getpid()))
            return "claimed"

    def release_mail(self, key: str) -> None:
        """The server did not accept it: it may be sent again."""
        with self.transaction():
            self.db.execute("DELETE FROM mail_attempts WHERE key = ?", (key,))

    def confirm_mail(self, key: str, kind: str, period: str, recipient: str, subject: str) -> None:
        with self.transaction():
            self.note_sent(key, kind, period, recipient, subject)
            self.db.execute("DELETE FROM mail_attempts WHERE key = ?", (key,))

    def unconfirmed_mail(self) -> list[dict]:
        """Claims left by runs that died while sending (none whose process still runs)."""
        rows = self.db.execute("SELECT key, kind, period, recipient, subject, started_at, pid FROM mail_attempts"
                               " ORDER BY started_at").fetchall()
        return [{"key": k, "kind": kind, "period": p, "recipient": r, "subject": s, "started_at": at}
                for k, kind, p, r, s, at, pid in rows if pid == os.getpid() or not process_alive(pid)]

    def settle_mail(self, keys: list[str], sent: bool) -> int:
        """The clerk's word on unconfirmed messages: they went (recorded as sent) or they did not
        (the next run sends them)."""
        done = 0
        with self.transaction():
            for key in keys:
                row = self.db.execute("SELECT kind, period, recipient, subject FROM mail_attempts WHERE key = ?",
                                      (key,)).fetchone()
                if row is None:
                    continue
                if sent:
                    self.note_sent(key, *row)
                self.db.execute("DELETE FROM mail_attempts WHERE key = ?", (key,))
                done += 1
        return done

    def note_sent(self, key: str, kind: str, period: str, recipient: str, subject: str) -> None:
        """Record a message the server accepted. Call inside the `transaction()` that checked
        `was_sent` and sent it."""
        at = dt.datetime.now(dt.timezone.utc).isoformat()
        self.db.execute("INSERT OR IGNORE INTO mail_sent VALUES (?,?,?,?,?,?)",
                        (key, kind, period, recipient, subject, at))
        # the server accepted it: it was sent, whatever happens to this transaction
        self._journal(MAIL_JOURNAL, {"key": key, "kind": kind, "period": period, "recipient": recipient,
                                     "subject": subject, "sent_at": at})

    def sent(self) -> list[tuple[str, str, str, str]]:
        """(kind, period, recipient, subject) of every message sent, oldest first."""
        return self.db.execute("SELECT kind, period, recipient, subject FROM mail_sent ORDER BY sent_at").fetchall()

    # --- reading ------------------------------------------------------------------------------

    _COLUMNS = _FILING_COLUMNS

    def _filing(self, row) -> Filing:
        """A filings row (the columns of _FILING_COLUMNS, in that order) by name."""
        values = dict(zip(FILING_FIELDS, row, strict=True))
        values["received_at"] = dt.datetime.fromisoformat(values["received_at"])
        return Filing(**values)

    def filing(self, filing_id: int) -> Filing:
        row = self.db.execute(QUERIES["filing"], (filing_id,)).fetchone() if 0 < filing_id < 2**63 else None
        if row is None:
            raise LedgerError(f"台账中没有编号为 {filing_id} 的报表。可用 safetyreport filings 查看编号。")
        return self._filing(row)

    def filings(self) -> list[Filing]:
        """Every filing that takes part (withdrawn ones are left out)."""
        return self._once("filings", lambda: [self._filing(r) for r in self.db.execute(
            f"SELECT {self._COLUMNS} FROM filings WHERE withdrawn IS NULL ORDER BY id")])

    def all_filings(self) -> list[Filing]:
        """Every filing ever taken in, withdrawn ones included (for the clerk's list)."""
        return [self._filing(r) for r in self.db.execute(f"SELECT {self._COLUMNS} FROM filings ORDER BY id")]

    def form_index(self) -> list[tuple[int, int, str, int | None]]:
        """(form id, filing id, schema id, superseded_by) of every form of a filing that takes
        part, without the values."""
        return self._once("form_index", lambda: self.db.execute(
            "SELECT forms.id, forms.filing_id, forms.schema_id, forms.superseded_by FROM forms"
            " JOIN filings ON filings.id = forms.filing_id WHERE filings.withdrawn IS NULL ORDER BY forms.id").fetchall())

    def forms_of_filings(self) -> dict[int, list[str]]:
        """Filing id → the kinds of form it holds, withdrawn filings included."""
        out: dict[int, list[str]] = {}
        for filing_id, schema_id in self.db.execute("SELECT filing_id, schema_id FROM forms ORDER BY id"):
            out.setdefault(filing_id, []).append(schema_id)
        return out

    def stored_forms(self, ids: set[int], row: str | None = None) -> dict[int, StoredForm]:
        """These forms as the ledger keeps them, each decoded only when first asked for (a
        province's merge holds 14,300 and reads half of them for one row or not at all). With
        `row`, SQLite also takes that table row out of each (`StoredForm.row`, no decoding)."""
        path = f'$.table."{row}"' if row is not None and '"' not in row and "\\" not in row else None
        out: dict[int, StoredForm] = {}
        wanted = sorted(ids)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            try:
                rows = self._form_texts(chunk, path)
            except sqlite3.OperationalError as e:
                if path is None or "json_extract" not in str(e):
                    raise
                path = None  # an SQLite without its JSON functions: the row is read from the decoded form
                rows = self._form_texts(chunk, None)
            for fid, data, taken in rows:
                out[fid] = StoredForm(data, {row: taken} if path is not None and row is not None else None)
        return out

    def _form_texts(self, ids: list[int], path: str | None) -> list[tuple[int, str, str | None]]:
        """(id, stored text, what `path` names in it — None without a path) of these forms."""
        marks = ",".join("?" * len(ids))
        if path is None:
            return self.db.execute(f"SELECT id, data, NULL FROM forms WHERE id IN ({marks})", ids).fetchall()
        return self.db.execute(f"SELECT id, data, json_extract(data, ?) FROM forms WHERE id IN ({marks})",
                               [path, *ids]).fetchall()

    def load_forms(self, ids: set[int]) -> dict[int, FormData]:
        """The parsed values of just these forms (merge needs a few weeks, not the whole campaign)."""
        from ..reading.parallel import collector_paused

        with collector_paused():  # a province's 18,700 forms: 0.6 s instead of 1.7 s with it on
            return {fid: stored.form for fid, stored in self.stored_forms(ids).items()}

    def findings_of(self, filing_id: int, path: str) -> list[Finding]:
        return [Finding(code=r[0], severity=r[1], sheet=r[2], cell=r[3], form=r[4], column=r[5],
                        message=r[6], path=path)
                for r in self.db.execute(QUERIES["findings-of"], (filing_id,))]

    def decisions(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT duplicate_id, verdict FROM decisions"))


class StoredForm:
    """A form as the ledger keeps it (its JSON text), decoded into a `FormData` when first asked
    for; one table row's values can be had without that, from SQLite's extract of it
    (`Ledger.stored_forms(row=…)`)."""

    __slots__ = ("_form", "_rows", "_text")

    def __init__(self, text: str, rows: dict[str, str | None] | None = None) -> None:
        self._text = text
        self._form: FormData | None = None
        self._rows = rows or {}  # row key → that row's JSON as SQLite took it out (None: no such row)

    @property
    def form(self) -> FormData:
        if self._form is None:
            self._form = form_from_dict(json.loads(self._text))
        return self._form

    def row(self, key: str) -> dict[str, Any]:
        """A table row's values by column key ({} when the form has no such row)."""
        if self._form is None and key in self._rows:
            taken = self._rows[key]
            return {k: c[0] for k, c in json.loads(taken).items()} if taken else {}
        return {k: c.value for k, c in self.form.table.get(key, {}).items()}


@dataclass(frozen=True)
class ArchiveRecord:
    """A filing's record in the archive, and where it was read (None: a record file that does not
    parse)."""

    record: dict | None
    path: Path


def record_checksum(record: dict) -> str:
    """The record's own checksum: a record edited by hand no longer matches it (rebuild refuses it)."""
    import hashlib

    body = {k: v for k, v in record.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def process_alive(pid: int) -> bool:
    """A process of this id runs (one we may not signal counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _instant(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)
