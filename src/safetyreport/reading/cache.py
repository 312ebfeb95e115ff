"""Read once (issue 25): what a file held — its forms, the reader's findings, its submitter — kept
by the file's bytes and name and by the version of everything that read it, so that `intake` or
`merge` of files `validate` has just read (or a second `validate`) does not read them again.

The key is the file's path as given, its sha256, and a fingerprint of what reading depends on:
the reading code itself, the schemas, the roster and the places stripped before names. Any change
to one of them is another key: a stale read is never served, the file is read again. The cache is
derived data beside the campaign's configuration (`.safetyreport-reads.db`, SQLite, one
transaction per batch); when it cannot be opened or is damaged it is set aside and the files are
read as if it were not there. With each read the findings of the rules about that file alone are
kept — each form on its own and across its own forms (they depend on nothing else) — and each
form's outline, so that intake takes a kept read in without decoding its forms; the rules across
files (a submitter's forms sent apart, the same bytes under two names) run again on each use.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..schema import SchemaSet

if TYPE_CHECKING:
    import sqlite3

CACHE_NAME = ".safetyreport-reads.db"
# path, sha256, forms' texts, the reader's findings, submitter, marker, the rules' findings about the
# file alone, those across its own forms, the forms' outlines (reading.parallel._as_kept)
KEPT_FIELDS = 9
KEEP = 40_000  # entries, about 3 KB each; the oldest go first (a province files about 13,000 a week: reuse is within the week)
# the modules whose code decides what a read holds and what the rules about one file find
_READING = ("reading/reader.py", "reading/grid.py", "reading/cache.py", "reading/parallel.py", "model.py",
            "values.py", "schema.py", "findings.py", "config.py", "checking/rules.py", "checking/validation.py")


def fingerprint(cfg: Config, schemas: SchemaSet) -> str:
    """What reading a file depends on besides its bytes and name, as one hash."""
    from .. import __version__

    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parents[1]
    for rel in _READING:
        h.update((package / rel).read_bytes())
    for schema in sorted(schemas, key=lambda s: s.id):
        h.update(schema.model_dump_json().encode())
    roster = [(s.name, s.kind, sorted(s.aliases)) for s in cfg.submitters]
    h.update(json.dumps([roster, cfg.campaign.places, cfg.campaign.district], ensure_ascii=False).encode())
    return h.hexdigest()


class ReadCache:
    """The reads kept for one campaign folder under one fingerprint."""

    def __init__(self, folder: Path, stamp: str):
        import sqlite3  # here, not at import: validating one filing loads no SQLite (start-up)

        self.path = folder / CACHE_NAME
        self.stamp = stamp
        self.db: sqlite3.Connection | None = None
        try:
            self.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self.db.execute("CREATE TABLE IF NOT EXISTS reads (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
        except sqlite3.Error as e:
            self._failed(e)

    @classmethod
    def of(cls, cfg: Config, schemas: SchemaSet) -> ReadCache | None:
        """The campaign folder's cache; none for the built-in configuration (a unit checking its
        own file before sending gets no file left behind)."""
        if not cfg.source:
            return None
        return cls(cfg.folder, fingerprint(cfg, schemas))

    def _key(self, path: str, sha: str) -> str:
        return hashlib.sha256(f"{self.stamp}\0{path}\0{sha}".encode()).hexdigest()

    def get(self, items: Sequence[tuple[str, str | None]]) -> dict[int, bytes]:
        """Index → the kept read of each (path, sha256) kept, still packed (`unpacked` opens one):
        a province's reads opened all at once would take 600 MB."""
        import sqlite3

        wanted = {self._key(p, sha): i for i, (p, sha) in enumerate(items) if sha}
        if self.db is None or not wanted:
            return {}
        out: dict[int, bytes] = {}
        keys = list(wanted)
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = self.db.execute(f"SELECT key, data FROM reads WHERE key IN ({','.join('?' * len(chunk))})",
                                       chunk).fetchall()
                for key, data in rows:
                    out[wanted[key]] = data
        except sqlite3.Error as e:
            self._failed(e)
            return {}
        return out

    def unpacked(self, data: bytes) -> tuple | None:
        """A kept read (`opened_kept`); None when it does not decode (the cache is then set aside,
        and the caller reads the file)."""
        try:
            return opened_kept(data)
        except (zlib.error, ValueError, TypeError, IndexError) as e:
            self._failed(e)
            return None

    def put(self, entries: Sequence[tuple[str, str, bytes]]) -> None:
        """Keep these (path, sha256, kept read — `kept_bytes`) in one transaction; the oldest
        beyond KEEP go."""
        import sqlite3

        if self.db is None or not entries:
            return
        rows = [(self._key(p, sha), data) for p, sha, data in entries if sha]
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany("INSERT OR REPLACE INTO reads (key, data) VALUES (?, ?)", rows)
                self.db.execute("DELETE FROM reads WHERE rowid <= (SELECT MAX(rowid) FROM reads) - ?", (KEEP,))
        except sqlite3.Error as e:
            self._failed(e)

    def _failed(self, e: Exception) -> None:
        """A cache that cannot be used is no reason to fail: reading goes on without it. Busy
        (another process holds it past the timeout, a read-only folder): left as it is. Damaged
        (not a database, a row that does not decode): removed — it holds nothing that is not in
        the files themselves."""
        import sqlite3

        if isinstance(e, sqlite3.OperationalError):
            self.close()
        else:
            self._set_aside()

    def _set_aside(self) -> None:
        self.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except OSError:
                pass

    def close(self) -> None:
        import sqlite3

        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
            self.db = None


def kept_bytes(kept: tuple) -> bytes:
    """A read as the cache keeps it (reading.parallel.keep: its forms as the ledger's texts): one
    line of JSON for the rest and then each form's own text, a line each (a JSON text without
    indent holds no newline) — the texts kept as they are, not escaped inside another — compressed."""
    head = json.dumps((*kept[:2], len(kept[2]), *kept[3:]), ensure_ascii=False, default=str)
    return zlib.compress("\n".join([head, *kept[2]]).encode(), 1)


def opened_kept(data: bytes) -> tuple:
    """`kept_bytes` undone; raises (zlib.error, ValueError …) when they do not decode."""
    head, *forms = zlib.decompress(data).decode().split("\n")
    kept = json.loads(head)
    if kept[2] != len(forms) or len(kept) != KEPT_FIELDS:
        raise ValueError("a kept read cut short")
    return (*kept[:2], forms, *kept[3:])
