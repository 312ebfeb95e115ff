"""Taking filings straight from the office mailbox (IMAP), or from saved mail (.eml).

Units e-mail their forms; the time that counts is the mail's arrival at the office's mailbox
(the server's INTERNALDATE), not a file's modification time after copying. Each message is taken
once — remembered by its place in the mailbox (UIDVALIDITY + UID) and by its Message-ID — in one
transaction with its attachments, so a dropped connection never leaves a mail half-taken. The
mailbox is only read (EXAMINE, BODY.PEEK): nothing is deleted or flagged unless the office asks
for handled mail to be moved. Each sender gets one 回执 listing what was found, so a unit can
correct its filing before the deadline.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import io
import os
import re
import time
import zipfile
from dataclasses import dataclass, field
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from ..config import Config, Submitter
from ..errors import UserError
from ..findings import tally
from ..ledger.intake import Arrival, Sender, Taken, campaign_time, take_in
from ..ledger.store import Ledger, process_alive, receipt_source_label
from ..periods import Period
from ..reading.grid import MAX_RATIO, MAX_UNPACKED, SPREADSHEET_SUFFIXES, WPS_SUFFIXES
from ..schema import SchemaSet
from ..values import neutral
from .send import MailOutcome, Outgoing, _html_page

MAIL_DROP = "收件"  # beside the configuration: each mail's attachments, as received
TAKEN_FORMS = SPREADSHEET_SUFFIXES | WPS_SUFFIXES
NOT_FORMS = {
    ".jpg": "图片", ".jpeg": "图片", ".png": "图片", ".gif": "图片", ".bmp": "图片", ".heic": "图片",
    ".tif": "图片", ".tiff": "图片", ".pdf": "PDF 文件", ".doc": "Word 文件", ".wps": "WPS 文字文件",
    ".p7s": "邮件数字签名", ".asc": "邮件签名", ".vcf": "名片", ".txt": "文本文件", ".rar": "RAR 压缩包（请改用 zip）",
    ".7z": "7z 压缩包（请改用 zip）",
}
MAX_MEMBERS = 200  # files in one zip


class FetchError(UserError):
    """The mailbox cannot be reached or read; the message is Chinese (exit code 2)."""

    kind = "fetch"


@dataclass
class Part:
    name: str
    data: bytes


@dataclass
class Unpacked:
    forms: list[Part] = field(default_factory=list)  # spreadsheets to take in
    narratives: list[Part] = field(default_factory=list)  # a 工作情况 sent as Word: kept, listed
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


# --- reading a mail ---------------------------------------------------------------------------------


def parse(raw: bytes) -> email.message.Message:
    """compat32 keeps a header's raw bytes (as surrogates): a file name a Chinese mail client wrote
    in GBK without any encoding can still be read."""
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _header_text(value: object) -> str:
    """A header as text: RFC 2047 words decoded, raw 8-bit bytes taken as UTF-8 or else GB18030."""
    s = str(value or "")
    if re.search("[\udc80-\udcff]", s):
        raw = s.encode("ascii", "surrogateescape")
        for enc in ("utf-8", "gb18030"):
            try:
                s = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    try:
        return _plain(str(email.header.make_header(email.header.decode_header(s))))
    except (email.errors.HeaderParseError, LookupError, UnicodeError):
        return _plain(s)


def attachment_name(part: email.message.Message) -> str:
    """The file name as the sender's client wrote it: RFC 2231 (filename*=), RFC 2047
    (=?GB18030?B?…?=) or raw GBK bytes; Content-Type's name= when there is no filename."""
    name = part.get_filename()
    if name and "\ufffd" not in name and not re.search("[\udc80-\udcff]", name):
        return _header_text(name)
    for key, value in part._headers:  # type: ignore[attr-defined]  # the raw header, when decoding lost the bytes
        if key.lower() in ("content-disposition", "content-type"):
            text = _header_text(value) if re.search("[\udc80-\udcff]", value) else value
            m = re.search(r'(?:file)?name\*?="?([^";]+)"?', text, re.I)
            if m:
                return _header_text(m.group(1).strip())
    return name or ""


