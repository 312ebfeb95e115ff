"""`safetyreport merge` on the ledger: district totals without double counting, checked against
the generator's ground truth, through the CLI and a second reader (python-calamine)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from conftest import ROOT, SCHEMAS, cli, cli_json, consistent_filing, expected_totals, filing_where, write
from safetyreport.config import load_config
from safetyreport.ledger.intake import Arrival, take_in
from safetyreport.ledger.merge import merge_period
from safetyreport.ledger.store import MIGRATIONS, Ledger
from safetyreport.periods import parse_period
from safetyreport.workflow import init_job

SAMPLES = ROOT / "samples"
TRUTH = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))["a3"]
KEYS = [c.key for c in SCHEMAS["a3"].columns]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    code, out = cli("demo", str(folder))
    assert code == 0, out
    return folder


def _sheet(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_demo_workbook_equals_the_sum_of_the_inputs_cell_by_cell(demo):
    """Read back with calamine (not openpyxl): every submitter's pair and the 合计 pair."""
    rows = _sheet(demo / "输出" / "鲤城区专项整治汇总_2021-09-30.xlsx", "附件3汇总")
    truth = TRUTH["2021-09-30"]
    by_name: dict[str, dict[str, list]] = {}
    current = None
    for row in rows[4:]:
        if row[1] == "累计数":
            current = row[0]
            by_name[current] = {"cumulative": row[2:2 + len(KEYS)]}
        elif row[1] == "当周数" and current:
            by_name[current]["weekly"] = row[2:2 + len(KEYS)]
    assert set(by_name) == {"合计", *truth}
    for name, figures in truth.items():
        for row in ("cumulative", "weekly"):
            assert by_name[name][row] == pytest.approx([figures[row][k] for k in KEYS]), (name, row)
    for row in ("cumulative", "weekly"):
        expected = expected_totals(truth, row)
        assert by_name["合计"][row] == pytest.approx([expected[k] for k in KEYS]), row


def test_merge_json_matches_the_workbook_and_is_byte_identical_when_rerun(demo):
    cfg = demo / "safetyreport.toml"
    code1, out1 = cli("merge", "--period", "2021-09-23", "--config", str(cfg), "--json")
    code2, out2 = cli("merge", "--period", "2021-09-23", "--config", str(cfg), "--json")
    assert out1 == out2
    data = json.loads(out1)
    truth = TRUTH["2021-09-23"]
    assert data["totals"]["cumulative"] == pytest.approx(expected_totals(truth, "cumulative"))
    assert data["totals"]["weekly"] == pytest.approx(expected_totals(truth, "weekly"))
    assert data["totals"]["weekly_submitters"] == 18
    assert {s["name"]: s["status"] for s in data["submitters"]} == {n: "filed" for n in truth}
    assert data["period"]["label"] == "第2周（9月23日）"


def test_district_filing_is_a_valid_submission_for_the_city(demo, tmp_path):
    """Up the hierarchy: the district's own filing validates like any other, under a city roster."""
    filing = demo / "输出" / "鲤城区_2021-09-30.xlsx"
    city = _city_config(tmp_path, ["鲤城区", "丰泽区"])
    code, report = cli_json("validate", str(filing), "--config", str(city))
    assert code == 0, report
    assert report["files"][0]["submitter"] == "鲤城区"
    assert sorted(report["files"][0]["forms"]) == ["a3", "a4", "a5", "a6"]


def _city_config(folder: Path, districts: list[str]) -> Path:
    init_job(folder)
    path = folder / "safetyreport.toml"
    text = path.read_text(encoding="utf-8")
    head = text[: text.index("[[submitters]]")].replace('district = "鲤城区"', 'district = "泉州市"')
    subs = "".join(f'\n[[submitters]]\nname = "{d}"\nkind = "district"\naliases = []\nemail = ""\n' for d in districts)
    path.write_text(head + subs, encoding="utf-8")
    return path


