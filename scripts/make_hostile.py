"""Broken and hostile files, each with the finding it must produce (issue: nothing let in).

    python scripts/make_hostile.py OUTDIR     # writes the corpus and prints its manifest

Made here, never downloaded. The tests build the same corpus in a temporary folder and run it
through the real CLI: no traceback, the expected finding, every input's bytes unchanged.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openpyxl_layouts import write_layouts
from safetyreport.outputs.layout import footer_text, layout_form
from safetyreport.schema import load_schemas


@dataclass
class Case:
    name: str
    why: str
    code: str | None  # the finding expected (None: read normally, the form is found)
    message: str = ""  # a part of the Chinese message
    skipped: bool = False  # listed as skipped when in a folder


def _a3_bytes(values: dict | None = None, submitter: str = "开元街道") -> bytes:
    schema = load_schemas()["a3"]
    lay = layout_form(schema, submitter=submitter)
    for rc in lay.data_cells.values():
        lay.cells[rc] = 0
    for key, v in (values or {}).items():
        lay.cells[lay.data_cells[key]] = v
    lay.cells[(lay.footer_row, 0)] = footer_text("张明", "李华", "13905951234", "2021年9月23日")
    buf = io.BytesIO()
    write_layouts([lay]).save(buf)
    return buf.getvalue()


def _with_sheet_xml(base: bytes, edit) -> bytes:
    """Rewrite the first worksheet's XML of a workbook."""
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            z.writestr(name, data)
    return out.getvalue()


def _doctype(xml: str, doctype: str, entity: str) -> str:
    xml = xml.replace("<worksheet", doctype + "<worksheet", 1)
    return xml.replace("<t>开元街道", f"<t>{entity}开元街道", 1) if "<t>开元街道" in xml else \
        xml.replace("</sheetData>", f'<row r="99"><c r="A99" t="inlineStr"><is><t>{entity}</t></is></c></row></sheetData>', 1)


def build(folder: Path) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    good = _a3_bytes()
    cases: list[tuple[Case, bytes]] = []

    def add(case: Case, data: bytes) -> None:
        cases.append((case, data))

    add(Case("截断.xlsx", "a download cut in half", "unreadable-file", "损坏"), good[: len(good) // 2])
    add(Case("乱码.xlsx", "a zip whose sheet XML is garbage", "unreadable-file", "无法读取"),
        _with_sheet_xml(good, lambda x: x[: len(x) // 3] + "<<<garbage"))
    add(Case("改了扩展名.xlsx", "a letter renamed .xlsx", "unreadable-file", "不是 Excel 文件"),
        "关于开展专项整治的通知".encode())
    add(Case("加密.xlsx", "a password-protected workbook (an OLE container)", "unreadable-file", "密码"),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048)
    add(Case("网页.xls", "an HTML table saved as .xls", "unsupported-format", "HTML"),
        "<html><body><table><tr><td>累计数</td><td>3</td></tr></table></body></html>".encode())
    add(Case("正在写入.xlsx", "a file still being written (0 bytes)", "unreadable-file", "0 字节"), b"")
    add(Case("WPS.et", "a WPS spreadsheet", "unsupported-format", "另存为"), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")

    import openpyxl

    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    add(Case("空工作簿.xlsx", "an empty workbook", "no-form-found", "没有找到"), buf.getvalue())
    add(Case("宏.xlsm", "a macro workbook: values are read, macros never run", None),
        _add_part(good, "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"Attribute VB_Name = \"Module1\"\nSub AutoOpen()\nEnd Sub"))
    ents = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    add(Case("实体膨胀.xlsx", "billion laughs: nested XML entities", "unreadable-file", "XML 实体"),
        _with_sheet_xml(good, lambda x: _doctype(x, f"<!DOCTYPE worksheet [{ents}]>", "&i;")))
    add(Case("外部实体.xlsx", "an external entity reading a local file", "unreadable-file", "XML 实体"),
        _with_sheet_xml(good, lambda x: _doctype(
            x, '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;")))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * (120 * 1024 * 1024))
    add(Case("压缩炸弹.xlsx", "120 MB of spaces packed into a few hundred KB", "unreadable-file", "解压后"),
        bomb.getvalue())
    add(Case("百万行.xlsx", "a sheet with a cell at the last row and column: the form is read, the far cell is "
                         "named, never silently dropped", "sheet-beyond-limit", "XFD1048576"),
        _with_sheet_xml(good, lambda x: x.replace(
            "</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>', 1)))
    add(Case("超长文字.xlsx", "a 2 MB string typed in a count cell", "not-a-number", "共"),
        _a3_bytes({("cumulative", "ordered"): "很" * 2_000_000}))
    add(Case("~$开元街道.xlsx", "an Excel lock file", None, skipped=True), b"\x07owner\x00" * 20)
    for case, data in cases:
        (folder / case.name).write_bytes(data)
    return [c for c, _ in cases]


def _add_part(base: bytes, name: str, data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in src.namelist():
            z.writestr(n, src.read(n))
        z.writestr(name, data)
    return out.getvalue()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    print(json.dumps([asdict(c) for c in build(target)], ensure_ascii=False, indent=1))
