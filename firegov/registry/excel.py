"""Excel in and out for units: export exactly what is filtered; import with column mapping, a
preview, a per-row error report in Chinese, all-or-nothing commit, insert-or-update by credit code.

The preview runs the very same service calls as the commit inside a transaction that is rolled
back, so what the preview promises is what the commit does.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from firegov.core.models import Agency, AgencyKind, Region, RegionLevel
from firegov.core.roles import can
from firegov.core.scoping import known_agencies, scope
from firegov.kernels.place_types import ATTRIBUTES, PLACE_TYPES
from firegov.kernels.uscc import check as check_uscc
from firegov.registry import services
from firegov.registry.models import CLASSIFICATION_FLAGS, Unit, UnitStatus

# (key, Chinese header, English header, required)
COLUMNS = [
    ("uscc", "统一社会信用代码", "Credit code", False),
    ("name", "单位名称", "Name", True),
    ("place_type", "场所类型", "Place type", True),
    ("region", "所属区划（街道/社区/网格代码或名称）", "Region (code or name)", True),
    ("address", "地址", "Address", True),
    ("lat", "纬度", "Latitude", False),
    ("lng", "经度", "Longitude", False),
    ("department", "行业主管部门", "Supervising department", False),
    ("status", "经营状态", "Status", False),
    ("legal_representative", "法定代表人", "Legal representative", False),
    ("legal_representative_phone", "法定代表人电话", "Legal representative phone", False),
    ("responsible_person", "消防安全责任人", "Fire safety responsible person", False),
    ("responsible_phone", "责任人电话", "Responsible person phone", False),
    ("safety_manager", "消防安全管理人", "Fire safety manager", False),
    ("safety_manager_phone", "管理人电话", "Fire safety manager phone", False),
] + [(f"attr:{name}", attr.zh, attr.en, False) for name, attr in ATTRIBUTES.items()]

STATUS_NAMES = {"营业": "operating", "在营": "operating", "正常": "operating", "停业": "suspended",
                "歇业": "suspended", "关闭": "closed", "注销": "closed"}
STATUS_NAMES.update({value: value for value in UnitStatus.values})
STATUS_NAMES.update({str(label): value for value, label in UnitStatus.choices})
TRUE_WORDS = {"是", "有", "true", "1", "yes", "y", "√"}
FALSE_WORDS = {"否", "无", "false", "0", "no", "n", "×"}


def _normal(text) -> str:
    return "".join(str(text or "").split()).lower()


# ---------------------------------------------------------------- export

def export_units(queryset, max_rows: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("单位")
    flag_headers = [str(label) for _name, label in CLASSIFICATION_FLAGS]
    ws.append(["ID"] + [zh for _k, zh, _en, _r in COLUMNS] + flag_headers)
    rows = queryset.select_related("region", "department")[:max_rows]
    for unit in rows.iterator(chunk_size=2000):
        values = [unit.pk, unit.uscc, unit.name, unit.place_type_label, unit.region.code, unit.address,
                  unit.lat, unit.lng, unit.department.name if unit.department else "",
                  unit.get_status_display(), unit.legal_representative, unit.legal_representative_phone,
                  unit.responsible_person, unit.responsible_phone, unit.safety_manager,
                  unit.safety_manager_phone]
        for name, attr in ATTRIBUTES.items():
            value = (unit.attributes or {}).get(name)
            values.append(("是" if value else "否") if attr.type == "bool" and value is not None else value)
        for flag, _label in CLASSIFICATION_FLAGS:
            value = getattr(unit, flag)
            values.append("待定" if value is None else ("是" if value else "否"))
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "单位"
    ws.append([zh for _k, zh, _en, _r in COLUMNS])
    for cell, (_k, _zh, _en, required) in zip(ws[1], COLUMNS, strict=True):
        cell.font = Font(bold=True, color="C00000" if required else "000000")
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
    ws.append(["91370403MA3C00000X", "示例超市", "商场、商店、市场", "370403001", "薛城区临城街道示例路1号",
               34.795, 117.263, "", "营业"])
    types = wb.create_sheet("场所类型")
    types.append(["代码", "名称"])
    for code, pt in PLACE_TYPES.items():
        types.append([code, pt.zh])
    attrs = wb.create_sheet("属性说明")
    attrs.append(["列名", "代码", "类型", "单位"])
    for name, attr in ATTRIBUTES.items():
        attrs.append([attr.zh, name, attr.type, getattr(attr, "unit", "")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- import

class ImportFileError(ValueError):
    pass


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list]


@dataclass
class RowResult:
    number: int  # row number in the sheet (header is row 1)
    name: str = ""
    action: str = ""  # insert | update
    errors: list[str] = field(default_factory=list)


def read_sheet(data: bytes, max_rows: int) -> Sheet:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportFileError("无法读取该文件，请上传 Excel（.xlsx）文件。") from exc
    ws = wb.worksheets[0]
    rows_iter = ws.iter_rows(values_only=True)
    try:
        headers = [str(h).strip() if h is not None else "" for h in next(rows_iter)]
    except StopIteration as exc:
        raise ImportFileError("文件是空的。") from exc
    rows = []
    for row in rows_iter:
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        rows.append(list(row) + [None] * (len(headers) - len(row)))
        if len(rows) > max_rows:
            raise ImportFileError(f"行数超过上限 {max_rows}，请分批导入。")
    wb.close()
    if not rows:
        raise ImportFileError("文件中没有数据行。")
    return Sheet(headers=headers, rows=rows)


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """Map each column key to the index of the sheet column whose header names it."""
    by_name = {}
    for index, header in enumerate(headers):
        by_name.setdefault(_normal(header), index)
    mapping = {}
    for key, zh, en, _required in COLUMNS:
        names = {_normal(zh), _normal(zh.split("（")[0]), _normal(en), _normal(en.split(" (")[0]), _normal(key),
                 _normal(key.removeprefix("attr:"))}
        mapping[key] = next((by_name[n] for n in names if n in by_name), None)
    return mapping


class RowLookup:
    """Lookups shared by all rows of one import, limited to the user's jurisdiction."""

    def __init__(self, user):
        self.user = user
        levels = [RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID]
        regions = list(scope(user, Region.objects.filter(level__in=levels)))
        self.regions_by_code = {r.code: r for r in regions}
        self.regions_by_name: dict[str, list[Region]] = {}
        for r in regions:
            self.regions_by_name.setdefault(_normal(r.name), []).append(r)
        # The departments above the user's region too, by full and short name; a name two of them
        # share is refused rather than guessed.
        departments = known_agencies(user).filter(kind=AgencyKind.DEPARTMENT).order_by("region_path", "pk")
        self.departments: dict[str, list[Agency]] = {}
        for agency in departments:
            for name in {_normal(agency.name), _normal(agency.short_name or "")} - {""}:
                self.departments.setdefault(name, []).append(agency)
        self.place_types = {code: code for code in PLACE_TYPES}
        self.place_types.update({_normal(pt.zh): code for code, pt in PLACE_TYPES.items()})
        self.place_types.update({_normal(pt.en): code for code, pt in PLACE_TYPES.items()})

    def region(self, value):
        text = str(value).strip()
        if text.endswith(".0"):
            text = text[:-2]
        if text in self.regions_by_code:
            return self.regions_by_code[text]
        matches = self.regions_by_name.get(_normal(text), [])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(f"区划名称“{text}”不唯一，请填写区划代码")
        raise ValueError(f"区划“{text}”不存在或不在您的辖区内")


