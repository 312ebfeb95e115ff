"""`safetyreport board`: the 报送看板 page, checked cell by cell against `status --json` and figure by
figure against `merge --json`, rendered in headless Chromium with no network, and read as a screen
reader would (captions, headers, words beside colours)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT, board_cells, cli, cli_json

AT = "2021-09-30 12:05"  # the demo's Thursday, five minutes after the deadline
CHROME = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chrome = pytest.mark.skipif(CHROME is None, reason="Chromium 未安装（.ci/run 会装）：跳过看板的渲染检查")


def _board(folder: Path, *args: str) -> tuple[dict, str]:
    code, data = cli_json("board", "--config", str(folder / "safetyreport.toml"), *args)
    assert code == 0, data
    return data, Path(data["file"]).read_text(encoding="utf-8")


def _minutes_in(label: str) -> int:
    m = re.search(r"(?:(\d+) 天)?\s*(?:(\d+) 小时)?\s*(?:(\d+) 分钟)?）", label)
    assert m, label
    days, hours, mins = (int(x or 0) for x in m.groups())
    return days * 1440 + hours * 60 + mins


def _agrees_with_status(folder: Path, html: str, board: dict, at: str) -> int:
    """Every cell of every period equals `status --json` for that period at the same time; returns
    how many cells were compared."""
    cells = board_cells(html)
    compared = 0
    for period in board["periods"]:
        code, status = cli_json("status", "--period", period["key"], "--as-of", at,
                                "--config", str(folder / "safetyreport.toml"))
        assert code in (0, 1)
        assert len(status["submitters"]) == 18
        for s in status["submitters"]:
            cell = cells[(s["name"], period["key"])]
            if not period["due"]:
                # before the deadline: nothing is missing yet; what came is 已报 (错报 too when it has errors)
                expected = "未到期" if not s["received"] else ("错报、已报" if s["wrong"] else "已报")
                assert cell["text"] == expected, (s["name"], period["key"])
                assert cell["data-status"] == ""
                assert ("not_due" in cell["data-states"]) == (not s["received"])
            else:
                assert cell["data-status"] == s["status"], (s["name"], period["key"])
                assert sorted(cell["data-states"].split()) == sorted(s["codes"])  # the same stable codes
                assert cell["text"].replace(cell["text"][cell["text"].find("（"):cell["text"].find("）") + 1]
                                            if "迟报（" in cell["text"] and "待核实" not in cell["text"] else "",
                                            "") == s["status"]
                if s["late"] and s["late_verified"]:
                    assert _minutes_in(cell["text"]) == s["late_by_minutes"]
            compared += 1
    return compared


def test_the_demo_board_equals_status_for_every_unit_and_period(demo_folder):
    board, html = _board(demo_folder, "--as-of", AT)
    assert [p["key"] for p in board["periods"]] == ["2021-09-16", "2021-09-23", "2021-09-30", "2021-10-07"]
    assert [p["due"] for p in board["periods"]] == [True, True, True, False]
    assert board["speaks_for"]["key"] == "2021-09-30" and board["open_period"]["key"] == "2021-10-07"
    assert _agrees_with_status(demo_folder, html, board, AT) == 18 * 4
    cells = board_cells(html)
    # the demo's two deliberate late filers, as the manifest has them
    assert cells[("海滨街道", "2021-09-30")]["text"] == "迟报（4 小时 5 分钟）"
    assert cells[("区城管局", "2021-09-23")]["text"] == "迟报（2 小时 20 分钟）"
    assert "海滨街道_2021-09-30.xlsx" in cells[("海滨街道", "2021-09-30")]["title"]
    assert "16:05 收到" in cells[("海滨街道", "2021-09-30")]["title"]
    assert {c["text"] for (unit, key), c in cells.items() if key == "2021-10-07"} == {"未到期"}


def test_the_board_figures_and_rates_equal_merge_and_status(demo_folder):
    board, html = _board(demo_folder, "--as-of", AT)
    code, merged = cli_json("merge", "--period", "2021-09-30", "--out", str(demo_folder / "m"),
                            "--config", str(demo_folder / "safetyreport.toml"))
    assert code in (0, 1)
    t, w = merged["totals"]["cumulative"], merged["totals"]["weekly"]
    fig = {f["key"]: f["value"] for f in board["figures"]}
    assert fig["found"] == t["found_total"] + t["insp_found_total"]
    assert fig["fixed"] == t["fixed_total"] + t["insp_fixed_total"]
    assert fig["found_week"] == w["found_total"] + w["insp_found_total"]
    assert fig["major"] == t["found_major"] + t["insp_found_major"]
    assert fig["fix_rate"] == round(100 * fig["fixed"] / fig["found"], 1)
    # open majors: the 附件4 rows still 正在整改, none of them a confirmed duplicate
    open_rows = [i for i in merged["lists"]["a4"] if i["values"].get("status") != "closed" and not i["duplicate_of"]]
    assert fig["open_major"] == len(open_rows) == fig["major"] - (t["fixed_major"] + t["insp_fixed_major"])
    assert f">{fig['found']}<" in html and f"共 {len(open_rows)} 项" in html
    for p in board["periods"][:3]:
        code, status = cli_json("status", "--period", p["key"], "--as-of", AT,
                                "--config", str(demo_folder / "safetyreport.toml"))
        assert (p["reporting_rate"], p["on_time_rate"]) == (status["reporting_rate"], status["on_time_rate"])
        assert f"{status['on_time_rate']}%" in html


def test_late_wrong_missing_and_unverified_cells_in_a_campaign_of_its_own(tmp_path):
    folder = tmp_path / "c"
    assert cli("init", str(folder))[0] == 0
    cfg = str(folder / "safetyreport.toml")
    flawed = ROOT / "samples" / "flawed" / "合计不符_开元街道.xlsx"
    code, _ = cli_json("intake", str(flawed), "--period", "2021-09-23", "--received-at", "2021-09-23 13:10",
                       "--config", cfg)
    assert code in (0, 1)
    copied = tmp_path / "鲤中街道_2021-09-23.xlsx"  # a copied file: its receipt time is a guess
    shutil.copy(ROOT / "samples" / "2021-09-23" / "鲤中街道_2021-09-23.xlsx", copied)
    assert cli_json("intake", str(copied), "--period", "2021-09-23", "--config", cfg)[0] in (0, 1)
    board, html = _board(folder, "--as-of", "2021-09-23 12:30", "--period", "2021-09-23")
    assert [p["due"] for p in board["periods"]] == [True, True]
    assert _agrees_with_status(folder, html, board, "2021-09-23 12:30") == 36
    cells = board_cells(html)
    kaiyuan = cells[("开元街道", "2021-09-23")]
    assert kaiyuan["data-states"].split() == ["wrong", "late"]  # the colour follows the first
    assert kaiyuan["class"] == "st-wrong" and "错误：" in kaiyuan["title"] and "1 小时 10 分钟" in kaiyuan["text"]
    assert "迟报（待核实）" in cells[("鲤中街道", "2021-09-23")]["text"]
    assert cells[("海滨街道", "2021-09-23")]["text"] == "漏报"
    assert cells[("海滨街道", "2021-09-23")]["title"] == "没有收到报表；缺附件3、附件6"
    # before the deadline the same week is 未到期 for those who sent nothing, 已报 for the rest
    before, html = _board(folder, "--as-of", "2021-09-23 11:00", "--period", "2021-09-23")
    cells = board_cells(html)
    assert before["periods"][-1]["due"] is False
    assert cells[("海滨街道", "2021-09-23")]["text"] == "未到期"
    assert cells[("鲤中街道", "2021-09-23")]["text"] == "已报"


def test_unit_text_is_escaped_on_the_board(tmp_path):
    folder = tmp_path / "c"
    assert cli("init", str(folder))[0] == 0
    hostile = tmp_path / '开元街道_<img src=x onerror="alert(1)">\x1b[31m\u202e.xlsx'
    shutil.copy(ROOT / "samples" / "2021-09-16" / "开元街道_2021-09-16.xlsx", hostile)
    assert cli_json("intake", str(hostile), "--period", "2021-09-16", "--received-at", "2021-09-16 09:00",
                    "--config", str(folder / "safetyreport.toml"))[0] in (0, 1)
    _, html = _board(folder, "--as-of", AT)
    assert "<img" not in html and "\x1b" not in html and "\u202e" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


class _Page(HTMLParser):
    """What a screen reader leans on: the language, table captions and header scopes, text in cells."""

    def __init__(self):
        super().__init__()
        self.lang = None
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.svgs: list[dict] = []
        self.svg_titles = 0
        self.in_svg = False
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith(("data:", "#")):
                self.external.append(a[key])
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and a.get("scope") not in ("row", "col"):
            self.th_without_scope += 1
        elif tag == "svg":
            self.svgs.append(a)
            self.in_svg = True
        elif tag == "title" and self.in_svg and a.get("id"):
            self.svg_titles += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg = False


def test_the_board_reads_without_colour_or_script(demo_folder):
    _, html = _board(demo_folder, "--as-of", AT)
    page = _Page()
    page.feed(html)
    assert page.lang == "zh-CN" and page.tables >= 4 and page.captions == page.tables
    assert page.th_without_scope == 0
    assert page.svgs and all(s.get("role") == "img" and s.get("aria-labelledby") for s in page.svgs)
    assert page.svg_titles == len(page.svgs)
    assert page.external == [] and "<script" not in html and "http://" not in html and "https://" not in html
    assert "default-src 'none'" in html  # the page may not fetch anything, even if edited later
    for word in ("按时", "迟报", "迟报（待核实）", "错报", "漏报", "已报", "未到期"):  # the legend in words
        assert f'">{word}</span>' in html
    assert all(c["text"].strip() for c in board_cells(html).values())  # every cell says its state


def test_a_broken_board_setting_is_named_in_chinese(tmp_path):
    from safetyreport.config import ConfigError
    from safetyreport.outputs.board import load_settings

    (tmp_path / "board.toml").write_text('[[rates]]\nkey = "r"\nlabel = "整改率"\nnumerator = "a"\n'
                                         'denominator = "b"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="比率“整改率”用到的数字 a 不在 figures 中"):
        load_settings(tmp_path)
    (tmp_path / "board.toml").write_text("figures = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="格式有误"):
        load_settings(tmp_path)


class _Proxy:
    """A proxy that answers nothing and notes each request's first line: anything the page asked
    for over the network would arrive here (and go no further)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                first = conn.recv(300).split(b"\r\n")[0].decode("latin-1")
                if first:  # a preconnect that asks nothing is no request
                    self.requests.append(first)
            except OSError:
                self.requests.append("?")
            conn.close()

    def hosts(self) -> set[str]:
        return {re.sub(r"^(?:CONNECT |[A-Z]+ http://)([^/: ]+).*$", r"\1", r) for r in self.requests}

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


