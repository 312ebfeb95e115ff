"""File → grid: the cells of every sheet with their coordinates, whatever wrote the file.

This is the only module that opens spreadsheet files. It never judges values; it only reports
a file it cannot read as a `ReadError` carrying a catalog code and a Chinese reason. Inputs are
opened read-only.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
WPS_SUFFIXES = {".et", ".ett", ".dps", ".wps"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Bounds that keep a hostile or absurd file from eating the machine. A real list may be long (a
# city's 附件4), so rows are generous; what lies beyond is reported (Sheet.beyond), never dropped
# silently. calamine allocates the whole rectangle up to the farthest cell, so a sheet whose
# rectangle is larger than MAX_CELLS is read cell by cell with openpyxl instead.
MAX_ROWS = 100_000
MAX_COLS = 200
MAX_CELLS = 2_000_000


class ReadError(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Sheet:
    name: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # 0-based (row, col) → value
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2 incl.
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # formulas with no value
    beyond: str = ""  # the farthest cell holding something past MAX_ROWS × MAX_COLS (not read)

    def merged_area(self, r: int, c: int) -> tuple[int, int, int, int]:
        for area in self.merged:
            if area[0] <= r <= area[2] and area[1] <= c <= area[3]:
                return area
        return (r, c, r, c)


def col_letter(c: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


@lru_cache(maxsize=1 << 16)
def a1(r: int, c: int) -> str:
    """(5, 5) → 'F6' (memoised: every typed cell carries its reference)."""
    return f"{col_letter(c)}{r + 1}"


_A1 = re.compile(r"([A-Z]{1,3})([0-9]+)")


def parse_a1(ref: str) -> tuple[int, int] | None:
    """'F6' → (5, 5), 0-based; None for a range, an empty or another kind of reference."""
    m = _A1.fullmatch(ref or "")
    return (int(m.group(2)) - 1, _col_number(m.group(1).encode()) - 1) if m else None


def require_regular(path: Path) -> None:
    """Refuse at once what is not a regular file: opening a FIFO waits for a writer forever and
    /dev/zero never ends. (FileNotFoundError passes through.)"""
    import stat

    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        kind = "文件夹" if stat.S_ISDIR(mode) else "管道或设备等特殊文件"
        raise ReadError("unreadable-file", f"这不是普通文件（是{kind}），已拒绝读取。")


def is_lock_file(path: Path) -> bool:
    return path.name.startswith("~$") or path.name.startswith(".~lock.")


def read_grid(path: Path) -> list[Sheet]:
    """All sheets of a workbook as grids. Raises ReadError with a clerk-readable reason."""
    suffix = path.suffix.lower()
    if not os.path.lexists(path):  # named but not there: say so before judging its name
        raise ReadError("file-not-found", f"找不到文件：{path}")
    if suffix in WPS_SUFFIXES:
        raise ReadError("unsupported-format",
                        f"这是 WPS 专有格式（{suffix}），请在 WPS 中“另存为”Excel 格式（.xlsx）后再报送。")
    if suffix not in SPREADSHEET_SUFFIXES:
        raise ReadError("unsupported-format",
                        f"不是电子表格文件（{suffix or '无扩展名'}），请报送 .xlsx 或 .xls 文件。")
    try:
        require_regular(path)
        with path.open("rb") as fh:  # a form is read whole, once: the pre-scan takes it apart from memory
            size = os.fstat(fh.fileno()).st_size
            whole = fh.read() if size <= WHOLE_READ else None
        head = whole[:8] if whole is not None else _head(path)
    except FileNotFoundError:
        raise ReadError("file-not-found", f"找不到文件：{path}") from None
    except OSError as e:
        from ..atomic import os_reason

        raise ReadError("unreadable-file", f"无法打开文件（{os_reason(e)}）。") from None
    if size == 0:
        raise ReadError("unreadable-file", "文件大小为 0 字节：可能还在写入、下载不完整或已损坏。")
    if head.lstrip()[:1] == b"<":
        raise ReadError("unsupported-format",
                        "这是网页（HTML）格式另存的表格，不是真正的 Excel 文件。"
                        "请在 Excel/WPS 中打开后“另存为”.xlsx 再报送。")
    if suffix in (".xlsx", ".xlsm"):
        if head == OLE_MAGIC:
            raise ReadError("unreadable-file",
                            "文件设置了打开密码（已加密）。请取消密码后另存为 .xlsx 再报送。")
        if head[:2] != b"PK":
            raise ReadError("unreadable-file", "文件已损坏或不是 Excel 文件（扩展名是 .xlsx，内容却不是）。")
        scan = _scan_xlsx(path, whole if whole is not None and len(whole) == size else None)
        if scan.max_row > MAX_ROWS or scan.max_col > MAX_COLS or scan.max_row * scan.max_col > MAX_CELLS:
            # calamine allocates the whole rectangle up to the farthest cell (one cell at
            # XFD1048576 aborts the process); openpyxl reads cell by cell within our bounds
            return _read_openpyxl(path)
        # Fast path: calamine (0.5 ms a file against openpyxl's 18 ms, same cells and merged areas
        # on every sample). It drops a formula that has no cached result, so those are found
        # separately; a file calamine cannot parse gets a second chance with openpyxl.
        try:
            sheets = _read_calamine(path)
        except ReadError:
            return _read_openpyxl(path)
        if scan.has_formulas:
            _find_formulas_without_values(path, sheets)
        return sheets
    if suffix == ".xls" and head == OLE_MAGIC:
        rows, cols = _xls_extent(path)
        if rows > MAX_ROWS or cols > MAX_COLS or rows * cols > MAX_CELLS:
            # one stray cell at the last row and column of a 5 KB .xls makes calamine allocate
            # the whole sheet (1.1 GB); xlrd with ragged rows reads the cells that are there
            return _read_xlrd(path)
    return _read_calamine(path)


def _read_openpyxl(path: Path) -> list[Sheet]:
    """The slow, tolerant reader: for the files calamine refuses."""
    import openpyxl  # lazily: 160 ms that `--help` should not pay

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except zipfile.BadZipFile:
        raise ReadError("unreadable-file", "文件已损坏（压缩结构不完整），请重新保存后报送。") from None
    except Exception as e:  # openpyxl raises many kinds on a malformed package
        chain: list[str] = []
        cur: BaseException | None = e
        while cur is not None and len(chain) < 10:
            chain.append(type(cur).__name__)
            cur = cur.__cause__ or cur.__context__
        if any("Entit" in n or "DTD" in n for n in chain):  # defusedxml refused it
            raise ReadError("unreadable-file", "文件含有不允许的 XML 实体定义（可能是恶意文件），已拒绝读取。") from None
        raise ReadError("unreadable-file", f"文件已损坏或格式异常，无法读取（{type(e).__name__}）。") from None
    sheets: list[Sheet] = []
    try:
        for ws in wb.worksheets:
            sheet = Sheet(name=ws.title)
            far = (-1, -1)
            # the cells the file holds (not the rectangle up to the farthest one)
            for (r, c), cell in sorted(getattr(ws, "_cells", {}).items()):
                v = cell.value
                if v is None or v == "":
                    continue
                if r > MAX_ROWS or c > MAX_COLS:
                    far = max(far, (r - 1, c - 1))
                    continue
                sheet.cells[(r - 1, c - 1)] = v
            if far != (-1, -1):
                sheet.beyond = a1(*far)
            sheet.merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1)
                            for m in ws.merged_cells.ranges]
            sheets.append(sheet)
    finally:
        wb.close()
    if _scan_xlsx(path).has_formulas:
        _find_formulas_without_values(path, sheets)
    return sheets


# A workbook's parts, unpacked, may not exceed these: a real form is a few hundred kilobytes.
MAX_UNPACKED = 100 * 1024 * 1024
MAX_RATIO = 200  # a "zip bomb" packs far tighter than any spreadsheet XML


WHOLE_READ = 4 * 1024 * 1024  # a file up to this size is read into memory at once (a form is some 10 KB)


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8)


@dataclass
class XlsxScan:
    has_formulas: bool = False
    max_row: int = 0
    max_col: int = 0


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a cell formula <f>, not <formula1> of a validation
# a cell's reference (r="F6") or a row's (r="6"), however it is quoted or spaced: calamine places a
# cell by its own reference, or by its row's when it has none, so the farthest of both bounds it
_REF = re.compile(rb"""r\s*=\s*["']([A-Z]{0,3})([0-9]{1,7})""")
# A reference past row 9,999 or column GR (200). None such — every form — and the farthest cell is
# within every bound below (9,999 × 200 < MAX_CELLS): the references need not be gathered and measured.
_FAR = re.compile(rb"""r\s*=\s*["'](?:[A-Z]{0,3}[0-9]{5}|[A-Z]{3}|G[S-Z]|[H-Z][A-Z])""")
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature … file name length, extra field length


