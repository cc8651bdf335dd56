"""Photos as a newsroom publishes them: sizes for every screen, a print-size download with its
credit in the file, no location data, and a link-preview image.

Image work is a queue filled while pages are rendered and done once, on every core (as Zola's
imageproc does): each file made is named by the digest of its source and the operation, kept
in .presskit-cache/media/, and never made again while the source is the same. Pillow does the
work. A file Pillow cannot read as a raster (SVG, an animated GIF) is published as it is.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from presskit import forks
from presskit.cache import cache_folder
from presskit.seal import seal, unseal

if TYPE_CHECKING:  # Pillow is imported where an image is opened: most commands never open one
    from PIL import Image

# What Pillow says of a file it reads all the same ("malformed MPO file", "possibly corrupt EXIF
# data", a very large image) is not a writer's to act on, and was printed as Python prints
# warnings, with a path inside Pillow: the photo is published as Pillow reads it.
warnings.filterwarnings("ignore", module=r"PIL(\.|$)")

WIDTHS = (480, 960, 1600)  # what `srcset` offers; a source is never made larger
PRINT_LONG_SIDE = 3000  # the download: big enough to print across a page
PREVIEW_SIZE = (1200, 630)  # the link-preview image social networks show
RASTER = {".jpg", ".jpeg", ".png", ".webp"}
_FORMAT = 2  # of the files made: a change here makes every size again (2: sizes from one decoding)
_PRINT_FORMAT = 2  # of the downloads alone (2: a JPEG's own image data, not compressed again)
_EXIF_GPS, _EXIF_ORIENTATION = 0x8825, 0x0112
_EXIF_DESCRIPTION, _EXIF_ARTIST, _EXIF_COPYRIGHT = 0x010E, 0x013B, 0x8298
PARALLEL_AT_LEAST = 4  # jobs; fewer are made faster than processes start


@dataclass(frozen=True)
class Source:
    """What presskit knows of an image file, kept while its size and time are the same."""

    digest: str
    width: int  # as shown: orientation applied
    height: int
    alpha: bool
    location: bool  # has GPS data
    turned: bool  # has an orientation other than upright


@dataclass(frozen=True)
class Size:
    path: str  # site path
    width: int


@dataclass(frozen=True)
class PhotoSizes:
    """What a page needs to show a photo: its proportions, the sizes it can choose from, and
    the file to download."""

    width: int
    height: int
    src: str  # the middle size, for browsers that take no srcset
    modern: tuple[Size, ...]  # WebP
    fallback: tuple[Size, ...]  # JPEG (PNG for a photo with transparency)
    download: str  # the photo's own address: a print-size copy, credit inside
    download_width: int
    download_height: int

    @property
    def modern_srcset(self) -> tuple[tuple[str, int], ...]:
        return tuple((size.path, size.width) for size in self.modern)

    @property
    def fallback_srcset(self) -> tuple[tuple[str, int], ...]:
        return tuple((size.path, size.width) for size in self.fallback)


@dataclass(frozen=True)
class _Job:
    source: str
    target: str  # file name in the cache folder
    operation: tuple[object, ...]


class Media:
    """The photos of one build: what each page shows of them, and the files to make."""

    def __init__(self, site_dir: Path, keep_location: bool, known: dict[str, tuple[object, ...]],
                 writes: bool = True) -> None:
        self.site_dir = site_dir
        self.keep_location = keep_location
        self.known = known  # path -> (size, mtime_ns, Source fields): kept by BuildMemory
        self.writes = writes
        self.jobs: dict[str, _Job] = {}
        self.files: dict[str, str] = {}  # site path -> file name in the cache folder
        self.as_is: set[str] = set()  # site paths of files published as they are
        self.previews: dict[tuple[str, str], str | None] = {}
        self.sizes: dict[tuple[str, str], PhotoSizes | None] = {}
        if not known:
            self.known.update(_load_index(site_dir))

    @property
    def folder(self) -> Path:
        return self.site_dir / ".presskit-cache" / "media"

    def source(self, file: Path) -> Source | None:
        """The facts of a raster image; None for a file that is not one (SVG, GIF, broken)."""
        if file.suffix.lower() not in RASTER:
            return None
        try:
            stat = file.stat()
        except OSError:
            return None
        key = str(file)
        known = self.known.get(key)
        if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return Source(*known[2:]) if len(known) > 2 else None  # type: ignore[arg-type]
        found = _examine(file)
        self.known[key] = (stat.st_size, stat.st_mtime_ns,
                           *((found.digest, found.width, found.height, found.alpha, found.location,
                              found.turned) if found else ()))
        return found

    def unchanged(self, file: Path) -> bool:
        """Whether a raster image has the bytes it had when last looked at (read again)."""
        known = self.known.get(str(file))
        if known is None or len(known) < 3 or file.suffix.lower() not in RASTER:
            return False
        try:
            return hashlib.blake2b(file.read_bytes(), digest_size=16).hexdigest() == known[2]
        except OSError:
            return False

    def photo(self, file: Path, path: str, credit: str = "", caption: str = "") -> PhotoSizes | None:
        """The sizes of a published photo (queued to be made), or None if it is not a raster."""
        key = (str(file), path)
        if key in self.sizes:
            if path not in self.files and path not in self.as_is and self.sizes[key] is not None:
                self.published(file, path, credit, caption)
            return self.sizes[key]
        source = self.source(file)
        if source is None:  # published as it is: an SVG, a GIF
            shape = _plain_size(file)
            self.sizes[key] = PhotoSizes(*shape, path, (), (), path, *shape) if shape else None
            return self.sizes[key]
        folder, stem = path.rsplit("/", 1)[0] + "/", Path(path).stem
        fallback_format = "png" if source.alpha else "jpeg"
        widths = [w for w in WIDTHS if w < source.width] + [min(source.width, WIDTHS[-1])]
        modern, fallback = [], []
        for width in dict.fromkeys(widths):
            for kind, found in (("webp", modern), (fallback_format, fallback)):
                site_path = f"{folder}{stem}-{width}w.{source.digest[:10]}.{_SUFFIX[kind]}"
                found.append(Size(self.queue(file, source, site_path, ("size", width, kind)), width))
        self.published(file, path, credit, caption)
        scale = min(1.0, PRINT_LONG_SIDE / max(source.width, source.height))
        middle = fallback[min(1, len(fallback) - 1)]
        sizes = PhotoSizes(
            width=fallback[-1].width, height=round(source.height * fallback[-1].width / source.width),
            src=middle.path, modern=tuple(modern), fallback=tuple(fallback), download=path,
            download_width=round(source.width * scale), download_height=round(source.height * scale))
        self.sizes[key] = sizes
        return sizes

    def published(self, file: Path, path: str, credit: str = "", caption: str = "") -> bool:
        """Queue the file published at `path` (a photo's download, or any raster image under
        media/): without location data, upright, the credit inside. False when the file can
        be published as it is."""
        if path in self.files:
            return True
        if path in self.as_is:
            return False
        source = self.source(file)
        location = source is not None and source.location and not self.keep_location
        if source is None or not (location or source.turned or credit or caption
                                  or max(source.width, source.height) > PRINT_LONG_SIDE):
            self.as_is.add(path)
            return False
        self.queue(file, source, path, ("print", _PRINT_FORMAT, credit, caption, self.keep_location))
        return True

    def preview(self, file: Path, path: str) -> str | None:
        """The 1200x630 link-preview image of a photo (site path), or None if it cannot be made."""
        key = (str(file), path)
        if key not in self.previews:
            source = self.source(file)
            folder, stem = path.rsplit("/", 1)[0] + "/", Path(path).stem
            self.previews[key] = None if source is None else self.queue(
                file, source, f"{folder}{stem}-share.{source.digest[:10]}.jpg", ("preview",))
        return self.previews[key]

    def queue(self, file: Path, source: Source, site_path: str, operation: tuple[object, ...]) -> str:
        name = hashlib.blake2b(repr((_FORMAT, source.digest, operation)).encode(),
                               digest_size=16).hexdigest() + "." + site_path.rsplit(".", 1)[1]
        self.files[site_path] = name
        self.jobs.setdefault(name, _Job(str(file), name, operation))
        return site_path

    def make(self, workers: int = 1) -> int:
        """Make every queued file not in the cache yet; how many were made."""
        if not self.writes:
            return 0
        try:
            cache_folder(self.site_dir)
            self.folder.mkdir(exist_ok=True)
        except OSError:
            return 0
        missing = [job for name, job in sorted(self.jobs.items()) if not self.kept(name)]
        by_source: dict[str, list[tuple[str, tuple[object, ...]]]] = {}
        for job in missing:  # each source decoded once for all its files
            by_source.setdefault(job.source, []).append((str(self.folder / job.target), job.operation))
        groups = sorted(by_source.items())
        if workers > 1 and len(groups) > 1 and len(missing) >= PARALLEL_AT_LEAST:
            with forks.pool(workers) as pool:
                pool.starmap(_make_from, groups, chunksize=1)
        else:
            for source, wanted in groups:
                _make_from(source, wanted)
        for job in missing:
            self.known[_MADE + job.target] = ((self.folder / job.target).stat().st_size,)
        _save_index(self.site_dir, self.known)
        return len(missing)

    def kept(self, name: str) -> bool:
        """Whether the cache holds this file as presskit made it: the sealed index knows it and
        its size (a file put there by anything else, or cut short, is made again)."""
        expected = self.known.get(_MADE + name)
        try:
            return expected is not None and (self.folder / name).stat().st_size == expected[0]
        except OSError:
            return False

    def outputs(self) -> Iterable[tuple[str, Path]]:
        """Each file made, by its path in output/, and where it is in the cache."""
        for site_path, name in sorted(self.files.items()):
            yield site_path.lstrip("/"), self.folder / name


_SUFFIX = {"webp": "webp", "jpeg": "jpg", "png": "png"}
_MADE = "made:"  # index keys of the files made, beside the paths of sources


def _examine(file: Path) -> Source | None:
    from PIL import Image

    try:
        data = file.read_bytes()
        with Image.open(file) as image:
            width, height = image.size
            exif = image.getexif()
            orientation = exif.get(_EXIF_ORIENTATION, 1)
            if orientation in (5, 6, 7, 8):
                width, height = height, width
            alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            return Source(hashlib.blake2b(data, digest_size=16).hexdigest(), width, height, alpha,
                          _EXIF_GPS in exif, orientation not in (1, None))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _make_from(source: str, wanted: list[tuple[str, tuple[object, ...]]]) -> None:
    """The files wanted of one source. Its sizes and link preview come from one decoding (a
    large JPEG decoded at the smallest scale that is still wider than the largest size), each
    width made from the one above it; the print copy from a whole decoding of its own. Each
    file is made the same way whichever others are made with it, so a file made again is the
    file a cold build makes."""
    from PIL import Image, ImageOps

    shown = [(target, operation) for target, operation in wanted if operation[0] != "print"]
    if shown:
        with Image.open(source) as original:
            if original.format == "JPEG":
                original.draft(None, (WIDTHS[-1], WIDTHS[-1]))
            image = ImageOps.exif_transpose(original)  # a copy, loaded
        widths = _sizes(image)
        for target, operation in shown:
            if operation[0] == "size":
                _, width, form = operation
                data = _encoded(widths.get(int(width), image), str(form), quality=80)  # type: ignore[call-overload]
            else:
                fitted = ImageOps.fit(image.convert("RGB"), PREVIEW_SIZE, Image.Resampling.LANCZOS)
                data = _encoded(fitted, "jpeg", quality=82)
            _write(target, data)
    for target, operation in wanted:
        if operation[0] == "print":
            _, _, credit, caption, keep_location = operation
            with Image.open(source) as original:
                exif = original.getexif()
                kept = _kept_exif(exif, str(credit), str(caption), bool(keep_location))
                xmp = _xmp(str(credit), str(caption)) if credit or caption else b""
                data = _jpeg_as_is(source, original, kept, xmp)
                if data is None:
                    image = ImageOps.exif_transpose(original)
                    image.thumbnail((PRINT_LONG_SIDE, PRINT_LONG_SIDE), Image.Resampling.LANCZOS)
                    data = _print_copy(image, original.format or "JPEG", kept, xmp, str(credit),
                                       str(caption))
            _write(target, data)


def _write(target: str, data: bytes) -> None:
    """A file of the cache, whole or not at all."""
    temporary = f"{target}.{os.getpid()}.part"
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, target)


def _sizes(image: Image.Image) -> dict[int, Image.Image]:
    """The image at each width of WIDTHS, each made from the one above it (never larger than
    the image)."""
    from PIL import Image

    made = {}
    for width in sorted(WIDTHS, reverse=True):
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        made[width] = image
    return made


def _encoded(image: Image.Image, form: str, quality: int) -> bytes:
    import io

    buffer = io.BytesIO()
    if form == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    elif form == "webp":
        image.save(buffer, "WEBP", quality=quality, method=4)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _kept_exif(exif: Image.Exif, credit: str, caption: str, keep_location: bool) -> Image.Exif:
    """The EXIF data of a download: the source's, without its orientation (the download is
    upright) and, unless kept, its location; the credit and caption written in (EXIF text is
    ASCII: the XMP packet keeps every letter)."""
    from PIL import Image
    from text_unidecode import unidecode

    kept = Image.Exif()
    for tag, value in exif.items():
        if tag not in (_EXIF_ORIENTATION, _EXIF_GPS, 0x8769):  # the sub-IFD pointers are rewritten
            kept[tag] = value
    if keep_location and _EXIF_GPS in exif:
        for tag, value in exif.get_ifd(_EXIF_GPS).items():
            kept.get_ifd(_EXIF_GPS)[tag] = value
    for tag, value in exif.get_ifd(0x8769).items():  # camera settings, dates
        kept.get_ifd(0x8769)[tag] = value
    if credit:
        kept[_EXIF_ARTIST] = unidecode(credit)
        kept[_EXIF_COPYRIGHT] = unidecode(credit)
    if caption:
        kept[_EXIF_DESCRIPTION] = unidecode(caption)
    return kept


# The segments of a JPEG a download keeps as they are: JFIF (APP0), the colour profile (APP2),
# Adobe's colour transform (APP14) and what the image data needs (tables, frame, scans). Every
# other application segment and comment goes: the source's EXIF and XMP (written anew), IPTC
# (APP13: its credit, caption and place names), maker data, thumbnails, other APP2 data (a
# phone's index of the pictures it appended, MPF; FlashPix) and those pictures, after the end of
# the image.
_KEPT_APP = {0xE0, 0xEE}
_ICC = b"ICC_PROFILE\x00"
_SEGMENT_MAX = 0xFFFF - 2  # bytes of a JPEG segment, after its length


def _jpeg_as_is(source: str, original: Image.Image, exif: Image.Exif, xmp: bytes) -> bytes | None:
    """The download of an upright JPEG no larger than PRINT_LONG_SIDE: its own image data,
    byte for byte (no second compression, no quality lost), with `exif` and `xmp` in place of
    the metadata it had. None when it needs decoding (turned, too large, not a JPEG, data too
    long for one segment, or not laid out as a JPEG should be)."""
    if (original.format != "JPEG" or original.getexif().get(_EXIF_ORIENTATION, 1) not in (1, None)
            or max(original.size) > PRINT_LONG_SIDE):
        return None  # (Pillow's EXIF has the orientation its XMP gives, when its EXIF has none)
    try:
        data = Path(source).read_bytes()
    except OSError:
        return None
    exif_data = exif.tobytes() if len(exif) or exif.get_ifd(0x8769) else b""  # ("Exif\0\0" first)
    xmp_data = b"http://ns.adobe.com/xap/1.0/\x00" + xmp if xmp else b""
    if data[:2] != b"\xff\xd8" or len(exif_data) > _SEGMENT_MAX or len(xmp_data) > _SEGMENT_MAX:
        return None
    first: list[bytes] = []  # JFIF, which comes first
    kept: list[bytes] = []  # from the first segment after it to the end of the image
    at = 2
    while True:
        if at + 2 > len(data) or data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:  # the end of the image: what follows is left out
            kept.append(b"\xff\xd9")
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD8 or at + 4 > len(data):  # (no length)
            return None
        end = at + 2 + int.from_bytes(data[at + 2:at + 4], "big")
        if end > len(data):
            return None
        if marker == 0xE0 and not kept:
            first.append(data[at:end])
        elif (not (0xE0 <= marker <= 0xEF or marker == 0xFE) or marker in _KEPT_APP
              or (marker == 0xE2 and data[at + 4:at + 4 + len(_ICC)] == _ICC)):
            kept.append(data[at:end])
        at = end
        if marker == 0xDA:  # a scan: its coded data runs to the next marker
            end = _scan_end(data, at)
            if end is None:
                return None
            kept.append(data[at:end])
            at = end
    written = [b"\xff\xd8", *first]
    for payload in (exif_data, xmp_data):
        if payload:
            written.append(b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload)
    return b"".join([*written, *kept])


def _scan_end(data: bytes, at: int) -> int | None:
    """Where the coded data of a scan starting at `at` ends: the first 0xFF that starts a
    marker (not a stuffed 0x00, a restart marker or a fill byte)."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return None
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            at += 2
        elif following == 0xFF:
            at += 1
        else:
            return at


