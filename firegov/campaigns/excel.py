"""A campaign's task list in Excel: one row per task (code, title, lead, cooperating agencies, due
day, a target and its values), exported and imported in the same template.

Import works as the registry's: the file is read (firegov.registry.excel.read_sheet), every row is
checked by doing the import inside a transaction that is rolled back (preview), and the import
itself keeps all rows or none. A row whose code already exists updates that task; a new code adds
a task under the task of the code's parent (which must exist or come earlier in the file).
Agencies are named by full or short name.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from firegov.campaigns import services
from firegov.campaigns.models import Campaign
from firegov.core.models import Agency
from firegov.core.scoping import prefixes, subtree_q
from firegov.registry.excel import RowResult, Sheet, all_or_nothing, dry_run

COLUMNS = [  # key, header (the template's), required
    ("code", "编号", True), ("title", "任务", True), ("lead", "牵头单位", True), ("cooperating", "配合单位", False),
    ("due_on", "完成时限", False), ("target", "量化目标", False), ("target_values", "目标值", False),
]
CODE = re.compile(r"^[1-9][0-9]{0,3}(\.[1-9][0-9]{0,3}){0,5}$")
SEPARATORS = re.compile(r"[、,，;；/\n]+")
VALUE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*[:=：]\s*(-?\d+(?:\.\d+)?)\s*$")


def _values(target) -> str:
    return "；".join(f"{step['by']}={step['value']}" for step in target.steps)


def export_plan(tasks) -> bytes:
    """A campaign's task list in the import template (the first target of each task, if any): the
    tasks of the queryset ``tasks`` (those of the campaign the user sees)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "任务清单"
    sheet.append([header for _key, header, _required in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for task in tasks.select_related("lead").prefetch_related("cooperating", "targets").order_by("sort_key"):
        target = next(iter(task.targets.all()), None)
        sheet.append([task.code, task.title, task.lead.name, task.cooperating_names(),
                      task.due_on.isoformat() if task.due_on else "", target.label if target else "",
                      _values(target) if target else ""])
    for column, width in zip("ABCDEFG", (10, 40, 24, 36, 12, 24, 36), strict=True):
        sheet.column_dimensions[column].width = width
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1, min_row=2):
        cell.number_format = "@"  # text: Excel would turn a typed 2.10 into the number 2.1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _columns(sheet: Sheet) -> dict[str, int]:
    index = {header.strip(): i for i, header in enumerate(sheet.headers)}
    missing = [header for _key, header, required in COLUMNS if required and header not in index]
    if missing:
        raise ValidationError(_("The sheet lacks the columns %(names)s of the template.") % {"names": "、".join(missing)})
    return {key: index[header] for key, header, _required in COLUMNS if header in index}


class _Agencies:
    """Agencies by full or short name, among those that may take part in the campaign."""

    def __init__(self, campaign: Campaign):
        agencies = Agency.objects.filter(subtree_q("region_path", campaign.region_path)
                                         | Q(region_path__in=prefixes(campaign.region_path)))
        self.by_name: dict[str, list[Agency]] = {}
        for agency in agencies:
            for name in {agency.name, agency.short_name} - {""}:
                self.by_name.setdefault(name, []).append(agency)

    def get(self, name: str) -> Agency:
        found = self.by_name.get(name.strip(), [])
        if len(found) != 1:
            raise ValueError(_("unknown agency “%(name)s”") % {"name": name} if not found
                             else _("“%(name)s” names several agencies; give the full name") % {"name": name})
        return found[0]


def _text(row: list, columns: dict, key: str) -> str:
    position = columns.get(key)
    value = row[position] if position is not None and position < len(row) else None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _row(row: list, columns: dict, agencies: _Agencies) -> tuple[dict, list[str]]:
    errors, data = [], {}
    code = _text(row, columns, "code")
    if not CODE.match(code):
        errors.append(_("the code must be numbers joined by dots, e.g. 2.3.1"))
    data["code"] = code
    data["title"] = _text(row, columns, "title")
    try:
        data["lead"] = agencies.get(_text(row, columns, "lead"))
    except ValueError as exc:
        errors.append(str(exc))
    data["cooperating"] = []
    for name in SEPARATORS.split(_text(row, columns, "cooperating")):
        if name.strip():
            try:
                data["cooperating"].append(agencies.get(name))
            except ValueError as exc:
                errors.append(str(exc))
    data["due_on"] = _text(row, columns, "due_on") or None
    label, values = _text(row, columns, "target"), _text(row, columns, "target_values")
    if label or values:
        steps = []
        for part in SEPARATORS.split(values):
            if not part.strip():
                continue
            match = VALUE.match(part)
            if match is None:
                errors.append(_("target values are written 2026-12-31=80；2027-12-31=100"))
                break
            steps.append({"by": match[1], "value": match[2]})
        data["target"] = {"label": label, "steps": steps}
    return data, errors


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{field}: {'；'.join(messages)}" for field, messages in exc.message_dict.items()]
    return list(exc.messages)


def _process(user, campaign: Campaign, sheet: Sheet) -> list[RowResult]:
    columns = _columns(sheet)
    agencies = _Agencies(campaign)
    results, seen = [], {}
    for offset, row in enumerate(sheet.rows):
        result = RowResult(number=offset + 2)
        data, result.errors = _row(row, columns, agencies)
        result.name = f"{data['code']} {data['title']}"
        code = data["code"]
        if code in seen:
            result.errors.append(_("the code %(code)s repeats row %(row)d") % {"code": code, "row": seen[code]})
        seen.setdefault(code, result.number)
        if not result.errors:
            existing = campaign.tasks.filter(code=code).first()
            parent_code = code.rpartition(".")[0]
            parent = campaign.tasks.filter(code=parent_code).first() if parent_code else None
            result.action = "update" if existing else "insert"
            target = data.pop("target", None)
            try:
                with transaction.atomic():
                    if existing:
                        task = services.update_task(user, existing, data)
                    elif parent_code and parent is None:
                        raise ValidationError(_("no task %(code)s to put this one under") % {"code": parent_code})
                    else:
                        task = services.add_task(user, campaign, data, parent)
                    if target and not task.targets.filter(label=target["label"]).exists():
                        services.add_target(user, task, target)
            except ValidationError as exc:
                result.errors.extend(_messages(exc))
            except PermissionDenied as exc:
                result.errors.append(str(exc) or _("You may not change this campaign's lists."))
        results.append(result)
    return results


def preview(user, campaign: Campaign, sheet: Sheet) -> list[RowResult]:
    """Check every row by importing it and rolling back."""
    return dry_run(lambda: _process(user, campaign, sheet))


def commit(user, campaign: Campaign, sheet: Sheet) -> tuple[bool, list[RowResult]]:
    """Import all rows or none."""
    return all_or_nothing(lambda: _process(user, campaign, sheet))
