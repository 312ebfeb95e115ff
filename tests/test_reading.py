"""The reader finds forms by labels and takes values the way a clerk means them — on real
files, through the real CLI (and the library where the parsed value itself is the point)."""

import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SCHEMAS, a3_layout, cli_json, codes, write
from safetyreport.config import load_config
from safetyreport.outputs.layout import layout_form
from safetyreport.reading.reader import read_file

C, W = "cumulative", "weekly"
ROSTER = load_config(None).roster


def read_a3(path):
    read = read_file(path, SCHEMAS, ROSTER)
    return next(f for f in read.forms if f.schema_id == "a3"), read


@pytest.mark.parametrize("typed,value", [
    ("１２", 12), ("12", 12), ("3项", 3), ("5家", 5), ("1,234", 1234), (" 7 ", 7), ("12人次", 12),
    (12.0, 12), ("８项", 8),
])
def test_numbers_typed_as_clerks_do(tmp_path, writer, typed, value):
    # total typed oddly, parts plain: a correct reading means no sum-mismatch
    lay = a3_layout({(C, "found_total"): typed, (C, "found_general"): value, (C, "found_major"): 0})
    path = write([lay], tmp_path / "f", writer)
    code, report = cli_json("validate", str(path))
    assert code == 0 and codes(report) == []
    form, _ = read_a3(path)
    assert form.value(C, "found_total") == value


@pytest.mark.parametrize("typed", ["—", "-", "/", "无", "", "－"])
def test_blank_and_dashes_mean_zero_with_one_warning_per_form(tmp_path, typed):
    lay = a3_layout({(C, "ordered"): typed, (W, "ordered"): typed, (C, "closed"): typed})
    path = write([lay], tmp_path / "f")
    code, report = cli_json("validate", str(path))
    assert code == 0  # a warning does not block
    assert codes(report) == [("blank-as-zero", "附件3", "V6")]
    assert "3 个数字格" in report["files"][0]["findings"][0]["message"]
    form, _ = read_a3(path)
    assert form.value(C, "ordered") == 0


def test_text_that_is_no_number_and_fractions_of_a_count(tmp_path, writer):
    lay = a3_layout({(C, "inspectors"): "约20", (C, "sites_inspected"): 2.5, (C, "fine_amount"): 0})
    path = write([lay], tmp_path / "f", writer)
    code, report = cli_json("validate", str(path))
    assert code == 1
    assert codes(report) == [("not-a-number", "附件3", "L6"), ("not-whole-number", "附件3", "M6")]
    assert "“约20”" in report["files"][0]["findings"][0]["message"]


def test_decimal_fine_in_wan_yuan_is_fine(tmp_path):
    lay = a3_layout({(C, "fined_count"): 1, (C, "fine_amount"): "0.35", (W, "fined_count"): 1,
                     (W, "fine_amount"): 0.35})
    path = write([lay], tmp_path / "f")
    assert cli_json("validate", str(path))[0] == 0
    assert read_a3(path)[0].value(C, "fine_amount") == 0.35


def test_formula_without_cached_value_is_a_finding_never_zero(tmp_path):
    lay = a3_layout({(C, "found_general"): 2, (C, "found_major"): 1, (C, "found_total"): 3})
    path = write([lay], tmp_path / "f")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["附件3"]["C6"] = "=D6+E6"
    wb.save(path)
    code, report = cli_json("validate", str(path))
    assert code == 1
    assert codes(report) == [("formula-without-value", "附件3", "C6")]
    assert "=D6+E6" in report["files"][0]["findings"][0]["message"]
    assert read_a3(path)[0].value(C, "found_total") is None


def test_formula_with_cached_value_is_read(tmp_path):
    """xlsxwriter stores a result with the formula, as Excel does."""
    import xlsxwriter

    lay = a3_layout({(C, "found_general"): 2, (C, "found_major"): 1})
    path = tmp_path / "f.xlsx"
    write([lay], path, "xlsxwriter")
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("附件3")
    for (r, c), v in lay.cells.items():
        ws.write(r, c, v)
    ws.write_formula("C6", "=D6+E6", None, 3)
    wb.close()
    code, report = cli_json("validate", str(path))
    assert code == 0, codes(report)
    assert read_a3(path)[0].value(C, "found_total") == 3


