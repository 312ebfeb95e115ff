"""The ledger's backup taken by a process of its own, while the command that asked for it works.

`python -I -S backup_child.py SOURCE TMP TARGET` (run as a script, see `store.BACKUP_CHILD`):
opens the ledger read-only,
starts a read transaction (the state before the command changes anything: SQLite's WAL keeps it
for this reader however the command writes meanwhile), says `ready`, copies that state into TMP
with SQLite's online backup, renames TMP to TARGET and says `ok`. On failure TMP is removed and
the last line says `error <errno or 0> <message>`. It imports only the standard library (no
site-packages, nothing of ours): the parent waits for `ready` before it writes, so starting must
be quick.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path


def main(source: str, tmp: str, target: str) -> int:
    try:
        src = sqlite3.connect(Path(source).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the read transaction holds from here
    except sqlite3.Error as e:
        return _failed(0, str(e), tmp)
    print("ready", flush=True)
    try:
        copy = sqlite3.connect(tmp)
        try:
            src.backup(copy)
        finally:
            copy.close()
        os.replace(tmp, target)
    except OSError as e:
        return _failed(e.errno or 0, e.strerror or str(e), tmp)
    except sqlite3.Error as e:
        return _failed(0, str(e), tmp)
    finally:
        src.close()
    print("ok", flush=True)
    return 0


def _failed(errno: int, message: str, tmp: str) -> int:
    try:
        os.unlink(tmp)  # no half-written backup is left behind
    except OSError:
        pass
    print(f"error {errno} {' '.join(message.split())}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
