"""Photos as a newsroom publishes them (SPEC 9): sizes in srcset, a print-size download with
the credit inside and no location data, a link-preview image, a gallery, made once."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from conftest import SETTINGS, read, release, static_server, write_site

GPS, ORIENTATION, ARTIST = 0x8825, 0x0112, 0x013B


def camera_photo(width: int = 2400, height: int = 1600, orientation: int = 1, gps: bool = True,
                 form: str = "JPEG") -> bytes:
    """A photo as a camera saves it: left half red, right half blue, with GPS data and an
    orientation tag."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[0x010F] = "Test Camera"
    if orientation != 1:
        exif[ORIENTATION] = orientation
    if gps:
        location = exif.get_ifd(GPS)
        location[1], location[2], location[3], location[4] = "N", (21.0, 1.0, 42.0), "E", (105.0, 51.0, 15.0)
    buffer = io.BytesIO()
    image.save(buffer, form, exif=exif, quality=90)
    return buffer.getvalue()


PHOTOS = ("\n  - src: /media/lead.jpg\n    alt: Trainers at the front of a hall\n"
          "    caption: Trainers in Đồng Hới\n    credit: © ILO/Nguyễn Văn A\n"
          "  - src: /media/second.jpg\n    alt: A speaker at a lectern\n    credit: ILO")


def photo_site(tmp_path, settings: str = SETTINGS, **files: bytes | str):
    return write_site(tmp_path, {
        "content/releases/a.md": release("With photos", photos=PHOTOS),
        "content/releases/plain.md": release("No photo"),
        "content/media/lead.jpg": camera_photo(),
        "content/media/second.jpg": camera_photo(1200, 800, orientation=6),
        **files,
    }, settings)


def exif_of(path) -> Image.Exif:
    with Image.open(path) as image:
        return image.getexif()


def test_a_photo_is_offered_in_several_widths_as_webp_and_jpeg(tmp_path, run):
    site = photo_site(tmp_path)
    assert run("build", site).code == 0
    page = read(site, "releases/a/index.html")
    lead = page[page.index('<figure class="photo lead"'):]
    lead = lead[:lead.index("</figure>")]
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', lead).group(1)
    jpeg = re.search(r'<img src="[^"]+" srcset="([^"]+)"', lead).group(1)
    assert [w.split()[1] for w in webp.split(", ")] == ["480w", "960w", "1600w"]
    assert [w.split()[1] for w in jpeg.split(", ")] == ["480w", "960w", "1600w"]
    for entry in (*webp.split(", "), *jpeg.split(", ")):
        path, width = entry.split()
        with Image.open(site / "output" / path.removeprefix("/news/")) as image:
            assert image.width == int(width[:-1])
            assert image.format == ("WEBP" if path.endswith(".webp") else "JPEG")
            assert GPS not in image.getexif()
    assert 'width="1600" height="1067"' in lead
    assert 'fetchpriority="high"' in lead and 'loading="lazy"' not in lead  # the lead shows at once
    second = page[page.index('id="photo-2"'):]
    assert 'width="800" height="1200"' in second[:second.index("</figure>")]  # turned upright
    assert 'loading="lazy"' in second[:second.index("</figure>")]


def test_a_small_photo_is_never_made_larger(tmp_path, run):
    site = photo_site(tmp_path, **{"content/media/lead.jpg": camera_photo(600, 400)})
    assert run("build", site).code == 0
    page = read(site, "releases/a/index.html")
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', page).group(1)
    assert [w.split()[1] for w in webp.split(", ")] == ["480w", "600w"]


def test_the_download_is_upright_with_its_credit_and_without_location(tmp_path, run):
    site = photo_site(tmp_path)
    assert run("build", site).code == 0
    with Image.open(site / "output/media/second.jpg") as turned:
        assert turned.size == (800, 1200)  # orientation 6: turned a quarter clockwise
        assert turned.getpixel((400, 100))[0] > 150  # the red half is now on top
        assert turned.getpixel((400, 1100))[2] > 150
        exif = turned.getexif()
        assert GPS not in exif and ORIENTATION not in exif
        assert exif[ARTIST] == "ILO"
    with Image.open(site / "output/media/lead.jpg") as lead:
        assert lead.size == (2400, 1600)
        exif = lead.getexif()
        assert GPS not in exif and not exif.get_ifd(GPS)
        assert exif[ARTIST] == "(c) ILO/Nguyen Van A"  # EXIF text is ASCII...
        xmp = lead.info["xmp"].decode("utf-8")
        assert "© ILO/Nguyễn Văn A" in xmp and "Trainers in Đồng Hới" in xmp  # ...XMP has every letter
    page = read(site, "releases/a/index.html")
    assert 'href="/news/media/lead.jpg" download' in page
    assert "2400 × 1600 px" in page