def test_form_moved_down_and_right_with_extra_title_rows(tmp_path, writer):
    lay = a3_layout({(C, "found_general"): 4, (C, "found_major"): 1, (C, "found_total"): 6}).shifted(5, 3)
    lay.cells[(0, 0)] = "开元街道关于报送专项整治周报表的函"
    lay.cells[(2, 3)] = "（第二周）"
    path = write([lay], tmp_path / "f", writer)
    _, report = cli_json("validate", str(path))
    assert codes(report) == [("sum-mismatch", "附件3", "F11")]  # C6 moved 5 down, 3 right


def test_header_without_merged_cells_and_blank_rows(tmp_path):
    """Group labels written once with no merge, and an empty row between header and data."""
    lay = a3_layout({(C, "fixed_general"): 2, (C, "fixed_total"): 2, (C, "found_general"): 3,
                     (C, "found_total"): 3})
    lay.merges = []
    moved = {}
    for (r, c), v in lay.cells.items():
        moved[(r + 1 if r >= 5 else r, c)] = v
    lay.cells = moved
    lay.footer_row += 1
    path = write([lay], tmp_path / "f")
    code, report = cli_json("validate", str(path))
    assert code == 0, codes(report)
    form, _ = read_a3(path)
    assert form.value(C, "fixed_total") == 2 and form.value(C, "found_total") == 3


def test_two_line_header_labels(tmp_path):
    lay = a3_layout({(C, "found_general"): 1, (C, "found_total"): 1})
    for rc, v in list(lay.cells.items()):
        if v == "排查发现隐患数":
            lay.cells[rc] = "排查发现\n隐患数"
        if v == "参加人员":
            lay.cells[rc] = "参加人员\n（人次）"
    path = write([lay], tmp_path / "f")
    assert cli_json("validate", str(path))[0] == 0
    assert read_a3(path)[0].value(C, "found_total") == 1


def test_all_four_forms_stacked_on_one_sheet(tmp_path, writer):
    from conftest import consistent_filing
    from make_samples import stack

    _, _, _, layouts = consistent_filing(weeks=2)
    path = write([stack(layouts, "汇总")], tmp_path / "开元街道", writer)
    code, report = cli_json("validate", str(path))
    assert code == 0, codes(report)
    assert sorted(report["files"][0]["forms"]) == ["a3", "a4", "a5", "a6"]


def test_one_form_per_file_are_checked_together(tmp_path):
    """附件3 in one file and 附件4 in another (same folder, same submitter): the count rule
    still runs, and its finding lands on the 附件4 file."""
    from conftest import consistent_filing

    fig, _, u, layouts = consistent_filing(weeks=3, seed="5")
    a3 = layouts[0]
    a3.cells[a3.data_cells[(C, "found_major")]] = fig[C]["found_major"] + 2
    a3.cells[a3.data_cells[(C, "found_total")]] = fig[C]["found_total"] + 2
    write([a3], tmp_path / "开元街道_附件3")
    write([layouts[1]], tmp_path / "开元街道_附件4")
    _, report = cli_json("validate", str(tmp_path))
    by_file = {f["path"].rsplit("/", 1)[1]: [x["code"] for x in f["findings"]] for f in report["files"]}
    assert by_file == {"开元街道_附件3.xlsx": [], "开元街道_附件4.xlsx": ["count-mismatch"]}


def test_a6_extra_rows_are_read(tmp_path):
    lay = layout_form(SCHEMAS["a6"], submitter="开元街道", extra_rows=["智能广播", "水位监测仪"])
    for rc in lay.data_cells.values():
        lay.cells[rc] = 1
    from conftest import PERSON
    from safetyreport.outputs.layout import footer_text

    lay.cells[(lay.footer_row, 0)] = footer_text(*PERSON, date="2021-09-23")
    path = write([lay], tmp_path / "f")
    assert cli_json("validate", str(path))[0] == 0
    read = read_file(path, SCHEMAS, ROSTER)
    form = read.forms[0]
    assert form.row_labels == {"video_points": "视频监控点", "cameras": "视频探头数", "drones": "无人机巡查",
                               "fences": "电子围栏", "extra_1": "智能广播", "extra_2": "水位监测仪"}
    assert form.value("extra_2", "funds") == 1