def _cell(row, mapping, key):
    index = mapping.get(key)
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _row_data(lookup: RowLookup, row, mapping) -> tuple[dict, list[str]]:
    errors, data, attributes = [], {}, {}
    for key, zh, _en, required in COLUMNS:
        value = _cell(row, mapping, key)
        if value is None:
            if required:
                errors.append(f"“{zh}”不能为空")
            continue
        try:
            if key == "place_type":
                code = lookup.place_types.get(_normal(value)) or lookup.place_types.get(str(value))
                if code is None:
                    raise ValueError(f"场所类型“{value}”不在场所类型表中")
                data[key] = code
            elif key == "region":
                data[key] = lookup.region(value)
            elif key == "department":
                found = lookup.departments.get(_normal(value), [])
                if not found:
                    raise ValueError(f"行业主管部门“{value}”不存在或不在您的辖区内")
                if len(found) > 1:
                    raise ValueError(f"行业主管部门“{value}”不唯一（{'、'.join(a.name for a in found)}），请写全称")
                data[key] = found[0]
            elif key == "status":
                status = STATUS_NAMES.get(str(value).strip()) or STATUS_NAMES.get(_normal(value))
                if status is None:
                    raise ValueError(f"经营状态“{value}”无法识别（营业/停业/关闭）")
                data[key] = status
            elif key == "uscc":
                result = check_uscc(str(value))
                if not result.valid:
                    raise ValueError(f"统一社会信用代码“{value}”无效：{result.reason_zh}")
                data[key] = result.code
            elif key in ("lat", "lng"):
                number = float(value)
                limit = 90 if key == "lat" else 180
                if not -limit <= number <= limit:
                    raise ValueError(f"“{zh}”超出范围")
                data[key] = number
            elif key.startswith("attr:"):
                name = key.removeprefix("attr:")
                if ATTRIBUTES[name].type == "bool" and isinstance(value, str):
                    low = _normal(value)
                    if low in TRUE_WORDS:
                        value = True
                    elif low in FALSE_WORDS:
                        value = False
                attributes[name] = value
            else:
                data[key] = str(value)
        except (TypeError, ValueError) as exc:
            message = str(exc)
            errors.append(message if "“" in message else f"“{zh}”的值“{value}”无效")
    data["attributes"] = attributes
    return data, errors