def _scan_xlsx(path: Path, whole: bytes | None = None) -> XlsxScan:
    """One cheap pass over the sheet XML before parsing: refuse zip bombs, find the farthest
    cell, and whether any formula is there (so the common file is parsed once). `whole`: the
    file's bytes, read already — a plain archive is then taken apart from them (`_plain_zip`)."""
    try:
        if whole is not None and (members := _plain_zip(whole)) is not None:
            data = whole
            return _scanned(members, lambda m: _member_of(data, m))
        with zipfile.ZipFile(path) as zf:
            return _scanned(zf.infolist(), lambda info: _member(zf, info))
    except (zipfile.BadZipFile, zlib.error, struct.error):
        raise ReadError("unreadable-file", "文件已损坏（压缩结构不完整），请重新保存后报送。") from None


def _scanned(infos: list, member: Any) -> XlsxScan:
    """What `_scan_xlsx` says of an archive's members (`member(info)`: one's inflated bytes)."""
    scan = XlsxScan()
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNPACKED or (total > 1024 * 1024 and total / packed > MAX_RATIO):
        raise ReadError("unreadable-file", f"文件解压后达 {total // (1024 * 1024)} MB，远超正常报表，"
                                           "疑似损坏或恶意文件，已拒绝读取。")
    for info in infos:
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            data = member(info)
            # a formula's tag is "<f" or, with a namespace prefix, ":f": where neither is, none
            scan.has_formulas = scan.has_formulas or (
                (b"<f" in data or b":f" in data) and bool(_FORMULA.search(data)))
            refs = _REF.findall(data) if _FAR.search(data) else None
            if refs:  # per distinct row and column, not per cell
                scan.max_row = max(scan.max_row, *map(int, set(map(itemgetter(1), refs))))
                letters = set(map(itemgetter(0), refs))
                letters.discard(b"")
                scan.max_col = max(scan.max_col, 0, *map(_col_number, letters))
    return scan


