"""A soak of the clerk's tools under load: 200 processes of every kind at once against a real
mailbox (pymap) and mail server (aiosmtpd), 50 of them killed with SIGKILL at random moments.
Nothing may be lost, nothing counted twice, no 回执 sent twice, and `check` must end clean.

Marked `soak`: the README's test command leaves it out (it takes minutes); `.ci/run` runs it as
a step of its own. Run it alone with `python -m pytest -m soak`.
"""

from __future__ import annotations

import email
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import cli_json, free_port
from test_fetch import MANIFEST, SAMPLES, campaign

pytestmark = pytest.mark.soak
PROCESSES = int(os.environ.get("SAFETYREPORT_SOAK_PROCESSES", "200"))
KILLS = int(os.environ.get("SAFETYREPORT_SOAK_KILLS", "50"))
AT_ONCE = 8


class _Sink:
    """Keeps every message; a little slow, as real servers are, so kills land mid-conversation."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        import email

        await asyncio.sleep(0.05)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _commands(cfg: Path, rng: random.Random) -> list[list[str]]:
    """A mixed load: fetch, intake of the sample folders with their real receipt times, merge,
    status, board and filings, in random order."""
    weeks = sorted(MANIFEST["receipts"])
    out = []
    for n in range(PROCESSES):
        kind = n % 6
        week = weeks[n % len(weeks)]
        if kind == 0:
            out.append(["fetch"])
        elif kind == 1:
            unit_files = sorted((SAMPLES / week).glob("*.xls*"))
            path = unit_files[rng.randrange(len(unit_files))]
            unit = path.stem.split("_")[0]
            when = MANIFEST["receipts"][week].get(unit)
            out.append(["intake", str(path), "--period", week] + (["--received-at", when] if when else []))
        elif kind == 2:
            out.append(["merge", "--period", week, "--out", str(cfg.parent / "输出" / f"m{n}")])
        elif kind == 3:
            out.append(["status", "--period", week, "--as-of", f"{week} 12:05"])
        elif kind == 4:
            out.append(["board", "--as-of", f"{week} 12:05"])
        else:
            out.append(["filings"])
    rng.shuffle(out)
    return out


def _settle(cfg: Path, sink: _Sink) -> None:
    """The clerk settles what killed runs left unconfirmed, as the server's log says."""
    time.sleep(0.3)
    code, checked = cli_json("check", "--config", str(cfg))
    got = {m["In-Reply-To"] for m in sink.messages}
    for m in checked["unconfirmed_mail"]:
        arrived = m["key"].removeprefix("reply|") in got
        cli_json("check", "--mail-sent" if arrived else "--mail-resend", "--config", str(cfg))


def test_200_processes_and_50_kills_lose_nothing_and_send_nothing_twice(tmp_path, imap):
    from aiosmtpd.controller import Controller

    from load_mailbox import sample_mails

    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        mails = sample_mails()
        for raw, arrival, *_ in mails:
            imap.append(raw, arrival)
        cfg = campaign(tmp_path / "c", imap.port, controller.port)
        env = dict(os.environ, SAFETYREPORT_IMAP_PASSWORD="pw")
        rng = random.Random(22)
        todo = _commands(cfg, rng)
        doomed = set(rng.sample(range(len(todo)), min(KILLS, len(todo))))
        running: list[tuple[int, subprocess.Popen, float | None]] = []
        results: list[tuple[list[str], int, str]] = []
        n = 0
        while todo or running:
            while todo and len(running) < AT_ONCE:
                args = todo.pop()
                proc = subprocess.Popen([sys.executable, "-m", "safetyreport", *args, "--json", "--config", str(cfg)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
                running.append((n, proc, time.monotonic() + rng.uniform(0.15, 1.0) if n in doomed else None))
                n += 1
            time.sleep(0.05)
            for item in list(running):
                i, proc, kill_at = item
                if kill_at is not None and proc.poll() is None and time.monotonic() >= kill_at:
                    proc.kill()
                if proc.poll() is not None:
                    err = proc.stderr.read() if proc.stderr else ""
                    results.append((proc.args, proc.returncode, err))
                    running.remove(item)
        assert len(results) == PROCESSES
        killed = sum(code == -9 for _, code, _ in results)
        assert killed >= KILLS // 2, killed  # the rest of the doomed ones finished before their moment came
        for args, code, err in results:
            assert "Traceback" not in err and "程序内部错误" not in err, (args, err)
            assert code in (0, 1, -9), (args, code, err)
        _settle(cfg, sink)
        for _ in range(2):  # runs that finish take whatever the killed ones left
            proc = subprocess.run([sys.executable, "-m", "safetyreport", "fetch", "--json", "--config", str(cfg)],
                                  capture_output=True, text=True, env=env, timeout=600)
            assert proc.returncode in (0, 1), proc.stderr
            _settle(cfg, sink)
        files = sum(len(list((SAMPLES / w).glob("*.xls*"))) for w in MANIFEST["receipts"])
        code, listing = cli_json("filings", "--config", str(cfg))
        assert len(listing["filings"]) == files  # nothing lost, nothing twice
        replies = [m["In-Reply-To"] for m in sink.messages]
        sent_ids = sorted(email.message_from_bytes(raw)["Message-ID"] for raw, *_ in mails)
        assert sorted(set(replies)) == sent_ids and len(replies) == len(set(replies))
        for week, expected in MANIFEST["expected_status"].items():
            code, status = cli_json("status", "--period", week, "--as-of", f"{week} 23:00", "--config", str(cfg))
            assert {s["name"]: s["status"] for s in status["submitters"]} == expected, week
        code, checked = cli_json("check", "--config", str(cfg))
        assert code == 0 and checked["problems"] == [] and checked["unconfirmed_mail"] == []
    finally:
        controller.stop()