def test_location_is_kept_only_when_the_site_asks(tmp_path, run):
    site = photo_site(tmp_path, SETTINGS + "keep_photo_location = true\n")
    assert run("build", site).code == 0
    assert exif_of(site / "output/media/lead.jpg").get_ifd(GPS)[1] == "N"


def _segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """A JPEG's segments before its image data, (marker, payload), and the image data."""
    at, found = 2, []
    while data[at + 1] != 0xDA:
        end = at + 2 + int.from_bytes(data[at + 2:at + 4], "big")
        found.append((data[at + 1], data[at + 4:end]))
        at = end
    return found, data[at:]


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def test_an_upright_jpeg_download_keeps_its_own_image_data_and_colour_profile(tmp_path, run):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "Test Camera"
    exif.get_ifd(GPS)[1] = "N"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 120, 60)).save(
        buffer, "JPEG", quality=75, exif=exif, icc_profile=profile,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>21,1.7N</exif:GPSLatitude></x:xmpmeta>')
    taken = buffer.getvalue()  # with what picture desks' tools add: IPTC (place names) and a comment
    taken = (taken[:2] + _segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04 Sublocation: Ba Dinh")
             + _segment(0xFE, b"Shot at 12 Tran Hung Dao") + _segment(0xE2, b"FPXR\x00 FlashPix contents")
             + taken[2:] + b"\xff\xd8 a depth map, Exif GPSLatitude 21.0285 \xff\xd9")  # (a phone's)
    site = photo_site(tmp_path, **{"content/media/lead.jpg": taken})
    assert run("build", site).code == 0
    download = (site / "output/media/lead.jpg").read_bytes()
    segments, image_data = _segments(download)
    assert image_data == _segments(taken)[1].split(b"\xff\xd9")[0] + b"\xff\xd9"  # not compressed again
    profiles = [payload for marker, payload in segments if marker == 0xE2]
    assert profiles == [b"ICC_PROFILE\x00\x01\x01" + profile]
    assert not [marker for marker, _ in segments if marker in (0xED, 0xFE)]
    for left_out in (b"Ba Dinh", b"Tran Hung Dao", b"GPSLatitude", b"FPXR", b"depth map"):
        assert left_out not in download
    with Image.open(site / "output/media/lead.jpg") as lead:
        assert lead.size == (1200, 800)
        exif = lead.getexif()
        assert GPS not in exif and exif[0x010F] == "Test Camera" and exif[ARTIST] == "(c) ILO/Nguyen Van A"
        assert "© ILO/Nguyễn Văn A" in lead.info["xmp"].decode("utf-8")
        lead.load()


def test_a_jpeg_turned_in_its_xmp_alone_is_downloaded_upright(tmp_path, run):
    # its image data is not kept as it is: the orientation is read from the XMP too
    image = Image.new("RGB", (1200, 800), (220, 20, 20))
    image.paste((20, 20, 220), (600, 0, 1200, 800))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
                                   b'1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/'
                                   b'tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')
    site = photo_site(tmp_path, **{"content/media/lead.jpg": buffer.getvalue()})
    assert run("build", site).code == 0
    with Image.open(site / "output/media/lead.jpg") as lead:
        assert lead.size == (800, 1200)  # turned as its XMP says, not kept as stored
        assert lead.getpixel((400, 100))[0] > 150


