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
