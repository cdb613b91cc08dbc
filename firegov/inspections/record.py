"""The inspection record (消防监督检查记录) as a Word document, with the photos' SHA-256."""

from __future__ import annotations

import io

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from firegov.inspections.models import Inspection

RESULT = {"pass": "合格", "fail": "不合格", "na": "不适用", "": "未检查"}


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y年%m月%d日 %H:%M") if value else "—"


def render(inspection: Inspection, photos: dict) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(11)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("消防监督检查记录" if inspection.is_law_enforcement else "消防安全检查记录")
    run.bold, run.font.size = True, Pt(20)
    if inspection.record_number:
        number = doc.add_paragraph(inspection.record_number)
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    people = "、".join(p.get_full_name() or p.username for p in inspection.inspectors.all())
    head = doc.add_table(rows=0, cols=2)
    head.style = "Table Grid"
    for label, value in [
        ("被检查单位（场所）", inspection.unit.name), ("地址", inspection.unit.address),
        ("检查类型", inspection.get_kind_display()), ("检查机构", str(inspection.agency or "—")),
        ("检查时间", f"{_when(inspection.started_at)} 至 {_when(inspection.completed_at)}"),
        ("检查人员", people or "—"), ("检查表", f"{inspection.checklist} 第{inspection.checklist_version}版"),
    ]:
        cells = head.add_row().cells
        cells[0].text, cells[1].text = label, value
    doc.add_paragraph()
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["序号", "检查内容", "结果", "说明"], strict=True):
        cell.text = text
    for answer in inspection.answers.all():
        cells = table.add_row().cells
        cells[0].text, cells[1].text = answer.item, answer.text
        cells[2].text, cells[3].text = RESULT.get(answer.result, answer.result), answer.note
    doc.add_paragraph(f"检查情况：{inspection.findings or '—'}")
    hashes = [(item, a.sha256) for item, files in photos.items() for a in files if item != "signature"]
    if hashes:
        doc.add_paragraph("现场照片（SHA-256）：")
        for item, sha in hashes:
            doc.add_paragraph(f"{item}  {sha}")
    hazards = list(inspection.hazards.all()) if hasattr(inspection, "hazards") else []
    doc.add_paragraph(f"发现火灾隐患：{len(hazards)} 处")
    if inspection.refused_to_sign:
        doc.add_paragraph(f"被检查单位拒绝签字：{inspection.refusal_note}")
    else:
        doc.add_paragraph(f"被检查单位随同检查人员（签名）：{inspection.signed_by or '__________'}")
    doc.add_paragraph(f"检查人员（签名）：{people or '__________'}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