def test_what_pillow_says_of_a_photo_it_reads_all_the_same_never_reaches_the_writer(tmp_path):
    odd = camera_photo(800, 600)  # a phone's index of other pictures, damaged
    odd = odd[:2] + _segment(0xE2, b"MPF\x00 damaged") + odd[2:]
    site = photo_site(tmp_path, **{"content/media/lead.jpg": odd})
    done = subprocess.run([sys.executable, "-m", "presskit", "build", str(site)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "PIL" not in done.stderr and ".py" not in done.stderr
    assert (site / "output/media/lead.jpg").is_file()


def test_every_published_raster_image_loses_its_location_not_only_photos(tmp_path, run):
    site = photo_site(tmp_path, **{
        "content/releases/plain.md": release("No photo", body="![A map](/media/body.jpg)"),
        "content/media/body.jpg": camera_photo(300, 200)})
    assert run("build", site).code == 0
    assert GPS not in exif_of(site / "output/media/body.jpg")
    beside = photo_site(tmp_path / "beside", **{
        "content/releases/folder/index.md": release("Folder", body="![A map](map.jpg)"),
        "content/releases/folder/map.jpg": camera_photo(300, 200)})
    assert run("build", beside).code == 0
    assert GPS not in exif_of(beside / "output/releases/folder/map.jpg")  # beside its text


def test_a_link_preview_is_1200_by_630_from_the_lead_photo_or_the_default_image(tmp_path, run):
    site = photo_site(tmp_path, SETTINGS + 'default_image = "/media/second.jpg"\n')
    assert run("build", site).code == 0
    preview = re.search(r'<meta property="og:image" content="https://example.org/news/([^"]+)">',
                        read(site, "releases/a/index.html")).group(1)
    assert "lead-share." in preview
    with Image.open(site / "output" / preview) as image:
        assert image.size == (1200, 630)
    plain = re.search(r'<meta property="og:image" content="https://example.org/news/([^"]+)">',
                      read(site, "releases/plain/index.html")).group(1)
    assert "second-share." in plain
    assert '<meta property="og:image:width" content="1200">' in read(site, "index.html")


def test_an_svg_is_never_a_link_preview(tmp_path, run):
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60">'
           '<rect width="120" height="60"/></svg>')
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", photos="\n  - src: /media/chart.svg\n    alt: A bar chart"),
        "content/media/chart.svg": svg})
    assert run("build", site).code == 0
    page = read(site, "releases/a/index.html")
    assert "og:image" not in page
    assert 'src="/news/media/chart.svg" width="120" height="60"' in page  # its size, from the file
    settings = SETTINGS + 'default_image = "/media/chart.svg"\n'
    (site / "presskit.toml").write_text(settings)
    result = run("build", site)
    assert result.code == 1
    assert "presskit.toml:6" in result.err and "not a photo that link previews show" in result.err
    assert ".jpg" in result.err


def test_a_photo_of_an_unpublished_release_is_never_written_in_any_size(tmp_path, run):
    site = photo_site(tmp_path, **{
        "content/releases/secret.md": release(
            "Secret", embargo="2099-01-01T09:00",
            photos="\n  - src: /media/secret.jpg\n    alt: A hall\n    credit: ILO"),
        "content/media/secret.jpg": camera_photo(1000, 700)})
    assert run("build", site).code == 0
    assert not [p for p in (site / "output").rglob("*") if "secret" in p.name]
    assert not [p for p in (site / ".presskit-cache").rglob("*") if "secret" in p.name]


def test_sizes_are_made_once_and_kept_between_builds(tmp_path, run):
    site = photo_site(tmp_path)
    first = run("build", site)
    assert re.search(r"Made \d+ photo files", first.out)
    made = sorted(p.name for p in (site / "output/media").iterdir())
    shutil.rmtree(site / "output")
    again = run("build", site)
    assert again.code == 0
    assert "photo file" not in again.out  # all of them from .presskit-cache/
    assert sorted(p.name for p in (site / "output/media").iterdir()) == made
    (site / "content/media/lead.jpg").write_bytes(camera_photo(2000, 1500))
    changed = run("build", site)
    assert re.search(r"Made \d+ photo files", changed.out)
    assert 'width="1600" height="1200"' in read(site, "releases/a/index.html")


def test_a_setting_of_photos_that_is_wrong_is_reported(tmp_path, run):
    site = photo_site(tmp_path, SETTINGS + 'keep_photo_location = "yes"\n')
    result = run("build", site)
    assert result.code == 1
    assert "presskit.toml:6" in result.err and "`keep_photo_location` must be true or false" in result.err


# -- in a browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_photos(tmp_path_factory):
    from presskit.cli import main

    site = photo_site(tmp_path_factory.mktemp("photos"))
    assert main(["build", str(site)]) == 0
    with static_server(site / "output", tmp_path_factory.mktemp("serve"), "/news/") as url:
        yield url


