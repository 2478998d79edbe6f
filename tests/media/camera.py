"""Camera-like image files for the photo tests, written byte by byte as phones write them.

Pillow's own EXIF writer cannot produce what cameras do (a thumbnail IFD, an Interop IFD, a maker note with
offsets of its own), so this module lays out the TIFF structure itself. The GPS values carry a marker that
appears nowhere else, so a test can look for it in any output's bytes, whatever the container.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

from PIL import Image

ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 2, 3, 4, 5, 7
_SIZES = {ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1}
EXIF_IFD, GPS_IFD, INTEROP_IFD = 0x8769, 0x8825, 0xA005
# Seconds of latitude as a rational whose bytes appear nowhere else in these files.
GPS_MARKER = (0x5EC2E7AB, 0x00C0FFEE)
XMP_GEO = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
    ' exif:GPSLatitude="48,51.5N" exif:GPSLongitude="2,21.0E" photoshop:City="Secretville"/>'
    "</rdf:RDF></x:xmpmeta>"
)


@dataclass
class Ifd:
    entries: list[tuple[int, int, object]] = field(default_factory=list)

    def add(self, tag: int, kind: int, value: object) -> Ifd:
        self.entries.append((tag, kind, value))
        return self


def _payload(kind: int, value: object, endian: str) -> tuple[int, bytes]:
    if kind == ASCII:
        data = str(value).encode() + b"\x00"
        return len(data), data
    if kind == UNDEFINED:
        assert isinstance(value, bytes)
        return len(value), value
    # A list holds several values; for RATIONAL a bare tuple is one (numerator, denominator) pair.
    values = value if isinstance(value, list) else [value]
    if kind == RATIONAL:
        pairs = [v if isinstance(v, tuple) else (v, 1) for v in values]
        return len(pairs), b"".join(struct.pack(endian + "II", *p) for p in pairs)
    code = "H" if kind == SHORT else "I"
    return len(values), b"".join(struct.pack(endian + code, v) for v in values)


def _ifd_size(ifd: Ifd, endian: str) -> int:
    extra = 0
    for _tag, kind, value in ifd.entries:
        data = _payload(kind, value, endian)[1]
        extra += len(data) + len(data) % 2 if len(data) > 4 else 0
    return 2 + 12 * len(ifd.entries) + 4 + extra


def _write_ifd(ifd: Ifd, start: int, next_ifd: int, endian: str) -> bytes:
    entries = sorted(ifd.entries, key=lambda e: e[0])
    head = struct.pack(endian + "H", len(entries))
    data_at = start + 2 + 12 * len(entries) + 4
    body = b""
    for tag, kind, value in entries:
        count, data = _payload(kind, value, endian)
        if len(data) <= 4:
            head += struct.pack(endian + "HHI", tag, kind, count) + data.ljust(4, b"\x00")
        else:
            head += struct.pack(endian + "HHII", tag, kind, count, data_at + len(body))
            body += data + b"\x00" * (len(data) % 2)
    return head + struct.pack(endian + "I", next_ifd) + body


def maker_note(endian: str) -> bytes:
    """A maker note in the common style: a vendor header, then an IFD whose offsets count from the note."""
    vendor = b"Apple iOS\x00\x00\x01MM"
    inner = Ifd().add(1, LONG, 14).add(2, UNDEFINED, b"\x01\x02" * 40).add(8, RATIONAL, [(1, 3), (2, 7)])
    return vendor + _write_ifd(inner, len(vendor), 0, endian)


def tiff_exif(
    *,
    orientation: int = 1,
    gps: bool = True,
    thumbnail: bool = True,
    interop: bool = True,
    maker: bool = True,
    endian: str = "<",
) -> bytes:
    """The TIFF body of an EXIF block (no ``Exif\\0\\0`` prefix) shaped like a phone's."""
    ifd0 = Ifd().add(271, ASCII, "Apple").add(272, ASCII, "iPhone 15").add(274, SHORT, orientation)
    ifd0.add(282, RATIONAL, (72, 1)).add(283, RATIONAL, (72, 1)).add(296, SHORT, 2)
    ifd0.add(306, ASCII, "2024:05:06 07:08:09").add(305, ASCII, "17.4.1")
    exif = Ifd().add(33434, RATIONAL, (1, 120)).add(33437, RATIONAL, (178, 100)).add(34855, SHORT, 64)
    exif.add(36867, ASCII, "2024:05:06 07:08:09").add(36880, ASCII, "+02:00").add(37386, RATIONAL, (686, 100))
    exif.add(40962, LONG, 64).add(40963, LONG, 48).add(42036, ASCII, "iPhone 15 back camera 6.86mm f/1.78")
    if maker:
        exif.add(0x927C, UNDEFINED, maker_note(endian))
    ifd0.add(EXIF_IFD, LONG, 0)
    gps_ifd = Ifd().add(0, UNDEFINED, b"\x02\x02\x00\x00").add(1, ASCII, "N")
    gps_ifd.add(2, RATIONAL, [(48, 1), (51, 1), GPS_MARKER]).add(3, ASCII, "E")
    gps_ifd.add(4, RATIONAL, [(2, 1), (21, 1), (0, 1)]).add(6, RATIONAL, (3512, 100))
    if gps:
        ifd0.add(GPS_IFD, LONG, 0)
    interop_ifd = Ifd().add(1, ASCII, "R98").add(2, UNDEFINED, b"0100")
    if interop:
        exif.add(INTEROP_IFD, LONG, 0)
    thumb = _tiny_jpeg() if thumbnail else b""
    ifd1 = Ifd().add(259, SHORT, 6).add(513, LONG, 0).add(514, LONG, len(thumb)).add(296, SHORT, 2)

    # Offsets depend only on sizes, so lay the blocks out once, then write them with the pointers filled in.
    order: list[tuple[str, Ifd]] = [("ifd0", ifd0), ("exif", exif)]
    order += [("interop", interop_ifd)] if interop else []
    order += [("gps", gps_ifd)] if gps else []
    order += [("ifd1", ifd1)] if thumbnail else []
    at, where = 8, {}
    for name, ifd in order:
        where[name] = at
        at += _ifd_size(ifd, endian)
    where["thumb"] = at

    def point(ifd: Ifd, tag: int, target: str) -> None:
        ifd.entries = [(t, k, where[target] if t == tag else v) for t, k, v in ifd.entries]

    point(ifd0, EXIF_IFD, "exif")
    point(ifd0, GPS_IFD, "gps")
    point(exif, INTEROP_IFD, "interop")
    point(ifd1, 513, "thumb")
    head = (b"II*\x00" if endian == "<" else b"MM\x00*") + struct.pack(endian + "I", 8)
    out = head
    for name, ifd in order:
        following = where["ifd1"] if name == "ifd0" and thumbnail else 0
        out += _write_ifd(ifd, where[name], following, endian)
    return out + thumb


