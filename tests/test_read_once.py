"""Issue 25: a file is read once. What `validate` read is kept (reading.cache) by the file's bytes
and name and by a fingerprint of the reading code, schemas and roster; `intake`/`merge` and a
second `validate` reuse it and give byte-identical output, and any change re-reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import cli

ROOT = Path(__file__).resolve().parents[1]
WEEK = ROOT / "samples" / "2021-09-16"


@pytest.fixture
def campaign(tmp_path):
    from safetyreport.shipped import builtin_config

    folder = tmp_path / "专项整治"
    folder.mkdir()
    (folder / "safetyreport.toml").write_text(builtin_config().read_text(encoding="utf-8"), encoding="utf-8")
    inbox = tmp_path / "2021-09-16"
    shutil.copytree(WEEK, inbox)
    return folder, inbox


def _json(*args: str) -> tuple[int, str]:
    code, out = cli(*args, "--json", "--jobs", "1")  # in this process: what is read can be counted
    return code, out


@pytest.fixture
def reads(monkeypatch):
    """Every file the reader opens, in this process."""
    import safetyreport.checking.validation as validation
    import safetyreport.ledger.intake as intake

    opened: list[str] = []
    for module in (validation, intake):
        real = module.read_file

        def counting(path, *args, _real=real, **kwargs):
            opened.append(Path(path).name)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(module, "read_file", counting)
    return opened


def test_validate_then_merge_reads_each_file_once_with_the_same_output(campaign, tmp_path, reads):
    folder, inbox = campaign
    cfg = str(folder / "safetyreport.toml")
    files = sorted(p.name for p in inbox.iterdir())
    code, first = _json("validate", str(inbox), "--config", cfg)
    assert sorted(reads) == files and (folder / ".safetyreport-reads.db").is_file()
    reads.clear()
    code2, again = _json("validate", str(inbox), "--config", cfg)
    assert reads == [] and (code2, again) == (code, first)  # nothing read again, the same report
    code, merged = _json("merge", str(inbox), "--period", "2021-09-16", "--new-ledger", "--out", str(tmp_path / "o1"),
                         "--config", cfg)
    assert reads == [] and code in (0, 1)
    # the same merge in a folder with no cache reads every file and says exactly the same
    other = tmp_path / "对照"
    shutil.copytree(folder, other, ignore=shutil.ignore_patterns(".safetyreport-reads.db", "safetyreport.db*"))
    code0, plain = _json("merge", str(inbox), "--period", "2021-09-16", "--new-ledger", "--out", str(tmp_path / "o2"),
                         "--config", str(other / "safetyreport.toml"))
    assert sorted(reads) == files
    assert code0 == code and plain == merged.replace(str(tmp_path / "o1"), str(tmp_path / "o2"))
    # and keeps the same in the ledger (every table, the stored forms and findings too) and in the workbooks
    from test_parallel import _cells, _ledger_dump

    assert _ledger_dump(folder / "safetyreport.db") == _ledger_dump(other / "safetyreport.db")
    books = [sorted((tmp_path / out).glob("*.xlsx")) for out in ("o1", "o2")]
    assert len(books[0]) == 2 and [_cells(b) for b in books[0]] == [_cells(b) for b in books[1]]


def test_the_forms_text_made_once_in_reading_is_the_ledgers_own(campaign, tmp_path, monkeypatch):
    """Each form's stored text is made once while reading (the read cache keeps it, the ledger
    stores it as it is); without a cache the ledger makes it itself: the same bytes either way."""
    from safetyreport.reading.cache import ReadCache
    from test_parallel import _ledger_dump

    folder, inbox = campaign
    cfg = str(folder / "safetyreport.toml")
    assert _json("validate", str(inbox), "--config", cfg)[0] in (0, 1)
    assert _json("merge", str(inbox), "--period", "2021-09-16", "--new-ledger", "--config", cfg)[0] in (0, 1)
    other = tmp_path / "无缓存"
    shutil.copytree(folder, other, ignore=shutil.ignore_patterns(".safetyreport-reads.db", "safetyreport.db*"))
    monkeypatch.setattr(ReadCache, "of", classmethod(lambda cls, cfg, schemas: None))
    assert _json("merge", str(inbox), "--period", "2021-09-16", "--new-ledger",
                 "--config", str(other / "safetyreport.toml"))[0] in (0, 1)
    assert not (other / ".safetyreport-reads.db").exists()
    assert _ledger_dump(folder / "safetyreport.db") == _ledger_dump(other / "safetyreport.db")


def test_a_changed_file_schema_or_roster_is_read_again(campaign, reads):
    folder, inbox = campaign
    toml = folder / "safetyreport.toml"
    _json("validate", str(inbox), "--config", str(toml))
    reads.clear()
    # new bytes under the same name: read again, and only that file
    one = sorted(inbox.iterdir())[0]
    other = sorted(inbox.iterdir())[1]
    one.write_bytes(other.read_bytes())
    _json("validate", str(inbox), "--config", str(toml))
    assert reads == [one.name]
    reads.clear()
    # the roster changes (a new alias): everything is read again under the new fingerprint
    text = toml.read_text(encoding="utf-8").replace('"开元街道办", "开元"]', '"开元街道办", "开元", "开元办"]', 1)
    assert text != toml.read_text(encoding="utf-8")
    toml.write_text(text, encoding="utf-8")
    code, _ = _json("validate", str(inbox), "--config", str(toml))
    assert code in (0, 1) and len(reads) == len(list(inbox.iterdir()))


def test_a_damaged_cache_is_set_aside_never_a_failure(campaign, reads):
    folder, inbox = campaign
    toml = str(folder / "safetyreport.toml")
    code, first = _json("validate", str(inbox), "--config", toml)
    (folder / ".safetyreport-reads.db").write_bytes(b"not a database at all" * 100)
    reads.clear()
    code2, again = _json("validate", str(inbox), "--config", toml)
    assert (code2, again) == (code, first) and len(reads) == len(list(inbox.iterdir()))


def test_a_unit_checking_its_own_file_leaves_nothing_behind(tmp_path, reads):
    """The built-in configuration (no campaign folder): no cache is written where the unit is."""
    code, out = cli("validate", str(WEEK / sorted(p.name for p in WEEK.iterdir())[0]), "--json", cwd=tmp_path)
    assert json.loads(out)["files"] and list(tmp_path.iterdir()) == []


def test_a_kept_read_that_does_not_decode_is_read_from_the_file(campaign, reads):
    """One damaged row (a disk error, a hand edit): that file is read again, the others are
    served, and the report is the same; the cache is then set aside."""
    import sqlite3

    folder, inbox = campaign
    toml = str(folder / "safetyreport.toml")
    code, first = _json("validate", str(inbox), "--config", toml)
    db = sqlite3.connect(folder / ".safetyreport-reads.db")
    with db:
        db.execute("UPDATE reads SET data = ? WHERE rowid = (SELECT MIN(rowid) FROM reads)", (b"\x78\x01garbage",))
    db.close()
    reads.clear()
    code2, again = _json("validate", str(inbox), "--config", toml)
    assert (code2, again) == (code, first)
    assert len(reads) == 1


def test_a_folder_is_listed_as_rglob_walks_it_without_a_stat_per_file(tmp_path):
    """collect_files lists from the directory entries (no system call per file: merge lists a
    week three times) and gives what the walk it replaced gave: rglob("*") minus folders, sorted,
    a link to a folder neither followed nor listed, hidden names and what is not a file kept apart."""
    import os

    from safetyreport.checking.validation import MAIL_SUFFIXES, collect_files
    from safetyreport.reading.grid import SPREADSHEET_SUFFIXES, WPS_SUFFIXES, is_lock_file

    root = tmp_path / "inbox"
    for rel in ("a.xlsx", "a.b/c.xls", "a/b.xlsx", "a/.hid/x.xlsx", "a/.h.xlsx", "~$a.xlsx", "note.txt",
                "deep/er/still/z.XLSX", "m.eml", "w.et"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "o.xlsx").write_bytes(b"x")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "broken.xlsx").symlink_to(tmp_path / "gone.xlsx")
    (root / "file-link.xlsx").symlink_to(root / "a.xlsx")
    os.mkfifo(root / "pipe.xlsx")

    def before(p: Path) -> tuple[list[str], list[str]]:  # the walk as it was written until issue 25
        files, skipped = [], []
        for child in sorted(x for x in p.rglob("*") if not x.is_dir()):
            if not child.is_file():
                skipped.append(f"special {child}")
            elif any(part.startswith(".") for part in child.relative_to(p).parts):
                skipped.append(f"hidden {child}")
            elif is_lock_file(child):
                skipped.append(f"lock {child}")
            elif child.suffix.lower() in SPREADSHEET_SUFFIXES | WPS_SUFFIXES | MAIL_SUFFIXES:
                files.append(str(child))
            else:
                skipped.append(f"other {child}")
        return files, skipped

    files, skipped = collect_files([root])
    kinds = {"不是普通": "special", "隐藏": "hidden", "锁文件": "lock", "不是电子": "other"}
    said = [f"{next(v for k, v in kinds.items() if k in s.reason)} {s.path}" for s in skipped]
    assert ([str(f) for f in files], said) == before(root)
    assert str(root / "a.b" / "c.xls") in map(str, files) and not any("o.xlsx" in str(f) for f in files)


def test_intake_of_kept_reads_takes_outlines_and_the_rules_across_forms_as_kept(tmp_path, monkeypatch):
    """After validate, merge takes each kept read in from its forms' outlines and the findings of
    the rules across its own forms kept with it (附件4/5 against 附件3: count, amount, 元 for 万元),
    decoding no form: the ledger, the findings and merge's report are those of a merge that read
    every file itself."""
    import json as jsonlib
    import sqlite3

    import safetyreport.reading.parallel as parallel
    from safetyreport.shipped import builtin_config
    from test_parallel import _ledger_dump

    inbox = tmp_path / "2021-09-23"
    shutil.copytree(ROOT / "samples" / "flawed", inbox)
    folders = []
    for name in ("先校验", "直接汇总"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "safetyreport.toml").write_text(builtin_config().read_text(encoding="utf-8"), encoding="utf-8")
        folders.append(folder)
    assert _json("validate", str(inbox), "--config", str(folders[0] / "safetyreport.toml"))[0] == 2
    decoded: list[str] = []
    real_loads = parallel.json.loads
    monkeypatch.setattr(parallel, "json", type("J", (), {"loads": staticmethod(
        lambda text: decoded.append(text) or real_loads(text))}))
    outputs = [_json("merge", str(inbox), "--period", "2021-09-23", "--new-ledger", "--out", str(tmp_path / f"o{k}"),
                     "--config", str(folder / "safetyreport.toml")) for k, folder in enumerate(folders)]
    assert decoded == []  # the kept reads' forms were never decoded, and the others were read from the files
    assert outputs[0][0] == outputs[1][0] == 1  # errors in filings (the workbooks made all the same)
    assert outputs[0][1] == outputs[1][1].replace(str(tmp_path / "o1"), str(tmp_path / "o0")).replace(
        str(folders[1]), str(folders[0]))
    with sqlite3.connect(folders[0] / "safetyreport.db") as db:
        codes = {code for (code,) in db.execute("SELECT code FROM findings")}
    assert {"count-mismatch", "amount-mismatch", "unit-slip-yuan"} <= codes
    assert jsonlib.loads(outputs[0][1])  # one JSON document
    assert _ledger_dump(folders[0] / "safetyreport.db") == _ledger_dump(folders[1] / "safetyreport.db")


def test_forms_sent_apart_are_judged_together_from_kept_reads(tmp_path):
    """validate keeps each read as an outline (its values in the kept read): a unit that sends its
    附件3 in one file and 附件4–6 in another is still judged across the two (附件4's count against
    附件3's) — on a cold read, from the read cache, and as without any cache."""
    import openpyxl

    from safetyreport.shipped import builtin_config

    week = tmp_path / "2021-09-23"
    week.mkdir()
    for name, keep_sheets in (("开元街道_附件3.xlsx", {"附件3"}), ("开元街道_附件4-6.xlsx", {"附件4", "附件5", "附件6"})):
        wb = openpyxl.load_workbook(ROOT / "samples" / "flawed" / "状态无法识别_开元街道.xlsx")
        for ws in list(wb.worksheets):
            if ws.title not in keep_sheets:
                wb.remove(ws)
        wb.save(week / name)
    shutil.copy(ROOT / "samples" / "flawed" / "合计不符_开元街道.xlsx", week / "另一单位_鲤中街道.xlsx")
    shutil.copy(ROOT / "samples" / "flawed" / "表尾不全_临江街道.xlsx", week / "临江街道.xlsx")
    folders = [tmp_path / "活动", tmp_path / "多核"]
    for folder in folders:
        folder.mkdir()
        (folder / "safetyreport.toml").write_text(builtin_config().read_text(encoding="utf-8"), encoding="utf-8")
    cold = _json("validate", str(week), "--config", str(folders[0] / "safetyreport.toml"))
    kept = _json("validate", str(week), "--config", str(folders[0] / "safetyreport.toml"))
    plain = _json("validate", str(week))  # the built-in configuration: no read cache
    # read by worker processes, which send each read as the cache keeps it; then from the cache
    pooled = [cli("validate", str(week), "--config", str(folders[1] / "safetyreport.toml"), "--json", "--jobs", "2")
              for _ in range(2)]
    assert (folders[0] / ".safetyreport-reads.db").is_file()
    assert cold == kept == plain == pooled[0] == pooled[1]
    by_file = {f["path"].rsplit("/", 1)[1]: [x["code"] for x in f["findings"]] for f in json.loads(cold[1])["files"]}
    assert "count-mismatch" in by_file["开元街道_附件4-6.xlsx"] and "count-mismatch" not in by_file["开元街道_附件3.xlsx"]
