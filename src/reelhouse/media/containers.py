"""Metadata removed from JPEG, PNG and WebP files without touching their pixels: segments and chunks."""

from __future__ import annotations

import struct
import zlib

# JPEG markers kept as they are: the frame and scan headers, tables, JFIF, ICC colour (APP2 "ICC_PROFILE")
# and Adobe's APP14, which says how CMYK is stored. Every other APPn and comment is dropped: APP1 holds EXIF and
# XMP, APP2 also holds MPF (a table of the extra images phones append), APP13 holds IPTC places.
_JPEG_KEEP = frozenset({0xC4, 0xCC, 0xDB, 0xDD, 0xDE, 0xDF, 0xE0, 0xEE} | set(range(0xC0, 0xD0)) - {0xC8})
_SOI, _EOI, _SOS, _APP2 = 0xD8, 0xD9, 0xDA, 0xE2
_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD8)})

# PNG chunks that describe pixels or colour; text chunks, eXIf and private chunks (C2PA, vendor data) are not.
_PNG_KEEP = frozenset(
    {
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP",
        b"mDCv", b"cLLi", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
    }
)  # fmt: skip
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_WEBP_KEEP = frozenset({b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_WEBP_EXIF_FLAG, _WEBP_XMP_FLAG = 0x08, 0x04


class Malformed(ValueError):
    """The container's structure is not what its format says; the caller re-encodes the image instead."""


def kind(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(_PNG_SIGNATURE):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _app1_exif(exif: bytes) -> bytes:
    payload = exif if exif.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + exif
    if len(payload) + 2 > 0xFFFF:
        return b""
    return struct.pack(">BBH", 0xFF, 0xE1, len(payload) + 2) + payload


def _scan_end(data: bytes, at: int) -> int:
    """Where the entropy-coded data starting at ``at`` ends: the next marker that is not a restart or a stuffed 0xFF."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            raise Malformed("the JPEG ends inside its image data")
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            at += 1
            continue
        return at


def jpeg(data: bytes, exif: bytes) -> bytes:
    """The first image of a JPEG with only pixel segments, plus ``exif`` (already cleaned) as its only APP1.

    Whatever follows the first image's end marker goes too: phones append depth maps, gain maps and vendor
    trailers there, each free to carry its own EXIF.
    """
    if not data.startswith(b"\xff\xd8"):
        raise Malformed("not a JPEG")
    out = [b"\xff\xd8"]
    placed = False
    at = 2
    while True:
        if at + 2 > len(data) or data[at] != 0xFF:
            raise Malformed("a JPEG segment does not start with a marker")
        marker = data[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in _NO_LENGTH or marker == _SOI:
            at += 2
            continue
        if at + 4 > len(data):
            raise Malformed("the JPEG ends inside a segment header")
        (length,) = struct.unpack_from(">H", data, at + 2)
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise Malformed("a JPEG segment runs past the end of the file")
        keep = marker in _JPEG_KEEP or (marker == _APP2 and data[at + 4 : at + 16] == b"ICC_PROFILE\x00")
        if not placed and marker not in (0xE0,) and exif:
            # EXIF belongs right after SOI or JFIF; readers look for it there.
            out.append(_app1_exif(exif))
            placed = True
        if marker == _SOS:
            finish = _scan_end(data, end)
            out.append(data[at:finish])
            at = finish
            continue
        if keep:
            out.append(data[at:end])
        at = end


def _png_chunk(name: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))


def png(data: bytes, exif: bytes) -> bytes:
    """The PNG's pixel and colour chunks, with ``exif`` as its only eXIf chunk (placed before the image data)."""
    if not data.startswith(_PNG_SIGNATURE):
        raise Malformed("not a PNG")
    out, at, placed = [_PNG_SIGNATURE], len(_PNG_SIGNATURE), False
    body_exif = exif.removeprefix(b"Exif\x00\x00")
    while at < len(data):
        if at + 12 > len(data):
            raise Malformed("a PNG chunk is cut short")
        (length,) = struct.unpack_from(">I", data, at)
        name = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            raise Malformed("a PNG chunk runs past the end of the file")
        if name in (b"IDAT", b"acTL") and not placed:
            if body_exif:
                out.append(_png_chunk(b"eXIf", body_exif))
            placed = True
        if name in _PNG_KEEP:
            out.append(data[at:end])
        at = end
        if name == b"IEND":
            return b"".join(out)
    raise Malformed("the PNG has no end chunk")


def webp(data: bytes, exif: bytes) -> bytes:
    """The WebP's image chunks, with ``exif`` as its only EXIF chunk and no XMP; flags and sizes made to match."""
    if kind(data[:12]) != "webp":
        raise Malformed("not a WebP")
    (size,) = struct.unpack_from("<I", data, 4)
    end_of_riff = min(len(data), 8 + size)
    chunks: list[tuple[bytes, bytes]] = []
    at = 12
    while at + 8 <= end_of_riff:
        name = data[at : at + 4]
        (length,) = struct.unpack_from("<I", data, at + 4)
        body = data[at + 8 : at + 8 + length]
        if len(body) != length:
            raise Malformed("a WebP chunk runs past the end of the file")
        if name in _WEBP_KEEP:
            chunks.append((name, body))
        at += 8 + length + (length & 1)
    if not chunks:
        raise Malformed("the WebP has no image chunk")
    extended = chunks[0][0] == b"VP8X"
    if extended:
        header = bytearray(chunks[0][1])
        if len(header) < 10:
            raise Malformed("the WebP's extended header is cut short")
        header[0] &= ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG) & 0xFF
        body_exif = exif.removeprefix(b"Exif\x00\x00")
        if body_exif:
            header[0] |= _WEBP_EXIF_FLAG
            chunks.append((b"EXIF", body_exif))
        chunks[0] = (b"VP8X", bytes(header))
    payload = b"".join(
        name + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1) for name, body in chunks
    )
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload
