"""Evidence: stored by content hash with size and sniffed type, images re-encoded, never overwritten."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, PngImagePlugin
from PIL.TiffImagePlugin import IFDRational

from firegov.core import attachments
from firegov.core.attachments import UploadRejected, store, verify
from firegov.core.models import Attachment

SCRIPT = b"<script>alert(document.cookie)</script>"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english():
    """Rejection messages are matched in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def evidence(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gps_exif(lat=(34.0, 48.0, 30.0), lat_ref="N", lng=(117.0, 15.0, 36.0), lng_ref="E", **tags):
    exif = Image.Exif()
    exif[0x010F] = "FireCam"  # Make
    exif[0x0110] = "FC-1 secret serial 12345"  # Model
    for tag, value in tags.items():
        exif[int(tag.lstrip("t"), 16)] = value
    exif[0x8825] = {1: lat_ref, 2: lat, 3: lng_ref, 4: lng}
    return exif


def jpeg(size=(40, 20), color="red", exif=None, comment=None) -> bytes:
    buf = io.BytesIO()
    kwargs = {}
    if exif is not None:
        kwargs["exif"] = exif
    if comment is not None:
        kwargs["comment"] = comment
    Image.new("RGB", size, color).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def png(size=(16, 16), color="blue", **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG", **kwargs)
    return buf.getvalue()


def image_bytes(fmt, mode="RGB", size=(16, 16)) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, fmt)
    return buf.getvalue()


def png_header_only(width, height) -> bytes:
    """A PNG whose header claims the given size, with a tiny (broken) pixel stream."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        chunk(b"IEND", b"")


def stored_path(attachment):
    return attachments.evidence_root() / attachment.stored_name


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(data, name="photo.jpg", user=None, **kwargs):
    return store(io.BytesIO(data), name, user, **kwargs)


# ------------------------------------------------------------------ what is recorded


def test_document_is_stored_as_uploaded(city, evidence):
    att = upload(PDF, "整改通知书.pdf", city.xuecheng, subject=city.xc_hotel, caption="签收回执")
    att.refresh_from_db()
    assert att.mime_type == "application/pdf"
    assert att.reencoded is False
    assert att.sha256 == att.original_sha256 == sha(PDF)
    assert att.size == len(PDF)
    assert att.original_name == "整改通知书.pdf"
    assert att.stored_name == f"{sha(PDF)[:2]}/{sha(PDF)}.pdf"
    assert stored_path(att).read_bytes() == PDF
    assert att.uploaded_by == city.xuecheng and att.uploaded_at is not None
    assert att.subject == city.xc_hotel
    assert att.content_type == ContentType.objects.get_for_model(city.xc_hotel)
    assert att.caption == "签收回执"
    assert (att.lat, att.lng) == (None, None)
    assert verify(att) is True


def test_type_is_sniffed_not_taken_from_the_name(city, evidence):
    data = png()
    att = upload(data, "x.pdf", city.xuecheng)
    assert att.mime_type == "image/png"
    assert att.stored_name.endswith(".png")
    assert att.original_name == "x.pdf"
    assert att.original_sha256 == sha(data)
    with Image.open(stored_path(att)) as im:
        assert im.format == "PNG" and im.size == (16, 16)


def test_client_path_is_not_kept_in_the_name(city, evidence):
    att = upload(PDF, "../../etc/passwd.pdf", city.xuecheng)
    assert att.original_name == "passwd.pdf"
    assert stored_path(att).resolve().is_relative_to(evidence.resolve())


@pytest.mark.parametrize(("fmt", "mode", "mime", "stored_format"), [
    ("GIF", "P", "image/png", "PNG"),
    ("BMP", "RGB", "image/png", "PNG"),
    ("WEBP", "RGB", "image/webp", "WEBP"),
    ("PNG", "RGBA", "image/png", "PNG"),
    ("PNG", "I;16", "image/png", "PNG"),
    ("JPEG", "CMYK", "image/jpeg", "JPEG"),
])
def test_other_image_formats_are_reencoded(city, evidence, fmt, mode, mime, stored_format):
    data = image_bytes(fmt, mode)
    att = upload(data, f"img.{fmt.lower()}", city.xuecheng)
    assert att.mime_type == mime and att.reencoded is True
    assert att.size == stored_path(att).stat().st_size
    with Image.open(stored_path(att)) as im:
        assert im.format == stored_format and im.size == (16, 16)
    assert verify(att)


# ------------------------------------------------------------------ rejections


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' \
      b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
HTML = b"<!DOCTYPE html><html><body><h1>report</h1>" + SCRIPT + b"</body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" + \
      b"\x00" * 64 + b"PE\x00\x00" + b"\x00" * 200
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


@pytest.mark.parametrize(("data", "name", "message"), [
    (HTML, "report.pdf", "not accepted"),
    (SVG, "photo.svg", "not accepted"),
    (SVG, "photo.jpg", "not accepted"),
    (EXE, "invoice.pdf", "not accepted"),
    (b"plain text, not evidence", "note.txt", "not accepted"),
    (b"", "empty.jpg", "empty"),
    (HEIC, "iphone.heic", "JPEG or PNG"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "broken.png", "cannot be read"),
    (jpeg()[:200], "truncated.jpg", "cannot be read"),
    (png_header_only(8000, 8000), "huge.png", "too large"),  # 64 Mpx > MAX_PIXELS
    (png_header_only(30000, 30000), "bomb.png", "cannot be read"),  # Pillow's own bomb guard
], ids=["html", "svg", "svg-as-jpg", "exe", "text", "empty", "heic", "broken-png", "truncated-jpeg",
        "too-many-pixels", "decompression-bomb"])
def test_rejected_uploads_leave_nothing(city, evidence, data, name, message):
    with pytest.raises(UploadRejected, match=message):
        upload(data, name, city.xuecheng)
    assert not Attachment.objects.exists()
    assert stored_files(evidence) == []


def test_size_limit(city, evidence, settings):
    settings.UPLOAD_MAX_BYTES = len(PDF)
    assert upload(PDF, "exact.pdf", city.xuecheng).size == len(PDF)  # exactly the limit is fine
    bigger = PDF + b"%" * 1
    with pytest.raises(UploadRejected, match="larger than"):
        upload(bigger, "big.pdf", city.xuecheng)
    assert Attachment.objects.count() == 1


# ------------------------------------------------------------------ images are cleaned


def test_jpeg_reencoding_strips_exif_and_trailing_bytes(city, evidence):
    data = jpeg(exif=gps_exif()) + SCRIPT  # bytes appended after the image's end marker
    att = upload(data, "scene.jpg", city.xuecheng)
    stored = stored_path(att).read_bytes()
    assert att.mime_type == "image/jpeg" and att.reencoded is True
    assert att.original_sha256 == sha(data)
    assert att.sha256 == sha(stored) != att.original_sha256
    assert att.size == len(stored)
    assert b"<script>" not in stored
    assert b"Exif" not in stored and b"FireCam" not in stored and b"secret serial" not in stored
    with Image.open(io.BytesIO(stored)) as im:
        assert im.format == "JPEG"
        assert dict(im.getexif()) == {}
        assert "exif" not in im.info
        assert im.size == (40, 20)
    assert verify(att)


def test_jpeg_comment_does_not_survive(city, evidence):
    data = jpeg(comment=SCRIPT)
    att = upload(data, "scene.jpg", city.xuecheng)
    stored = stored_path(att).read_bytes()
    assert b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as im:
        assert "comment" not in im.info


def test_png_text_and_exif_chunks_do_not_survive(city, evidence):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    data = png(pnginfo=info, exif=gps_exif())
    att = upload(data, "scene.png", city.xuecheng)
    stored = stored_path(att).read_bytes()
    assert b"<script>" not in stored and b"FireCam" not in stored
    assert b"eXIf" not in stored and b"tEXt" not in stored
    assert (att.lat, att.lng) == pytest.approx((34.80833, 117.26), abs=1e-4)  # GPS was read before


def test_exif_orientation_is_applied_before_it_is_dropped(city, evidence):
    data = jpeg(size=(40, 20), exif=gps_exif(t0112=6))  # Orientation 6: rotate 90° clockwise to view
    att = upload(data, "rotated.jpg", city.xuecheng)
    with Image.open(stored_path(att)) as im:
        assert im.size == (20, 40)
        assert dict(im.getexif()) == {}


# ------------------------------------------------------------------ GPS


def test_gps_taken_from_exif_when_not_given(city, evidence):
    att = upload(jpeg(exif=gps_exif()), "scene.jpg", city.xuecheng)
    att.refresh_from_db()
    assert att.lat == pytest.approx(34 + 48 / 60 + 30 / 3600)
    assert att.lng == pytest.approx(117 + 15 / 60 + 36 / 3600)


def test_gps_south_and_west_are_negative(city, evidence):
    att = upload(jpeg(exif=gps_exif(lat_ref="S", lng_ref="W")), "scene.jpg", city.xuecheng)
    assert att.lat == pytest.approx(-34.808333, abs=1e-5)
    assert att.lng == pytest.approx(-117.26, abs=1e-5)


def test_form_gps_wins_over_exif(city, evidence):
    att = upload(jpeg(exif=gps_exif()), "scene.jpg", city.xuecheng, lat=34.7901, lng=117.2502)
    att.refresh_from_db()
    assert (att.lat, att.lng) == (34.7901, 117.2502)


def test_photo_without_gps_has_none(city, evidence):
    att = upload(jpeg(), "scene.jpg", city.xuecheng)
    assert (att.lat, att.lng) == (None, None)


@pytest.mark.parametrize(("lat", "lng"), [(91, 117.0), (-90.5, 117.0), (34.8, 180.01), (34.8, -181),
                                          (float("nan"), 117.0), (34.8, float("inf"))])
def test_out_of_range_gps_is_rejected(city, evidence, lat, lng):
    with pytest.raises(UploadRejected, match="GPS"):
        upload(jpeg(), "scene.jpg", city.xuecheng, lat=lat, lng=lng)
    with pytest.raises(UploadRejected, match="GPS"):
        upload(PDF, "doc.pdf", city.xuecheng, lat=lat, lng=lng)
    assert not Attachment.objects.exists()
    assert stored_files(evidence) == []


@pytest.mark.parametrize("exif", [
    gps_exif(lat=(95.0, 0.0, 0.0)),
    gps_exif(lat=(IFDRational(0, 0),) * 3, lng=(IFDRational(0, 0),) * 3),  # "no fix" written as 0/0
], ids=["out-of-range", "zero-denominators"])
def test_broken_exif_gps_is_ignored_not_a_reason_to_reject(city, evidence, exif):
    att = upload(jpeg(exif=exif), "scene.jpg", city.xuecheng)
    assert (att.lat, att.lng) == (None, None)
    assert upload(jpeg(exif=exif), "scene.jpg", city.xuecheng, lat=34.8, lng=117.3).lat == 34.8


def test_webp_metadata_does_not_survive(city, evidence):
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(buf, "WEBP", exif=gps_exif(), xmp=b"<x:xmpmeta>" + SCRIPT)
    att = upload(buf.getvalue(), "scene.webp", city.xuecheng)
    stored = stored_path(att).read_bytes()
    assert att.mime_type == "image/webp"
    assert b"FireCam" not in stored and b"<script>" not in stored and b"EXIF" not in stored
    assert att.lat == pytest.approx(34.80833, abs=1e-4)


def test_boundary_gps_is_accepted(city, evidence):
    att = upload(PDF, "doc.pdf", city.xuecheng, lat=-90, lng=180)
    assert (att.lat, att.lng) == (-90, 180)


# ------------------------------------------------------------------ never overwritten, verifiable


def test_same_photo_twice_gives_two_records_and_one_file(city, evidence):
    data = jpeg(exif=gps_exif())
    first = upload(data, "a.jpg", city.xuecheng, subject=city.xc_hotel)
    path = stored_path(first)
    before = path.stat()
    content = path.read_bytes()

    second = upload(data, "b.jpg", city.xc_supervisor, subject=city.xc_school)
    assert first.pk != second.pk
    assert second.stored_name == first.stored_name and second.sha256 == first.sha256
    assert (second.original_name, second.uploaded_by, second.subject) == ("b.jpg", city.xc_supervisor, city.xc_school)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    assert path.read_bytes() == content
    assert stored_files(evidence) == [path]


def test_existing_stored_file_is_never_rewritten(city, evidence):
    att = upload(PDF, "doc.pdf", city.xuecheng)
    path = stored_path(att)
    path.write_bytes(b"tampered")
    stamp = path.stat()
    again = upload(PDF, "doc.pdf", city.xuecheng)
    assert path.read_bytes() == b"tampered"  # content addressing: the file is not touched again
    assert path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert verify(again) is False


def test_verify_detects_tampering(city, evidence):
    att = upload(jpeg(), "scene.jpg", city.xuecheng)
    assert verify(att) is True
    path = stored_path(att)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert verify(att) is False
    path.unlink()
    with pytest.raises(FileNotFoundError):
        verify(att)


# ------------------------------------------------------------------ the unit page upload endpoint


def test_inspector_uploads_on_a_unit_of_their_county(city, client, evidence):
    client.force_login(city.xuecheng)
    photo = jpeg(exif=gps_exif())
    response = client.post(f"/units/{city.xc_hotel.pk}/attach/", {
        "file": SimpleUploadedFile("现场照片.jpg", photo, content_type="application/pdf"),
        "lat": "34.7812", "lng": "117.2455", "caption": "疏散通道堵塞",
    })
    assert response.status_code == 302
    assert response["Location"] == f"{city.xc_hotel.get_absolute_url()}?tab=files"
    att = Attachment.objects.get()
    assert att.subject == city.xc_hotel and att.uploaded_by == city.xuecheng
    assert att.mime_type == "image/jpeg"  # the client's content type is ignored
    assert (att.lat, att.lng, att.caption) == (34.7812, 117.2455, "疏散通道堵塞")
    assert att.original_sha256 == sha(photo)
    assert verify(att)

    page = client.get(f"{city.xc_hotel.get_absolute_url()}?tab=files").content.decode()
    assert att.sha256 in page and "现场照片.jpg" in page


def test_upload_for_another_county_is_404(city, client, evidence):
    client.force_login(city.tengzhou)
    response = client.post(f"/units/{city.xc_hotel.pk}/attach/",
                           {"file": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")})
    assert response.status_code == 404
    assert not Attachment.objects.exists()
    assert stored_files(evidence) == []


def test_upload_endpoint_requires_login_and_post(city, client, evidence):
    url = f"/units/{city.xc_hotel.pk}/attach/"
    assert client.post(url, {"file": SimpleUploadedFile("p.pdf", PDF)}).status_code == 302
    assert not Attachment.objects.exists()
    client.force_login(city.xuecheng)
    assert client.get(url).status_code == 405


def test_rejected_upload_through_the_page_stores_nothing(city, client, evidence):
    client.force_login(city.xuecheng)
    response = client.post(f"/units/{city.xc_hotel.pk}/attach/",
                           {"file": SimpleUploadedFile("x.jpg", HTML, content_type="image/jpeg")}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Attachment.objects.exists()
    response = client.post(f"/units/{city.xc_hotel.pk}/attach/",
                           {"file": SimpleUploadedFile("x.pdf", PDF), "lat": "north"})
    assert response.status_code == 302
    assert not Attachment.objects.exists()