def unpack(msg: email.message.Message, max_bytes: int) -> Unpacked:
    """Every attachment sorted: forms to take (spreadsheets, also inside zips), a Word 工作情况 kept
    beside them, and everything else skipped with its reason — never silently dropped."""
    out = Unpacked()
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = attachment_name(part)
        disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        if not name and disposition != "attachment":
            continue  # the body text
        name = _safe_name(name or "附件")
        encoded = part._payload  # type: ignore[attr-defined]  # as received: get_payload() would copy it again
        if isinstance(encoded, str) and len(encoded) * 3 // 4 > max_bytes:  # refused before it is decoded
            out.skipped.append((name, _too_big(len(encoded) * 3 // 4, max_bytes)))
            continue
        data = part.get_payload(decode=True)
        _sort(out, name, data if isinstance(data, bytes) else b"", max_bytes)
    return out


JUNK_NAMES = {"thumbs.db": "Windows 缩略图缓存", "desktop.ini": "Windows 文件夹设置", "winmail.dat": "Outlook 格式信息",
              ".ds_store": "Mac 文件夹信息"}


def junk_reason(name: str) -> str | None:
    """Why an attachment is no filing at all (a lock file Excel left, a system file), else None."""
    lower = name.lower()
    if lower.startswith(("~$", ".~lock.")):
        return "Excel/WPS 打开文件时产生的临时锁文件，不是报表"
    if lower in JUNK_NAMES:
        return f"{JUNK_NAMES[lower]}文件，不是报表"
    if lower.endswith((".tmp", ".bak")):
        return "临时文件，不是报表"
    return None


def _sort(out: Unpacked, name: str, data: bytes, max_bytes: int) -> None:
    suffix = Path(name).suffix.lower()
    junk = junk_reason(name)
    if junk:
        out.skipped.append((name, junk))
    elif len(data) > max_bytes:
        out.skipped.append((name, _too_big(len(data), max_bytes)))
    elif suffix in TAKEN_FORMS:
        out.forms.append(Part(name, data))
    elif suffix == ".zip":
        _unzip(out, name, data, max_bytes)
    elif suffix == ".docx":
        out.narratives.append(Part(name, data))
    elif suffix in NOT_FORMS:
        out.skipped.append((name, f"{NOT_FORMS[suffix]}，不是报表（请报送 Excel 表格）"))
    else:
        out.skipped.append((name, f"不是报表文件（{suffix or '无扩展名'}）"))


def _too_big(size: int, max_bytes: int) -> str:
    return f"附件大小约 {size // (1024 * 1024)} MB，超过 {max_bytes // (1024 * 1024)} MB 的上限"


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A member's name: UTF-8 when the zip says so (flag bit 11), else the GBK a Chinese Windows
    wrote (which zipfile has read as cp437)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _unzip(out: Unpacked, name: str, data: bytes, max_bytes: int) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError):
        out.skipped.append((name, "压缩包已损坏，无法打开"))
        return
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if len(infos) > MAX_MEMBERS or total > MAX_UNPACKED or (total > 1024 * 1024 and total / packed > MAX_RATIO):
        out.skipped.append((name, f"压缩包解压后达 {total // (1024 * 1024)} MB、{len(infos)} 个文件，"
                                  "远超正常报表，疑似损坏或恶意文件，未解压"))
        return
    for info in infos:
        inner = _safe_name(_zip_name(info).replace("\\", "/").rsplit("/", 1)[-1])
        label = f"{name}/{inner}"
        if inner.startswith((".", "__MACOSX")) or "__MACOSX/" in info.filename:
            out.skipped.append((label, "临时文件或隐藏文件"))
            continue
        if info.flag_bits & 0x1:
            out.skipped.append((label, "压缩包设了密码，无法解压；请直接发送报表文件"))
            continue
        try:
            member = zf.read(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
            out.skipped.append((label, "压缩包中的这个文件已损坏"))
            continue
        if Path(inner).suffix.lower() == ".zip":
            out.skipped.append((label, "压缩包里又套压缩包，请解开后发送"))
        else:
            _sort(out, inner, member, max_bytes)


def _safe_name(name: str) -> str:
    """A file name that stays inside the drop folder and prints safely."""
    name = neutral(name).replace("/", "_").replace("\\", "_").strip(" .") or "附件"
    if len(name.encode()) <= NAME_BYTES:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 10 else ""  # a long name keeps its .xlsx
    stem = name[: len(name) - len(suffix)]
    while len((stem + "…" + suffix).encode()) > NAME_BYTES:
        stem = stem[:-1]
    return stem + "…" + suffix


NAME_BYTES = 200  # a file name's bytes in UTF-8: file systems allow 255


def sender_of(msg: email.message.Message) -> str:
    """The From header's one addr-spec, lower-case; "" when there is none or more than one. Read
    from the header as sent: an address inside an encoded display name (=?utf-8?Q?kaiyuan@…?=
    <evil@…>) is a name, never the sender."""
    raw = str(msg.get("From", "") or "")
    angled = re.findall(r"<([^<>\s]*)>", raw)  # display-name <addr-spec>: the brackets say which is the address
    addresses = angled if angled else [a for _, a in getaddresses([raw]) if a]
    if len(addresses) != 1 or "@" not in addresses[0] or re.search(r"[\s<>\udc80-\udcff]", addresses[0]):
        return ""
    return addresses[0].strip().lower()


def received_by_headers(msg: email.message.Message) -> tuple[dt.datetime | None, str]:
    """For a saved mail: the topmost Received header's date (stamped by the office's own server
    as the mail arrived), else the Date header (the sender's clock), each marked as such."""
    for value in msg.get_all("Received", []) or []:
        stamp = str(value).rsplit(";", 1)[-1].strip()
        try:
            return parsedate_to_datetime(stamp), "mail-received"
        except (TypeError, ValueError, IndexError):
            continue
    try:
        return parsedate_to_datetime(str(msg.get("Date", ""))), "mail-header"
    except (TypeError, ValueError, IndexError):
        return None, "unknown"


def message_id(msg: email.message.Message, raw: bytes) -> str:
    mid = " ".join(_plain(str(msg.get("Message-ID", "") or "")).split())
    return mid or f"<sha256-{hashlib.sha256(raw).hexdigest()}@safetyreport>"


def _plain(s: str) -> str:
    """Raw 8-bit header bytes (kept by compat32 as surrogates) as text a database can store."""
    if re.search("[\udc80-\udcff]", s):
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return s


class MailProblem(Exception):
    """A mail that cannot be taken at all; the message says why, in Chinese."""


MAX_DEPTH = 50  # nested parts in one mail; real clients nest three or four


def describe(raw: bytes) -> tuple[str, str, str]:
    """(Message-ID, sender, subject) of any mail, even one that cannot be parsed."""
    try:
        msg = parse(raw)
        return message_id(msg, raw), sender_of(msg), " ".join(_header_text(msg.get("Subject", "")).split())
    except Exception:
        return f"<sha256-{hashlib.sha256(raw).hexdigest()}@safetyreport>", "", "（无法解析的邮件）"


def problem_of(e: BaseException) -> str:
    if isinstance(e, MailProblem):
        return str(e)
    if isinstance(e, RecursionError):
        return "邮件结构嵌套过深，无法处理"
    return f"邮件无法处理（{type(e).__name__}: {e}）"


# --- taking one mail --------------------------------------------------------------------------------


@dataclass
class MailTaken:
    """One mail and what became of it."""

    message_id: str
    sender: str
    subject: str
    received_at: dt.datetime | None
    received_source: str
    submitter: str | None = None
    outcome: str = "taken"  # taken | no-form | duplicate
    files: list[Taken] = field(default_factory=list)
    narratives: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    reply: Outgoing | None = None
    drop: str = ""  # the folder its attachments were saved in
    notes: list[str] = field(default_factory=list)  # what the clerk should know about the mail itself

    @property
    def errors(self) -> int:
        return sum(tally(t.findings)[0] for t in self.files)

    def to_dict(self) -> dict:
        return {"message_id": self.message_id, "sender": self.sender, "subject": self.subject,
                "received_at": self.received_at.isoformat() if self.received_at else None,
                "received_source": self.received_source, "submitter": self.submitter, "outcome": self.outcome,
                "files": [t.to_dict() for t in self.files], "narrative_attachments": self.narratives,
                "skipped": [{"name": n, "reason": r} for n, r in self.skipped], "saved_in": self.drop,
                "notes": self.notes}


def _depth(msg: email.message.Message, limit: int = MAX_DEPTH) -> None:
    """Refuse a mail nested deeper than `limit` (walking it would exhaust the stack)."""
    stack: list[tuple[email.message.Message, int]] = [(msg, 0)]
    while stack:
        part, level = stack.pop()
        if level > limit:
            raise MailProblem(f"邮件结构嵌套超过 {limit} 层，无法处理（正常邮件只有几层）")
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((p, level + 1) for p in payload if isinstance(p, email.message.Message))


def take_message(cfg: Config, ledger: Ledger, schemas: SchemaSet, raw: bytes, arrival: dt.datetime | None,
                 place: tuple[str, int, int], period: Period | None = None) -> MailTaken | None:
    """One mail: its attachments saved beside the configuration and taken in with the mail's
    arrival as receipt time (into `period` when the clerk names one), the mail recorded as taken
    — all in one transaction. None when it was taken before (another run, or the same mail again:
    same Message-ID and same content). Raises MailProblem or any parsing error for a mail that
    cannot be taken at all (the caller records it as failed)."""
    limit = int(cfg.imap.max_attachment_mb * 1024 * 1024)
    if len(raw) > 4 * limit + 1024 * 1024:  # base64 takes 4/3; a mail this size is not a filing
        raise MailProblem(f"邮件大小 {len(raw) // (1024 * 1024)} MB，超过上限，未处理")
    msg = parse(raw)
    _depth(msg)
    mid = message_id(msg, raw)
    digest = hashlib.sha256(raw).hexdigest()
    mailbox, uidvalidity, uid = place
    source = "mail"
    if arrival is None:  # the server gave none: the headers, marked so
        arrival, source = received_by_headers(msg)
    when = campaign_time(cfg, arrival) if arrival else None
    sender = sender_of(msg)
    unit = _unit_of(cfg, sender)
    taken = MailTaken(mid, sender, " ".join(_header_text(msg.get("Subject", "")).split()), when, source,
                      unit.name if unit else None)
    with ledger.transaction():
        if ledger.mail_known(mailbox, uidvalidity, uid, mid, digest):
            return None
        if ledger.message_id_seen(mid):  # a Message-ID reused for other content: a new mail, said so
            taken.notes.append("此前收到过 Message-ID 相同但内容不同的邮件，本封已作为新邮件处理，请核实")
        parts = unpack(msg, limit)
        taken.skipped = parts.skipped
        stamp = (when or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        drop = cfg.folder / MAIL_DROP / f"{stamp}_{digest[:8]}"
        saved = _save(drop, parts.forms)
        taken.narratives = [p.name for p in parts.narratives]
        _save(drop, parts.narratives)
        if saved:
            taken.drop = str(drop)
            came = Arrival(period=period, received_at=when, source="mail", received_source=source,
                           sender=Sender(sender, unit))
            report = take_in(saved, cfg, ledger, schemas, came, own_transaction=False)
            taken.files = report.taken
            taken.skipped += [(Path(s.path).name, s.reason) for s in report.skipped]
            taken.outcome = "taken"
        else:
            taken.outcome = "no-form"
        taken.reply = receipt_reply(cfg, taken) if cfg.imap.reply and sender and wants_reply(msg, taken) else None
        ledger.note_mail(mailbox, uidvalidity, uid, mid, sender, taken.subject, when, source, taken.outcome,
                         {"files": [t.to_dict() for t in taken.files], "skipped": taken.skipped,
                          "narratives": taken.narratives, "notes": taken.notes,
                          "reply": taken.reply.stored() if taken.reply else None}, content_sha256=digest)
    return taken


AUTOMATIC_SENDERS = ("mailer-daemon@", "postmaster@", "noreply", "no-reply", "do-not-reply", "donotreply")


def automatic(msg: email.message.Message, sender: str) -> bool:
    """Mail no person wrote (RFC 3834): an auto-reply, a bounce, a list or bulk mail."""
    auto = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    precedence = str(msg.get("Precedence", "") or "").strip().lower()
    return ((auto != "" and auto != "no") or precedence in ("bulk", "list", "junk", "auto_reply")
            or msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None
            or any(mark in sender for mark in AUTOMATIC_SENDERS))


def wants_reply(msg: email.message.Message, taken: MailTaken) -> bool:
    """A 回执 only where we tried to take a filing (a reply-all 收到, a reply to our own 回执, a PDF
    scan or a screenshot get none), and never to automatic mail (no mail loops)."""
    return bool(taken.files) and not automatic(msg, taken.sender)


def _unit_of(cfg: Config, address: str) -> Submitter | None:
    return next((s for s in cfg.roster if address and address in s.emails), None)


def _save(folder: Path, parts: list[Part]) -> list[Path]:
    from ..atomic import write_bytes_atomic

    paths = []
    for part in parts:
        path = folder / part.name
        n = 1
        while path in paths:  # two attachments of one name
            n += 1
            path = folder / f"{Path(part.name).stem}({n}){Path(part.name).suffix}"
        write_bytes_atomic(path, part.data)
        paths.append(path)
    return paths


def _deadline_lines(cfg: Config, registered: list[Period], received: dt.datetime | None) -> list[str]:
    """The deadline of the period the filing was registered in (not the next one after the mail),
    and, when the mail came after it, by how much."""
    from ..ledger.status import human_delta

    out = []
    for p in registered:
        due = p.deadline + dt.timedelta(minutes=cfg.deadlines.grace_minutes)
        text = f"{p.label}的报送截止时间为 {p.deadline:%Y-%m-%d %H:%M}（北京时间）"
        if received is not None and received > due:
            out.append(f"{text}；本邮件晚于截止时间 {human_delta(received - due)} 到达（如此前已按时报送，以首次收到的时间为准）。")
        else:
            out.append(f"{text}。有错误的，请在截止前更正后重新发送，同一张表以最后收到的为准。")
    return out


def receipt_reply(cfg: Config, taken: MailTaken) -> Outgoing:
    """The 回执: period, receipt time, each file with its verdict and every error with its sheet
    and cell, what was not taken and why — so the unit can correct before the deadline."""
    when = (f"{taken.received_at:%Y-%m-%d %H:%M}（{receipt_source_label(taken.received_source)}）"
            if taken.received_at else "未知")
    periods = sorted({t.filing.period for t in taken.files if t.filing and t.filing.period})
    from ..periods import parse_period

    registered = [parse_period(cfg, p) for p in periods]
    lines = [f"{taken.submitter or taken.sender}：",
             f"贵单位发来的邮件“{taken.subject or '（无主题）'}”已收到。",
             f"收到时间：{when}"]
    if registered:
        lines.append(f"登记为：{'、'.join(p.label for p in registered)}的报表")
    lines += _deadline_lines(cfg, registered, taken.received_at)
    rows: list[list[str]] = []
    if not taken.files:
        lines.append("邮件中没有找到报表附件（Excel 表格 .xlsx 或 .xls），请把报表作为附件重新发送。")
    for t in taken.files:
        name = Path(t.path).name
        errors = [f for f in t.findings if f.severity == "error"]
        warnings = [f for f in t.findings if f.severity != "error"]
        if t.filing is None:
            verdict = "未能登记：" + neutral(t.findings[0].message if t.findings else "无法读取")
        elif t.filing.withdrawn and any(f.code == "sender-mismatch" for f in t.findings):
            verdict = "已收到，但表中填报单位不是发件邮箱所属单位，暂不计入，待核实"
        elif errors:
            verdict = f"有 {len(errors)} 个错误，请更正后重新发送"
        else:
            verdict = "校验通过" + (f"（{len(warnings)} 条提醒）" if warnings else "")
        lines.append(f"- {name}：{verdict}")
        rows.append([name, "", verdict])
        for f in errors + warnings:
            place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
            kind = "错误" if f.severity == "error" else "提醒"
            said = neutral(f"{f.title}：{f.message}")  # a quoted cell's line break stays inside its line
            lines.append(f"    · {kind} {neutral(place)} {said}")
            rows.append(["", f"{kind} {place}", said])
    for name in taken.narratives:
        lines.append(f"- {name}：已收到（Word 文件，作为工作情况附件保存）")
        rows.append([name, "", "已收到（Word 文件，作为工作情况附件保存）"])
    for name, reason in taken.skipped:
        lines.append(f"- {name}：未处理（{reason}）")
        rows.append([name, "", f"未处理（{reason}）"])
    lines.append(cfg.campaign.office)
    subject = f"回执：{taken.subject or '报表'}已收到"
    html_body = _html_page(subject, [line for line in lines if not line.startswith(("-", "    "))],
                           rows, ["文件", "位置", "结果"])
    return Outgoing("reply", periods[0] if periods else "", [taken.sender], subject, "\n".join(lines), html_body,
                    in_reply_to=taken.message_id)


# --- the mailbox ------------------------------------------------------------------------------------


@dataclass
class FetchReport:
    mailbox: str
    messages: list[MailTaken] = field(default_factory=list)
    already: int = 0  # mails in the folder taken by an earlier run
    error: str = ""  # the connection failed part way: what was taken stands
    mail: MailOutcome | None = None  # the 回执 sent
    failed: list[str] = field(default_factory=list)  # mails that could not be processed (kept in the mailbox)
    waiting: list[str] = field(default_factory=list)  # --dry-run: the new mails a real run would take
    dry_run: bool = False
    board: str | None = None  # the 报送看板 refreshed after the run
    board_error: str = ""  # why it could not be (the mail taken stands)

    @property
    def exit_code(self) -> int:
        if self.error or self.failed or (self.mail is not None and self.mail.error):
            return 2
        return 1 if any(m.errors for m in self.messages) else 0

    def to_dict(self) -> dict:
        return {"mailbox": self.mailbox, "taken": [m.to_dict() for m in self.messages],
                "already_taken": self.already, "error": self.error or None, "failed": self.failed,
                "waiting": self.waiting,
                "replies": self.mail.to_dict() if self.mail is not None else None,
                "board": self.board, "board_error": self.board_error or None}


def _connect(cfg: Config):
    import ssl

    from imapclient import IMAPClient

    s = cfg.imap
    if not s.host:
        raise FetchError("没有配置收件邮箱：请在配置文件的 [imap] 中填写 host、user 等，"
                         "并设置环境变量 " + s.password_env + "。")
    password = os.environ.get(s.password_env, "")
    if s.user and not password:
        raise FetchError(f"已配置邮箱用户 {s.user}，但没有设置环境变量 {s.password_env}（邮箱密码）。")
    where = f"{s.host}:{s.port}"
    try:
        context = ssl.create_default_context()
        client = IMAPClient(s.host, port=s.port, ssl=s.tls == "ssl", ssl_context=context, timeout=s.timeout)
        client.normalise_times = False  # INTERNALDATE with its offset, not the machine's local time
        if s.tls == "starttls":
            client.starttls(context)
        if s.user:
            client.login(s.user, password)
        return client
    except ConnectionRefusedError:
        raise FetchError(f"无法连接收件服务器 {where}（连接被拒绝：服务器没有运行，或端口不对）。") from None
    except OSError as e:
        raise FetchError(f"无法连接收件服务器 {where}：{e}") from None
    except Exception as e:  # imapclient's LoginError and protocol errors
        raise FetchError(f"收件服务器 {where} 拒绝登录或出错：{e}") from None


class _FetchLock:
    """One fetch at a time for a campaign folder (two overlapping cron runs). A lock file names
    the process; one left by a process that died is taken over."""

    def __init__(self, folder: Path, wait: float, on_wait):
        self.path = folder / ".safetyreport-fetch.lock"
        self.wait, self.on_wait = wait, on_wait

    def __enter__(self):
        deadline, told = time.monotonic() + self.wait, False
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                return self
            except FileExistsError:
                if not _alive(self.path):
                    self.path.unlink(missing_ok=True)
                    continue
                if time.monotonic() >= deadline:
                    raise FetchError(f"另一个 safetyreport fetch 仍在运行（{self.path}），本次未取信，请稍后再试。") from None
                if not told:
                    self.on_wait()
                    told = True
                time.sleep(0.2)

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)


def _alive(lock: Path) -> bool:
    try:
        pid = int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return True  # being written: give it time
    return pid > 0 and process_alive(pid)


def fetch(cfg: Config, ledger: Ledger, schemas: SchemaSet, dry_run: bool = False) -> FetchReport:
    """Take every mail of the configured folder not taken before, then send the 回执 not yet sent."""
    from .send import deliver

    s = cfg.imap
    mailbox = f"{s.host}/{s.folder}"
    report = FetchReport(mailbox, dry_run=dry_run)
    with _FetchLock(cfg.folder, cfg.ledger.lock_wait_seconds, Ledger.on_wait):
        client = _connect(cfg)
        try:
            try:
                info = client.select_folder(s.folder, readonly=not s.move_to)
            except Exception as e:
                raise FetchError(f"收件邮箱中没有文件夹“{s.folder}”或无法打开：{e}") from None
            uidvalidity = int(info.get(b"UIDVALIDITY", 0))
            uids = sorted(client.search("ALL"))
            known = ledger.mail_places(mailbox, uidvalidity)
            todo = [u for u in uids if u not in known]
            report.already = len(uids) - len(todo)
            handled = []
            for uid in todo:
                data = client.fetch([uid], ["INTERNALDATE", "BODY.PEEK[]"]).get(uid, {})
                raw = data.get(b"BODY[]") or b""
                arrival = data.get(b"INTERNALDATE")
                if dry_run:  # what a real run would take: new by place, and not the same mail again
                    mid, sender, subject = describe(raw)
                    if not ledger.mail_known(mailbox, uidvalidity, uid, mid, hashlib.sha256(raw).hexdigest()):
                        report.waiting.append(f"{subject or '（无主题）'}（{sender or '发件人不明'}）")
                    continue
                try:
                    taken = take_message(cfg, ledger, schemas, raw, arrival, (mailbox, uidvalidity, uid))
                except OSError as e:  # the disk, not the mail: stop, nothing of this mail was kept
                    from ..atomic import os_reason

                    raise FetchError(f"无法保存收到的附件（{os_reason(e)}）。本封邮件未取，下次运行会再取。") from None
                except Exception as e:
                    note_failed(ledger, (mailbox, uidvalidity, uid), raw, arrival, problem_of(e))
                    continue
                if taken is not None:
                    report.messages.append(taken)
                else:  # the same mail under another UID (UIDVALIDITY changed, or forwarded again)
                    mid, sender, subject = describe(raw)
                    with ledger.transaction():
                        ledger.note_mail(mailbox, uidvalidity, uid, mid, sender, subject, None, "mail", "duplicate",
                                         {}, content_sha256=hashlib.sha256(raw).hexdigest())
                handled.append(uid)
            if s.move_to and handled and not dry_run:
                _move(client, handled, s.move_to)
        except FetchError:
            raise
        except Exception as e:  # the connection dropped part way: what was taken stands
            report.error = (f"与收件服务器的连接中断（{type(e).__name__}: {e}）。已取 {len(report.messages)} 封，"
                            "其余的下次运行会继续取，不会重复。")
        finally:
            try:
                client.logout()
            except Exception:
                pass
    report.failed = [failed_text(m) for m in ledger.failed_mails()]  # until the clerk dismisses them
    if not dry_run:
        pending = [m for m in (Outgoing(**d["reply"]) for d in ledger.mail_details() if d.get("reply"))
                   if not ledger.was_sent(m.key)]  # only what is still to go: an idle run says one line
        if pending:
            report.mail = deliver(cfg, ledger, pending)
    return report


def note_failed(ledger: Ledger, place: tuple[str, int, int], raw: bytes, arrival: dt.datetime | None,
                reason: str) -> None:
    """A mail that could not be taken, on record with its reason (listed on every run until the
    clerk dismisses it with `fetch --dismiss`)."""
    mid, sender, subject = describe(raw)
    with ledger.transaction():
        ledger.note_mail(*place, mid, sender, subject, arrival, "mail", "failed", {"error": reason},
                         content_sha256=hashlib.sha256(raw).hexdigest())


def failed_text(m: dict) -> str:
    when = f"{m['received_at'][:16].replace('T', ' ')} " if m.get("received_at") else ""
    return (f"[编号 {m['id']}] {when}{m['subject'] or '（无主题）'}（{m['sender'] or '发件人不明'}）："
            f"{m.get('error') or '无法处理'}")


def _move(client, uids: list[int], folder: str) -> None:
    if b"MOVE" in client.capabilities():
        client.move(uids, folder)
    else:
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted"])
        client.uid_expunge(uids) if b"UIDPLUS" in client.capabilities() else client.expunge()


# --- saved mail (.eml) ------------------------------------------------------------------------------


def take_eml(cfg: Config, ledger: Ledger, schemas: SchemaSet, paths: list[Path],
             period: Period | None = None) -> tuple[list[MailTaken], list[tuple[Path, str]]]:
    """Saved mails, for offices that export mail instead of granting IMAP access: the same
    taking, with the receipt time from the Received/Date headers, marked so, into `period` when
    the clerk names one. Returns the mails taken and those that could not be (with why)."""
    out, failed = [], []
    for path in paths:
        raw = path.read_bytes()
        uid = int(hashlib.sha256(raw).hexdigest()[:12], 16)
        try:
            taken = take_message(cfg, ledger, schemas, raw, None, ("eml", 0, uid), period=period)
        except OSError:
            raise
        except Exception as e:
            note_failed(ledger, ("eml", 0, uid), raw, None, problem_of(e))
            failed.append((path, problem_of(e)))
            continue
        if taken is not None:
            out.append(taken)
    return out, failed
