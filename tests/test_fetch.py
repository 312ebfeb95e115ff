"""`safetyreport fetch` against real servers the tests start on localhost: pymap (IMAP4rev1, in
memory, messages appended with the INTERNALDATE we choose) and aiosmtpd for the 回执."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import ROOT, Imap, a3_layout, free_port, write
from load_mailbox import sample_mails, unit_mail
from safetyreport.workflow import init_job

SAMPLES = ROOT / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
CST = dt.timezone(dt.timedelta(hours=8))
pytestmark = pytest.mark.skipif(shutil.which("pymap") is None and not (Path(sys.executable).parent / "pymap").exists(),
                                reason="pymap（IMAP 测试服务器）未安装：跳过取信测试")


def campaign(folder: Path, imap_port: int, smtp_port: int) -> Path:
    init_job(folder)
    cfg = folder / "safetyreport.toml"
    text = cfg.read_text(encoding="utf-8")
    text = text.replace('[imap]\n# ', '[imap]\n# ', 1)
    text = text.replace('host = ""\nport = 993\ntls = "ssl"           # "none"、"starttls" 或 "ssl"\nuser = ""',
                        f'host = "127.0.0.1"\nport = {imap_port}\ntls = "none"\nuser = "office"')
    text = text.replace('host = "localhost"\nport = 25', f'host = "127.0.0.1"\nport = {smtp_port}')
    cfg.write_text(text, encoding="utf-8")
    assert f"port = {imap_port}" in text and f"port = {smtp_port}" in text
    return cfg


def fetch(cfg: Path, *extra: str, port: int | None = None) -> tuple[int, dict]:
    env = dict(os.environ, SAFETYREPORT_IMAP_PASSWORD="pw")
    if port is not None:  # through another port (a proxy)
        text = cfg.read_text(encoding="utf-8")
        cfg = cfg.with_name("via-proxy.toml")
        import re

        cfg.write_text(re.sub(r'(\[imap\][^\[]*?port = )\d+', rf"\g<1>{port}", text, count=1), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "safetyreport", "fetch", "--json", "--config", str(cfg), *extra],
                          capture_output=True, text=True, env=env, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {"stderr": proc.stderr}


def ledger_count(cfg: Path, table: str = "filings") -> int:
    con = sqlite3.connect(cfg.parent / "safetyreport.db")
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_the_sample_weeks_by_mail_give_the_manifest_verdicts_and_one_reply_each(tmp_path, imap, smtp):
    sink, smtp_port = smtp
    mails = sample_mails()
    for raw, arrival, _, _ in mails:
        imap.append(raw, arrival)
    cfg = campaign(tmp_path / "c", imap.port, smtp_port)
    code, data = fetch(cfg)
    assert code == 0, data
    assert len(data["taken"]) == len(mails) == 54 and data["replies"]["error"] is None
    files = sum(len(list((SAMPLES / w).glob("*.xls*"))) for w in MANIFEST["receipts"])
    assert ledger_count(cfg) == files
    for week, expected in MANIFEST["expected_status"].items():
        proc = subprocess.run([sys.executable, "-m", "safetyreport", "status", "--period", week, "--json",
                               "--config", str(cfg)], capture_output=True, text=True)
        status = json.loads(proc.stdout)
        got = {s["name"]: s["status"] for s in status["submitters"]}
        assert got == expected, week
        assert {src for s in status["submitters"] for src in s["received_source"].values()} == {"mail"}
    # exactly one 回执 per mail, threaded under it
    replied = [m["In-Reply-To"] for m in sink.messages]
    sent_ids = sorted(email.message_from_bytes(raw)["Message-ID"] for raw, *_ in mails)
    assert sorted(replied) == sent_ids
    one = next(m for m in sink.messages if "区城管局2021-09-23" in str(m["Subject"]))
    body = one.get_body(("plain",)).get_content()
    assert str(one["Subject"]).startswith("回执：") and "收到时间：2021-09-23 14:20（邮件到达邮箱的时间）" in body
    assert "校验通过" in body and "登记为：第2周（9月23日）的报表" in body
    # the 报送看板 was refreshed by the run and says what status says
    from conftest import board_cells

    cells = board_cells(Path(data["board"]).read_text(encoding="utf-8"))
    for week, expected in MANIFEST["expected_status"].items():
        assert {name: cells[(name, week)]["data-status"] for name in expected} == expected, week
    # a second fetch changes nothing
    code, again = fetch(cfg)
    assert code == 0 and again["taken"] == [] and again["already_taken"] == 54
    assert len(sink.messages) == 54 and ledger_count(cfg) == files


def _zip_with_gbk_names(members: dict[str, bytes]) -> bytes:
    """A zip as Windows Explorer on a Chinese system makes it: GBK names, no UTF-8 flag."""
    class GbkName(zipfile.ZipInfo):
        __slots__ = ()

        def _encodeFilenameFlags(self):
            return self.filename.encode("gb18030"), self.flag_bits

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(GbkName(name), data)
    return buf.getvalue()


def _mail(sender: str, subject: str, attachments: list[tuple[str, bytes, str]], mid: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "zzlxb@example.invalid", subject
    msg["Message-ID"] = mid or email.utils.make_msgid(domain="example.invalid")
    msg.set_content("附件请查收")
    for name, data, kind in attachments:
        maintype, subtype = kind.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _raw_gbk_filename_mail(sender: str, name: str, data: bytes) -> bytes:
    """A client that writes the file name in raw GBK bytes, with no RFC 2047/2231 encoding."""
    import base64

    head = (f"From: {sender}\r\nTo: zzlxb@example.invalid\r\nSubject: =?GB18030?B?"
            f"{base64.b64encode('鲤中街道报表'.encode('gb18030')).decode()}?=\r\nMessage-ID: <gbk-raw@example.invalid>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n"
            "Content-Type: text/plain; charset=GB18030\r\n\r\nhi\r\n--B\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"").encode()
    return head + name.encode("gb18030") + b"\"\r\n\r\n" + base64.encodebytes(data) + b"\r\n--B--\r\n"


def test_real_mail_habits(tmp_path, imap, smtp):
    sink, smtp_port = smtp
    at = lambda h, m: dt.datetime(2021, 9, 23, h, m, tzinfo=CST)  # noqa: E731
    week2 = SAMPLES / "2021-09-23"
    kaiyuan = (week2 / "开元街道_2021-09-23.xlsx").read_bytes()
    bad = a3_layout({("cumulative", "found_total"): 9}, submitter="开元街道")
    wrong = write([bad], tmp_path / "开元街道_错").read_bytes()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # 1. a filing with an error, then its correction (a resubmission)
    imap.append(_mail("开元街道 <kaiyuan@example.invalid>", "开元街道报表", [("开元街道.xlsx", wrong, xlsx)]), at(9, 0))
    imap.append(_mail("kaiyuan@example.invalid", "Re: 开元街道报表（更正）", [("开元街道.xlsx", kaiyuan, xlsx)]), at(10, 0))
    # 2. the same attachment forwarded again by someone else: one filing
    imap.append(_mail("办公室 <clerk@example.invalid>", "Fw: 开元街道报表", [("开元街道.xlsx", kaiyuan, xlsx)]), at(10, 5))
    # 3. a zip made on a Chinese Windows: GBK names, nested folders
    members = {f"第2周报表/{p.name}": p.read_bytes() for p in week2.glob("区文旅局_*")}
    imap.append(_mail("wlj@example.invalid", "文旅局报表", [("区文旅局报表.zip", _zip_with_gbk_names(members),
                                                         "application/zip")]), at(9, 40))
    # 4. only a picture; 5. an unknown address; 6. raw GBK file name; 7. a Word 工作情况 beside the form
    imap.append(_mail("hb@example.invalid", "海滨街道", [("现场照片.jpg", b"\xff\xd8\xff\xe0jpeg", "image/jpeg")]), at(9, 45))
    imap.append(_mail("someone@elsewhere.example", "金龙街道周报", [("金龙街道.xlsx", (week2 / "金龙街道_2021-09-23.xlsx")
                                                                             .read_bytes(), xlsx)]), at(9, 50))
    imap.append(_raw_gbk_filename_mail("lizhong@example.invalid", "鲤中街道报表.xlsx",
                                       (week2 / "鲤中街道_2021-09-23.xlsx").read_bytes()), at(9, 55))
    imap.append(_mail("ctjd@example.invalid", "常泰街道", [("常泰街道.xlsx", (week2 / "常泰街道_2021-09-23.xlsx").read_bytes(), xlsx),
                                                    ("工作情况.docx", b"PK\x03\x04docx", "application/octet-stream")]), at(9, 58))
    # 8. a hostile attachment (a zip bomb) among a unit's files: refused, the rest taken
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("附件3.xlsx", b"\0" * (110 * 1024 * 1024))
    imap.append(_mail("jl@example.invalid", "江南街道", [("炸弹.zip", bomb.getvalue(), "application/zip"),
                                                    ("江南街道.xlsx", (week2 / "江南街道_2021-09-23.xlsx").read_bytes(), xlsx)]),
                at(9, 59))
    cfg = campaign(tmp_path / "c", imap.port, smtp_port)
    text = cfg.read_text(encoding="utf-8").replace('email = "changtai@example.invalid"',
                                                   'email = "changtai@example.invalid, ctjd@example.invalid"')
    text = text.replace('email = "jiangnan@example.invalid"', 'email = "jl@example.invalid"')
    cfg.write_text(text, encoding="utf-8")
    code, data = fetch(cfg)
    assert code == 1, {k: v for k, v in data.items() if k != "taken"}  # the first mail's filing has an error
    by_subject = {m["subject"]: m for m in data["taken"]}
    assert by_subject["Fw: 开元街道报表"]["files"][0]["new"] is False  # forwarded: no second filing
    zip_files = sorted(Path(f["path"]).name for f in by_subject["文旅局报表"]["files"])
    assert zip_files == sorted(p.name for p in week2.glob("区文旅局_*"))
    assert all(f["submitter"] == "区文旅局" for f in by_subject["文旅局报表"]["files"])
    pic = by_subject["海滨街道"]
    assert pic["outcome"] == "no-form" and pic["skipped"] == [{"name": "现场照片.jpg", "reason": "图片，不是报表（请报送 Excel 表格）"}]
    stranger = by_subject["金龙街道周报"]
    assert stranger["submitter"] is None and stranger["files"][0]["submitter"] == "金龙街道"
    assert "unknown-sender" in [f["code"] for f in stranger["files"][0]["findings"]]
    assert Path(by_subject["鲤中街道报表"]["files"][0]["path"]).name == "鲤中街道报表.xlsx"
    assert by_subject["常泰街道"]["submitter"] == "常泰街道" and by_subject["常泰街道"]["narrative_attachments"] == ["工作情况.docx"]
    # the correction counts; the error stays on record as 错报
    proc = subprocess.run([sys.executable, "-m", "safetyreport", "status", "--period", "2021-09-23", "--json",
                           "--config", str(cfg)], capture_output=True, text=True)
    status = {s["name"]: s for s in json.loads(proc.stdout)["submitters"]}
    assert status["开元街道"]["status"] == "错报" and status["开元街道"]["wrong"][0]["corrected_before_deadline"]
    assert status["区文旅局"]["status"] == "按时" and status["海滨街道"]["status"] == "漏报"
    # the 回执 of the wrong filing names the error's cell; a mail with only a picture gets none (it
    # carried nothing to take as a filing: the clerk sees it in fetch's output, skipped with why)
    replies = {str(m["Subject"]): m.get_body(("plain",)).get_content() for m in sink.messages}
    assert "附件3!" in replies["回执：开元街道报表已收到"] and "合计不符" in replies["回执：开元街道报表已收到"]
    assert "回执：海滨街道已收到" not in replies and pic["skipped"][0]["reason"].startswith("图片")
    assert all(m["Auto-Submitted"] == "auto-replied" for m in sink.messages)
    bombed = by_subject["江南街道"]
    assert [Path(f["path"]).name for f in bombed["files"]] == ["江南街道.xlsx"]
    assert "疑似损坏或恶意文件" in bombed["skipped"][0]["reason"]
    assert len(sink.messages) == 8


class CuttingProxy:
    """A TCP proxy to the IMAP server that drops the connection after `limit` bytes from the
    server: a network that fails part way through a fetch."""

    def __init__(self, target: int, limit: int):
        self.port, self.target, self.limit = free_port(), target, limit
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen(5)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, self.limit), daemon=True).start()

    def _pipe(self, src, dst, limit):
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: max(0, limit - sent)])
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self):
        self.server.close()


def test_a_connection_dropped_mid_fetch_takes_nothing_twice_and_the_next_run_completes(tmp_path, imap, smtp):
    sink, smtp_port = smtp
    mails = [m for m in sample_mails() if m[3] == "2021-09-16"]
    for raw, arrival, _, _ in mails:
        imap.append(raw, arrival)
    cfg = campaign(tmp_path / "c", imap.port, smtp_port)
    proxy = CuttingProxy(imap.port, limit=sum(len(m[0]) for m in mails) // 2)
    try:
        code, data = fetch(cfg, port=proxy.port)
    finally:
        proxy.close()
    assert code == 2 and "连接中断" in data["error"] and 0 < len(data["taken"]) < len(mails)
    first = len(data["taken"])
    code, data = fetch(cfg)
    assert code == 0 and len(data["taken"]) == len(mails) - first
    assert ledger_count(cfg, "mail_taken") == len(mails)
    assert ledger_count(cfg) == len(list((SAMPLES / "2021-09-16").glob("*.xls*")))
    assert sorted(m["In-Reply-To"] for m in sink.messages) == sorted(
        email.message_from_bytes(raw)["Message-ID"] for raw, *_ in mails)


def test_two_overlapping_fetches_and_a_new_server_take_each_mail_once(tmp_path, imap, smtp):
    sink, smtp_port = smtp
    mails = [m for m in sample_mails() if m[3] == "2021-09-23"]
    for raw, arrival, _, _ in mails:
        imap.append(raw, arrival)
    cfg = campaign(tmp_path / "c", imap.port, smtp_port)
    env = dict(os.environ, SAFETYREPORT_IMAP_PASSWORD="pw")
    procs = [subprocess.Popen([sys.executable, "-m", "safetyreport", "fetch", "--json", "--config", str(cfg)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    taken = [len(json.loads(out)["taken"]) for out, _ in outs]
    assert sum(taken) == len(mails)
    assert ledger_count(cfg, "mail_taken") == len(mails) and len(sink.messages) == len(mails)
    # the mailbox moved to a new server (new UIDVALIDITY, new UIDs): Message-IDs still say taken
    other = Imap()
    try:
        for raw, arrival, _, _ in mails:
            other.append(raw, arrival)
        code, data = fetch(cfg, port=other.port)
    finally:
        other.stop()
    assert code == 0 and data["taken"] == [] and len(sink.messages) == len(mails)
    assert ledger_count(cfg, "mail_taken") == 2 * len(mails)  # each place remembered, as a duplicate


def test_saved_mail_is_taken_with_its_received_time_and_marked_so(tmp_path):
    cfg_folder = tmp_path / "c"
    init_job(cfg_folder)
    inbox = tmp_path / "导出的邮件"
    inbox.mkdir()
    path = SAMPLES / "2021-09-23" / "开元街道_2021-09-23.xlsx"
    raw = unit_mail("开元街道 <kaiyuan@example.invalid>", "开元街道报表", [path], dt.datetime(2021, 9, 23, 9, 0, tzinfo=CST))
    stamped = b"Received: from mx.example.invalid by office.example.invalid; Thu, 23 Sep 2021 14:10:00 +0800\r\n" + raw
    (inbox / "开元街道.eml").write_bytes(stamped)
    late = unit_mail("鲤中街道 <lizhong@example.invalid>", "鲤中街道报表", [SAMPLES / "2021-09-23" / "鲤中街道_2021-09-23.xlsx"],
                     dt.datetime(2021, 9, 23, 13, 0, tzinfo=CST))
    (inbox / "鲤中街道.eml").write_bytes(late)  # no Received header: the sender's Date, a guess
    proc = subprocess.run([sys.executable, "-m", "safetyreport", "intake", str(inbox), "--json", "--config",
                           str(cfg_folder / "safetyreport.toml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    taken = {t["submitter"]: t for t in json.loads(proc.stdout)["taken"]}
    assert taken["开元街道"]["received_source"] == "mail-received"
    assert taken["开元街道"]["received_at"] == "2021-09-23T14:10:00+08:00"
    assert taken["鲤中街道"]["received_source"] == "mail-header"
    proc = subprocess.run([sys.executable, "-m", "safetyreport", "status", "--period", "2021-09-23", "--json",
                           "--config", str(cfg_folder / "safetyreport.toml")], capture_output=True, text=True)
    status = {s["name"]: s["status"] for s in json.loads(proc.stdout)["submitters"]}
    assert status["开元街道"] == "迟报" and status["鲤中街道"] == "迟报（待核实）"