@pytest.mark.parametrize("header,expected", [
    ("开元街道", "开元街道"), ("开元街道办事处", "开元街道"), ("鲤城区开元街道办事处", "开元街道"),
    ("区民族宗教局", "区委统战部（区民族宗教局）"), ("区委统战部(区民族宗教局)", "区委统战部（区民族宗教局）"),
    ("泉州市公安局鲤城分局", "鲤城公安分局"), ("鲤城区应急管理局", "区应急局"),
])
def test_submitter_aliases(tmp_path, header, expected):
    path = write([a3_layout(submitter=header)], tmp_path / "x")
    code, report = cli_json("validate", str(path))
    assert code == 0 and report["files"][0]["submitter"] == expected


def test_submitter_from_file_name_when_header_empty(tmp_path):
    path = write([a3_layout(submitter="")], tmp_path / "浮桥街道第二周")
    code, report = cli_json("validate", str(path))
    assert code == 0 and report["files"][0]["submitter"] == "浮桥街道"
    path = write([a3_layout(submitter="")], tmp_path / "周报")
    code, report = cli_json("validate", str(path))
    assert code == 1 and codes(report) == [("missing-submitter", "附件3", "A3")]


def test_unreadable_inputs_exit_2_with_chinese_reason(tmp_path):
    cases = {
        "empty.xlsx": b"",
        "renamed.xlsx": "这是一封信".encode(),
        "web.xls": b"<html><table><tr><td>1</td></tr></table></html>",
        "encrypted.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "wps.et": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "truncated.xlsx": b"PK\x03\x04" + b"\0" * 40,
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        code, report = cli_json("validate", str(tmp_path / name))
        assert code == 2, name
        f = report["files"][0]["findings"][0]
        assert f["severity"] == "error" and f["message"], name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f["message"]), name
    code, report = cli_json("validate", str(tmp_path / "nothing-here.xlsx"))
    assert code == 2 and report["files"][0]["findings"][0]["code"] == "file-not-found"


