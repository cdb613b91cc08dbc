"""The monthly dispatch sheet (调度表, .xlsx) and the quarterly bulletin (通报, .docx) of a campaign.

Both are computed for a past period as it stood at the period's end: the task tree and its
judgements on the last day (reports accepted by then), the ranking of that day, and hazard figures
from the indicators (timestamps only). Generating them again for the same period gives the same
figures. The periodic job (firegov.campaigns.tasks) stores last month's sheets and last quarter's
bulletins; pages and the API generate any period on demand.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from PIL import Image, ImageDraw, ImageFont

from firegov.campaigns import indicators, services
from firegov.campaigns.models import Campaign, ProgressReport, ReportStatus
from firegov.core.models import Region
from firegov.kernels.periods import Period

FILLS = {"red": "F8D7DA", "yellow": "FFF3CD", "green": "D4EDDA", "grey": "E2E3E5"}
# Fonts for the chart's Chinese labels, where the system has one (Debian: fonts-noto-cjk).
CJK_FONTS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/System/Library/Fonts/PingFang.ttc",
             "C:/Windows/Fonts/msyh.ttc"]


def _as_of(campaign: Campaign, period: Period) -> date:
    """The day a document describes: the period's last day, or today while the period runs."""
    return min(period.end, campaign.ends_on, timezone.localdate())


def _hazards_by_region(campaign: Campaign, on: date, memo: dict) -> list[dict]:
    """Hazards found and rectified since the campaign began, by subdivision of its region, on ``on``."""
    regions = list(Region.objects.filter(parent=campaign.region).order_by("path"))
    if not regions:
        return []
    counted = indicators.hazards_by_subdivision(campaign.region_path, len(regions[0].path), campaign.starts_on, on,
                                                memo)
    empty = {"found": 0, "rectified": 0, "rate": 0}
    return [{"region": region, **counted.get(region.path, empty)} for region in regions]


def _reports_of(campaign: Campaign, period: Period) -> dict[int, ProgressReport]:
    """The lead agencies' reports of the period on the campaign's tasks, by task."""
    reports = ProgressReport.objects.filter(task__campaign=campaign, period=period.key).select_related("task")
    return {r.task_id: r for r in reports if r.agency_id == r.task.lead_id}


def dispatch_sheet(campaign: Campaign, period: Period) -> bytes:
    """The monthly dispatch sheet: the task list with progress, schedule and last report; the
    ranking of lead agencies and regions; hazards by region. As the month ended."""
    if period.kind != "month":
        raise ValueError("a dispatch sheet covers a month (YYYY-MM)")
    on = _as_of(campaign, period)
    memo: dict = {}  # one count of the ledger serves the targets and the hazard sheet
    board = services.ranking(campaign, on, memo)
    rows = board["trees"][campaign.pk]
    reports = _reports_of(campaign, period)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Task list")[:31]
    sheet.append([_("%(name)s: dispatch sheet of %(period)s") % {"name": campaign.name, "period": period.key}])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("As of"), on.isoformat(), _("Overall completion"), board["overall"]])
    header = [_("Code"), _("Task"), _("Lead agency"), _("Cooperating agencies"), _("Due on"), _("Progress"),
              _("Expected"), _("Schedule"), _("Reasons"), _("Reported percent"), _("Work done"),
              _("Difficulties and blockages"), _("Report status")]
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    cooperating = {t.pk: t.cooperating_names() for t in campaign.tasks.prefetch_related("cooperating")}
    for row in rows:
        task, judgement = row["task"], row["judgement"]
        report = reports.get(task.pk)
        sheet.append([
            task.code, task.title, task.lead.name, cooperating.get(task.pk, ""),
            task.due_on.isoformat() if task.due_on else "", row["progress"],
            round(judgement.expected, 1) if judgement.expected is not None else "", str(row["colour"]),
            "；".join(str(r) for r in row["reasons"]), float(report.percent) if report else "",
            report.done if report else "", report.difficulties if report else "",
            report.get_status_display() if report else _("not reported"),
        ])
        sheet.cell(sheet.max_row, 8).fill = PatternFill("solid", fgColor=FILLS[judgement.colour])
    for column, width in zip("ABCDEFGHIJKLM", (8, 36, 22, 30, 12, 9, 9, 12, 40, 9, 40, 30, 10), strict=True):
        sheet.column_dimensions[column].width = width
    wrap = Alignment(wrap_text=True, vertical="top")  # one style object for ~6,500 cells
    for line in sheet.iter_rows(min_row=4):
        for cell in line:
            cell.alignment = wrap

    ranked = book.create_sheet(_("Ranking")[:31])
    ranked.append([_("Rank"), _("Lead agency"), _("Tasks led"), _("Completion"), _("Tasks lagging")])
    for rank, entry in enumerate(board["agencies"], start=1):
        ranked.append([rank, entry["agency"].name, entry["tasks"], entry["progress"], entry["red"]])
    ranked.append([])
    ranked.append([_("Rank"), _("Region"), "", _("Completion"), _("Tasks lagging")])
    for rank, entry in enumerate(board["regions"], start=1):
        ranked.append([rank, entry["region"].name, "", entry["progress"], entry["red"]])
    ranked.column_dimensions["B"].width = 30

    hazards = book.create_sheet(_("Hazard list")[:31])
    hazards.append([_("Region"), _("Found"), _("Rectified"), _("Closing rate (%)")])
    for entry in _hazards_by_region(campaign, on, memo):
        hazards.append([entry["region"].name, entry["found"], entry["rectified"], float(entry["rate"])])
    hazards.column_dimensions["A"].width = 20
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _font(size: int):
    for path in CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


