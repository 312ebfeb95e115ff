"""Test helpers: real workbooks written by openpyxl, xlsxwriter and xlwt, and the real CLI."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
# a message template whose placeholder has no value is a bug: make it fail loudly in every test
# (and in the subprocesses they start), where a clerk would see （？）
os.environ["SAFETYREPORT_STRICT_MESSAGES"] = "1"
sys.path.insert(0, str(ROOT / "scripts"))

import make_samples as ms  # noqa: E402  (the sample generator's layouts and writers)
from safetyreport.cli.commands import app  # noqa: E402
from safetyreport.outputs.layout import footer_text, layout_form  # noqa: E402
from safetyreport.schema import load_schemas  # noqa: E402

SCHEMAS = load_schemas()

# CI replays the same examples every run (a red CI must mean a change broke something); a
# developer's run explores new random examples and hypothesis remembers any failure it finds.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")
WRITERS = {"openpyxl": (ms.write_openpyxl, ".xlsx"), "xlsxwriter": (ms.write_xlsxwriter, ".xlsx"),
           "xlwt": (ms.write_xlwt, ".xls")}
PERSON = ("张明", "李华", "13905951234")


def expected_totals(truth: dict[str, dict], row: str) -> dict[str, float]:
    """District totals as the notice counts them, from per-submitter truth: flows summed over
    everyone; 景点总数 (a stock counted over territories, 附件3 注2) summed over the streets only,
    and carried in both rows."""
    from safetyreport.config import load_config

    kinds = {s.name: s.kind for s in load_config(None).submitters}
    keys = [c.key for c in SCHEMAS["a3"].columns]
    out = {k: sum(t[row][k] for t in truth.values()) for k in keys}
    out["sites"] = sum(t["cumulative"]["sites"] for n, t in truth.items() if kinds.get(n, "street") != "unit")
    return out


def cli(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    """The real typer app in-process (fast); returns exit code and stdout."""
    import os

    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def cli_json(*args: str, cwd: Path | None = None) -> tuple[int, dict]:
    code, out = cli(*args, "--json", cwd=cwd)
    return code, json.loads(out)


def run_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed console script as a separate process, as a clerk runs it."""
    return subprocess.run([sys.executable, "-m", "safetyreport", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def a3_layout(values: dict[tuple[str, str], object] | None = None, submitter: str = "开元街道",
              footer: str | None = None):
    """An 附件3 in the official layout, all zeros except `values` {(row, column): typed value}."""
    lay = layout_form(SCHEMAS["a3"], submitter=submitter)
    for r, c in lay.data_cells.values():
        lay.cells[(r, c)] = 0
    for key, v in (values or {}).items():
        lay.cells[lay.data_cells[key]] = v
    lay.cells[(lay.footer_row, 0)] = footer if footer is not None else footer_text(*PERSON, date="2021年9月23日")
    return lay


def write(layouts, path: Path, writer: str = "openpyxl") -> Path:
    fn, suffix = WRITERS[writer]
    path = path.with_suffix(suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    fn(list(layouts), path)
    return path


def consistent_filing(name: str = "开元街道", weeks: int = 2, seed: str = "t"):
    """A whole, consistent 附件3–6 filing (layouts) for `name` after `weeks` weeks."""
    kind = "street" if name.endswith("街道") else "unit"
    u = ms.Unit(name, kind, random.Random(seed))
    for w in range(weeks):
        fig, fac = ms.week_figures(u, w), ms.facilities(u, w)
    style = ms.Style(header_name=name, date="2021年9月23日")
    rng = random.Random(0)
    return fig, fac, u, [ms.a3_layout(fig, style, PERSON, rng), ms.a4_layout(u, style, PERSON, rng),
                         ms.a5_layout(u, style, PERSON, rng), ms.a6_layout(fac, style, PERSON, rng)]


def filing_where(condition, name: str = "开元街道", weeks: int = 3):
    """The first seeded filing whose figures and lists satisfy condition(fig, unit)."""
    for seed in range(200):
        filing = consistent_filing(name, weeks, seed=str(seed))
        if condition(filing[0], filing[2]):
            return filing
    raise AssertionError("no seed gives such a filing")


def codes(report: dict) -> list[tuple[str, str, str]]:
    return sorted((f["code"], f["sheet"], f["cell"]) for file in report["files"] for f in file["findings"])


@pytest.fixture(params=["openpyxl", "xlsxwriter", "xlwt"])
def writer(request) -> str:
    return request.param


# --- a real mail server on localhost ---------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages: list = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    """(sink, port) of an SMTP server on localhost for the test's duration."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


# --- the shipped demo, made once for the tests that only read it ---------------------------------------------


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory) -> Path:
    """`safetyreport demo` run once per session; tests that change a campaign copy it first."""
    folder = tmp_path_factory.mktemp("demo-shared")
    code, out = cli("demo", str(folder))
    assert code == 0, out
    return folder


def board_cells(html_text: str) -> dict[tuple[str, str], dict[str, str]]:
    """The 报送看板's grid as the page has it: (unit, period key) → the cell's text and data."""
    from html.parser import HTMLParser

    class Grid(HTMLParser):
        def __init__(self):
            super().__init__()
            self.cells: dict[tuple[str, str], dict[str, str]] = {}
            self.unit: str | None = None
            self.open: dict[str, str] | None = None
            self.in_unit = self.in_grid = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "table" and "grid-table" in (a.get("class") or ""):
                self.in_grid = True
            elif self.in_grid and tag == "th" and a.get("scope") == "row":
                self.in_unit, self.unit = True, ""
            elif self.in_grid and tag == "span":
                self.in_unit = False  # the unit's kind follows its name
            elif self.in_grid and tag == "td" and "data-period" in a:
                self.open = {**{k: v or "" for k, v in a.items()}, "text": ""}

        def handle_endtag(self, tag):
            if tag == "table":
                self.in_grid = False
            elif tag == "th":
                self.in_unit = False
            elif tag == "td" and self.open is not None:
                self.cells[(self.unit or "", self.open["data-period"])] = self.open
                self.open = None

        def handle_data(self, data):
            if self.in_unit:
                self.unit = (self.unit or "") + data
            elif self.open is not None:
                self.open["text"] += data

    grid = Grid()
    grid.feed(html_text)
    return grid.cells


# --- a real IMAP server on localhost ---------------------------------------------------------------------------


class Imap:
    """A pymap server of its own, with one user."""

    def __init__(self):
        import shutil
        import socket
        import time

        self.port = free_port()
        exe = shutil.which("pymap") or str(Path(sys.executable).parent / "pymap")
        self.proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(self.port), "--no-tls", "dict",
                                      "--demo-user", "office", "--demo-password", "pw"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("pymap did not start") from None
                time.sleep(0.05)

    def append(self, raw: bytes, arrival) -> None:
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login("office", "pw")
        client.append("INBOX", raw, flags=[], msg_time=arrival)
        client.logout()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def imap():
    """A pymap server on localhost for the test's duration (skipped where pymap is not installed)."""
    import shutil

    if shutil.which("pymap") is None and not (Path(sys.executable).parent / "pymap").exists():
        pytest.skip("pymap（IMAP 测试服务器）未安装：跳过取信测试")
    server = Imap()
    yield server
    server.stop()


# --- no process left behind ---------------------------------------------------------------------------------------


def _orphans() -> set[int]:
    """safetyreport processes whose parent has gone (reparented to PID 1 or a subreaper)."""
    import os

    out = set()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ")
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"safetyreport" in cmd and b"pytest" not in cmd and ppid in (0, 1):
            out.add(int(entry))
    return out


_BEFORE: set[int] = set()


def pytest_sessionstart(session):
    _BEFORE.update(_orphans())


def pytest_sessionfinish(session, exitstatus):
    """The suite fails when a safetyreport process it started outlives its parent (a pool worker
    of a killed run, say): a cron timeout would leave the same behind."""
    import time

    deadline = time.monotonic() + 5
    left = _orphans() - _BEFORE
    while left and time.monotonic() < deadline:  # a worker told to stop may take a moment
        time.sleep(0.2)
        left = _orphans() - _BEFORE
    if left:
        print(f"\n进程残留：{sorted(left)} 在测试结束后仍在运行")
        session.exitstatus = 1
