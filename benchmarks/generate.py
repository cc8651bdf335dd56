"""Generate a realistic presskit site of N releases, for benchmarks and scale tests.

    python benchmarks/generate.py 10000 /tmp/site-10k

Releases have 1-6 countries, partners, programmes, topics, 1-3 photos, and 500-900-word bodies
with headings, lists, quotes and links to other releases. The photos are JPEGs as a camera's
are once cut down for the web (1600x1066, with GPS data; 640 wide below 1,000 releases, for
tests), a pool of one per hundred releases (4 to 60), shared as a newsroom's are. The same N
and seed give the same site. With --bilingual, the site also has Vietnamese: every other
release gets a .vi.md version, and every other partner a Vietnamese name.

English text is drawn from 51 words (the benchmarks' vocabulary until 4 December), or with
--vocabulary N from N words as a newsroom writes them: English's common words first, then the
51, then made-up words, each drawn as often as Zipf's law has it (a 700-word body then has
about 400 different words, and 10,000 releases about N, where the 51 words gave 50 and 51).
Every other draw (dates, terms, photos) is the same either way.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

COUNTRIES = ["VN", "KH", "LA", "TH", "MM", "ID", "PH", "MY", "BD", "NP", "LK", "IN", "PK", "MN",
             "SN", "CI", "GH", "NG", "KE", "UG", "TZ", "ET", "RW", "ZM", "MZ", "PE", "BO", "PY",
             "CO", "EC", "GT", "HN", "JO", "LB", "TR", "EG", "MA", "TN", "UA", "MD"]
TOPICS = ["Social protection", "Public finance", "Gender equality", "Child labour", "Migration",
          "Skills", "Employment", "Occupational safety", "Social dialogue", "Green jobs",
          "Informal economy", "Wages", "Youth employment", "Disability inclusion", "Health coverage",
          "Pensions", "Unemployment insurance", "Care economy", "Digital economy", "Climate"]
TYPES = ["press-release"] * 6 + ["news"] * 3 + ["statement", "feature", "media-advisory"]
_VOCABULARY = """social protection public finance budget ministry workers employers training workshop
coverage benefits pension insurance women children policy reform dialogue programme province district
commune officials partners assessment delivery rules treasury audit accountability transparency
households informal employment recovery resilience data registration payment system national regional
capacity advocacy support evidence"""
WORDS = _VOCABULARY.split()
_COMMON = """the of and to in a for on with that is by as from at this will its are be has their was
which said an have more than also new not it or who were all these been other two under over
about between into through such most"""
# Vietnamese words, for the versions of a --bilingual site.
_VOCABULARY_VI = """an sinh xã hội tài chính công ngân sách bộ người lao động người sử dụng lao động tập
huấn hội thảo bao phủ chế độ lương hưu bảo hiểm phụ nữ trẻ em chính sách cải cách đối thoại chương
trình tỉnh huyện xã cán bộ đối tác đánh giá thực hiện quy định kho bạc kiểm toán minh bạch hộ gia
đình phi chính thức việc làm phục hồi dữ liệu đăng ký chi trả hệ thống quốc gia khu vực"""
WORDS_VI = _VOCABULARY_VI.split()


def photo(rng: random.Random, width: int = 1600) -> bytes:
    """A JPEG with something to compress (discs of colour) and GPS data, as cameras save them."""
    import io

    from PIL import Image, ImageDraw

    height = width * 2 // 3
    image = Image.new("RGB", (width, height), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, size = rng.randrange(width), rng.randrange(height), rng.randint(width // 80, width // 5)
        draw.ellipse((x, y, x + size, y + size), fill=tuple(rng.randrange(256) for _ in range(3)))
    exif = Image.Exif()
    exif[0x010F] = "Benchmark Camera"
    location = exif.get_ifd(0x8825)
    location[1], location[2], location[3], location[4] = "N", (21.0, 1.0, 42.0), "E", (105.0, 51.0, 15.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()


class Vocabulary(list[str]):
    """`size` words, each drawn as often as Zipf's law has it (the n-th most common about 1/n
    times as often as the first): what a sentence draws from with --vocabulary."""

    def __init__(self, size: int) -> None:
        made = random.Random(size)  # its own: the site's other draws stay as they are
        syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ea", "ou")]
        found = dict.fromkeys([*_COMMON.split(), *WORDS])
        while len(found) < size:
            word = "".join(made.choices(syllables, k=made.choice((1, 2, 2, 3, 3, 3, 4))))
            found.setdefault(word + made.choice(("", "", "n", "s", "t", "r")))
        super().__init__(found)
        self.weights = list(itertools.accumulate(1 / rank for rank in range(1, len(self) + 1)))


def sentence(rng: random.Random, low: int = 8, high: int = 22, words: list[str] = WORDS) -> str:
    count = rng.randint(low, high)
    if isinstance(words, Vocabulary):  # (as many draws from rng as without weights)
        chosen = rng.choices(words, cum_weights=words.weights, k=count)
    else:
        chosen = rng.choices(words, k=count)
    return " ".join(chosen).capitalize() + "."


def body(rng: random.Random, slugs: list[str], words: list[str] = WORDS, root: str = "/") -> str:
    parts: list[str] = []
    target = rng.randint(500, 900)
    count = 0
    while count < target:
        kind = rng.random()
        if kind < 0.1:
            text = "## " + sentence(rng, 3, 6, words).rstrip(".")
        elif kind < 0.2:
            text = "\n".join(f"- {sentence(rng, 5, 12, words)}" for _ in range(rng.randint(3, 5)))
        elif kind < 0.28:
            text = "> " + sentence(rng, 15, 30, words)
        else:
            text = " ".join(sentence(rng, words=words) for _ in range(rng.randint(3, 6)))
            if slugs and rng.random() < 0.3:
                text += f" See [an earlier release]({root}releases/{rng.choice(slugs)}/)."
        parts.append(text)
        count += len(text.split())
    return "\n\n".join(parts)


def generate(count: int, root: Path, seed: int = 1, bilingual: bool = False, vocabulary: int = 0) -> Path:
    """The site of `count` releases; `vocabulary`: how many English words (0: the 51 words)."""
    rng = random.Random(seed)
    english = Vocabulary(vocabulary) if vocabulary else WORDS
    if root.exists():
        shutil.rmtree(root)
    content = root / "content"
    (content / "media").mkdir(parents=True)
    (root / "presskit.toml").write_text(
        'title = "Benchmark Newsroom"\nbase_url = "https://example.org/newsroom/"\n'
        'language = "en"\ntimezone = "Asia/Ho_Chi_Minh"\norganisation = "Benchmark Organisation"\n'
        + ('\n[languages.vi]\ntitle = "Bản tin thử nghiệm"\n' if bilingual else ""))
    partners = [f"partner-{n:02}" for n in range(40)]
    for number, partner in enumerate(partners):
        (content / "partners").mkdir(exist_ok=True)
        (content / "partners" / f"{partner}.md").write_text(
            f"---\nname: Partner Organisation {number}\nshort_name: PO{number}\n"
            f"type: {rng.choice(['UN agency', 'Government', 'Donor', 'NGO', 'Union'])}\n---\n\n"
            f"{sentence(rng)} {sentence(rng)}\n")
        if bilingual and number % 2 == 0:
            (content / "partners" / f"{partner}.vi.md").write_text(
                f"---\nname: Tổ chức đối tác số {number}\nshort_name: PO{number}\n---\n\n"
                f"{sentence(rng, words=WORDS_VI)}\n")
    programmes = [f"programme-{n:02}" for n in range(12)]
    for number, programme in enumerate(programmes):
        (content / "programmes").mkdir(exist_ok=True)
        chosen = rng.sample(partners, 4)
        (content / "programmes" / f"{programme}.md").write_text(
            f"---\ntitle: Programme number {number} on {rng.choice(TOPICS).lower()}\n"
            f"short_name: PRG{number}\npartners: [{', '.join(chosen[:3])}]\nfunders: [{chosen[3]}]\n"
            f"countries: [{', '.join(rng.sample(COUNTRIES, 5))}]\nstart: {2015 + number % 8}\n---\n\n"
            f"{sentence(rng)}\n")
    pool = min(60, max(4, count // 100))
    for number in range(pool):  # small sites are for tests: smaller photos, the same kinds of work
        (content / "media" / f"photo-{number:02}.jpg").write_bytes(photo(rng, 1600 if count >= 1000 else 640))
    start = date(2014, 1, 1)
    slugs: list[str] = []
    for number in range(count):
        day = start + timedelta(days=int(number * 4400 / max(count, 1)))
        slug = f"release-{number:05}"
        countries = rng.sample(COUNTRIES, rng.randint(1, 6))
        folder = content / "releases" / str(day.year)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{slug}.md").write_text(
            "---\n"
            f"title: {sentence(rng, 6, 12, english).rstrip('.')}\n"
            f"subtitle: {sentence(rng, 10, 18, english)}\n"
            f"date: {day.isoformat()}\n"
            f"type: {rng.choice(TYPES)}\n"
            f"location: Capital city, {countries[0]}\n"
            f"countries: [{', '.join(countries)}]\n"
            f"partners: [{', '.join(rng.sample(partners, rng.randint(1, 3)))}]\n"
            f"programmes: [{rng.choice(programmes)}]\n"
            f"topics: [{', '.join(rng.sample(TOPICS, rng.randint(1, 3)))}]\n"
            "photos:\n" + "".join(
                f"  - src: /media/photo-{number:02}.jpg\n"
                f"    alt: {sentence(rng, 5, 9)}\n"
                f"    caption: {sentence(rng, 8, 14)}\n"
                "    credit: © Benchmark photographer\n"
                for number in rng.sample(range(pool), rng.randint(1, 3))) +
            "---\n\n" + body(rng, slugs[-200:], english) + "\n")
        if bilingual and number % 2 == 0:
            (folder / f"{slug}.vi.md").write_text(
                "---\n"
                f"title: {sentence(rng, 6, 12, WORDS_VI).rstrip('.')}\n"
                f"date: {day.isoformat()}\n"
                f"location: Thủ đô, {countries[0]}\n"
                f"countries: [{', '.join(countries)}]\n"
                f"partners: [{', '.join(rng.sample(partners, rng.randint(1, 3)))}]\n"
                f"topics: [{', '.join(rng.sample(TOPICS, rng.randint(1, 3)))}]\n"
                "---\n\n" + body(rng, [], WORDS_VI) + "\n")
        slugs.append(slug)
    return root


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="how many releases")
    parser.add_argument("folder", type=Path, help="where to write the site (replaced)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bilingual", action="store_true", help="half the releases in Vietnamese too")
    parser.add_argument("--vocabulary", type=int, default=0, metavar="N",
                        help="English drawn from N words, as a newsroom writes (default: 51 words)")
    arguments = parser.parse_args()
    generate(arguments.count, arguments.folder, arguments.seed, arguments.bilingual, arguments.vocabulary)
    print(f"wrote {arguments.count} releases to {arguments.folder}")