def test_city_merges_two_districts(tmp_path):
    """Two districts run this tool; the city merges their district filings like any submission."""
    outputs = []
    for name, seed in (("鲤城区", "a"), ("丰泽区", "b")):
        folder = tmp_path / name
        inbox = folder / "2021-09-23"
        inbox.mkdir(parents=True)
        init_job(folder)
        cfg = folder / "safetyreport.toml"
        cfg.write_text(cfg.read_text(encoding="utf-8").replace('district = "鲤城区"', f'district = "{name}"'),
                       encoding="utf-8")
        for i, sub in enumerate(("开元街道", "区文旅局")):
            _, _, _, layouts = consistent_filing(sub, 2, seed=f"{seed}{i}")
            write(layouts, inbox / sub)
        code, data = cli_json("merge", str(inbox), "--period", "2021-09-23", "--config", str(cfg))
        assert code == 0
        outputs.append((data, Path(data["outputs"]["district_filing"])))
    city = tmp_path / "city"
    cfg = _city_config(city, ["鲤城区", "丰泽区"])
    inbox = city / "2021-09-23"
    inbox.mkdir()
    for _, path in outputs:
        shutil.copy(path, inbox / path.name)
    code, data = cli_json("merge", str(inbox), "--period", "2021-09-23", "--config", str(cfg))
    assert code == 0, data["findings"]
    for row in ("cumulative", "weekly"):
        expected = {k: outputs[0][0]["totals"][row][k] + outputs[1][0]["totals"][row][k] for k in KEYS}
        assert data["totals"][row] == pytest.approx(expected)
    assert data["list_counts"]["a4"]["records"] == sum(o[0]["list_counts"]["a4"]["records"] for o in outputs)


# --- the ledger's rules of counting -------------------------------------------------------------


class Campaign:
    """A campaign folder with its config and ledger, driven through the library."""

    def __init__(self, folder: Path):
        init_job(folder)
        self.folder = folder
        self.cfg = load_config(folder / "safetyreport.toml")

    def take(self, path: Path, period: str, when: str):
        import datetime as dt

        with Ledger(self.folder) as ledger:
            came = Arrival(period=parse_period(self.cfg, period), received_at=dt.datetime.fromisoformat(when))
            return take_in([path], self.cfg, ledger, SCHEMAS, came)

    def merge(self, period: str):
        with Ledger(self.folder) as ledger:
            return merge_period(self.cfg, ledger, parse_period(self.cfg, period), SCHEMAS)


def _weeks(name: str, seed: str, weeks: int = 2):
    """Consistent filings for weeks 1..n of one submitter (each week's layouts)."""
    return [consistent_filing(name, w, seed=seed) for w in range(1, weeks + 1)]


def _files(tmp: Path, names=("开元街道", "鲤中街道", "区文旅局")):
    out = []
    for name in names:
        for w, (fig, _fac, _u, layouts) in enumerate(_weeks(name, name), start=1):
            out.append((write(layouts, tmp / f"{name}_w{w}"), f"2021-09-{9 + 7 * w}", fig))
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(list(range(8))))
def test_any_order_of_intake_gives_identical_totals(order, tmp_path):
    base = tmp_path / "files"
    if not base.exists():
        base.mkdir()
        files = _files(base)
        # a correction received later, and the same bytes under another name
        fig, fac, u, layouts = consistent_filing("开元街道", 2, seed="开元街道")
        a3 = layouts[0]
        a3.cells[a3.data_cells[("weekly", "inspectors")]] = fig["weekly"]["inspectors"] - 1
        a3.cells[a3.data_cells[("cumulative", "inspectors")]] = fig["cumulative"]["inspectors"] - 1
        files.append((write(layouts, base / "开元街道_w2_更正"), "2021-09-23", None))
        copy = base / "开元街道_w1_副本.xlsx"
        shutil.copy(files[0][0], copy)
        files.append((copy, "2021-09-16", None))
        (base / "files.json").write_text(json.dumps([(str(p), per) for p, per, _ in files]), encoding="utf-8")
    files = json.loads((base / "files.json").read_text(encoding="utf-8"))
    times = {i: f"{per}T{9 + i % 3:02d}:{i:02d}:00" for i, (_, per) in enumerate(files)}
    times[6] = "2021-09-23T11:30:00"  # the correction arrives after the original (09:xx)
    with tempfile.TemporaryDirectory() as d:
        camp = Campaign(Path(d))
        for i in order:
            camp.take(Path(files[i][0]), files[i][1], times[i])
        result = camp.merge("2021-09-23").to_dict()
    result.pop("unidentified")
    for s in result["submitters"]:  # filing ids depend on the order; everything else must not
        s["forms"] = {k: {kk: vv for kk, vv in v.items() if kk != "filing_id"} for k, v in s["forms"].items()}
        s["superseded"] = sorted(x["file"] for x in s["superseded"])
    signature = json.dumps(result, sort_keys=True, ensure_ascii=False)
    marker = tmp_path / "signature.json"
    if marker.exists():
        assert signature == marker.read_text(encoding="utf-8")
    else:
        marker.write_text(signature, encoding="utf-8")
        assert result["totals"]["weekly_submitters"] == 3


