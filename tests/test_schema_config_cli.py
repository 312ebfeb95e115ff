"""Schemas are data (a new form needs no Python), bad schemas and configs get a clear message,
`init` writes a usable config, and every command has Chinese help with an example."""

import re

from conftest import ROOT, a3_layout, cli, cli_json, codes, run_process, write
from safetyreport.schema import SchemaError, load_schema_file

FIRE = ROOT / "samples" / "fire_lanes"


def test_fire_lane_form_is_read_from_its_schema_alone(tmp_path):
    from safetyreport.config import load_config
    from safetyreport.reading.reader import read_file
    from safetyreport.schema import load_schemas

    read = read_file(FIRE / "常泰街道_消防生命通道.xlsx", load_schemas(), load_config(None).roster)
    assert [f.schema_id for f in read.forms] == ["fire_lanes"]
    row = read.forms[0].table[""]
    assert row["existing_res_rate"].value == 75  # typed "75%"
    assert row["old_res_unmarked"].value == 26  # left blank: 46 − 20
    assert round(row["old_res_rate"].value, 2) == 43.48
    assert row["parking_plan_started"].value is True
    assert row["plan_old"].value == 3 and row["road_spaces_added"].value == 150
    code, report = cli_json("validate", str(FIRE))
    assert code == 1
    assert codes(report) == [("derived-mismatch", "打通消防生命通道", "F16"),
                             ("derived-mismatch", "打通消防生命通道", "G16")]
    msgs = [f["message"] for f in report["files"][1]["findings"]]
    assert "公共建筑未划线填写为 10" in msgs[0] and "应为 14" in msgs[0]


def test_a_new_form_is_a_new_schema_file(tmp_path):
    """A made-up 周报 form added through the config's schemas_dir, without touching Python."""
    folder = tmp_path / "campaign"
    (folder / "schemas").mkdir(parents=True)
    (folder / "schemas" / "patrol.toml").write_text('''
id = "patrol"
attachment = "附件9"
name = "巡查情况表"
layout = "table"
identify = ["巡查次数", "本周"]
footer = false
[[rows]]
key = "weekly"
label = "本周"
[[columns]]
key = "patrols"
label = "巡查次数"
[[columns]]
key = "problems"
label = "发现问题"
[[columns]]
key = "solved"
label = "已解决"
[[rules]]
kind = "le"
left = "solved"
right = "problems"
why = "解决的问题不会多于发现的问题。"
''', encoding="utf-8")
    from safetyreport.shipped import builtin_config

    text = builtin_config().read_text(encoding="utf-8").replace('# schemas_dir = "schemas"', 'schemas_dir = "schemas"')
    (folder / "safetyreport.toml").write_text(text, encoding="utf-8")
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["填报单位：开元街道"])
    ws.append(["", "巡查次数", "发现问题", "已解决"])
    ws.append(["本周", 5, 2, 3])
    wb.save(folder / "巡查.xlsx")
    code, report = cli_json("validate", "巡查.xlsx", cwd=folder)
    assert code == 1
    assert codes(report) == [("exceeds", "Sheet", "D3")]
    assert "已解决 3 大于 发现问题 2" in report["files"][0]["findings"][0]["message"]


def test_bad_schema_gets_a_clear_message(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('''
id = "x"
name = "坏表"
layout = "table"
identify = ["总数"]
[[rows]]
key = "weekly"
label = "当周"
[[columns]]
key = "total"
label = "总数"
type = "money"
[[rules]]
kind = "sum"
total = "total"
parts = ["nothing"]
''', encoding="utf-8")
    try:
        load_schema_file(bad)
    except SchemaError as e:
        text = str(e)
    else:
        raise AssertionError("a bad schema loaded")
    assert "bad.toml" in text and "columns.0.type" in text
    bad.write_text(bad.read_text(encoding="utf-8").replace('type = "money"', ""), encoding="utf-8")
    try:
        load_schema_file(bad)
    except SchemaError as e:
        assert "未定义的栏目“nothing”" in str(e)
    else:
        raise AssertionError("a rule naming a missing column loaded")


def test_every_shipped_schema_loads_and_a3_has_26_columns():
    from safetyreport.schema import load_schemas

    schemas = load_schemas()
    assert sorted(s.id for s in schemas) == ["a3", "a4", "a5", "a6", "fire_lanes", "narrative"]
    assert len(schemas["a3"].columns) == 26
    assert [c.key for c in schemas["a3"].columns if not c.flow] == ["sites"]


def test_init_writes_config_and_refuses_to_overwrite(tmp_path):
    code, out = cli("init", str(tmp_path))
    assert code == 0 and "safetyreport.toml" in out
    from safetyreport.config import load_config

    cfg = load_config(tmp_path / "safetyreport.toml")
    assert len(cfg.submitters) == 18
    assert sum(s.kind == "street" for s in cfg.submitters) == 8
    assert cfg.deadlines.weekly_time == "12:00" and str(cfg.deadlines.first_weekly) == "2021-09-16"
    assert str(cfg.deadlines.final) == "2021-11-20" and cfg.campaign.timezone == "Asia/Shanghai"
    proc = run_process("init", str(tmp_path))
    assert proc.returncode == 2 and "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert cli("init", str(tmp_path), "--force")[0] == 0


def test_config_is_found_in_the_current_folder_or_given(tmp_path):
    cli("init", str(tmp_path))
    cfg = tmp_path / "safetyreport.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('name = "开元街道"', 'name = "开元镇"')
                   .replace('aliases = ["开元街道办事处", "开元街道办", "开元"]', 'aliases = []'), encoding="utf-8")
    path = write([a3_layout(submitter="开元街道")], tmp_path / "f")
    assert cli_json("validate", str(path), cwd=tmp_path)[0] == 1  # unknown under this roster
    assert cli_json("validate", str(path), "--config", str(cfg))[0] == 1
    assert cli_json("validate", str(path))[0] == 0  # built-in roster elsewhere


def test_broken_config_is_a_clear_error(tmp_path):
    cfg = tmp_path / "safetyreport.toml"
    cfg.write_text("[campaign]\nname = 3\n", encoding="utf-8")
    proc = run_process("validate", "x.xlsx", "--config", str(cfg))
    assert proc.returncode == 2
    assert "配置文件" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_process("validate", "x.xlsx", "--config", str(tmp_path / "none.toml"))
    assert proc.returncode == 2 and "找不到配置文件" in proc.stderr


def test_usage_error_exits_2():
    proc = run_process("validate")
    assert proc.returncode == 2


def _commands():
    """Every command, including those of groups ("report weekly")."""
    from safetyreport.cli.commands import app

    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    for group in app.registered_groups:
        names += [f"{group.name} {c.name or c.callback.__name__}" for c in group.typer_instance.registered_commands]
    return names


def test_every_command_has_chinese_help_with_an_example_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "report weekly" in _commands()
    for name in _commands():
        code, out = cli(*name.split(), "--help")
        assert code == 0, name
        assert "示例" in out, name
        assert re.search(r"[\u4e00-\u9fff]{4}", out), name
        assert f"safetyreport {name}" in readme, f"README does not document `{name}`"