@dataclass(frozen=True)
class _Member:
    """A central directory entry, named as zipfile.ZipInfo names its fields."""

    filename: str
    compress_type: int
    compress_size: int
    file_size: int
    header_offset: int


_END = struct.Struct("<4s4H2LH")  # end of central directory: signature … size, offset, comment length
_ENTRY = struct.Struct("<4s4B4HL2L5H2L")  # a central directory entry, as zipfile reads it
_ZIP64_LOCATOR = b"PK\x06\x07"
_NEWEST_ZIP = 63  # zipfile's MAX_EXTRACT_VERSION: an archive needing a later version it refuses


def _plain_zip(data: bytes) -> list[_Member] | None:
    """The members of an archive as every spreadsheet program writes one — no comment, no zip64,
    nothing before it, no extra fields, no encryption — read from its bytes (zipfile reads the
    file a dozen times and builds a ZipInfo for each part: a twentieth of reading a form). None
    for any other archive, which zipfile then reads as before, errors and all."""
    if len(data) < _END.size + 20 or data[-_END.size:-_END.size + 4] != b"PK\x05\x06":
        return None
    _, disk, cd_disk, on_disk, entries, cd_size, cd_offset, comment = _END.unpack_from(data, len(data) - _END.size)
    end = len(data) - _END.size
    if (comment or disk or cd_disk or on_disk != entries or cd_offset + cd_size != end
            or data[end - 20:end - 16] == _ZIP64_LOCATOR):
        return None
    members: list[_Member] = []
    at = cd_offset
    while at < end:
        if at + _ENTRY.size > end:
            return None
        (magic, _, _, version, _, flags, method, _, _, _, packed, size, name_len, extra_len, note_len,
         _, _, _, offset) = _ENTRY.unpack_from(data, at)
        if (magic != b"PK\x01\x02" or version > _NEWEST_ZIP or flags & 0x1 or extra_len
                or method not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or 0xFFFFFFFF in (packed, size, offset)):
            return None
        raw = data[at + _ENTRY.size:at + _ENTRY.size + name_len]
        members.append(_Member(raw.decode("utf-8" if flags & 0x800 else "cp437"), method, packed, size, offset))
        at += _ENTRY.size + name_len + extra_len + note_len
    return members if at == end and len(members) == entries else None


