"""The notebook API (`safetyreport.api`) gives the same figures as the command line."""

from __future__ import annotations

from conftest import cli_json


def test_period_table_is_the_merge(demo_folder, tmp_path):
    from safetyreport import api

    table = api.period_table(demo_folder, "2021-09-30")
    code, merged = cli_json("merge", "--period", "2021-09-30", "--out", str(tmp_path),
                            "--config", str(demo_folder / "safetyreport.toml"))
    assert len(table) == len(merged["submitters"]) == 18
    for s in merged["submitters"]:
        row = table.loc[s["name"]]
        assert row["status"] == s["status"]
        assert row["cumulative.found_total"] == s["cumulative"]["found_total"]
        assert row["weekly.fixed_total"] == (s["weekly"] or {}).get("fixed_total")
    assert table["cumulative.found_total"].sum() == merged["totals"]["cumulative"]["found_total"]


def test_long_wide_and_filings_tables_agree_with_the_ledger(demo_folder):
    from safetyreport import api

    long = api.long_table(demo_folder)
    counted = long[(long["column"] == "found_total") & (long["row"] == "cumulative") & long["counted"].astype(bool)]
    wide = api.wide_table(demo_folder, "found_total")
    assert list(wide.columns) == ["2021-09-16", "2021-09-23", "2021-09-30"] and len(wide) == 18
    for _, rec in counted.iterrows():
        assert wide.loc[rec["submitter"], rec["period"]] == rec["value"]
    code, listing = cli_json("filings", "--config", str(demo_folder / "safetyreport.toml"))
    filings = api.filings_table(demo_folder / "safetyreport.toml")
    assert sorted(filings["filing_id"]) == sorted(f["filing_id"] for f in listing["filings"])
    assert set(long["filing_id"]) <= set(filings["filing_id"])
    only_week = api.long_table(demo_folder, ["2021-09-23"])
    assert set(only_week["period"]) == {"2021-09-23"}