def test_resubmission_replaces_and_same_bytes_count_once(tmp_path):
    camp = Campaign(tmp_path / "c")
    (tmp_path / "in").mkdir()
    fig, _, _, layouts = consistent_filing("开元街道", 1, seed="x")
    first = write(layouts, tmp_path / "in" / "开元街道")
    a3 = layouts[0]
    a3.cells[a3.data_cells[("cumulative", "ordered")]] = fig["cumulative"]["ordered"] + 4
    a3.cells[a3.data_cells[("weekly", "ordered")]] = fig["weekly"]["ordered"] + 4
    second = write(layouts, tmp_path / "in" / "开元街道_更正")
    copy = tmp_path / "in" / "开元街道(1).xlsx"
    shutil.copy(first, copy)
    camp.take(first, "2021-09-16", "2021-09-16T09:00:00")
    camp.take(second, "2021-09-16", "2021-09-16T10:00:00")
    report = camp.take(copy, "2021-09-16", "2021-09-16T11:00:00")
    assert report.taken[0].new is False  # the same bytes: a no-op, even under another name
    result = camp.merge("2021-09-16")
    row = next(r for r in result.rows if r.submitter.name == "开元街道")
    assert row.cumulative["ordered"] == fig["cumulative"]["ordered"] + 4
    assert result.totals.cumulative["ordered"] == fig["cumulative"]["ordered"] + 4  # counted once
    assert sorted(s for _, s in row.superseded) == ["a3", "a4", "a5", "a6"]
    assert {f.original_name for f, _ in row.superseded} == {"开元街道.xlsx"}
    with Ledger(camp.folder) as ledger:
        assert len(ledger.filings()) == 2
        archived = [camp.folder / f.archive_path for f in ledger.filings()]
    assert all(p.exists() for p in archived)
    assert archived[0].read_bytes() == first.read_bytes()


def test_carry_forward_never_adds_a_weekly_figure(tmp_path):
    camp = Campaign(tmp_path / "c")
    (tmp_path / "in").mkdir()
    (w1, w2) = _weeks("开元街道", "k")
    (v1, v2) = _weeks("鲤中街道", "l")
    camp.take(write(w1[3], tmp_path / "in" / "k1"), "2021-09-16", "2021-09-16T09:00:00")
    camp.take(write(v1[3], tmp_path / "in" / "l1"), "2021-09-16", "2021-09-16T09:00:00")
    camp.take(write(v2[3], tmp_path / "in" / "l2"), "2021-09-23", "2021-09-23T09:00:00")
    result = camp.merge("2021-09-23")
    k = next(r for r in result.rows if r.submitter.name == "开元街道")
    assert k.status == "carried" and k.weekly is None and k.source_period == "2021-09-16"
    expected = {key: w1[0]["cumulative"][key] + v2[0]["cumulative"][key] for key in KEYS}
    # flows: only 鲤中街道's week; the stock 景点总数 is carried in both rows (a stock has no week)
    assert result.totals.weekly == pytest.approx({**v2[0]["weekly"], "sites": expected["sites"]})
    assert result.totals.weekly_submitters == 1 and result.totals.cumulative_submitters == 2
    assert result.totals.cumulative == pytest.approx(expected)
    assert sum(r.status == "missing" for r in result.rows) == 16
    code, out = cli("merge", "--period", "2021-09-23", "--config", str(camp.folder / "safetyreport.toml"))
    assert "沿用上期 1 个（开元街道）" in out