def _member_of(data: bytes, m: _Member) -> bytes:
    """A member's bytes out of the archive's, inflated at most to MAX_UNPACKED (as `_member`)."""
    start = m.header_offset + _to_data(data[m.header_offset:m.header_offset + _LOCAL_HEADER.size])
    return _inflated(data[start:start + m.compress_size], m.compress_type)


assert MAX_ROWS >= 9_999 and MAX_COLS >= 200 and MAX_CELLS >= 9_999 * 200  # what _FAR rests on


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, inflated at most to MAX_UNPACKED whatever its header claims (zipfile's
    own reader costs twice as much for the small parts of a form). Encrypted or unusual members
    go through zipfile."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        return zf.read(info)
    fp = zf.fp
    assert fp is not None
    fp.seek(info.header_offset)
    fp.seek(_to_data(fp.read(_LOCAL_HEADER.size)) - _LOCAL_HEADER.size, os.SEEK_CUR)
    return _inflated(fp.read(info.compress_size), info.compress_type)


def _to_data(header: bytes) -> int:
    """From a member's local header to its data, in bytes (BadZipFile when it is no header)."""
    magic, name_len, extra_len = _LOCAL_HEADER.unpack(header)
    if magic != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    return _LOCAL_HEADER.size + name_len + extra_len


