"""Reading many files on every core.

Reading a workbook, typing its cells and the rules within one file are independent per file, so
they run in a pool of worker processes (`--jobs`, default the CPU count). A worker sends back a
compact value — the forms as plain dicts (`form_to_dict`), findings as tuples, the submitter by
name — because pickling the object graph of a `FileRead` costs most of what a second core gains.
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


def _run(work: Callable, item: Any) -> tuple:
    read, findings = work(item, _CONTEXT["schemas"], _CONTEXT["roster"])
    return pack(read, findings)


def _run_chunk(work: Callable, items: Sequence[Any]) -> list[tuple]:
    with collector_paused():
        return [_run(work, item) for item in items]


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
              cache: Any, jobs: int | None = None, progress: Callable[[Any], None] | None = None,
              outline: bool = False) -> Iterator[tuple[FileRead, list[Finding]]]:
    """`read_all` over (path, sha256) items, through a read cache (reading.cache.ReadCache, or
    None): a file read before under the same fingerprint is neither read nor checked again — what
    `work` gave for it then (the read and its findings) is given again; the others are read (on
    every core) and kept. `work` must depend only on the file, the schemas and the roster (the
    cache's fingerprint covers their code and data). `outline`: a kept read's forms may come as
    outlines (`FileRead.outline`; the caller needs their stored texts, not their values)."""
    if cache is None:
        yield from read_all(items, work, schemas, roster, jobs, progress, path_of=lambda item: item[0])
        return
    keyed = [(str(path), sha) for path, sha in items]
    hits = cache.get(keyed)
    misses = [item for i, item in enumerate(items) if i not in hits]
    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    # a worker's packed read is kept as it came back: not packed a second time here
    fresh = _read_all(misses, work, schemas, roster, jobs, progress, lambda item: item[0], packed=True)
    kept: list[tuple[str, str, tuple]] = []
    with collector_paused():
        for i, item in enumerate(items):
            if i in hits:  # kept (let go as used); one that does not decode is read here
                kept_read = cache.unpacked(hits.pop(i))
                result = ((_from_kept(kept_read, roster, outline) if kept_read is not None else None)
                          or work(item, schemas, roster))
                if progress:
                    progress(item)
            else:
                as_sent, result = next(fresh)
                as_kept = _as_kept(as_sent, result[0]) if as_sent is not None else None
                # a reader that died may not die next time (memory): that file is read again
                if item[1] and as_kept is not None and not any(f[0] == "reader-crashed" for f in as_kept[3]):
                    kept.append((keyed[i][0], item[1], as_kept))
            if len(kept) >= 1000 or (i == len(items) - 1 and kept):  # kept before the last is handed over
                cache.put(kept)
                kept = []
            yield result


def _as_kept(as_sent: tuple, read: FileRead) -> tuple:
    """A worker's packed read with each form as the ledger stores it (`stored_form`): the text is
    made once, here, and serves both the read cache and the ledger (`FileRead.stored_forms`).
    Each form's outline (`form_outline`) is kept beside, for intake."""
    read.stored_forms = [stored_form(d) for d in as_sent[2]]
    return (*as_sent[:2], read.stored_forms, *as_sent[3:8], [form_outline(d) for d in as_sent[2]])


def _from_kept(kept: tuple, roster: Roster, outline: bool = False) -> tuple[FileRead, list[Finding]] | None:
    """A kept read (`_as_kept`) opened again: its forms' stored texts go on to the ledger as kept.
    With `outline`, and the rules across its own forms kept, the forms are not decoded: their
    outlines stand for them (a province's merge after validate decoded 52,800 for nothing).
    None when a form does not decode (the file is then read again)."""
    texts = kept[2]
    if outline and kept[7] is not None:
        read, findings = unpack((*kept[:2], [], *kept[3:8]), roster)
        read.forms = [form_from_outline(d) for d in kept[8]]
        read.outline = True
    else:
        try:
            forms = [json.loads(t) for t in texts]
        except (TypeError, ValueError):
            return None
        read, findings = unpack((*kept[:2], forms, *kept[3:8]), roster)
    read.stored_forms = texts
    return read, findings


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
              packed: bool = False) -> Iterator[tuple[tuple | None, tuple[FileRead, list[Finding]]]]:
    """(the packed result when `packed` — as a worker sends it — else None, the result)."""
    if jobs == 1 or len(items) < MIN_FILES_FOR_POOL:
        for item in items:
            result = work(item, schemas, roster)
            if progress:
                progress(item)
            yield (pack(*result) if packed else None), result
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
                    running[pool.submit(_run_chunk, work, items[start:start + size])] = start
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
                    yield done_one, unpack(done_one, roster)
                    nxt += 1
        except BrokenProcessPool:
            for fut, start in sorted(running.items(), key=lambda x: x[1]):
                chunk = range(start, min(start + size, len(items)))
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    results = fut.result()
                else:  # each alone in a fresh process: the file that kills it is the culprit
                    results = [_alone(items[i], work, schemas, roster, path_of) for i in chunk]
                for i, result in zip(chunk, results):
                    finished[i] = result
                    if progress:
                        progress(items[i])
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        while nxt in finished:
            done_one = finished.pop(nxt)
            yield done_one, unpack(done_one, roster)
            nxt += 1


def _alone(item, work, schemas, roster, path_of) -> tuple:
    with ProcessPoolExecutor(max_workers=1, initializer=_start, initargs=(schemas, roster, os.getpid())) as pool:
        try:
            return pool.submit(_run, work, item).result()
        except BrokenProcessPool:
            from .reader import file_sha256

            path = path_of(item)
            crash = finding("reader-crashed", path=str(path))
            try:
                sha = file_sha256(path)  # kept like any unreadable filing: nothing sent is lost
            except OSError:
                sha = ""
            named = roster.match(path.stem)
            return (str(path), sha, [], [pack_finding(crash)], named.name if named else None, {},
                    [pack_finding(crash)], None)


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