def _print_copy(image: Image.Image, form: str, kept: Image.Exif, xmp: bytes, credit: str,
                caption: str) -> bytes:
    """The download made anew (turned upright, made smaller, or not a JPEG): location data
    gone unless kept, credit and caption in the file (EXIF Artist, Copyright and
    ImageDescription, and XMP's dc:creator, dc:rights and dc:description, which hold any
    script)."""
    import io

    buffer = io.BytesIO()
    form = form.upper()
    if form == "PNG":
        from PIL import PngImagePlugin

        text = PngImagePlugin.PngInfo()
        if credit:
            text.add_itxt("Author", credit)
            text.add_itxt("Copyright", credit)
        if caption:
            text.add_itxt("Description", caption)
        image.save(buffer, "PNG", pnginfo=text, exif=kept, optimize=True)
    elif form == "WEBP":
        image.save(buffer, "WEBP", quality=90, exif=kept, xmp=xmp)
    else:
        image.convert("RGB").save(buffer, "JPEG", quality=92, exif=kept, xmp=xmp, optimize=True,
                                  progressive=True)
    return buffer.getvalue()


def _xmp(credit: str, caption: str) -> bytes:
    def escaped(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    parts = []
    if credit:
        parts.append(f"<dc:creator><rdf:Seq><rdf:li>{escaped(credit)}</rdf:li></rdf:Seq></dc:creator>"
                     f"<dc:rights><rdf:Alt><rdf:li xml:lang=\"x-default\">{escaped(credit)}</rdf:li>"
                     "</rdf:Alt></dc:rights>")
    if caption:
        parts.append(f"<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{escaped(caption)}"
                     "</rdf:li></rdf:Alt></dc:description>")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            + "".join(parts) + '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


_INDEX = "media-index"


def _load_index(site_dir: Path) -> dict[str, tuple[object, ...]]:
    try:
        data = unseal((site_dir / ".presskit-cache" / _INDEX).read_bytes())
        index = marshal.loads(data) if data else {}
        return index if isinstance(index, dict) else {}
    except (OSError, ValueError, EOFError, TypeError):
        return {}


def _save_index(site_dir: Path, known: dict[str, tuple[object, ...]]) -> None:
    try:
        path = cache_folder(site_dir) / _INDEX
        temporary = path.with_name(f".{_INDEX}.{os.getpid()}")
        temporary.write_bytes(seal(marshal.dumps(known)))
        os.replace(temporary, path)
    except OSError:
        pass


def _plain_size(file: Path) -> tuple[int, int] | None:
    if file.suffix.lower() == ".svg":
        return svg_size(file)
    from PIL import Image

    try:
        with Image.open(file) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


_SVG_NUMBER = re.compile(r"^\s*([\d.]+)\s*(px)?\s*$")


def svg_size(file: Path) -> tuple[int, int] | None:
    """An SVG's width and height from its root element (its viewBox when they are absent)."""
    try:
        head = file.read_bytes()[:4096].decode("utf-8", "replace")
    except OSError:
        return None
    root = re.search(r"<svg\b[^>]*>", head)
    if root is None:
        return None
    tag = root.group(0)

    def attribute(name: str) -> str | None:
        found = re.search(rf'\s{name}\s*=\s*["\']([^"\']*)["\']', tag)
        return found.group(1) if found else None

    width, height = (_SVG_NUMBER.match(attribute(name) or "") for name in ("width", "height"))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    box = attribute("viewBox")
    if box:
        numbers = box.replace(",", " ").split()
        if len(numbers) == 4:
            try:
                return round(float(numbers[2])), round(float(numbers[3]))
            except ValueError:
                return None
    return None