def _screenshot(page: Path, shot: Path, width: int, height: int) -> set[str]:
    """Render `page` in headless Chromium through the proxy; the hosts it tried to reach."""
    proxy = _Proxy()
    try:
        proc = subprocess.run([CHROME, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               f"--window-size={width},{height}", f"--screenshot={shot}",
                               page.as_uri()], capture_output=True, timeout=120)
    finally:
        proxy.close()
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proxy.hosts()


@needs_chrome
@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_chromium_renders_the_board_without_a_network_request(demo_folder, tmp_path, width, height):
    _, html = _board(demo_folder, "--as-of", AT)
    assert "url(" not in html and "@import" not in html  # nothing fetched from CSS either
    page = demo_folder / "输出" / "报送看板.html"
    shot = tmp_path / f"board-{width}.png"
    # Chromium itself calls its update, time and account services on start, whatever the page (its
    # background fetches, such as translate's language list, are switched off): an empty page shows which
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body>空白</body></html>", encoding="utf-8")
    browser_own = _screenshot(empty, tmp_path / "empty.png", width, height)
    asked = _screenshot(page, shot, width, height)
    assert asked <= browser_own | {"?"}, asked - browser_own
    if width > 1000:  # the check would see a page that fetched something
        leaky = tmp_path / "leaky.html"
        leaky.write_text('<html><body><img src="http://leak.example.invalid/x.png"></body></html>', encoding="utf-8")
        assert "leak.example.invalid" in _screenshot(leaky, tmp_path / "leaky.png", width, height)
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")) == (width, height)
    assert shot.stat().st_size > 20_000  # a page with tables and colour, not a blank one


def test_status_json_carries_stable_codes_beside_the_words(demo_folder):
    code, status = cli_json("status", "--period", "2021-09-30", "--as-of", AT,
                            "--config", str(demo_folder / "safetyreport.toml"))
    words = {"on_time": "按时", "late": "迟报", "late_unverified": "迟报（待核实）", "wrong": "错报", "missing": "漏报"}
    for s in status["submitters"]:
        assert "、".join(words[c] for c in s["codes"]) == s["status"]
    code, record = cli_json("status", "--campaign", "--as-of", AT, "--config", str(demo_folder / "safetyreport.toml"))
    for s in record["campaign"]["submitters"]:
        assert s["counts"]["on_time"] == s["按时"] and s["counts"]["late"] == s["迟报"]
