"""Word (.docx) enforcement documents in the usual layout: 责令限期改正通知书, 复查意见书,
重大火灾隐患整改通知书. Built with python-docx from the stored document (number, hazards, deadline)."""

from __future__ import annotations

import io

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from firegov.hazards.models import DocumentType, HazardDocument

TITLES = {
    DocumentType.NOTICE: "责令限期改正通知书",
    DocumentType.REINSPECTION: "复查意见书",
    DocumentType.MAJOR_NOTICE: "重大火灾隐患整改通知书",
}


def _date(value) -> str:
    if not value:
        return "____年__月__日"
    local = timezone.localtime(value) if hasattr(value, "hour") else value
    return f"{local.year}年{local.month}月{local.day}日"


def _paragraph(doc, text, *, size=14, bold=False, align=None, indent=True):
    para = doc.add_paragraph()
    if align is not None:
        para.alignment = align
    if indent and align is None:
        para.paragraph_format.first_line_indent = Pt(size * 2)
    run = para.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    run.font.name = "FangSong"
    run._element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    return para


def body_lines(document: HazardDocument) -> list[str]:
    unit = document.unit
    items = document.items or []
    lines = []
    if document.kind == DocumentType.NOTICE:
        lines.append(f"{unit.name}：")
        inspected = _date(document.inspection.completed_at) if document.inspection else _date(document.issued_at)
        lines.append(f"根据《中华人民共和国消防法》第五十三条的规定，本机构于{inspected}对你单位（场所）进行消防监督检查，"
                     "发现存在下列消防安全违法行为（火灾隐患）：")
        lines += [f"{i}．{item.get('description', '')}" for i, item in enumerate(items, start=1)]
        lines.append(f"根据《中华人民共和国消防法》第六十条第一款的规定，责令你单位（场所）对上述第1至{len(items)}项于"
                     f"{_date(document.due_at)}前改正。")
        lines.append("改正期间，你单位（场所）应当采取措施，确保消防安全。对逾期不改正的，将依法予以处罚。")
    elif document.kind == DocumentType.REINSPECTION:
        lines.append(f"{unit.name}：")
        lines.append(f"本机构于{_date(document.issued_at)}对你单位（场所）火灾隐患整改情况进行了复查，复查意见如下：")
        for i, item in enumerate(items, start=1):
            verdict = "已改正" if item.get("passed") else "未改正"
            lines.append(f"{i}．{item.get('description', '')}——{verdict}。")
        if document.passed:
            lines.append("上述火灾隐患已整改完毕，予以销号。")
        else:
            lines.append(f"对未改正的事项，责令你单位（场所）于{_date(document.due_at)}前改正，逾期不改正的，将依法予以处罚。")
    else:
        lines.append(f"{unit.name}：")
        lines.append("经集体讨论（专家论证），依据 GB 35181《重大火灾隐患判定方法》，你单位（场所）存在下列重大火灾隐患：")
        lines += [f"{i}．{item.get('description', '')}" for i, item in enumerate(items, start=1)]
        if document.note:
            lines.append(f"判定意见：{document.note}")
        lines.append("请你单位（场所）制定整改方案，落实整改资金、措施、责任、时限和应急预案，按期完成整改。")
    return lines


def render(document: HazardDocument) -> bytes:
    doc = Document()
    _paragraph(doc, document.agency.name, size=16, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc, TITLES.get(document.kind, document.get_kind_display()), size=22, bold=True,
               align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc, document.number, size=14, align=WD_ALIGN_PARAGRAPH.RIGHT)
    for line in body_lines(document):
        _paragraph(doc, line, indent=not line.endswith("："))
    _paragraph(doc, "如不服本决定，可以在收到本通知书之日起六十日内依法申请行政复议或者六个月内依法向人民法院提起行政诉讼。",
               size=12)
    _paragraph(doc, f"{document.agency.name}（印章）", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, _date(document.issued_at), align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, "被检查单位（场所）签收：____________    ____年__月__日", size=12, indent=False)
    _paragraph(doc, "一式两份，一份交被检查单位（场所），一份存档。", size=10, indent=False)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
