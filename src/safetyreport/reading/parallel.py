"""Reading many files on every core.

Reading a workbook, typing its cells and the rules within one file are independent per file, so
they run in a pool of worker processes (`--jobs`, default the CPU count). A worker sends back a
compact value — findings as tuples, the submitter by name, and the forms either as plain dicts
(`form_to_dict`) or, through the read cache, already as the cache keeps them (`keep`: the ledger's
texts and each form's outline, compressed) — because pickling the object graph of a `FileRead`
costs most of what a second core gains, and encoding forms in the parent costs the rest.
Results come back in input order, so a run gives the same output with any number of jobs.

A worker that dies on a file (a crash in a reader library, memory) must not lose the batch: the
files that were in flight are read again one by one in a fresh process, and the one that kills
its process becomes a finding for that file.
"""

from __future__ import annotations

import gc
import json
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import Roster
from ..findings import Finding, finding
from ..model import FileRead, form_from_dict, form_from_outline, form_outline, form_to_dict, stored_form
from ..schema import SchemaSet
from .cache import kept_bytes, opened_kept

MIN_FILES_FOR_POOL = 4  # below this, starting workers costs more than it saves
CHUNK = 8  # files per task at most


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # the cores this process may use
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# --- the compact form a worker sends back -----------------------------------------------------------------------


def pack_finding(f: Finding) -> tuple:
    return (f.code, f.message, f.severity, f.path, f.sheet, f.cell, f.form, f.column, f.data)


def unpack_finding(t: tuple) -> Finding:
    return Finding(*t)


def pack(read: FileRead, findings: list[Finding]) -> tuple:
    """A FileRead and the findings about it as plain lists, dicts and strings."""
    return (read.path, read.sha256, [form_to_dict(f) for f in read.forms],
            [pack_finding(f) for f in read.findings], read.submitter.name if read.submitter else None,
            read.marker, [pack_finding(f) for f in findings],
            None if read.across is None else [pack_finding(f) for f in read.across])


def unpack(packed: tuple, roster: Roster) -> tuple[FileRead, list[Finding]]:
    path, sha, forms, read_findings, submitter, marker, findings, across = packed[:8]
    read = FileRead(path=path, sha256=sha, forms=[form_from_dict(f) for f in forms],
                    findings=[unpack_finding(f) for f in read_findings],
                    submitter=roster.get(submitter) if submitter else None, marker=marker,
                    across=None if across is None else [unpack_finding(f) for f in across])
    return read, [unpack_finding(f) for f in findings]


# --- the pool ----------------------------------------------------------------------------------------------------

# Set once in each worker by `_start`: what every file is read against, sent once per worker.
_CONTEXT: dict[str, Any] = {}


def die_with_parent(parent: int) -> None:
    """A worker ends when the process that started it dies (SIGKILL, the OOM killer, a cron
    timeout): on Linux the kernel sends it SIGTERM (prctl PR_SET_PDEATHSIG); elsewhere nothing is
    asked. A parent already gone by now ends it at once."""
    import os
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _start(schemas: SchemaSet, roster: Roster, parent: int) -> None:
    die_with_parent(parent)
    _CONTEXT.update(schemas=schemas, roster=roster)
    gc.freeze()  # the schemas and modules are long-lived: keep the collector off them


def _run(work: Callable, item: Any, kept: bool = False) -> tuple:
    read, findings = work(item, _CONTEXT["schemas"], _CONTEXT["roster"])
    packed = pack(read, findings)
    return keep(packed) if kept else packed


def _run_chunk(work: Callable, items: Sequence[Any], kept: bool = False) -> list[tuple]:
    with collector_paused():
        return [_run(work, item, kept) for item in items]


def keep(packed: tuple) -> tuple[tuple, bytes]:
    """A packed read as the read cache keeps it, made where it was read: (its head — all but the
    forms' texts, with each form's outline (`form_outline`) — and the kept bytes: the head with each
    form as the ledger stores it (`stored_form`), compressed; reading.cache). The worker encodes
    the forms once; the process that asked neither encodes nor decodes them (a province's validate
    spent a quarter of a millisecond a file doing both)."""
    forms = packed[2]
    outlines = [form_outline(d) for d in forms]
    blob = kept_bytes((*packed[:2], [stored_form(d) for d in forms], *packed[3:8], outlines))
    return (*packed[:2], len(forms), *packed[3:8], outlines), blob


def read_all(items: Sequence[Any], work: Callable, schemas: SchemaSet, roster: Roster, jobs: int | None = None,
             progress: Callable[[Any], None] | None = None,
             path_of: Callable[[Any], Path] = lambda item: item) -> Iterator[tuple[FileRead, list[Finding]]]:
    """`work(item, schemas, roster) -> (FileRead, findings)` for each item, yielded in input order
    as soon as it and those before it are done (so the caller can store each and let it go).

    `work` must be a module-level function (workers get it by name). Serial in this process for
    one job or a handful of files; `progress(item)` after each item is read either way."""
    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    with collector_paused():
        for _, result in _read_all(items, work, schemas, roster, jobs, progress, path_of):
            yield result


