"""Excel export of the hazard ledger: exactly the filtered rows, in the ledger's usual columns."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook

from firegov.hazards import categories

HEADERS = ["编号", "单位名称", "单位地址", "隐患类别", "隐患描述", "部位", "来源", "等级", "GB 35181 要素", "状态",
           "发现时间", "通知书文号", "整改期限", "提交整改时间", "复查期限", "销号时间", "是否逾期"]


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def export_hazards(queryset) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("隐患台账")
    ws.append(HEADERS)
    labels = dict(categories.choices())
    rows = queryset.select_related("unit", "notice")[: settings.FIREGOV["EXPORT_MAX_ROWS"]]
    for h in rows.iterator(chunk_size=2000):
        ws.append([h.pk, h.unit.name, h.unit.address, labels.get(h.category, h.category), h.description, h.location,
                   h.get_source_display(), h.get_severity_display(), "、".join(h.gb35181), h.get_status_display(),
                   _local(h.found_at), h.notice.number if h.notice else "", _local(h.due_at), _local(h.submitted_at),
                   _local(h.reinspect_due_at), _local(h.closed_at), "是" if h.overdue else "否"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
