"""The example campaign's filings (campaigns/文旅安全专班整改/samples/), written the way member units
fill the 自查问题整改 list of seed 002: a title, the unit, one 自查问题 merged down over its 整改措施,
完成时限 as they write it (10月30日前完成, 长期坚持, 9月30日前), 完成情况 in their own words; one unit
writes with openpyxl (Excel's way), another with xlsxwriter (WPS's way), one sends a 无 row.

    python scripts/make_campaign_samples.py

What each file should give is in tests/test_example_campaign.py.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "campaigns" / "文旅安全专班整改" / "samples"
HEAD = ["序号", "自查问题", "整改措施", "整改类别", "牵头单位（负责人）", "完成时限", "完成情况"]
PROBLEM = "落实行业监督责任有差距，督促企业落实主体责任有短板。"
CULTURE_1 = [  # (measure, category, deadline, status)
    ("指导督促文旅行业领域企事业单位规范实施安全生产挂牌责任制。", "长期坚持", "10月30日前完成", "推进中"),
    ("健全文旅行业领域分类分级管控和隐患排查治理双重预防机制。", "长期坚持", "长期坚持", "持续推进"),
    ("组织开展重大事故隐患交叉互检执法行动。", "限期整改", "11月20日前完成", "未启动"),
    ("组织开展文化旅游领域安全隐患专项排查整治行动。", "限期整改", "12月20日前完成", "未启动"),
]
CULTURE_2 = [(m, c, d, s) for m, c, d, s in CULTURE_1]
CULTURE_2[0] = (CULTURE_1[0][0], "长期坚持", "10月30日前完成", "已完成")
CULTURE_2[2] = (CULTURE_1[2][0], "限期整改", "11月20日前完成", "正在整改")
POLICE = [("景区周边道路交通秩序整治。", "限期整改", "9月30日前", "正在整改"),
          ("旅游客运车辆违法行为查处。", "限期整改", "2023年10月10日", "已完成")]
EMERGENCY = [("A级景区应急预案修订和演练。", "限期整改", "2023年11月底前", "正在整改")]


def _openpyxl(path: Path, unit: str, problem: str, rows: list[tuple]) -> None:
    import openpyxl
    from openpyxl.styles import Alignment

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自查问题整改"
    ws.append(["反馈问题整改“三清单”（自查问题整改）"])
    ws.merge_cells("A1:G1")
    ws.append([f"填报单位：{unit}"])
    ws.append(HEAD)
    for n, (measure, category, deadline, status) in enumerate(rows, start=1):
        ws.append([n, problem if n == 1 else None, f"整改措施{n}：{measure}", category, f"{unit}（局长）", deadline, status])
    if len(rows) > 1:  # one 自查问题 over its several measures, as the notice's table has it
        ws.merge_cells(start_row=4, start_column=2, end_row=3 + len(rows), end_column=2)
        ws.cell(4, 2).alignment = Alignment(vertical="center", wrap_text=True)
    wb.save(path)


def _xlsxwriter(path: Path, unit: str, problem: str, rows: list[tuple]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.merge_range(0, 0, 0, 6, "反馈问题整改“三清单”（自查问题整改）")
    ws.write(1, 0, "报送单位：")
    ws.write(1, 1, unit)
    ws.write_row(3, 0, ["序号", "问题", "整改措施", "整改类别", "牵头单位", "完成时限", "进展情况"])
    for n, (measure, category, deadline, status) in enumerate(rows, start=1):
        ws.write_row(3 + n, 0, [str(n), problem, measure, category, unit, deadline, status])
    wb.close()


def _none(path: Path, unit: str) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["反馈问题整改“三清单”（自查问题整改）"])
    ws.append([f"填报单位：{unit}"])
    ws.append(HEAD)
    ws.append([1, "无", None, None, None, None, None])
    wb.save(path)


def main() -> None:
    first, second = OUT / "2023-10-15", OUT / "2023-10-30"
    for folder in (first, second):
        folder.mkdir(parents=True, exist_ok=True)
    _openpyxl(first / "兴县文化和旅游局_第1期.xlsx", "兴县文化和旅游局", PROBLEM, CULTURE_1)
    _xlsxwriter(first / "县公安局整改进度.xlsx", "县公安局", "景区周边交通安全管理有漏洞。", POLICE)
    _none(first / "市场监管局.xlsx", "县市场监管局")
    _openpyxl(second / "兴县文化和旅游局_第2期.xlsx", "兴县文化和旅游局", PROBLEM, CULTURE_2)
    _xlsxwriter(second / "应急管理局.xlsx", "县应急管理局", "景区应急处置能力不足。", EMERGENCY)
    _none(second / "市场监管局.xlsx", "县市场监管局")
    for path in sorted(OUT.rglob("*.xlsx")):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