def _validation_messages(exc: ValidationError) -> list[str]:
    labels = {key: zh for key, zh, _en, _r in COLUMNS}
    labels.update({"attributes": "属性"})
    if hasattr(exc, "message_dict"):
        return [f"“{labels.get(name, name)}”：{'；'.join(msgs)}" for name, msgs in exc.message_dict.items()]
    return list(exc.messages)


def _process(user, sheet: Sheet, mapping) -> list[RowResult]:
    lookup = RowLookup(user)
    visible = scope(user, Unit.objects.alive())
    results, seen = [], {}
    for offset, row in enumerate(sheet.rows):
        result = RowResult(number=offset + 2)
        data, result.errors = _row_data(lookup, row, mapping)
        result.name = data.get("name", "")
        code = data.get("uscc")
        existing = None
        if code:
            if code in seen:
                result.errors.append(f"统一社会信用代码与第 {seen[code]} 行重复")
            seen.setdefault(code, result.number)
            existing = visible.filter(uscc=code).first()
            if existing is None and Unit.objects.filter(uscc=code).exists():
                result.errors.append("该统一社会信用代码已登记在您的辖区之外，不能导入")
        result.action = "update" if existing else "insert"
        if not result.errors:
            try:
                with transaction.atomic():
                    services.save_unit(user, data, existing)
            except ValidationError as exc:
                result.errors.extend(_validation_messages(exc))
            except PermissionDenied:
                result.errors.append("您无权修改该单位")
        results.append(result)
    return results


class _Rollback(Exception):
    pass


def dry_run(process: Callable[[], list[RowResult]]) -> list[RowResult]:
    """Check every row by doing the import and rolling it back (the preview of any import)."""
    results: list[RowResult] = []
    try:
        with transaction.atomic():
            results = process()
            raise _Rollback
    except _Rollback:
        pass
    return results


def all_or_nothing(process: Callable[[], list[RowResult]]) -> tuple[bool, list[RowResult]]:
    """Do the import; any row error rolls the whole file back."""
    results: list[RowResult] = []
    try:
        with transaction.atomic():
            results = process()
            if any(r.errors for r in results):
                raise _Rollback
    except _Rollback:
        return False, results
    return True, results


def preview(user, sheet: Sheet, mapping) -> list[RowResult]:
    """Validate every row by doing the import and rolling it back."""
    return dry_run(lambda: _process(user, sheet, mapping))


def commit(user, sheet: Sheet, mapping) -> tuple[bool, list[RowResult]]:
    """Import all rows or none: any row error rolls the whole file back."""
    if not can(user, "import", "registry.unit"):
        raise PermissionDenied
    return all_or_nothing(lambda: _process(user, sheet, mapping))


def error_report(sheet: Sheet, results: list[RowResult]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    ws.append(["行号", "错误"] + sheet.headers)
    for result, row in zip(results, sheet.rows, strict=True):
        if result.errors:
            ws.append([result.number, "；".join(result.errors)] + [v for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M%S")