def test_cross_week_rules(tmp_path):
    camp = Campaign(tmp_path / "c")
    (tmp_path / "in").mkdir()
    (w1, w2) = _weeks("开元街道", "k")
    path1 = write(w1[3], tmp_path / "in" / "w1")
    camp.take(path1, "2021-09-16", "2021-09-16T09:00:00")
    fig, _, u, layouts = w2
    a3 = layouts[0]
    # 累计 does not follow: last week + this week ≠ this cumulative; and one column goes down
    a3.cells[a3.data_cells[("cumulative", "inspectors")]] = fig["cumulative"]["inspectors"] + 3
    a3.cells[a3.data_cells[("cumulative", "reports")]] = w1[0]["cumulative"]["reports"] - 1 if w1[0]["cumulative"]["reports"] else 0
    a3.cells[a3.data_cells[("weekly", "reports")]] = 0
    if a3.cells[a3.data_cells[("cumulative", "reports_verified")]] > a3.cells[a3.data_cells[("cumulative", "reports")]]:
        a3.cells[a3.data_cells[("cumulative", "reports_verified")]] = a3.cells[a3.data_cells[("cumulative", "reports")]]
    camp.take(write(layouts, tmp_path / "in" / "w2"), "2021-09-23", "2021-09-23T09:00:00")
    codes = {(f.code, f.column) for f in camp.merge("2021-09-23").findings}
    assert ("cumulative-mismatch", "inspectors") in codes
    if w1[0]["cumulative"]["reports"]:
        assert ("cumulative-decreased", "reports") in codes


def test_hazard_disappears_or_reopens(tmp_path):
    fig1, _, u1, l1 = filing_where(lambda fig, u: len(u.hazards) >= 2, weeks=2)
    camp = Campaign(tmp_path / "c")
    (tmp_path / "in").mkdir()
    a4 = l1[1]
    a4.cells[a4.data_cells[("0", "status")]] = "整改完成"
    camp.take(write(l1, tmp_path / "in" / "w1"), "2021-09-16", "2021-09-16T09:00:00")
    # next week: the first hazard reopened, the second gone from the list
    a4.cells[a4.data_cells[("0", "status")]] = "正在整改"
    for col in ("seq", "place", "hazard", "measures", "status"):
        a4.cells.pop(a4.data_cells[("1", col)], None)
    camp.take(write(l1, tmp_path / "in" / "w2"), "2021-09-23", "2021-09-23T09:00:00")
    found = {f.code: f for f in camp.merge("2021-09-23").findings if f.form == "a4"}
    assert "status-reverted" in found and "hazard-disappeared" in found
    assert u1.hazards[1]["place"] in found["hazard-disappeared"].message
    assert found["status-reverted"].cell == f"E{a4.data_cells[('0', 'status')][0] + 1}"


def test_suspected_duplicates_are_shown_and_decided_by_the_clerk(demo):
    cfg = str(demo / "safetyreport.toml")
    _, data = cli_json("merge", "--period", "2021-09-30", "--config", cfg)
    pending = {d["id"]: d for d in data["duplicates"] if d["verdict"] is None}
    hazard = next(d for d in pending.values() if d["name"].startswith("开元寺"))
    fine = next(d for d in pending.values() if "海丝" in d["name"])
    assert {hazard["first"], hazard["second"]} == {"开元街道", "区文旅局"}
    assert sum(f["code"] == "suspected-duplicate" for f in data["findings"]) == len(pending)
    before = data["list_counts"]
    assert cli("decide", hazard["id"], "same", "--config", cfg)[0] == 0
    assert cli("decide", fine["id"], "same", "--config", cfg)[0] == 0
    _, after = cli_json("merge", "--period", "2021-09-30", "--config", cfg)
    assert after["list_counts"]["a4"]["records"] == before["a4"]["records"] - 1
    assert after["list_counts"]["a5"]["fined"] == before["a5"]["fined"] - 1
    assert len(after["lists"]["a4"]) == len(data["lists"]["a4"])  # shown, never dropped
    assert sum(f["code"] == "suspected-duplicate" for f in after["findings"]) == len(pending) - 2
    assert cli("decide", hazard["id"], "different", "--config", cfg)[0] == 0
    _, again = cli_json("merge", "--period", "2021-09-30", "--config", cfg)
    assert again["list_counts"]["a4"]["records"] == before["a4"]["records"]
    cli("decide", fine["id"], "different", "--config", cfg)


