"""`safetyreport validate samples/…` reports exactly the documented flaws and nothing else."""

import json
from pathlib import Path

from conftest import ROOT, cli_json, run_process

SAMPLES = ROOT / "samples"


def _manifest():
    return json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))


def test_all_samples_report_exactly_the_manifest():
    code, report = cli_json("validate", str(SAMPLES))
    got = {Path(f["path"]).relative_to(SAMPLES).as_posix():
           sorted((x["code"], x["sheet"], x["cell"]) for x in f["findings"]) for f in report["files"]}
    expected = {k: sorted((x["code"], x["sheet"], x["cell"]) for x in v)
                for k, v in _manifest()["files"].items()}
    assert got == expected
    skipped = sorted(Path(s["path"]).relative_to(SAMPLES).as_posix() for s in report["skipped"])
    assert skipped == _manifest()["skipped"]
    assert code == 2  # the .et file cannot be read


def test_each_week_is_clean_and_covers_the_roster():
    for week in ("2021-09-16", "2021-09-23", "2021-09-30"):
        code, report = cli_json("validate", str(SAMPLES / week))
        assert code == 0, week
        assert not [f for file in report["files"] for f in file["findings"] if f["severity"] == "error"]
        assert len({f["submitter"] for f in report["files"]}) == 18
        forms = sorted(form for f in report["files"] for form in f["forms"] if form != "narrative")
        # 区委统战部 has no 重大隐患 and no enforcement: it sends 附件3 and 附件6 only (附件4 is for
        # units "认定为重大隐患的", 附件5 "根据执法检查工作开展情况")
        assert forms == sorted(["a3", "a4", "a5", "a6"] * 17 + ["a3", "a6"])
        narratives = [f["submitter"] for f in report["files"] if "narrative" in f["forms"]]
        assert len(narratives) == 15  # three units send no 工作情况 sheet


def test_a_flawed_file_exits_1_and_an_unreadable_one_exits_2():
    code, report = cli_json("validate", str(SAMPLES / "flawed" / "合计不符_开元街道.xlsx"))
    assert code == 1
    assert report["files"][0]["submitter"] == "开元街道"
    code, report = cli_json("validate", str(SAMPLES / "flawed" / "区城管局_2021-09-23.et"))
    assert code == 2
    assert "另存为" in report["files"][0]["findings"][0]["message"]


def test_samples_as_a_separate_process_never_traceback():
    proc = run_process("validate", str(SAMPLES))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "合计不符" in proc.stdout and "已跳过" in proc.stdout


def test_samples_are_reproducible(tmp_path):
    """The generator is deterministic: regenerating writes the same manifest."""
    import make_samples

    before = (SAMPLES / "manifest.json").read_text(encoding="utf-8")
    old_root = make_samples.ROOT
    make_samples.ROOT = tmp_path
    try:
        make_samples.main()
    finally:
        make_samples.ROOT = old_root
    assert (tmp_path / "samples" / "manifest.json").read_text(encoding="utf-8") == before


def test_the_conventions_of_real_filings_are_in_the_samples_and_raise_no_error():
    """Each way units really fill the forms (domain.md, last section; the forms' 注) is present in
    the shipped samples — read back, not taken on trust — and validates with no error."""
    from safetyreport.config import load_config
    from safetyreport.reading.reader import read_file
    from safetyreport.schema import load_schemas

    conventions = _manifest()["conventions_without_errors"]
    files = sorted({f for fs in conventions.values() for f in fs})
    code, report = cli_json("validate", *[str(SAMPLES / f) for f in files])
    errors = [(f["path"], f["code"]) for x in report["files"] for f in x["findings"] if f["severity"] == "error"]
    assert code == 0 and errors == []
    schemas, roster = load_schemas(), load_config(None).roster

    def forms(rel: str) -> dict:
        return {f.schema_id: f for f in read_file(SAMPLES / rel, schemas, roster).forms}

    truth = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))["a3"]["2021-09-30"]
    units = {rel.split("/")[1].split("_")[0] for rel in conventions["成员单位的重大隐患来自监督检查（附件3 第二个来源）"]}
    assert len(units) >= 3
    for unit in units:
        assert truth[unit]["cumulative"]["insp_found_major"] > 0 == truth[unit]["cumulative"]["found_major"], unit
    for rel in conventions["没有重大隐患和执法检查的单位不报附件4、附件5"]:
        assert sorted(forms(rel)) == ["a3", "a6", "narrative"]
    for rel in conventions["附件4、附件5 报一行“无”“暂无”"]:
        read = forms(rel)
        assert read["a4"].records == [] and read["a4"].none_rows and read["a5"].none_rows
    first, last = (forms(rel)["a4"] for rel in ("2021-09-16/开元街道_2021-09-16.xlsx",
                                                conventions["场所改名（开元寺 → 开元寺景区）"][-1]))
    assert "开元寺" in [r["place"].text for r in first.records]
    assert "开元寺" not in [r["place"].text for r in last.records]
    assert "开元寺景区" in [r["place"].text for r in last.records]
    fined = [n for r in forms(conventions["同一企业两周各被罚款一次"][-1])["a5"].records for n in r["fined"].value]
    assert any(fined.count(n) == 2 for n in fined)
    typed = {c.text for rel in conventions["数字格写“暂无”“零”“未发现”"] for f in forms(rel).values()
             for cells in f.table.values() for c in cells.values()}
    assert {"暂无", "零", "未发现"} & typed
