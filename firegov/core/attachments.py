"""Evidence attachments: photos and documents stored by content hash, never overwritten.

The type is sniffed from the bytes, never taken from the client. Images are decoded and re-encoded
so that no active content or metadata survives; the hash of the bytes as uploaded is kept beside
the hash of what is stored. GPS comes from the form or, failing that, from the photo's EXIF.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from firegov.core.models import Attachment

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "png",
               "image/heic": None, "image/bmp": "png"}
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "video/mp4": "mp4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
MAX_PIXELS = 60_000_000


class UploadRejected(ValueError):
    pass


@contextmanager
def refused_as(field: str):
    """Report an upload the store refuses as a validation error of ``field`` (a form field, or the
    API's multipart field), so that pages and the API answer it like any other invalid value."""
    try:
        yield
    except UploadRejected as exc:
        raise ValidationError({field: [str(exc)]}) from None


def evidence_root() -> Path:
    root = Path(settings.EVIDENCE_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _read_limited(fileobj) -> bytes:
    limit = settings.UPLOAD_MAX_BYTES
    data = fileobj.read(limit + 1)
    if len(data) > limit:
        raise UploadRejected(_("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
    if not data:
        raise UploadRejected(_("The file is empty."))
    return data


def _gps_from_exif(image: Image.Image) -> tuple[float | None, float | None]:
    try:
        gps = image.getexif().get_ifd(0x8825)
    except Exception:  # noqa: BLE001 - broken EXIF must not reject a good photo
        return None, None
    try:
        def degrees(values, ref):
            d, m, s = (float(v) for v in values)
            value = d + m / 60 + s / 3600
            return -value if ref in ("S", "W") else value

        lat, lng = degrees(gps[2], gps[1]), degrees(gps[4], gps[3])
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):  # also NaN, which Pillow gives for 0/0 rationals
        return None, None
    return lat, lng


def _reencode(data: bytes, mime: str) -> tuple[bytes, str, tuple[float | None, float | None]]:
    target = IMAGE_TYPES[mime]
    if target is None:
        raise UploadRejected(_("This image format is not accepted; send JPEG or PNG."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise UploadRejected(_("The image is too large."))
            gps = _gps_from_exif(image)
            image = ImageOps.exif_transpose(image)
            image.load()
        except UploadRejected:
            raise
        except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise UploadRejected(_("The image cannot be read.")) from exc
    # Pillow copies a JPEG/GIF comment (COM segment) from image.info into a saved JPEG: drop it.
    image.info.pop("comment", None)
    out = io.BytesIO()
    if target == "jpg":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
        mime_out = "image/jpeg"
    elif target == "webp":
        image.save(out, "WEBP", quality=88)
        mime_out = "image/webp"
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
        mime_out = "image/png"
    return out.getvalue(), mime_out, gps


def _write_once(data: bytes, sha: str, ext: str) -> str:
    name = f"{sha[:2]}/{sha}.{ext}"
    path = evidence_root() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except FileExistsError:
        return name  # same bytes are already stored; content addressing means nothing is overwritten
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return name


def store(fileobj, original_name: str, uploader, subject=None, lat=None, lng=None, caption: str = "") -> Attachment:
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)  # one upload may be stored for several subjects
    data = _read_limited(fileobj)
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime not in IMAGE_TYPES and mime not in DOCUMENT_TYPES:
        raise UploadRejected(_("This file type is not accepted (photos, PDF, Word, Excel or MP4 only)."))
    original_sha = hashlib.sha256(data).hexdigest()
    reencoded = mime in IMAGE_TYPES
    if reencoded:
        data, mime, (exif_lat, exif_lng) = _reencode(data, mime)
        if lat is None and lng is None:
            lat, lng = exif_lat, exif_lng
        ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[mime]
    else:
        ext = DOCUMENT_TYPES[mime]
    if lat is not None and not -90 <= float(lat) <= 90 or lng is not None and not -180 <= float(lng) <= 180:
        raise UploadRejected(_("The GPS position is out of range."))
    sha = hashlib.sha256(data).hexdigest()
    stored = _write_once(data, sha, ext)
    attachment = Attachment(
        original_name=os.path.basename(original_name)[:200] or "upload", stored_name=stored, sha256=sha,
        original_sha256=original_sha, size=len(data), mime_type=mime, reencoded=reencoded, uploaded_by=uploader,
        lat=lat, lng=lng, caption=caption[:200],
    )
    if subject is not None:
        attachment.content_type = ContentType.objects.get_for_model(subject)
        attachment.object_id = str(subject.pk)
    attachment.save()
    return attachment


def open_stored(attachment: Attachment):
    return (evidence_root() / attachment.stored_name).open("rb")


def verify(attachment: Attachment) -> bool:
    """True when the stored bytes still hash to the recorded SHA-256."""
    digest = hashlib.sha256()
    with open_stored(attachment) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == attachment.sha256