def test_outlier_week(tmp_path):
    camp = Campaign(tmp_path / "c")
    (tmp_path / "in").mkdir()
    weeks = _weeks("开元街道", "o", 4)
    for i, (fig, _fac, _u, layouts) in enumerate(weeks):
        if i == 3:
            a3 = layouts[0]
            for row in ("weekly", "cumulative"):
                a3.cells[a3.data_cells[(row, "inspectors")]] = fig[row]["inspectors"] + 400
        period = f"2021-09-{16 + 7 * i}" if i < 3 else "2021-10-07"
        camp.take(write(layouts, tmp_path / "in" / f"w{i}"), period, f"{period}T09:00:00")
    found = [f for f in camp.merge("2021-10-07").findings if f.code == "weekly-outlier"]
    assert [f.column for f in found] == ["inspectors"] and found[0].severity == "warning"
    assert found[0].message == _outlier_without_shortcuts(camp)


def _outlier_without_shortcuts(camp: Campaign) -> str:
    """The outlier's message worked out by hand from every week's stored 附件3, fully decoded."""
    from safetyreport.findings import finding
    from safetyreport.values import fmt_num

    with Ledger(camp.folder) as ledger:
        ids = [r[0] for r in ledger.db.execute("SELECT forms.id FROM forms JOIN filings ON filings.id = forms.filing_id"
                                               " WHERE schema_id = 'a3' ORDER BY filings.period")]
        forms = ledger.load_forms(set(ids))
    weekly = [forms[i].value("weekly", "inspectors") for i in ids]
    return finding("weekly-outlier", path="", sheet="", cell="", form="a3", column="inspectors",
                   label=SCHEMAS["a3"].column("inspectors").display, weekly=fmt_num(weekly[-1]),
                   history="、".join(fmt_num(x) for x in weekly[:-1])).message


def test_merge_reads_the_weeks_before_last_for_their_weekly_row_alone(tmp_path, monkeypatch):
    """Seven weeks of each unit's 附件3 stand behind the outlier check; merge decodes this week's
    and last week's forms and takes the 当周 row of the weeks before out of the ledger (SQLite's
    json_extract), or decodes them where SQLite has no JSON functions — the same findings."""
    import collections
    import sqlite3

    import safetyreport.ledger.store as store

    camp = Campaign(tmp_path / "c")
    (tmp_path / "in").mkdir()
    for i, (fig, _fac, _u, layouts) in enumerate(_weeks("开元街道", "o", 5)):
        if i == 4:
            layouts[0].cells[layouts[0].data_cells[("weekly", "inspectors")]] = fig["weekly"]["inspectors"] + 400
            layouts[0].cells[layouts[0].data_cells[("cumulative", "inspectors")]] = fig["cumulative"]["inspectors"] + 400
        period = ["2021-09-16", "2021-09-23", "2021-09-30", "2021-10-07", "2021-10-14"][i]
        camp.take(write(layouts, tmp_path / "in" / f"w{i}"), period, f"{period}T09:00:00")
    expected = ("weekly-outlier", "inspectors", _outlier_without_shortcuts(camp))
    decoded: collections.Counter = collections.Counter()
    real = store.form_from_dict
    monkeypatch.setattr(store, "form_from_dict", lambda d: decoded.update([d["schema_id"]]) or real(d))
    shortcut = [(f.code, f.column, f.message) for f in camp.merge("2021-10-14").findings]
    assert expected in shortcut
    assert decoded["a3"] == 2 and decoded["a4"] == 2  # this week's and last week's; 附件4 is kept across weeks

    class NoJson:  # an SQLite built without its JSON functions
        def __init__(self, db):
            self.db = db

        def execute(self, sql, *args):
            if "json_extract" in sql:
                raise sqlite3.OperationalError("no such function: json_extract")
            return self.db.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.db, name)

    decoded.clear()
    with Ledger(camp.folder) as ledger:
        ledger.db = NoJson(ledger.db)  # type: ignore[assignment]
        try:
            plain = merge_period(camp.cfg, ledger, parse_period(camp.cfg, "2021-10-14"), SCHEMAS)
        finally:
            ledger.db = ledger.db.db
    assert [(f.code, f.column, f.message) for f in plain.findings] == shortcut
    assert decoded["a3"] == 5  # every week decoded, for the same answer


