"""Build the binary members of the proposal set (.docx in two layouts, a rendered scan) from the text here.

    .venv/bin/python eval/proposals/make_files.py      # rewrites the .docx and .png files next to this script

The scan is rendered like the OCR fixtures (tests/fixtures/make_formats.py: Noto CJK, 200 dpi A4).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

TABLE_ROWS = [
    ("提案编号", "SZ-0456", "提案类别", "经济科技"),
    ("提案人", "陈建国", "所属界别", "经济界"),
    ("附议人", "孙丽、郑浩", "会议", "政协深圳市第七届委员会第四次会议"),
    ("主办单位", "深圳市中小企业服务局", "会办单位", "深圳市科技创新局"),
]
TABLE_TITLE = "关于支持中小企业开拓国际市场的提案"
TABLE_BODY = [
    "提案内容：",
    "受国际形势影响，我市中小企业外贸订单波动较大，海外参展成本高，国际市场开拓能力不足。",
    "建议：",
    "1.加大对中小企业境外参展的补贴力度，将展位费补贴比例提高至70%。",
    "2.搭建跨境电商公共服务平台，为中小企业提供海外仓、物流和结算服务。",
    "3.建立海外知识产权纠纷应对指导机制，帮助企业防范出海风险。",
]

PARA_LINES = [
    "珠海市第十届人民代表大会第五次会议",
    "建议编号：第88号",
    "建议标题：关于完善城市公共充电桩布局的建议",
    "领衔代表：何晓燕",
    "附议代表：冯军、许文",
    "会办单位：珠海市自然资源局",
    "主办单位：珠海市发展和改革局",
    "我市新能源汽车保有量快速增长，但公共充电桩布局不均衡，老城区和景区周边充电难问题突出，部分充电桩故障率高。",
    "为此，提出以下建议：",
    "（一）编制全市充电基础设施专项规划，优先补齐老城区和景区周边充电设施。",
    "（二）建立充电桩运营监测平台，对长期故障的充电桩限期整改。",
    "（三）鼓励住宅小区建设共享充电桩，简化报装手续。",
]

SCAN_LINES = [
    "汕头市第十五届人民代表大会第三次会议",
    "建议编号：第52号",
    "建议标题：关于加强校园周边交通安全管理的建议",
    "提出人：蔡文华",
    "当前部分学校周边上下学时段交通拥堵，接送车辆乱停乱放，学生通行安全存在隐患。",
    "建议：",
    "一是在学校周边设置临时停车区和限时停车位。",
    "二是在上下学高峰时段增派交警和志愿者疏导交通。",
    "三是完善学校周边人行横道、减速带等交通安全设施。",
]


def make_table_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph(TABLE_TITLE)
    table = d.add_table(rows=len(TABLE_ROWS), cols=4)
    for r, row in enumerate(TABLE_ROWS):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    for line in TABLE_BODY:
        d.add_paragraph(line)
    d.save(str(path))


def make_paragraph_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    for line in PARA_LINES:
        d.add_paragraph(line)
    d.save(str(path))


def make_scan(path: Path) -> None:
    from tests.fixtures.make_formats import render_page

    render_page(SCAN_LINES, dpi=200).save(str(path), format="PNG")


def main() -> None:
    make_table_docx(HERE / "sz-zx-0456-table.docx")
    make_paragraph_docx(HERE / "zh-rd-88-paragraphs.docx")
    make_scan(HERE / "st-rd-52-scan.png")


if __name__ == "__main__":
    main()
