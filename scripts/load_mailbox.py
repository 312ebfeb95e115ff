"""Put the shipped sample weeks into an IMAP mailbox, one mail per unit per week, each arriving
at the time samples/manifest.json gives ("receipts"), so `safetyreport fetch` can be tried
end to end:

    pip install pymap
    pymap --host 127.0.0.1 --port 1143 --no-tls dict --demo-user 收件 --demo-password pw &
    python scripts/load_mailbox.py --port 1143 --user 收件 --password pw

then in a campaign folder set [imap] host = "127.0.0.1", port = 1143, tls = "none", user = "收件",
and run SAFETYREPORT_IMAP_PASSWORD=pw safetyreport fetch. The tests use `sample_mails` below.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from safetyreport.config import load_config

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
XLS = ("application", "vnd.ms-excel")


def unit_mail(sender: str, subject: str, files: list[Path], sent: dt.datetime) -> bytes:
    """A mail as a unit's clerk sends it: a short note and the forms attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "鲤城区整治联席办 <zzlxb@example.invalid>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1].strip(">") or "example.invalid")
    msg.set_content("您好，附件是本周的专项整治报表，请查收。")
    for path in files:
        maintype, subtype = XLS if path.suffix.lower() == ".xls" else XLSX
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg.as_bytes()


def sample_mails(samples: Path = ROOT / "samples") -> list[tuple[bytes, dt.datetime, str, str]]:
    """(raw mail, arrival time, unit, week) for every unit and week of the samples."""
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    roster = load_config(None).roster
    out = []
    for week, times in sorted(manifest["receipts"].items()):
        by_unit: dict[str, list[Path]] = {}
        for path in sorted((samples / week).iterdir()):
            unit = roster.match(path.stem)
            if unit is not None:
                by_unit.setdefault(unit.name, []).append(path)
        for unit in roster:
            if unit.name not in by_unit:
                continue
            arrival = dt.datetime.fromisoformat(times[unit.name])
            sent = arrival - dt.timedelta(minutes=2)  # the sender's clock, a little before arrival
            raw = unit_mail(f"{unit.name} <{unit.emails[0]}>", f"{unit.name}{week}专项整治报表",
                            by_unit[unit.name], sent)
            out.append((raw, arrival, unit.name, week))
    return out


def load(host: str, port: int, user: str, password: str, folder: str = "INBOX") -> int:
    from imapclient import IMAPClient

    client = IMAPClient(host, port=port, ssl=False, timeout=30)
    client.login(user, password)
    n = 0
    for raw, arrival, _, _ in sample_mails():
        client.append(folder, raw, flags=[], msg_time=arrival)
        n += 1
    client.logout()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1143)
    ap.add_argument("--user", default="demouser")
    ap.add_argument("--password", default="demopass")
    args = ap.parse_args()
    print(f"已放入 {load(args.host, args.port, args.user, args.password)} 封邮件")


if __name__ == "__main__":
    main()