def test_workbook_marks_findings_and_keeps_text_as_text(tmp_path):
    import openpyxl

    camp = Campaign(tmp_path / "c")
    (tmp_path / "in").mkdir()
    fig, _, u, layouts = filing_where(lambda fig, u: len(u.hazards) >= 1, weeks=1)
    a3, a4 = layouts[0], layouts[1]
    a3.cells[a3.data_cells[("cumulative", "fixed_total")]] = fig["cumulative"]["fixed_total"] + 1
    a4.cells[a4.data_cells[("0", "remark")]] = '=HYPERLINK("http://x","点我")'
    a4.cells[a4.data_cells[("0", "status")]] = "看情况"
    path = write(layouts, tmp_path / "in" / "开元街道")  # the package writer stores it as text
    cfg = str(camp.folder / "safetyreport.toml")
    code, data = cli_json("merge", str(path), "--period", "2021-09-16", "--config", cfg)
    assert code == 1
    wb = openpyxl.load_workbook(data["outputs"]["workbook"])
    ws = wb["附件3汇总"]
    cell = ws.cell(row=7, column=3 + KEYS.index("fixed_total"))  # 开元街道 累计 row (after 合计 pair)
    assert cell.value == fig["cumulative"]["fixed_total"] + 1
    assert cell.comment is not None and "合计不符" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    remarks = [c for row in wb["附件4汇总"].iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert remarks and all(c.data_type == "s" for c in remarks)
    status = wb["附件4汇总"]["F4"]  # first hazard's 挂账销号, beside its finding
    assert status.value == "看情况" and "挂账销号状态无法识别" in status.comment.text
    issues = [r for r in wb["问题清单"].iter_rows(values_only=True) if r[4] == "sum-mismatch"]
    assert issues and issues[0][2] == f"F{a3.data_cells[('cumulative', 'fixed_total')][0] + 1}"


def test_ledger_is_versioned_and_unreadable_files_are_kept(tmp_path):
    camp = Campaign(tmp_path / "c")
    bad = tmp_path / "区城管局_2021-09-16.et"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    report = camp.take(bad, "2021-09-16", "2021-09-16T09:00:00")
    assert report.taken[0].filing.submitter == "区城管局"  # recognised by its name, kept, not counted
    with Ledger(camp.folder) as ledger:
        assert ledger.version == len(MIGRATIONS)
        assert (camp.folder / ledger.filings()[0].archive_path).read_bytes() == bad.read_bytes()
    result = camp.merge("2021-09-16")
    assert any(f.code == "unsupported-format" for f in result.findings)
    assert next(r for r in result.rows if r.submitter.name == "区城管局").status == "missing"


def test_merge_cli_errors_are_clear(tmp_path):
    code, out = cli("merge", "--period", "2030-01-01", "--config", str(tmp_path / "none.toml"))
    assert code == 2
    init_job(tmp_path)
    from conftest import run_process

    proc = run_process("merge", "--period", "2021-12-30", "--config", str(tmp_path / "safetyreport.toml"))
    assert proc.returncode == 2 and "不是本次专项整治的报送周期" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_process("merge", "--period", "2021-09", "--config", str(tmp_path / "safetyreport.toml"))
    assert proc.returncode == 2 and "周报周期" in proc.stderr and "内部错误" not in proc.stderr


def test_an_old_ledger_is_migrated_in_place_keeping_its_filings(tmp_path):
    """A version-1 ledger (before mail_sent and receipt sources existed), built with migration 1
    alone, opens, migrates and keeps every filing; its receipt times say their source is unknown."""
    import sqlite3

    camp = Campaign(tmp_path / "c")
    (camp.folder / "safetyreport.db").unlink()  # replaced by a version-1 ledger
    db = sqlite3.connect(camp.folder / "safetyreport.db")
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("INSERT INTO filings VALUES (1, 'ab', '开元街道.xlsx', '/in/开元街道.xlsx', 'archive/ab/ab.xlsx',"
               " '开元街道', '2021-09-16', '2021-09-16T09:00:00+08:00', '2021-09-16T01:00:00+00:00', 'intake', 0, 0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Ledger(camp.folder) as ledger:
        assert ledger.version == len(MIGRATIONS) == 7
        [filing] = ledger.filings()
        assert filing.submitter == "开元街道" and filing.received_source == "unknown"
        assert ledger.sent() == []
    db = sqlite3.connect(camp.folder / "safetyreport.db")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    from conftest import run_process

    proc = run_process("merge", "--config", str(camp.folder / "safetyreport.toml"))
    assert proc.returncode == 2 and "更新版本" in proc.stderr


def test_consolidated_workbook_keeps_its_layout(demo):
    """Written by xlsxwriter: the paper form's merged headers, frozen panes, A4 landscape one page
    wide, column widths — read back with openpyxl."""
    import openpyxl

    wb = openpyxl.load_workbook(demo / "输出" / "鲤城区专项整治汇总_2021-09-30.xlsx")
    assert wb.sheetnames == ["附件3汇总", "附件4汇总", "附件5汇总", "附件6汇总", "报送情况", "问题清单"]
    ws = wb["附件3汇总"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A4", "A5:A6"} <= merged and any(r.startswith("A1:") for r in merged)
    assert ws["A1"].value.endswith("工作情况汇总表") and ws["A1"].font.b and ws["A5"].value == "合计"
    assert ws["A5"].font.b and ws["C5"].font.b  # the 合计 pair in bold
    assert ws.freeze_panes == "C5" and wb["附件4汇总"].freeze_panes == "C4"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
    # one page wide (1 is the default, left out of the file), as many pages tall as needed
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1, "1")
    assert ws.page_setup.fitToHeight in (0, "0")
    assert 16 <= ws.column_dimensions["A"].width < 17 and ws.row_dimensions[4].height == 48  # (+ padding)
    header = ws["C3"]
    assert header.fill.fgColor.rgb.endswith("DDEBF7") and header.border.left.style == "thin"


def test_district_filing_rows_are_tall_enough_for_their_text(demo):
    """The filing goes to the city and gets printed: header rows as tall as on the blank forms,
    and a list row whose 整改措施 wraps gets the lines it needs (neither Excel nor LibreOffice
    fits a row of a file written by a program when it opens it); a row that fits keeps the default."""
    import openpyxl

    from safetyreport.outputs.workbooks import HEADER_ROW_HEIGHT

    wb = openpyxl.load_workbook(demo / "输出" / "鲤城区_2021-09-30.xlsx")
    a3 = wb["附件3"]
    header_rows = {c.row for row in a3.iter_rows() for c in row if c.value == "排查发现隐患数"}
    assert header_rows and all(a3.row_dimensions[r].height == HEADER_ROW_HEIGHT for r in header_rows)
    a4 = wb["附件4"]
    from openpyxl.utils import get_column_letter

    width = {}  # columns of one width are stored as one range (B:F)
    for dim in list(a4.column_dimensions.values()):
        for i in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
            width[get_column_letter(i)] = dim.width
    long_rows = short_rows = 0
    for row in a4.iter_rows(min_row=6):
        texts = [(c.column_letter, c.value) for c in row if isinstance(c.value, str)]
        if texts and texts[0][1].startswith("审核人"):
            break  # the footer and the 注 below it run across the page, unwrapped
        if not texts:
            continue
        # wide characters count two: does any text need a second line in its column?
        need = max(-(-sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) // int(width[col] - 1)) for col, v in texts)
        height = a4.row_dimensions[row[0].row].height
        if need > 1:
            long_rows += 1
            assert height is not None and height >= 15 * need, (row[0].row, texts, height)
        else:
            short_rows += 1
            assert height is None, (row[0].row, texts, height)
    assert long_rows >= 3 and short_rows >= 3
    # 附件6 has four narrow columns: its footer and 注 wrap within the table's width instead of
    # running past the printed page
    a6 = wb["附件6"]
    foot = next(c for row in a6.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("审核人"))
    note = a6.cell(row=foot.row + 1, column=1)
    for cell in (foot, note):
        assert cell.alignment.wrap_text and a6.row_dimensions[cell.row].height >= 30, cell.value