def _inflated(raw: bytes, method: int) -> bytes:
    """A stored or deflated member's bytes, at most MAX_UNPACKED whatever its header claims."""
    if method == zipfile.ZIP_STORED:
        return raw[:MAX_UNPACKED]
    return zlib.decompressobj(-15).decompress(raw, MAX_UNPACKED)


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _find_formulas_without_values(path: Path, sheets: list[Sheet]) -> None:
    """A formula whose file holds no cached result (written by a program, never opened in Excel)
    reads as empty: record it so the reader reports it instead of counting a silent 0."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=False, read_only=True)
    except Exception:  # calamine read it; openpyxl cannot: no formula information, values stand
        return
    try:
        for sheet, ws in zip(sheets, wb.worksheets):
            for r, row in enumerate(ws.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLS, values_only=True)):
                for c, v in enumerate(row):
                    if isinstance(v, str) and v.startswith("=") and (r, c) not in sheet.cells:
                        sheet.formulas[(r, c)] = v
    finally:
        wb.close()


# BIFF8 records that hold a cell, with (row, column) in their first four bytes; MULRK and MULBLANK
# also name their last column in their last two bytes
_XLS_CELLS = {0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x0406}
_XLS_MULTI = {0x00BD, 0x00BE}


def _xls_extent(path: Path) -> tuple[int, int]:
    """(rows, columns) up to the farthest cell of any sheet of a legacy .xls, from its records
    (a scan of the Workbook stream: no cell is decoded, nothing is allocated per cell)."""
    import struct

    from xlrd import compdoc

    try:
        with open(os.devnull, "w") as quiet:
            doc = compdoc.CompDoc(path.read_bytes(), logfile=quiet)
            stream = doc.get_named_stream("Workbook") or doc.get_named_stream("Book")
    except Exception:
        return 0, 0  # not an OLE workbook we understand: calamine reports it
    if not stream:
        return 0, 0
    rows = cols = 0
    i, end = 0, len(stream) - 4
    while i <= end:
        kind, size = struct.unpack_from("<HH", stream, i)
        body = i + 4
        if size >= 4 and (kind in _XLS_CELLS or kind in _XLS_MULTI) and body + size <= len(stream):
            r, c = struct.unpack_from("<HH", stream, body)
            if kind in _XLS_MULTI and size >= 6:
                c = struct.unpack_from("<H", stream, body + size - 2)[0]
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        i = body + size
    return rows, cols


def _read_xlrd(path: Path) -> list[Sheet]:
    """A legacy .xls read cell by cell within our bounds (xlrd, ragged rows: memory follows the
    cells that exist). Merged areas are not known on this path; far cells are named (beyond)."""

    import xlrd

    try:
        with open(os.devnull, "w") as quiet:
            wb = xlrd.open_workbook(str(path), on_demand=True, ragged_rows=True, logfile=quiet)
    except Exception:
        raise ReadError("unreadable-file", "文件已损坏或格式异常，无法读取。请在 Excel/WPS 中打开后另存为 .xlsx。") from None
    sheets = []
    try:
        for index in range(wb.nsheets):
            ws = wb.sheet_by_index(index)
            sheet = Sheet(name=ws.name)
            far = (-1, -1)
            for r in range(ws.nrows):
                for c in range(ws.row_len(r)):
                    cell = ws.cell(r, c)
                    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) or cell.value == "":
                        continue
                    if r >= MAX_ROWS or c >= MAX_COLS:
                        far = max(far, (r, c))
                        continue
                    v = cell.value
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        try:
                            v = xlrd.xldate_as_datetime(v, wb.datemode)
                        except (ValueError, OverflowError):
                            pass
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        v = bool(v)
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        continue
                    sheet.cells[(r, c)] = v
            if far != (-1, -1):
                sheet.beyond = a1(*far)
            sheets.append(sheet)
            wb.unload_sheet(index)
    finally:
        wb.release_resources()
    return sheets


def _read_calamine(path: Path) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises its own error types for each format
        text = str(e).lower()
        if "password" in text or "encrypt" in text:
            raise ReadError("unreadable-file", "文件设置了打开密码（已加密）。请取消密码后另存为 .xlsx 再报送。") from None
        raise ReadError("unreadable-file", "文件已损坏或格式异常，无法读取。请在 Excel/WPS 中打开后另存为 .xlsx。") from None
    sheets: list[Sheet] = []
    for name in wb.sheet_names:
        try:
            ws = wb.get_sheet_by_name(name)
            rows = ws.to_python(skip_empty_area=False, nrows=MAX_ROWS + 1)
        except Exception:
            raise ReadError("unreadable-file", f"工作表“{name}”无法读取，文件可能已损坏。") from None
        sheet = Sheet(name=name)
        cells = sheet.cells
        far = (-1, -1)
        for r, row in enumerate(rows):
            if r < MAX_ROWS and len(row) <= MAX_COLS:  # every row of a form: its filled cells at once
                cells.update({(r, c): v for c, v in enumerate(row) if v is not None and v != ""})
                continue
            for c, v in enumerate(row):
                if v is not None and v != "":
                    if r >= MAX_ROWS or c >= MAX_COLS:
                        far = max(far, (r, c))
                    else:
                        cells[(r, c)] = v
        more_rows = max(ws.total_height, ws.height) > MAX_ROWS + 1
        if far != (-1, -1) or more_rows:
            sheet.beyond = a1(*far) if far != (-1, -1) else a1(max(ws.total_height, ws.height) - 1, 0)
        sheet.merged = [(a[0], a[1], b[0], b[1]) for a, b in (ws.merged_cell_ranges or [])]
        sheets.append(sheet)
    return sheets
