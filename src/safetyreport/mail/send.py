"""Building and sending the e-mails: the 迟报/错报/漏报 list for the 综合协调组, notices to the
submitters concerned, and reminders (催报) before a deadline. Decides nobody's status: it gets a
StatusReport. Every message is plain text plus HTML, with encoded UTF-8 headers; what was sent is
recorded in the ledger so a re-run sends nothing twice; a failed send is retried, then reported,
and never recorded as sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import os
import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ..config import Config
from ..errors import UserError
from ..ledger.status import STATUS_LABELS, StatusReport
from ..ledger.store import Ledger
from ..values import neutral


class MailError(UserError):
    """Sending failed after every retry; the message is Chinese."""

    kind = "mail"


@dataclass
class Outgoing:
    kind: str  # "status" | "notice" | "remind"
    period: str
    to: list[str]
    subject: str
    text: str
    html: str
    slot: str = ""  # distinguishes deliberate repeats (the day-before and the morning reminders)
    in_reply_to: str = ""  # a 回执: the Message-ID it answers (its key: one reply per message)

    @property
    def key(self) -> str:
        if self.in_reply_to:
            return f"reply|{self.in_reply_to}"
        digest = hashlib.sha256((self.subject + self.text).encode()).hexdigest()[:16]
        return f"{self.kind}|{self.period}|{','.join(sorted(self.to))}|{self.slot}|{digest}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "period": self.period, "to": self.to, "subject": self.subject,
                "text": self.text}

    def stored(self) -> dict:
        """Everything needed to send it later (a 回执 that failed is retried on the next run)."""
        return {**self.__dict__}


@dataclass
class MailOutcome:
    sent: list[Outgoing] = field(default_factory=list)
    skipped: list[Outgoing] = field(default_factory=list)  # sent before: not again
    planned: list[Outgoing] = field(default_factory=list)  # --dry-run
    unsent: list[Outgoing] = field(default_factory=list)  # not sent because sending failed
    # a run died while sending these: perhaps sent; never sent again until the clerk says (check)
    unconfirmed: list[Outgoing] = field(default_factory=list)
    error: str = ""  # why sending failed, in Chinese (exit code 2); the rest of the run stands

    def to_dict(self) -> dict:
        return {"sent": [m.to_dict() for m in self.sent], "already_sent": [m.to_dict() for m in self.skipped],
                "dry_run": [m.to_dict() for m in self.planned], "unsent": [m.to_dict() for m in self.unsent],
                "unconfirmed": [m.to_dict() for m in self.unconfirmed], "error": self.error or None}


def _one_line(text: str) -> str:
    """Header text can never carry a line break (no header injection from a name)."""
    return " ".join(neutral(text).split())


def _html_page(title: str, paragraphs: list[str], rows: list[list[str]] | None = None,
               head: list[str] | None = None) -> str:
    e = html.escape
    parts = [f"<html><body><h3>{e(title)}</h3>"] + [f"<p>{e(p)}</p>" for p in paragraphs]
    if rows:
        parts.append('<table border="1" cellspacing="0" cellpadding="4">')
        parts.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in head or []) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def status_messages(cfg: Config, report: StatusReport, notify_submitters: bool = False) -> list[Outgoing]:
    """(a) the list for the 综合协调组; (b) optionally one notice to each submitter concerned.
    A 迟报 resting only on a guessed receipt time is listed apart, as 待核实, and no unit is told
    it was late on such a guess."""
    p = report.period
    bad = [r for r in report.rows if not r.on_time]
    firm = [r for r in bad if r.codes != ["late_unverified"]]
    doubtful = [r for r in bad if r.codes == ["late_unverified"]]
    deadline = f"{p.deadline:%Y-%m-%d %H:%M}"

    def row(r) -> list[str]:  # one line each: a file name or a quoted cell never starts a line of its own
        return [neutral(x) for x in (r.submitter.name, r.text, f"{r.first_received:%Y-%m-%d %H:%M}"
                                     if r.first_received else "未收到", r.reasons(report.form_labels))]

    rows = [row(r) for r in firm]
    title = f"{cfg.campaign.name}{p.label}报表报送情况"
    lines = [f"截止时间：{deadline}（北京时间）", report.summary, f"错报认定：{report.wrong_rule}"]
    text_lines = list(lines)
    if firm:
        text_lines.append("以下单位迟报、错报或漏报，请综合协调组按规定通报：")
        text_lines += [f"- {a}：{b}；收到时间 {c}；{d}" for a, b, c, d in rows]
    else:
        text_lines.append("没有迟报、错报、漏报的单位。")
    if doubtful:
        note = "以下单位的迟报仅依据文件修改时间等无法确认的时间，请信息宣传组核实实际收件时间后再通报："
        text_lines.append(note)
        text_lines += [f"- {a}：{b}；收到时间 {c}；{d}" for a, b, c, d in (row(r) for r in doubtful)]
        lines.append(note + "、".join(r.submitter.name for r in doubtful))
    subject = f"【报送情况】{title}" + (f"（迟报错报漏报 {len(firm)} 个单位）" if firm else "（全部按时）"
                                      if not doubtful else f"（{len(doubtful)} 个单位迟报待核实）")
    out = [Outgoing("status", p.key, [cfg.office_contacts.coordination_group_email], subject,
                    "\n".join(text_lines), _html_page(title, lines, rows + [row(r) for r in doubtful],
                                                      ["单位", "情况", "收到时间", "说明"]))]
    if notify_submitters:
        for r in firm:
            if not r.submitter.email:
                continue
            verdict = "、".join(STATUS_LABELS[c] for c in r.codes if c != "late_unverified")
            body = [f"{r.submitter.name}：", f"贵单位{p.label}的专项整治报表情况为：{verdict}。",
                    neutral(r.reasons(report.form_labels)) + "。", f"报送截止时间为 {deadline}（北京时间）。",
                    f"错报认定：{report.wrong_rule}",
                    "请尽快报送或更正，并在报送前用 safetyreport validate 自查。", cfg.campaign.office]
            out.append(Outgoing("notice", p.key, [r.submitter.email],
                                f"【{verdict}】{cfg.campaign.name}{p.label}报表", "\n".join(body),
                                _html_page(f"{p.label}报表{verdict}", body)))
    return out


def reminder_messages(cfg: Config, report: StatusReport, slot: str, at: dt.datetime | None = None) -> list[Outgoing]:
    """(c) 催报 before a deadline: only to submitters with a required form still missing. A form
    whose own deadline has passed by `at` (a quarterly table due before the period's list) is
    asked for at once, not by a date already gone."""
    p = report.period
    out = []
    for r in report.rows:
        if not r.missing_forms or not r.submitter.email:
            continue
        # a form on a rhythm of its own is due at its own time (统计表 9月23日, 清单 9月28日)
        due = {f: report.form_deadlines.get(f, p.deadline) for f in r.missing_forms}
        missing = "、".join(report.form_labels.get(f, f) + _when_due(d, p.deadline, at) for f, d in due.items())
        ahead = [d for d in due.values() if at is None or d > at]
        first = min(ahead) if ahead else None
        body = [f"{r.submitter.name}：", f"{cfg.campaign.name}{p.label}的报表截止时间为 "
                f"{p.deadline:%Y-%m-%d %H:%M}（北京时间），贵单位尚未报送：{missing}。",
                "请按时报送，并在报送前用 safetyreport validate 自查。", cfg.campaign.office]
        out.append(Outgoing("remind", p.key, [r.submitter.email],
                            f"【催报】{cfg.campaign.name}{p.label}报表" + (f"请于 {first:%m月%d日 %H:%M} 前报送" if first
                                                                         else "已过截止时间，请尽快报送"),
                            "\n".join(body), _html_page(f"{p.label}报表催报", body), slot=slot))
    return out


def _when_due(due: dt.datetime, period_due: dt.datetime, at: dt.datetime | None) -> str:
    """A form's own deadline beside its name, when it has one: 前 it, or already passed."""
    if at is not None and due <= at:
        return f"（{due:%m月%d日 %H:%M}已截止，请尽快报送）"
    return f"（{due:%m月%d日 %H:%M}前）" if due != period_due else ""


def build(cfg: Config, message: Outgoing) -> EmailMessage:
    """The message as sent: a unit's text in it (file names, quoted cells) can carry no control
    character or bidi override into the mail, and no line break into a header."""
    msg = EmailMessage()
    msg["Subject"] = _one_line(message.subject)
    msg["From"] = _one_line(cfg.smtp.sender)
    msg["To"] = ", ".join(_one_line(t) for t in message.to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=_domain(cfg.smtp.sender))
    if message.in_reply_to:  # the 回执 threads under the unit's own mail
        msg["In-Reply-To"] = _one_line(message.in_reply_to)
        msg["References"] = _one_line(message.in_reply_to)
    # RFC 3834: no auto-responder answers us, so no mail loop (a 回执 answers a mail; the rest are generated)
    msg["Auto-Submitted"] = "auto-replied" if message.kind == "reply" else "auto-generated"
    msg.set_content(neutral(message.text, keep_newlines=True))
    msg.add_alternative(neutral(message.html, keep_newlines=True), subtype="html")
    return msg


def _domain(sender: str) -> str:
    """The sender's own domain for Message-ID (mail servers score a foreign one as spam)."""
    m = re.search(r"@([A-Za-z0-9.-]+)", sender)
    return m.group(1) if m else "safetyreport.local"


def deliver(cfg: Config, ledger: Ledger, messages: list[Outgoing], dry_run: bool = False) -> MailOutcome:
    """Send what has not been sent; record each message only after the server accepted it. When
    sending fails (after the retries), the messages not yet sent are listed with the reason and
    nothing else of the run is lost; the next run sends them."""
    outcome = MailOutcome()
    todo = [m for m in messages if all(m.to)]
    if dry_run:
        outcome.skipped = [m for m in todo if ledger.was_sent(m.key)]
        outcome.planned = [m for m in todo if not ledger.was_sent(m.key)]
        return outcome
    for i, m in enumerate(todo):
        # claimed under the ledger's lock, sent without it, confirmed under it: two overlapping runs
        # (cron and a clerk, status and remind) never send one message twice, a slow mail server
        # never holds up the other commands, and a run killed while sending leaves a claim that
        # stops the message from going twice and shows it to the clerk
        state = ledger.claim_mail(m.key, m.kind, m.period, ",".join(m.to), m.subject)
        if state in ("sent", "busy"):
            outcome.skipped.append(m)
            continue
        if state == "unconfirmed":
            outcome.unconfirmed.append(m)
            continue
        try:
            _send_with_retry(cfg, build(cfg, m))
        except MailError as e:
            ledger.release_mail(m.key)
            outcome.error = str(e)
            outcome.unsent = [x for x in todo[i:] if not ledger.was_sent(x.key)]
            break
        ledger.confirm_mail(m.key, m.kind, m.period, ",".join(m.to), m.subject)
        outcome.sent.append(m)
    return outcome


def why_not_sent(cfg: Config, e: Exception) -> str:
    """What went wrong with the mail server, in words a clerk can act on."""
    s = cfg.smtp
    where = f"{s.host}:{s.port}"
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return f"发信服务器 {where} 拒绝了用户名或密码（用户 {s.user}）；请检查环境变量 {s.password_env}"
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return f"发信服务器拒绝了收件人：{'、'.join(e.recipients)}"
    if isinstance(e, smtplib.SMTPSenderRefused):
        return f"发信服务器拒绝了发件人 {s.sender}"
    if isinstance(e, ConnectionRefusedError):
        return f"无法连接发信服务器 {where}（连接被拒绝：服务器没有运行，或端口不对）"
    if isinstance(e, socket.gaierror):
        return f"找不到发信服务器 {s.host}（请检查 [smtp] host）"
    if isinstance(e, (TimeoutError, socket.timeout)):
        return f"连接发信服务器 {where} 超时（{s.timeout:g} 秒）"
    if isinstance(e, ssl.SSLError):
        return f"与发信服务器 {where} 建立加密连接失败（请检查 [smtp] tls 是否为 {s.tls}）：{e.reason or e}"
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return f"发信服务器 {where} 不支持所配置的方式（{s.tls}）"
    if isinstance(e, smtplib.SMTPException):
        return f"发信服务器 {where} 返回错误：{e}"
    return f"{type(e).__name__}: {e}"


def _send_with_retry(cfg: Config, msg: EmailMessage) -> None:
    s = cfg.smtp
    if s.user and not os.environ.get(s.password_env):
        raise MailError(f"邮件未发送：已配置发信用户 {s.user}，但没有设置环境变量 {s.password_env}（发信密码）。")
    wait = s.retry_wait
    last = ""
    for attempt in range(1, max(1, s.retries) + 1):
        try:
            _send(cfg, msg)
            return
        except (OSError, smtplib.SMTPException) as e:
            last = why_not_sent(cfg, e)
            if isinstance(e, (smtplib.SMTPAuthenticationError, smtplib.SMTPRecipientsRefused)):
                break  # trying again will not help
            if attempt < s.retries:
                time.sleep(wait)
                wait *= 2
    raise MailError(f"邮件发送失败：{last}。已尝试 {s.retries} 次；未发出的邮件没有记为已发送，下次运行会再发。")


def _send(cfg: Config, msg: EmailMessage) -> None:
    s = cfg.smtp
    password = os.environ.get(s.password_env, "")
    context = ssl.create_default_context()
    if s.tls == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
    else:
        server = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
    with server:
        if s.tls == "starttls":
            server.starttls(context=context)
        if s.user:
            server.login(s.user, password)
        server.send_message(msg)