def test_workbook_without_any_form(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "会议签到表"
    wb.save(tmp_path / "签到.xlsx")
    code, report = cli_json("validate", str(tmp_path / "签到.xlsx"))
    assert code == 2 and codes(report) == [("no-form-found", "", "")]


def test_lock_files_and_other_files_in_a_folder_are_skipped_and_listed(tmp_path):
    write([a3_layout()], tmp_path / "开元街道")
    (tmp_path / "~$开元街道.xlsx").write_bytes(b"\x05owner")
    (tmp_path / "通知.docx").write_bytes(b"PK")
    code, report = cli_json("validate", str(tmp_path))
    assert code == 0
    assert sorted(s["path"].rsplit("/", 1)[1] for s in report["skipped"]) == ["~$开元街道.xlsx", "通知.docx"]


def test_inputs_are_never_modified(tmp_path):
    import hashlib

    files = sorted((ROOT / "samples").rglob("*.xls*"))
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    cli_json("validate", str(ROOT / "samples"))
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == before


def test_xlsm_values_are_read_without_running_anything(tmp_path):
    path = write([a3_layout({(C, "ordered"): 2})], tmp_path / "开元街道")
    xlsm = tmp_path / "开元街道.xlsm"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(xlsm, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
    code, report = cli_json("validate", str(xlsm))
    assert code == 0 and report["files"][0]["forms"] == ["a3"]


def test_a_cell_at_the_far_corner_does_not_crash_the_reader(tmp_path):
    """calamine would allocate the whole 1,048,576 × 16,384 rectangle and abort the process;
    such a sheet is read cell by cell within bounds instead, and the form is still found."""
    path = write([a3_layout({(C, "ordered"): 1, (W, "ordered"): 1})], tmp_path / "开元街道")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["附件3"]["XFD1048576"] = 1
    wb.save(path)
    code, report = cli_json("validate", str(path))
    assert code == 0 and report["files"][0]["forms"] == ["a3"]


@pytest.mark.parametrize("written", [b"r = 'XFD1048576'", b""], ids=["quoted-otherwise", "by-its-row"])
def test_a_far_cell_however_its_reference_is_written_does_not_crash_the_reader(tmp_path, written):
    """XML lets a writer quote and space an attribute as it likes, and a cell without a reference
    sits in its row (r="1048576"): the pre-scan finds the far corner either way, so calamine never
    allocates the rectangle up to it (it would abort the process)."""
    import openpyxl

    path = write([a3_layout({(C, "ordered"): 1, (W, "ordered"): 1})], tmp_path / "开元街道")
    wb = openpyxl.load_workbook(path)
    wb["附件3"]["XFD1048576"] = 1
    wb.save(path)
    edited = tmp_path / "鲤中街道.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b'r="XFD1048576"', written)
            dst.writestr(item.filename, data)
    assert written in zipfile.ZipFile(edited).read("xl/worksheets/sheet1.xml")
    code, report = cli_json("validate", str(edited))
    assert code == 0 and report["files"][0]["forms"] == ["a3"]
    assert "sheet-beyond-limit" in [f["code"] for f in report["files"][0]["findings"]]


def test_zip_bomb_is_refused(tmp_path):
    bomb = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * (110 * 1024 * 1024))
    code, report = cli_json("validate", str(bomb))
    assert code == 2
    assert "解压后" in report["files"][0]["findings"][0]["message"]


def test_a_formula_tag_is_found_with_or_without_a_namespace_prefix(tmp_path):
    """The pre-scan looks for "<f" or ":f" before it runs the formula pattern: every tag the
    pattern finds holds one of them, so a sheet with a formula — prefixed (<x:f>) or not — is
    read for its formulas, and one without is not."""
    from pathlib import Path

    from safetyreport.reading.grid import _scan_xlsx

    def sheet(cell: str) -> Path:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns:x="s"><sheetData><row r="1">{cell}'
                                                   "</row></sheetData></worksheet>")
        return path

    with_formula = ['<c r="A1"><f>SUM(B1:B2)</f><v>3</v></c>', '<x:c r="A1"><x:f>1+1</x:f></x:c>',
                    '<c r="A1"><f t="shared" si="0"/></c>', '<c r="A1"><f\n>1</f></c>']
    without = ['<c r="A1"><v>3</v></c>', '<c r="A1" t="inlineStr"><is><t>&lt;f&gt; 和 x:f</t></is></c>',
               '<c r="A1"><formula1>1</formula1></c>']
    assert [_scan_xlsx(sheet(c)).has_formulas for c in with_formula] == [True] * len(with_formula)
    assert [_scan_xlsx(sheet(c)).has_formulas for c in without] == [False] * len(without)