def _tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 10, 10)).save(out, "JPEG", quality=50)
    return out.getvalue()


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def pattern(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """An image whose top-left quarter is red and the rest blue, so each orientation is recognisable."""
    image = Image.new("RGB", size, (20, 40, 220))
    image.paste((230, 20, 20), (0, 0, size[0] // 2, size[1] // 2))
    return image.convert(mode) if mode != "RGB" else image


# How a camera stores the scene for each orientation tag: the inverse of what a viewer applies.
STORED = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def camera_jpeg(
    *, orientation: int = 1, xmp: bool = True, mode: str = "RGB", endian: str = "<", **exif: bool
) -> bytes:
    """A JPEG as a phone writes it: APP1 EXIF (all sub-IFDs), APP1 XMP with a location, then the image.

    The pixels are stored turned as the orientation tag says, so a correct viewer shows ``pattern()``.
    """
    out = io.BytesIO()
    scene = pattern()
    if orientation in STORED:
        scene = scene.transpose(STORED[orientation])
    (scene.convert(mode) if mode != "RGB" else scene).save(out, "JPEG", quality=90)
    plain = out.getvalue()
    app1 = _segment(0xE1, b"Exif\x00\x00" + tiff_exif(orientation=orientation, endian=endian, **exif))
    extra = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP_GEO.encode()) if xmp else b""
    return plain[:2] + app1 + extra + plain[2:]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def camera_png(*, depth16: bool = False) -> bytes:
    """A PNG carrying the phone's EXIF in eXIf and the XMP location in an iTXt chunk."""
    out = io.BytesIO()
    image = pattern().transpose(STORED[6])
    if depth16:
        image = image.convert("L").convert("I").point(lambda v: v * 257)
        image = image.convert("I;16")
    image.save(out, "PNG")
    data = out.getvalue()
    end = data.index(b"IHDR") + 4 + 13 + 4
    itxt = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP_GEO.encode()
    extra = _chunk(b"eXIf", tiff_exif(orientation=6, thumbnail=False)) + _chunk(b"iTXt", itxt)
    return data[:end] + extra + data[end:]


def camera_webp() -> bytes:
    """An extended WebP (VP8X) with EXIF and XMP chunks, as Pillow writes it from the phone's metadata."""
    out = io.BytesIO()
    exif = b"Exif\x00\x00" + tiff_exif(orientation=8, thumbnail=False)
    pattern().transpose(STORED[8]).save(out, "WEBP", quality=80, exif=exif, xmp=XMP_GEO.encode())
    return out.getvalue()


def camera_heic() -> bytes:
    """A HEIC with the phone's EXIF (GPS included) and XMP, written through pillow-heif.

    Written without registering pillow-heif's Pillow opener, so the code under test has to register it itself.
    """
    import pillow_heif

    out = io.BytesIO()
    exif = b"Exif\x00\x00" + tiff_exif(orientation=6, thumbnail=False)
    heif = pillow_heif.from_pillow(pattern().transpose(STORED[6]))
    heif.save(out, quality=70, exif=exif, xmp=XMP_GEO.encode())
    return out.getvalue()


def carries_gps_marker(data: bytes) -> bool:
    return any(struct.pack(e + "II", *GPS_MARKER) in data for e in "<>")


def jpeg_exif(data: bytes) -> bytes | None:
    """The first APP1 EXIF payload of a JPEG, found by walking its segments."""
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF and data[at + 1] != 0xDA:
        (length,) = struct.unpack_from(">H", data, at + 2)
        body = data[at + 4 : at + 2 + length]
        if data[at + 1] == 0xE1 and body.startswith(b"Exif\x00\x00"):
            return body[6:]
        at += 2 + length
    return None


def tiff_tags(tiff: bytes) -> dict[str, set[int]]:
    """Every IFD reachable in a TIFF/EXIF body, by name, with its tags: an independent reader for asserts."""
    if tiff.startswith(b"Exif\x00\x00"):
        tiff = tiff[6:]
    endian = "<" if tiff[:2] == b"II" else ">"
    found: dict[str, set[int]] = {}

    def walk(name: str, offset: int) -> int:
        (count,) = struct.unpack_from(endian + "H", tiff, offset)
        tags = set()
        for index in range(count):
            tag, _kind, _n, value = struct.unpack_from(endian + "HHII", tiff, offset + 2 + 12 * index)
            tags.add(tag)
            if tag in (EXIF_IFD, GPS_IFD, INTEROP_IFD):
                walk({EXIF_IFD: "exif", GPS_IFD: "gps", INTEROP_IFD: "interop"}[tag], value)
        found[name] = tags
        (following,) = struct.unpack_from(endian + "I", tiff, offset + 2 + 12 * count)
        return int(following)

    following = walk("ifd0", struct.unpack_from(endian + "I", tiff, 4)[0])
    if following:
        walk("ifd1", following)
    return found
