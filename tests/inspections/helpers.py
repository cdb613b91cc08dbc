"""Helpers shared by the inspection, report and page tests (not a test module)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from firegov.core.models import Role, User
from firegov.inspections import services as inspections
from firegov.inspections.models import InspectionKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "Firegov-2026"
# A minimal but real PDF header: filetype sniffs it as application/pdf.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def local(*args) -> datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)


def jpeg_bytes(color="red", size=(8, 8), padding: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue() + b"\0" * padding


def photo(name="p.jpg", color="red", padding: int = 0):
    """A file-like JPEG as the services take it (``name`` and ``size`` like an upload)."""
    data = jpeg_bytes(color, padding=padding)
    out = io.BytesIO(data)
    out.name = name
    out.size = len(data)
    return out


def upload(name="p.jpg", color="red", padding: int = 0, data: bytes | None = None, content_type="image/jpeg"):
    """An uploaded file for the test client / APIClient."""
    return SimpleUploadedFile(
        name, data if data is not None else jpeg_bytes(color, padding=padding), content_type=content_type
    )


COLORS = [
    "red",
    "green",
    "blue",
    "yellow",
    "purple",
    "orange",
    "black",
    "white",
    "gray",
    "pink",
    "brown",
    "cyan",
]


def officer(city, username="xc_li", role=Role.INSPECTOR, agency=None, **extra) -> User:
    return User.objects.create_user(
        username, password=PASSWORD, role=role, agency=agency or city.xc_brigade, **extra
    )


def open_inspection(city, unit=None, kind=InspectionKind.ROUTINE, user=None, inspectors=None, **kwargs):
    user = user or city.xuecheng
    if inspectors is None:
        inspectors = [city.xuecheng, city.xc_supervisor]
    return inspections.create_inspection(user, unit or city.xc_hotel, kind, inspectors=inspectors, **kwargs)


def answer_all(user, inspection, fail=(), with_photos=True, note="现场发现"):
    """Answer every item: ``fail`` (item codes) fail, the rest pass. Failed items that need a photo get
    one (a distinct colour each, so their hashes differ) when ``with_photos``."""
    rows = list(inspection.answers.all())
    answers = {a.item: {"result": "pass"} for a in rows}
    photos = {}
    for i, a in enumerate(r for r in rows if r.item in set(fail)):
        answers[a.item] = {"result": "fail", "note": note}
        if with_photos and a.photo_required:
            photos[a.item] = [photo(f"{a.item}.jpg", COLORS[i % len(COLORS)])]
    return inspections.record_answers(user, inspection, answers, photos)


def failing_items(inspection, n=2, photo_required=True):
    return [a.item for a in inspection.answers.all() if a.photo_required == photo_required][:n]


def completed(
    city, unit=None, kind=InspectionKind.ROUTINE, fail_count=0, user=None, inspectors=None, data=None
):
    user = user or city.xuecheng
    inspection = open_inspection(city, unit, kind, user=user, inspectors=inspectors)
    fail = failing_items(inspection, fail_count)
    answer_all(user, inspection, fail)
    return inspections.complete(user, inspection, data if data is not None else {"signed_by": "张经理"})


def hrefs(content: bytes | str, prefix: str) -> set[int]:
    """Primary keys linked as ``href="<prefix><pk>/"`` in a page."""
    text = content.decode() if isinstance(content, bytes) else content
    return {int(pk) for pk in re.findall(rf'href="{re.escape(prefix)}(\d+)/"', text)}
