"""Helpers for tests that write small sites in tmp_path and run presskit on them."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from presskit.cli import main

SETTINGS = """\
title = "Test Newsroom"
base_url = "https://example.org/news/"
language = "en"
timezone = "Asia/Ho_Chi_Minh"
organisation = "Test Organisation"
"""

PARTNERS = {
    "content/partners/unicef.md": """\
        ---
        name: United Nations Children's Fund
        short_name: UNICEF
        ---
        Works for every child.
        """,
    "content/partners/vwu.md": """\
        ---
        name: Viet Nam Women's Union
        short_name: VWU
        aliases: [Women's Union]
        country: VN
        ---
        """,
    "content/programmes/sp-pfm.md": """\
        ---
        title: Improving Synergies Between Social Protection and Public Finance Management
        short_name: SP&PFM
        partners: [UNICEF]
        countries: [KH]
        ---
        """,
}


def release(title: str = "A release", date: str = "2023-05-22", body: str = "First paragraph.",
            **keys: str) -> str:
    """A release file; extra keys are written as given (YAML text)."""
    lines = ["---", f"title: {title}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in keys.items()]
    return "\n".join([*lines, "---", "", body, ""])


def write_site(root: Path, files: dict[str, str | bytes], settings: str = SETTINGS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "presskit.toml").write_text(settings, encoding="utf-8")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def copy_site(source: Path, target: Path) -> Path:
    """A copy of a site without what its builds left in it (output/, the cache)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("output", ".presskit-cache"))
    return target


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    """A plain web server that says nothing when a browser hangs up on a request it no longer
    needs (a page left while its files load): socketserver printed a traceback for each."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def static_server(output: Path, scratch: Path, base_path: str = "/") -> Iterator[str]:
    """A built site's output/ served on loopback under its base path, as a plain web server
    serves it (scratch: an empty folder to serve from); yields the site's address."""
    if base_path != "/":
        (scratch / base_path.strip("/")).symlink_to(output)
    root = output if base_path == "/" else scratch
    server = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{base_path}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def invoke(*args: str | Path) -> Run:
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return invoke


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under a folder with a hash of its bytes, to compare before and after."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def read(site: Path, relative: str, folder: str = "output") -> str:
    return (site / folder / relative).read_text(encoding="utf-8")


def all_output_text(site: Path, folder: str = "output") -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in sorted((site / folder).rglob("*")) if p.is_file())


def one_png() -> bytes:
    """The smallest valid PNG, for photos in test sites."""
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's demo newsroom, copied and built outside the repository."""
    import shutil

    site = tmp_path_factory.mktemp("demo")
    shutil.copy(REPO / "presskit.toml", site)
    shutil.copytree(REPO / "content", site / "content")
    assert main(["build", str(site)]) == 0
    return site


def require_tool(path: str, what: str) -> None:
    """Skip where a tool is missing on a developer's machine; in CI that is a failure."""
    import os
    import shutil

    if shutil.which(path) is None and not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{what} ({path}) is not installed; README's test set-up installs it")
        pytest.skip(f"{what} ({path}) is not installed")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Debian's headless Chromium, driven by Playwright."""
    require_tool(CHROMIUM, "Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