def read_once(items: Sequence[tuple[Path, str | None]], work: Callable, schemas: SchemaSet, roster: Roster,
              cache: Any, jobs: int | None = None,
              progress: Callable[[Any], None] | None = None) -> Iterator[tuple[FileRead, list[Finding]]]:
    """`read_all` over (path, sha256) items, through a read cache (reading.cache.ReadCache, or
    None): a file read before under the same fingerprint is neither read nor checked again — what
    `work` gave for it then (the read and its findings) is given again; the others are read (on
    every core) and kept. `work` must depend only on the file, the schemas and the roster (the
    cache's fingerprint covers their code and data).

    With a cache the reads come as outlines (`FileRead.outline`: each form's place and footer, its
    values in `FileRead.kept` — `with_values` opens them, `stored_texts` gives the ledger's texts)."""
    if cache is None:
        yield from read_all(items, work, schemas, roster, jobs, progress, path_of=lambda item: item[0])
        return
    keyed = [(str(path), sha) for path, sha in items]
    hits = cache.get(keyed)
    misses = [item for i, item in enumerate(items) if i not in hits]
    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    fresh = _read_all(misses, work, schemas, roster, jobs, progress, lambda item: item[0], kept=True)
    keeping: list[tuple[str, str, bytes]] = []
    with collector_paused():
        for i, item in enumerate(items):
            if i in hits:  # kept (let go as used); one that does not decode is read here
                blob = hits.pop(i)
                kept_read = cache.unpacked(blob)
                result = ((_from_kept(kept_read, roster, blob) if kept_read is not None else None)
                          or work(item, schemas, roster))
                if progress:
                    progress(item)
            else:
                (head, blob), result = next(fresh)
                result = result or _from_head(head, blob, roster)
                # a reader that died may not die next time (memory): that file is read again
                if item[1] and not any(f[0] == "reader-crashed" for f in head[3]):
                    keeping.append((keyed[i][0], item[1], blob))
            if len(keeping) >= 1000 or (i == len(items) - 1 and keeping):  # kept before the last is handed over
                cache.put(keeping)
                keeping = []
            yield result


def _from_head(head: tuple, blob: bytes, roster: Roster) -> tuple[FileRead, list[Finding]]:
    """A worker's kept read (`keep`) as an outline; its values stay in the kept bytes."""
    if head[7] is None:  # the rules across its forms did not run: its values are needed now
        opened = _from_kept(opened_kept(blob), roster, blob, outline=False)
        assert opened is not None  # made a moment ago by `keep`
        return opened
    return _outline(head, roster, blob)


def _outline(kept: tuple, roster: Roster, blob: bytes | None) -> tuple[FileRead, list[Finding]]:
    """A kept read (or a worker's head of one) with its forms' outlines for forms."""
    read, findings = unpack((*kept[:2], [], *kept[3:8]), roster)
    read.forms = [form_from_outline(d) for d in kept[8]]
    read.outline, read.kept = True, blob
    return read, findings


def _from_kept(kept: tuple, roster: Roster, blob: bytes | None = None,
               outline: bool = True) -> tuple[FileRead, list[Finding]] | None:
    """A kept read (reading.cache.opened_kept) opened again: its forms' stored texts go on to the
    ledger as kept. With the rules across its own forms kept, the forms are not decoded: their
    outlines stand for them (a province's merge after validate decoded 52,800 for nothing). None
    when a form does not decode (the file is then read again)."""
    texts = kept[2]
    if outline and kept[7] is not None:
        read, findings = _outline(kept, roster, blob)
    else:
        try:
            forms = [json.loads(t) for t in texts]
        except (TypeError, ValueError):
            return None
        read, findings = unpack((*kept[:2], forms, *kept[3:8]), roster)
    read.stored_forms = texts
    return read, findings


def stored_texts(read: FileRead) -> list[str] | None:
    """Each form of a read as the ledger stores it, where reading made that text already."""
    if read.stored_forms is None and read.kept is not None:
        read.stored_forms = opened_kept(read.kept)[2]
    return read.stored_forms


def with_values(read: FileRead) -> FileRead:
    """An outline read with its forms' values (decoded from what the read cache keeps); a read
    that is no outline as it is."""
    if read.outline:
        assert read.kept is not None, "an outline read keeps its values"
        read.forms = [form_from_dict(json.loads(t)) for t in opened_kept(read.kept)[2]]
        read.outline = False
    return read