def _chart(entries: list[tuple[str, float]]) -> bytes:
    """A horizontal bar chart (PNG) of completion by region or agency. Without a CJK font on the
    machine the bars are numbered and the table beside names them."""
    font = _font(22)
    width, bar, gap, left = 1200, 34, 12, 330 if font else 60
    height = 40 + len(entries) * (bar + gap)
    image = Image.new("RGB", (width, max(height, 80)), "white")
    draw = ImageDraw.Draw(image)
    scale = (width - left - 120) / 100
    for i, (label, value) in enumerate(entries):
        y = 20 + i * (bar + gap)
        colour = (46, 125, 50) if value >= 80 else (212, 160, 23) if value >= 50 else (192, 57, 43)
        draw.rectangle([left, y, left + max(2, value * scale), y + bar], fill=colour)
        name = label if font else str(i + 1)
        draw.text((10, y + 4), name[:14], fill="black", font=font)
        draw.text((left + value * scale + 8, y + 4), f"{value:.1f}%", fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _table(document, header: list[str], rows: list[list]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = str(value)


def bulletin(campaign: Campaign, period: Period) -> bytes:
    """The quarterly bulletin in the usual layout: title, summary figures, ranking tables of
    agencies and regions with a chart, the laggards named (推进不力), as the quarter ended."""
    if period.kind != "quarter":
        raise ValueError("a bulletin covers a quarter (YYYY-Qn)")
    on = _as_of(campaign, period)
    memo: dict = {}  # one count of the ledger serves the targets, the totals and the regions
    board = services.ranking(campaign, on, memo)
    rows = board["trees"][campaign.pk]
    colours = services.colour_counts(rows)
    in_quarter = indicators.hazard_counts(campaign.region_path, max(campaign.starts_on, period.start), on, memo)
    total = indicators.hazard_counts(campaign.region_path, campaign.starts_on, on, memo)
    months = [Period("month", period.year, m) for m in range(period.start.month, period.end.month + 1)]
    due = ProgressReport.objects.filter(task__campaign__in=[campaign, *campaign.derived.all()],
                                        period__in=[m.key for m in months])
    accepted = due.filter(status=ReportStatus.ACCEPTED, reviewed_at__date__lte=on).count()

    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(14)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(_("Bulletin on the progress of %(name)s in %(year)d Q%(quarter)d")
                        % {"name": campaign.name, "year": period.year, "quarter": period.index})
    run.bold, run.font.size = True, Pt(20)
    document.add_paragraph(campaign.issuer.name).alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading(_("1. Overall progress"), level=2)
    document.add_paragraph(_(
        "By %(on)s the campaign's lists stood at %(overall)s%% complete. Of %(tasks)d tasks, %(green)d were on "
        "schedule, %(yellow)d need watching and %(red)d were lagging. This quarter %(found)d hazards were found "
        "and %(rectified)d rectified; since the campaign began %(total)d were found, %(rate)s%% of them "
        "rectified. %(accepted)d progress reports of the quarter were accepted.") % {
        "on": on.isoformat(), "overall": board["overall"], "tasks": len(rows), **colours,
        "found": in_quarter["found"], "rectified": in_quarter["rectified"], "total": total["found"],
        "rate": total["rate"], "accepted": accepted})

    if board["regions"]:
        document.add_heading(_("2. Ranking of regions"), level=2)
        _table(document, [_("Rank"), _("Region"), _("Completion"), _("Tasks lagging")],
               [[i, e["region"].name, f"{e['progress']}%", e["red"]] for i, e in enumerate(board["regions"], 1)])
        document.add_picture(io.BytesIO(_chart([(e["region"].name, e["progress"]) for e in board["regions"]])),
                             width=Cm(15))
    document.add_heading(_("3. Ranking of lead agencies"), level=2)
    _table(document, [_("Rank"), _("Lead agency"), _("Tasks led"), _("Completion"), _("Tasks lagging")],
           [[i, e["agency"].name, e["tasks"], f"{e['progress']}%", e["red"]]
            for i, e in enumerate(board["agencies"], 1)])
    document.add_picture(io.BytesIO(_chart([(e["agency"].name, e["progress"]) for e in board["agencies"][:15]])),
                         width=Cm(15))

    document.add_heading(_("4. Agencies behind"), level=2)
    laggards = [e for e in board["agencies"] if e["red"]]
    if laggards:
        document.add_paragraph(_("The following agencies were behind on their tasks and are hereby named:"))
        for entry in laggards:
            reasons = [f"{r['task'].code} {r['task'].title}：{'；'.join(str(x) for x in r['reasons'])}"
                       for r in board["leaves"]
                       if r["task"].lead_id == entry["agency"].pk and r["judgement"].colour == "red"]
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{entry['agency'].name}（{entry['red']}）").bold = True
            for reason in reasons:
                paragraph.add_run(f"\n{reason}")
    else:
        document.add_paragraph(_("No agency was behind this quarter."))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


KINDS = {"dispatch": ("month", dispatch_sheet, "xlsx"), "bulletin": ("quarter", bulletin, "docx")}


def generate(campaign: Campaign, kind: str, period: Period) -> tuple[bytes, str]:
    """The document's bytes and file name; ValueError for an unknown kind or a period of the wrong
    kind or outside the campaign."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    wanted, build, extension = KINDS[kind]
    if period.kind != wanted:
        raise ValueError(f"a {kind} covers a {wanted}")
    if period.end < campaign.starts_on or period.start > campaign.ends_on:
        raise ValueError("the period lies outside the campaign")
    return build(campaign, period), f"{campaign.name}-{kind}-{period.key}.{extension}"
