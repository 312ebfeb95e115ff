"""Issue 20: the shipped example campaign (campaigns/文旅安全专班整改, seed 002's 反馈问题整改 list,
"每15天为一个工作节点"), run end to end as a clerk would: init from its folder, blank forms,
validate, intake, merge, status, the 简报, export. Its filings (scripts/make_campaign_samples.py)
are written by openpyxl and xlsxwriter the way units fill them: a 自查问题 merged down over its
measures, 完成时限 as "10月30日前完成" or "长期坚持", 完成情况 in their own words, a 无 row."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import cli_json

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = ROOT / "campaigns" / "文旅安全专班整改"
SAMPLES = CAMPAIGN / "samples"


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "专班"
    code, out = cli_json("init", str(target), "--campaign", CAMPAIGN.name)  # a shipped campaign, by its name
    assert code == 0, out
    assert (target / "safetyreport.toml").read_bytes() == (CAMPAIGN / "safetyreport.toml").read_bytes()
    return target


def test_campaigns_are_folders_the_built_in_one_too(tmp_path):
    """The built-in campaign is a shipped folder like any other (campaigns/DEFAULT names it): init
    writes its configuration, its schemas and templates are data; an unknown name is told, with the
    names there are."""
    from safetyreport.shipped import builtin_campaign

    assert builtin_campaign().parent == CAMPAIGN.parent and (builtin_campaign() / "schemas" / "a3.toml").is_file()
    code, out = cli_json("init", str(tmp_path / "默认"))
    assert code == 0, out
    assert (tmp_path / "默认" / "safetyreport.toml").read_bytes() == (builtin_campaign() / "safetyreport.toml").read_bytes()
    code, out = cli_json("init", str(tmp_path / "x"), "--campaign", "没有这个活动")
    assert code == 2 and CAMPAIGN.name in out["error"]["message"] and builtin_campaign().name in out["error"]["message"]


def test_the_example_campaigns_forms_and_filings_are_read_as_written(folder, tmp_path):
    code, out = cli_json("forms", "--period", "第2期", "--out", str(tmp_path / "空白表"), "--config", str(folder))
    assert code == 0, out
    assert len(out["files"]) == 4  # one blank form per member unit
    code, report = cli_json("validate", str(SAMPLES / "2023-10-15"), "--config", str(folder))
    assert code == 0, report
    read = {Path(f["path"]).name: (f["submitter"], f["findings"]) for f in report["files"]}
    assert read == {"兴县文化和旅游局_第1期.xlsx": ("兴县文化和旅游局", []), "县公安局整改进度.xlsx": ("兴县公安局", []),
                    "市场监管局.xlsx": ("兴县市场监督管理局", [])}


def test_two_nodes_of_the_example_campaign(folder):
    cfg = str(folder)
    code, first = cli_json("merge", str(SAMPLES / "2023-10-15"), "--received-at", "2023-10-13 10:00", "--config", cfg)
    assert code == 0, first
    assert first["period"]["label"] == "第1期（10月13日）"  # 10月15日 a Sunday: due the Friday before
    status = {s["name"]: s["status"] for s in first["submitters"]}
    assert status == {"兴县文化和旅游局": "filed", "兴县公安局": "filed", "兴县应急管理局": "missing",
                      "兴县市场监督管理局": "filed"}  # 市场监管局's 无 row: filed, nothing to list
    records = first["lists"]["rectification"]
    assert [(r["submitter"], r["values"]["status"], r["values"]["deadline"]) for r in records] == [
        ("兴县文化和旅游局", "open", "--10-30"), ("兴县文化和旅游局", "open", "长期坚持"),
        ("兴县文化和旅游局", "not_started", "--11-20"), ("兴县文化和旅游局", "not_started", "--12-20"),
        ("兴县公安局", "open", "--09-30"), ("兴县公安局", "closed", "2023-10-10")]
    # the merged 自查问题 is every measure's problem
    assert {r["values"]["problem"] for r in records[:4]} == {"落实行业监督责任有差距，督促企业落实主体责任有短板。"}
    overdue = [f for f in first["findings"] if f["code"] == "overdue"]
    assert len(overdue) == 1 and "2023年9月30日" in overdue[0]["message"] and "整改进度" in overdue[0]["path"]

    code, second = cli_json("merge", str(SAMPLES / "2023-10-30"), "--received-at", "2023-10-30 10:00", "--config", cfg)
    status = {s["name"]: s["status"] for s in second["submitters"]}
    assert status == {"兴县文化和旅游局": "filed", "兴县公安局": "carried", "兴县应急管理局": "filed",
                      "兴县市场监督管理局": "carried"}
    # 市场监管局 sent the very same 无 file again: it stays in 第1期, and the clerk is told
    same = next(t for t in second["taken"] if t["path"].endswith("市场监管局.xlsx"))
    assert same["period"] == "2023-10-15" and same["named_elsewhere"] == "第2期（10月30日）"
    assert any("内容完全相同" in w for w in second["warnings"])
    code, out = cli_json("report", "weekly", "--period", "2023-10-30", "--config", cfg)
    assert code == 0, out
    rect = out["briefing"]["lists"][0]
    assert (rect["total"], rect["new"], rect["closed"], rect["open"], len(rect["overdue"])) == (7, 1, 2, 5, 1)
    assert [c["unit"] for c in rect["closed_now"]] == ["兴县文化和旅游局"]
    code, st = cli_json("status", "--period", "2023-10-30", "--config", cfg)
    assert code == 1 and [r["name"] for r in st["submitters"] if "missing" in r["codes"]] == ["兴县公安局", "兴县市场监督管理局"]
    code, out = cli_json("export", "--format", "csv", "--out", str(folder / "导出"), "--config", cfg)
    assert code == 0 and any("组织开展重大事故隐患交叉互检执法行动" in Path(f).read_text(encoding="utf-8-sig")
                             for f in out["files"])


def test_a_listed_measure_stays_listed_and_done_stays_done(folder, tmp_path):
    """The campaign's list is kept until closed (kept_until_closed): the third node's filing that
    drops a measure and turns a finished one back to 正在整改 gets both said, with the unit's words."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import make_campaign_samples as m

    cfg = str(folder)
    cli_json("merge", str(SAMPLES / "2023-10-15"), "--received-at", "2023-10-13 10:00", "--config", cfg)
    cli_json("merge", str(SAMPLES / "2023-10-30"), "--received-at", "2023-10-30 10:00", "--config", cfg)
    third = tmp_path / "2023-11-14"
    third.mkdir()
    rows = [m.CULTURE_2[0][:3] + ("正在整改",), *m.CULTURE_2[1:3]]  # measure 1 reopened, measure 4 gone
    m._openpyxl(third / "文旅局_第3期.xlsx", "兴县文化和旅游局", m.PROBLEM, rows)
    code, merged = cli_json("merge", str(third), "--received-at", "2023-11-14 09:00", "--config", cfg)
    found = {f["code"]: f["message"] for f in merged["findings"] if f["code"] in ("hazard-disappeared", "status-reverted")}
    assert code == 1 and set(found) == {"hazard-disappeared", "status-reverted"}
    assert "整改事项" in found["hazard-disappeared"] and "组织开展文化旅游领域安全隐患专项排查整治行动" in found["hazard-disappeared"]
    assert "本期又填为“正在整改”" in found["status-reverted"]