def collector_off_to_the_end() -> None:
    """For a bulk command that prints its result and exits: the collector stays off to the end.
    Turned back on after a province's reading, its first passes walk every object kept — about a
    second each, freeing nothing — and the process frees everything moments later anyway."""
    gc.disable()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Bulk work (reading, decoding the stored forms, building workbooks) makes many objects
    and few cycles: the collector's passes over everything kept so far cost about a sixth of a
    city's reading and three quarters of decoding a province's stored forms, and free nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _read_all(items, work, schemas, roster, jobs: int, progress, path_of,
              kept: bool = False) -> Iterator[tuple[Any, Any]]:
    """(None, the result) for each item; with `kept`, (the kept read — `keep` — and the result when
    read in this process, else None: the caller opens the kept read as it needs it)."""
    if jobs == 1 or len(items) < MIN_FILES_FOR_POOL:
        for item in items:
            result = work(item, schemas, roster)
            if progress:
                progress(item)
            yield (keep(pack(*result)) if kept else None), result
        return
    finished: dict[int, tuple] = {}
    # files go out in chunks: one round trip per chunk, not per file (IPC costs as much as a read)
    size = max(1, min(CHUNK, len(items) // (jobs * 4)))
    queue = deque(range(0, len(items), size))  # chunk starts
    nxt = 0
    window = 2 * jobs  # chunks in flight: every worker busy, few files to re-read if one dies
    while queue:
        running: dict[Future, int] = {}
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_start, initargs=(schemas, roster, os.getpid()))
        try:
            while queue or running:
                while queue and len(running) < window:
                    start = queue.popleft()
                    running[pool.submit(_run_chunk, work, items[start:start + size], kept)] = start
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    chunk_results = fut.result()  # BrokenProcessPool when a worker died (fut stays in running)
                    start = running.pop(fut)
                    for k, result in enumerate(chunk_results):
                        finished[start + k] = result
                        if progress:
                            progress(items[start + k])
                while nxt in finished:
                    done_one = finished.pop(nxt)
                    yield (done_one, None) if kept else (None, unpack(done_one, roster))
                    nxt += 1
        except BrokenProcessPool:
            for fut, start in sorted(running.items(), key=lambda x: x[1]):
                chunk = range(start, min(start + size, len(items)))
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    results = fut.result()
                else:  # each alone in a fresh process: the file that kills it is the culprit
                    results = [_alone(items[i], work, schemas, roster, path_of, kept) for i in chunk]
                for i, result in zip(chunk, results):
                    finished[i] = result
                    if progress:
                        progress(items[i])
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        while nxt in finished:
            done_one = finished.pop(nxt)
            yield (done_one, None) if kept else (None, unpack(done_one, roster))
            nxt += 1


def _alone(item, work, schemas, roster, path_of, kept: bool = False) -> tuple:
    with ProcessPoolExecutor(max_workers=1, initializer=_start, initargs=(schemas, roster, os.getpid())) as pool:
        try:
            return pool.submit(_run, work, item, kept).result()
        except BrokenProcessPool:
            from .reader import file_sha256

            path = path_of(item)
            crash = finding("reader-crashed", path=str(path))
            try:
                sha = file_sha256(path)  # kept like any unreadable filing: nothing sent is lost
            except OSError:
                sha = ""
            named = roster.match(path.stem)
            crashed: tuple = (str(path), sha, [], [pack_finding(crash)], named.name if named else None, {},
                       [pack_finding(crash)], None)
            return keep(crashed) if kept else crashed


# --- independent outputs at once ----------------------------------------------------------------------------------


def side_by_side(tasks: Sequence[Callable[[], Any]], jobs: int | None = None) -> list[Any]:
    """Run independent tasks at once and return their results in order: each but the last in a
    forked child (which inherits what the parent computed, so nothing big is pickled; only the
    result comes back), the last in this process. Writing the consolidated workbook and the
    district filing this way saves the shorter of the two.

    Serial under `jobs == 1`, on one core, or where fork is unavailable. A child that fails
    or dies is not trusted with anything: its task runs again here, so an error surfaces as
    it would serially."""
    import multiprocessing

    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    if jobs == 1 or len(tasks) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [task() for task in tasks]
    ctx = multiprocessing.get_context("fork")
    children = []
    for task in tasks[:-1]:
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_child, args=(task, send, os.getpid()), daemon=True)
        child.start()
        send.close()
        children.append((child, receive))
    try:
        last = tasks[-1]()
    finally:  # even when this one fails: the children finish (no half-written file left behind)
        outcomes = [_outcome(child, receive) for child, receive in children]
    return [outcome[1] if outcome and outcome[0] == "ok" else task()
            for task, outcome in zip(tasks, outcomes)] + [last]


def _outcome(child, receive) -> tuple | None:
    try:
        return receive.recv()
    except (EOFError, OSError):
        return None  # died without a word
    finally:
        receive.close()
        child.join()


def _child(task: Callable[[], Any], send, parent: int) -> None:
    die_with_parent(parent)
    try:
        result = ("ok", task())
    except BaseException:
        result = ("failed", None)
    try:
        send.send(result)
    finally:
        send.close()
