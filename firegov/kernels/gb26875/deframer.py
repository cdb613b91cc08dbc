"""Streaming deframer for a GB/T 26875.3 byte stream (TCP: sticky and split packets, garbage).

Frames are not escaped, so they are delimited by the length field, never by scanning for ``##``
(protocol.md §1). A candidate starts at ``40 40``; once its 27-byte header is in, the length field
says where it ends. A candidate whose end marker is not ``23 23`` was not a frame (garbage that
happened to hold ``40 40``, or a vendor's short login/heartbeat), and so was one whose length field is
over the limit: the deframer drops one byte and searches again. While a candidate is incomplete, a complete, valid frame found further on proves the
candidate false, so a false start never holds back the real frames behind it; likewise a candidate
that fails a check but holds a valid frame inside it was a false start, not a bad frame.

:meth:`Deframer.feed` never raises; it returns :class:`~firegov.kernels.gb26875.codec.Frame` objects
and :class:`Rejected` ones (a frame whose extent is known but which fails a check: the centre answers
it with deny when the header is readable).
"""

from __future__ import annotations

from dataclasses import dataclass

from firegov.kernels.gb26875.codec import (
    END,
    HEADER_SIZE,
    MAX_ADU,
    OVERHEAD,
    CodecError,
    Frame,
    checksum,
    decode_frame,
    header,
)


@dataclass(slots=True)
class Rejected:
    """A frame that failed a check: ``error`` is a §11.6 code; ``header`` is None when unreadable."""

    error: str
    raw: bytes
    header: dict | None


class Deframer:
    """Per-connection reassembly buffer. ``discarded`` counts bytes thrown away as garbage."""

    __slots__ = ("_buf", "discarded", "max_adu")

    def __init__(self, max_adu: int = MAX_ADU):
        self._buf = bytearray()
        self.discarded = 0
        self.max_adu = max_adu

    @property
    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame | Rejected]:
        buf = self._buf
        buf += data
        out: list[Frame | Rejected] = []
        pos = 0
        size = len(buf)
        while True:
            start = buf.find(b"@@", pos)
            if start < 0:
                keep = 1 if size > pos and buf[-1] == 0x40 else 0  # a lone '@' may begin the next frame
                self.discarded += size - pos - keep
                pos = size - keep
                break
            self.discarded += start - pos
            pos = start
            if size - start < HEADER_SIZE:
                break
            length = buf[start + 24] | (buf[start + 25] << 8)
            if length > self.max_adu:  # no frame is that long: a false start (its extent is unknown)
                self.discarded += 1
                pos = start + 1
                continue
            end = start + OVERHEAD + length
            if end > size:
                later = _complete_frame_after(buf, start + 1, self.max_adu)
                if later is None:
                    break
                self.discarded += later - start
                pos = later
                continue
            if buf[end - 2:end] != END:
                self.discarded += 1
                pos = start + 1
                continue
            chunk = bytes(buf[start:end])
            try:
                out.append(decode_frame(chunk))
            except CodecError as exc:
                inner = _complete_frame_after(buf, start + 1, self.max_adu, before=end)
                if inner is not None:  # a valid frame inside: this candidate was a false start
                    self.discarded += inner - start
                    pos = inner
                    continue
                out.append(Rejected(exc.code, chunk, header(chunk)))
            pos = end
        del buf[:pos]
        return out


def _complete_frame_after(buf: bytearray, pos: int, max_adu: int, before: int | None = None) -> int | None:
    """Offset of the first ``40 40`` at or after ``pos`` (and before ``before``) that starts a complete
    frame with a valid checksum."""
    size = len(buf)
    while True:
        start = buf.find(b"@@", pos, before)
        if start < 0 or size - start < OVERHEAD:
            return None
        length = buf[start + 24] | (buf[start + 25] << 8)
        end = start + OVERHEAD + length
        if (length <= max_adu and end <= size and buf[end - 2:end] == END
                and checksum(buf[start + 2:end - 3]) == buf[end - 3]):
            return start
        pos = start + 1