def test_a_journalist_downloads_a_photo_without_its_location(browser, served_photos):
    page = browser.new_page()
    page.goto(served_photos + "releases/a/")
    page.wait_for_load_state("load")
    with page.expect_download() as download:
        page.locator("#photo-1 .photo-download").click()
    assert download.value.suggested_filename == "lead.jpg"
    with Image.open(download.value.path()) as photo:
        assert photo.size == (2400, 1600)
        assert photo.getpixel((100, 800))[0] > 150 and photo.getpixel((2300, 800))[2] > 150
        assert GPS not in photo.getexif()
    page.close()


def test_the_gallery_opens_by_keyboard_and_goes_through_the_photos(browser, served_photos):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served_photos + "releases/a/")
    from playwright.sync_api import expect

    page.wait_for_load_state("load")  # gallery.js is deferred: it has run by then
    opener = page.locator("#photo-1 a.photo-open")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.lightbox")
    expect(dialog).to_be_visible()
    expect(page.locator(".lightbox-count")).to_have_text("Photo 1 of 2")
    expect(dialog.locator("figcaption")).to_contain_text("Trainers in Đồng Hới")
    page.wait_for_function("document.querySelector('dialog.lightbox img').naturalWidth > 0")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".lightbox-count")).to_have_text("Photo 2 of 2")
    expect(dialog.locator("img")).to_have_attribute("alt", "A speaker at a lectern")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.wait_for_function("document.activeElement.closest('figure')?.id === 'photo-2'")
    page.close()


def test_thumbnails_stay_small_on_a_phone(browser, served_photos):
    page = browser.new_page(viewport={"width": 360, "height": 800})
    sizes: list[tuple[str, int]] = []
    page.on("response", lambda response: sizes.append((response.url, len(response.body())))
            if response.request.resource_type == "image" else None)
    page.goto(served_photos + "releases/", wait_until="networkidle")
    assert sizes and all(size < 60_000 for _, size in sizes), sizes
    assert all("480w" in url for url, _ in sizes), sizes


def test_a_damaged_or_planted_photo_file_in_the_cache_is_made_again(tmp_path, run):
    site = photo_site(tmp_path)
    assert run("build", site).code == 0
    made = sorted((site / ".presskit-cache/media").iterdir())
    published = {p.name: p.read_bytes() for p in (site / "output/media").iterdir()}
    made[0].write_bytes(made[0].read_bytes()[:100])  # cut short
    (site / ".presskit-cache/media-index").write_bytes(b"not sealed")  # and an index not ours
    shutil.rmtree(site / "output")
    again = run("build", site)
    assert re.search(rf"Made {len(made)} photo files", again.out), again.out  # nothing trusted
    assert {p.name: p.read_bytes() for p in (site / "output/media").iterdir()} == published


def textured_photo(width: int, height: int, orientation: int = 1) -> bytes:
    """A photo with detail everywhere (noise over gradients), where any change in how a size
    is made changes its bytes."""
    noise = Image.effect_noise((width, height), 60)
    ramp = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (noise, ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def test_a_photo_file_made_again_alone_is_the_file_a_cold_build_made(tmp_path, run):
    # A camera-sized photo, turned: its sizes come from one decoding at a reduced scale, each
    # width from the one above it. The smallest sizes and the link preview, lost from the cache
    # and made again without the others, must be the same bytes as when all were made at once.
    site = photo_site(tmp_path, **{"content/media/lead.jpg": textured_photo(6400, 4000, orientation=6)})
    assert run("build", site).code == 0
    published = {p.name: p.read_bytes() for p in (site / "output/media").iterdir()}
    lost = {data for name, data in published.items() if "-480w." in name or "-share." in name}
    assert len(lost) >= 4
    cache = site / ".presskit-cache/media"
    for made in cache.iterdir():
        if made.read_bytes() in lost:
            made.unlink()
    shutil.rmtree(site / "output")
    again = run("build", site)
    assert re.search(rf"Made {len(lost)} photo files", again.out), again.out
    assert {p.name: p.read_bytes() for p in (site / "output/media").iterdir()} == published
    smallest = next(name for name in published if name.startswith("lead-480w."))
    with Image.open(site / "output/media" / smallest) as small:
        assert small.size == (480, 768)  # upright: 4000 x 6400 as shown