def test_the_quick_far_cell_test_never_misses_a_far_cell():
    """Before calamine, a sheet's references are measured only when one of them lies past row
    9,999 or column GR (grid._FAR): every reference that could break a bound is caught, quoted
    and spaced however the XML has it."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from safetyreport.reading.grid import _FAR, _REF, _col_number

    @settings(max_examples=2000, deadline=None)
    @given(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=3), st.integers(0, 9_999_999), st.sampled_from(['"', "'"]),
           st.sampled_from(["", " ", "\n  "]))
    def caught(letters, row, quote, space):
        ref = f"<c r{space}={space}{quote}{letters}{row}{quote}>".encode()
        found = _REF.findall(ref)
        assert found
        far = int(found[0][1]) > 9_999 or (found[0][0] and _col_number(found[0][0]) > 200)
        if far:
            assert _FAR.search(ref), ref

    caught()


def _archive_variants(tmp_path) -> dict[str, Path]:
    """One form's archive as the writers write it, and as no spreadsheet program does."""
    import shutil

    base = write([a3_layout()], tmp_path / "openpyxl")
    out = {"openpyxl": base, "xlsxwriter": write([a3_layout()], tmp_path / "xlsxwriter", writer="xlsxwriter")}
    with zipfile.ZipFile(base) as src:
        parts = [(i, src.read(i)) for i in src.infolist()]

    def rewrite(name: str, **how) -> None:
        path = out[name] = tmp_path / f"{name}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED if how.get("stored") else zipfile.ZIP_DEFLATED) as z:
            for info, data in parts:
                if how.get("extra"):
                    info.extra = b"UT\x05\x00\x01\x00\x00\x00\x00"  # an extended timestamp, as Info-ZIP writes
                    z.writestr(info, data)
                elif how.get("zip64"):
                    with z.open(info.filename, "w", force_zip64=True) as member:
                        member.write(data)
                else:
                    z.writestr(info.filename, data, zipfile.ZIP_STORED if how.get("stored") else zipfile.ZIP_DEFLATED)
            if how.get("comment"):
                z.comment = "某单位".encode()

    rewrite("stored", stored=True)
    rewrite("comment", comment=True)
    rewrite("extra", extra=True)
    rewrite("zip64", zip64=True)
    prefixed = out["prefixed"] = tmp_path / "prefixed.xlsx"  # bytes before the archive (a self-extractor)
    prefixed.write_bytes(b"MZ" + b"\0" * 62 + base.read_bytes())
    data = bytearray(base.read_bytes())  # a part marked encrypted
    at = data.find(b"PK\x01\x02")
    data[at + 8] |= 0x1
    out["encrypted"] = tmp_path / "encrypted.xlsx"
    out["encrypted"].write_bytes(bytes(data))
    data = bytearray(base.read_bytes())  # a sheet's local header that is not one
    with zipfile.ZipFile(base) as src:
        sheet = next(i for i in src.infolist() if i.filename.startswith("xl/worksheets/"))
    data[sheet.header_offset:sheet.header_offset + 4] = b"PK\x09\x09"
    out["bad-header"] = tmp_path / "bad-header.xlsx"
    out["bad-header"].write_bytes(bytes(data))
    out["cut"] = tmp_path / "cut.xlsx"  # cut short: no end record
    out["cut"].write_bytes(base.read_bytes()[:-30])
    shutil.copy(ROOT / "samples" / "flawed" / "公式未计算_区自然资源局.xlsx", tmp_path / "formulas.xlsx")
    out["formulas"] = tmp_path / "formulas.xlsx"
    return out


def test_a_plain_archive_is_taken_apart_from_its_bytes_as_zipfile_reads_it(tmp_path):
    """The pre-scan takes a form's archive apart from the bytes read (grid._plain_zip) when it is
    laid out as spreadsheet programs write one; any other — a comment, zip64, bytes before it,
    extra fields, an encrypted part — goes to zipfile as before. Either way it says the same, and
    a damaged file is refused with the same message."""
    from safetyreport.reading.grid import ReadError, _plain_zip, _scan_xlsx

    def said(path: Path, data: bytes | None):
        try:
            return _scan_xlsx(path, data)
        except ReadError as e:
            return e.code, str(e)
        except Exception as e:  # what zipfile raises of an archive it cannot read, as it did before
            return type(e).__name__

    variants = _archive_variants(tmp_path)
    samples = sorted((ROOT / "samples").rglob("*.xlsx"))
    plain = set()
    for name, path in [*variants.items(), *((p.name, p) for p in samples)]:
        data = path.read_bytes()
        members = _plain_zip(data)
        if members is not None:
            plain.add(name)
            with zipfile.ZipFile(path) as zf:
                assert [(m.filename, m.compress_type, m.compress_size, m.file_size, m.header_offset)
                        for m in members] == [(i.filename, i.compress_type, i.compress_size, i.file_size,
                                               i.header_offset) for i in zf.infolist()]
        assert said(path, data) == said(path, None), name
    # zip64 in the local headers alone (small parts): the directory is plain, those headers stepped over
    assert {"openpyxl", "xlsxwriter", "stored", "zip64", "bad-header", "formulas"} <= plain
    assert not plain & {"comment", "extra", "prefixed", "encrypted", "cut"}
    assert {p.name for p in samples if not p.name.startswith("~$")} <= plain
    assert said(variants["bad-header"], variants["bad-header"].read_bytes())[0] == "unreadable-file"
    assert _scan_xlsx(variants["formulas"], variants["formulas"].read_bytes()).has_formulas
