"""`presskit serve`: live reload in a real browser, error overlay, safety, bursts of saves."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import REPO, one_png, release, write_site
from presskit.build import make_site
from presskit.serve import Session
from presskit.watch import is_temporary


def small_site(root: Path) -> Path:
    return write_site(root, {
        "content/releases/story.md": release("The story", body="Original text of the story."),
        "content/releases/other.md": release("Another story", "2023-04-01"),
        "content/releases/draft.md": release("Unfinished", "2023-06-01", draft="true"),
        "content/media/photo.png": one_png(),
    })


@pytest.fixture
def session(tmp_path):  # type: ignore[no-untyped-def]
    lines: list[str] = []
    running = Session(small_site(tmp_path / "site"), "127.0.0.1", 0, report=lines.append)
    running.lines = lines  # type: ignore[attr-defined]
    yield running
    running.stop()


def get(session: Session, path: str, host: str | None = None,
        method: str = "GET") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", session.preview.port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host if host is not None else f"127.0.0.1:{session.preview.port}")
    connection.endheaders()
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def status(session: Session) -> dict:
    return json.loads(get(session, "/__presskit__/status").body)  # type: ignore[attr-defined]


def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def said_rebuilt(lines: list[str], said: int) -> None:
    """Wait until the preview has said a rebuild after its first `said` lines: it serves the
    files first and says so after (a loaded machine shows the gap)."""
    wait_for(lambda: any("Rebuilt in" in line for line in lines[said:]))


def test_serves_the_site_with_the_reload_script_in_pages_only(session, tmp_path):
    page = get(session, "/releases/story/")
    assert page.status == 200
    assert page.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b"Original text of the story." in page.body
    assert b"/__presskit__/live.js" in page.body
    css = get(session, "/assets/presskit.css")
    assert css.getheader("Content-Type") == "text/css; charset=utf-8"
    assert b"__presskit__" not in css.body
    assert get(session, "/feed.xml").getheader("Content-Type").startswith("application/atom+xml")
    assert get(session, "/media/photo.png").getheader("Content-Type") == "image/png"
    assert not (tmp_path / "site/output").exists()


def test_drafts_and_embargoed_releases_are_shown_with_a_banner(tmp_path):
    lift = (datetime.now(UTC) + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    site = small_site(tmp_path / "site")
    (site / "content/releases/soon.md").write_text(release("Soon public", embargo=lift))
    running = Session(site, "127.0.0.1", 0, report=lambda line: None)
    try:
        draft = get(running, "/releases/draft/").body
        assert b"Draft: not published. presskit build leaves this release out." in draft
        soon = get(running, "/releases/soon/").body
        assert b"Embargoed until" in soon and b"leaves this release out until then" in soon
        assert b"preview-banner" not in get(running, "/releases/story/").body
        assert b"Unfinished" in get(running, "/releases/").body
        # The embargo lifts while the preview runs: the next rebuild shows an ordinary page.
        wait_for(lambda: b"Embargoed until" not in get(running, "/releases/soon/").body, 15)
        assert b"preview-banner" not in get(running, "/releases/soon/").body
    finally:
        running.stop()


@pytest.mark.parametrize("target", [
    "/../presskit.toml", "/%2e%2e/presskit.toml", "/%2E%2E/%2E%2E/etc/passwd",
    "/releases/..%2f..%2fpresskit.toml", "/..\\presskit.toml", "/%00", "//etc/passwd",
    "/content/releases/story.md", "/presskit.toml", "/releases/%ff/",
])
def test_nothing_outside_the_built_site_is_served(session, target):
    response = get(session, target)
    assert response.status in (400, 404)
    assert b"title = " not in response.body and b"root:" not in response.body
    assert b"Original text" not in response.body


def test_a_symbolic_link_out_of_the_site_is_not_followed(tmp_path):
    site = small_site(tmp_path / "site")
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"SECRET BYTES")
    (site / "content/media/link.png").symlink_to(secret)
    running = Session(site, "127.0.0.1", 0, report=lambda line: None)
    try:
        response = get(running, "/media/link.png")
        assert response.status in (404, 503)
        assert b"SECRET" not in response.body
        assert "link.png: error: is a symbolic link to" in status(running)["error"]
    finally:
        running.stop()


def test_no_directory_listing_and_missing_pages_get_the_site_404(session):
    listing = get(session, "/media/")
    assert listing.status == 404
    assert b"photo.png" not in listing.body
    missing = get(session, "/no/such/page/")
    assert missing.status == 404
    assert b"Page not found" in missing.body
    redirect = get(session, "/releases")
    assert redirect.status == 301 and redirect.getheader("Location") == "/releases/"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1",
                                  "localhost.evil.example:{port}", ""])
def test_requests_for_another_host_are_refused(session, host):
    response = get(session, "/", host=host.format(port=session.preview.port))
    assert response.status == 421
    assert b"Test Newsroom" not in response.body


def test_localhost_by_name_is_answered(session):
    assert get(session, "/", host=f"localhost:{session.preview.port}").status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_only_get_and_head(session, method):
    assert get(session, "/", method=method).status == 405
    head = get(session, "/releases/story/", method="HEAD")
    assert head.status == 200 and head.body == b""  # type: ignore[attr-defined]


def test_survives_malformed_requests_and_fifty_clients(session):
    port = session.preview.port
    for garbage in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.1\r\nHost: " + b"x" * 70000,
                    b"\x16\x03\x01\x02\x00\x01\x00", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
                    b"GET / HTTP/1.1\r\n"):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(garbage)
            raw.shutdown(socket.SHUT_WR)
            with contextlib.suppress(OSError):
                raw.recv(1000)
    results: list[int] = []

    def client() -> None:
        results.append(get(session, "/releases/story/").status)

    threads = [threading.Thread(target=client) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [200] * 50


def test_a_browser_that_resets_its_connection_half_way_prints_nothing(session, capsys):
    """A reload or a closed tab can reset a connection in the middle of a request: the
    preview says nothing of it (Python's server printed a traceback into the terminal of the
    person writing) and goes on answering."""
    port = session.preview.port
    capsys.readouterr()
    for partial in (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"GE",
                    f"GET /releases/story/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()):
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        raw.sendall(partial)
        time.sleep(0.05)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset
        raw.close()
    assert get(session, "/releases/story/").status == 200
    time.sleep(0.3)
    said = capsys.readouterr()
    assert "Traceback" not in said.err and "Exception occurred" not in said.err, said.err
    assert said.err == ""


def _open_streams(session: Session, count: int) -> list[socket.socket]:
    streams = []
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", session.preview.port), timeout=5)
        raw.sendall(f"GET /__presskit__/events HTTP/1.1\r\nHost: 127.0.0.1:{session.preview.port}"
                    "\r\n\r\n".encode())
        streams.append(raw)
    return streams


def _first_state(raw: socket.socket) -> bytes:
    seen = b""
    while b"event: state" not in seen:
        chunk = raw.recv(4096)
        if not chunk:
            break
        seen += chunk
    return seen


def _handler_threads() -> int:
    return sum(1 for thread in threading.enumerate() if "process_request_thread" in thread.name)


def test_a_closed_tab_frees_its_connection_at_once(session):
    before = _handler_threads()
    streams = _open_streams(session, 10)
    for raw in streams:
        assert b"event: state" in _first_state(raw)
    assert _handler_threads() >= before + 10
    for raw in streams:
        raw.close()
    wait_for(lambda: _handler_threads() <= before, 3)  # not after a 15 s keep-alive


def test_connections_are_capped_and_the_preview_still_answers_after(session):
    from presskit.server import MAX_CONNECTIONS

    streams = _open_streams(session, MAX_CONNECTIONS)
    try:
        for raw in streams:
            assert b"event: state" in _first_state(raw)
        refused = get(session, "/releases/story/")
        assert refused.status == 503
        assert _handler_threads() <= MAX_CONNECTIONS
    finally:
        for raw in streams:
            raw.close()
    wait_for(lambda: get(session, "/releases/story/").status == 200, 5)


def test_a_burst_of_saves_gives_one_rebuild(session):
    import presskit.watch as serve_module

    site = session.preview.site_dir
    before = status(session)["rebuilds"]
    old_quiet = serve_module.QUIET_SECONDS
    serve_module.QUIET_SECONDS = 0.3  # generous quiet: the test machine may be busy
    try:
        texts = [release(f"Checked out {number}", f"2022-01-{number % 28 + 1:02}")
                 for number in range(200)]
        for number, text in enumerate(texts):  # like a `git checkout` that writes 200 files
            (site / "content/releases" / f"n{number:03}.md").write_text(text)
        wait_for(lambda: status(session)["rebuilds"] > before)
        time.sleep(1.0)
        assert status(session)["rebuilds"] == before + 1
        assert b"Checked out 199" in get(session, "/releases/n199/").body
    finally:
        serve_module.QUIET_SECONDS = old_quiet


def test_a_vim_style_save_gives_one_rebuild_and_temporary_files_are_ignored(session):
    site = session.preview.site_dir
    story = site / "content/releases/story.md"
    before = status(session)["rebuilds"]
    (story.parent / "4913").write_text("")  # vim's probe file
    (story.parent / "4913").unlink()
    story.rename(story.parent / "story.md~")  # its backup
    story.write_text(release("The story", body="Saved the vim way."))
    (story.parent / "story.md~").unlink()
    (story.parent / ".story.md.swp").write_bytes(b"swap")
    wait_for(lambda: b"Saved the vim way." in get(session, "/releases/story/").body)
    time.sleep(0.5)
    assert status(session)["rebuilds"] == before + 1
    before = status(session)["rebuilds"]
    (story.parent / ".story.md.swp").write_bytes(b"swap again")
    (story.parent / "story.md.tmp").write_text("x")
    time.sleep(0.6)
    assert status(session)["rebuilds"] == before


def test_a_changed_release_re_renders_only_what_shows_it(tmp_path):
    shutil.copy(REPO / "presskit.toml", tmp_path)
    shutil.copytree(REPO / "content", tmp_path / "content")
    running = Session(tmp_path, "127.0.0.1", 0, report=lambda line: None)
    try:
        total = status(running)["rendered"]
        story = tmp_path / "content/releases/2024/cambodia-budget-training.md"
        story.write_text(story.read_text().replace("A three-day course", "A four-day course"))
        wait_for(lambda: b"A four-day course" in get(running, "/releases/cambodia-budget-training/").body)
        after = status(running)
        assert after["rendered"] < total / 3
        assert after["reused"] > total / 2
    finally:
        running.stop()


def test_editor_temporary_files_are_recognised():
    for name in ("a.md~", ".a.md.swp", "4913", ".#a.md", "#a.md#", "a.md___jb_tmp___", "a.md.tmp"):
        assert is_temporary(Path(name)), name
    for name in ("a.md", "photo.jpg", "presskit.toml", "style.css"):
        assert not is_temporary(Path(name)), name


def test_a_failed_rebuild_keeps_the_last_good_pages_and_reports_the_error(session):
    story = session.preview.site_dir / "content/releases/story.md"
    story.write_text("---\ntitle: [broken\ndate: 2023-05-22\n---\nBroken body.\n")
    wait_for(lambda: status(session)["error"] != "")
    assert "story.md:2" in status(session)["error"]
    assert "not valid YAML" in status(session)["error"]
    assert b"Original text of the story." in get(session, "/releases/story/").body
    assert any("story.md:2" in line for line in session.lines)  # type: ignore[attr-defined]
    story.write_text(release("The story", body="Fixed text."))
    wait_for(lambda: status(session)["error"] == "")
    assert b"Fixed text." in get(session, "/releases/story/").body
    assert session.lines[-1] == "Fixed: the site is up to date again."  # type: ignore[attr-defined]


def test_port_in_use_is_a_clear_error(tmp_path):
    site = small_site(tmp_path / "site")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "presskit", "serve", str(site),
                                 "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"port {port} is in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_cleanly_and_writes_only_its_cache(tmp_path):
    site = small_site(tmp_path / "site")
    before = sorted(str(p) for p in site.rglob("*"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "presskit", "serve", str(site), "--port",
                                str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()  # printed once the preview is up
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=20)
        out = first + rest
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, errors  # as for build, and as shells expect of Ctrl-C
    assert f"http://127.0.0.1:{port}/" in first
    assert "Stopped." in out
    assert "Traceback" not in errors
    outside_cache = sorted(str(p) for p in site.rglob("*") if ".presskit-cache" not in p.parts)
    assert outside_cache == before  # no output/, nothing beside the content
    assert (site / ".presskit-cache/preview/site/releases/story/index.html").is_file()


@pytest.mark.browser
def test_the_open_tab_follows_edits_errors_and_fixes(browser, session):
    story = session.preview.site_dir / "content/releases/story.md"
    page = browser.new_page()
    page.goto(f"{session.url}releases/story/")
    assert "Original text of the story." in page.inner_text("main")
    page.evaluate("window.__same_tab = true")

    story.write_text(release("The story", body="Edited while the tab was open."))
    page.wait_for_function("document.body.innerText.includes('Edited while the tab was open.')",
                           timeout=10000)
    assert page.url == f"{session.url}releases/story/"

    story.write_text("---\ntitle: [broken\ndate: 2023-05-22\n---\nBody.\n")
    overlay = page.locator("#presskit-error")
    overlay.wait_for(state="visible", timeout=10000)
    assert "story.md:2" in overlay.inner_text()
    assert "not valid YAML" in overlay.inner_text()
    assert "close the bracket [ or { opened on this line" in overlay.inner_text()

    story.write_text(release("The story", body="Fixed and published."))
    page.wait_for_function("document.body.innerText.includes('Fixed and published.')", timeout=10000)
    assert page.locator("#presskit-error").count() == 0
    page.close()


@pytest.mark.browser
def test_a_stylesheet_change_is_swapped_without_a_reload(browser, session):
    site = session.preview.site_dir
    page = browser.new_page()
    page.goto(f"{session.url}releases/story/")
    page.evaluate("window.__not_reloaded = true")
    (site / "templates/assets").mkdir(parents=True)
    css = (REPO / "templates/assets/presskit.css").read_text()
    (site / "templates/assets/presskit.css").write_text(css + "\nbody { background: rgb(1, 2, 3); }\n")
    # A theme file changed: the whole preview is made again in the preview's process, which a
    # loaded machine (the suite runs two files at once, and a browser) has taken 10 s to do.
    page.wait_for_function("getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)'",
                           timeout=30000)
    assert page.evaluate("window.__not_reloaded === true")
    page.close()


def test_quick_rebuilds_serve_what_a_full_build_would(tmp_path):
    """Words edited in releases (the quick path) and a new title (the full path), each served
    exactly as a preview built from scratch would be."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = generate(40, tmp_path / "site", seed=21)
    moment = time.time() - 3600  # a site saved a while ago: file times can be trusted
    for path in site.rglob("*"):
        os.utime(path, (moment, moment))
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    try:
        releases = sorted((site / "content/releases").rglob("*.md"))

        def served_equals_a_fresh_build() -> None:
            settings = running.preview.settings()
            fresh = make_site(site, as_of=datetime.now(UTC), preview=True, settings=settings).site
            served = running.preview.snapshot()
            assert served.files.keys() == {f.path for f in fresh.files}
            different = [f.path for f in fresh.files if served.made(f.path) != _bytes(f)]
            assert different == []

        for step, target in enumerate([releases[-1], releases[5], releases[-1]]):
            said = len(lines)
            target.write_text(target.read_text() + f"\nWords of edit {step}.\n")
            said_rebuilt(lines, said)
            assert "only the text of 1 release changed" in lines[-1], lines[-1]
            assert 0 < status(running)["rendered"] <= 25  # its page and its feeds, of ~300 files
            page = get(running, f"/releases/{target.stem}/").body
            assert f"Words of edit {step}.".encode() in page
            served_equals_a_fresh_build()

        said = len(lines)
        releases[7].write_text(releases[7].read_text().replace("title: ", "title: Retitled ", 1))
        said_rebuilt(lines, said)
        assert "only the text" not in lines[-1]
        served_equals_a_fresh_build()
    finally:
        running.stop()


def test_the_preview_names_a_new_release_and_where_it_is_listed(session):
    site = session.preview.site_dir
    (site / "content/releases/fresh.md").write_text(release("Fresh news", topics="[Gender equality]"))
    wait_for(lambda: any("New: " in line for line in session.lines))  # type: ignore[attr-defined]
    assert 'New: "Fresh news", listed on: Gender equality' in session.lines  # type: ignore[attr-defined]


def _bytes(file) -> bytes:  # type: ignore[no-untyped-def]
    return file.data if file.data is not None else file.source.read_bytes()


def test_a_tab_opened_while_the_first_build_runs_sees_its_progress_then_the_site(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = generate(400, tmp_path / "site", seed=31)
    running = Session(site, "127.0.0.1", 0, report=lambda line: None, start=False)
    try:
        waiting = get(running, "/")  # listening before the first build: never "connection refused"
        assert waiting.status == 503 and waiting.getheader("Retry-After") == "1"
        assert b"Building the preview" in waiting.body  # type: ignore[attr-defined]
        assert b'http-equiv="refresh"' in waiting.body  # type: ignore[attr-defined]
        assert b"/__presskit__/live.js" in waiting.body  # type: ignore[attr-defined]
        seen: list[bytes] = []
        first = threading.Thread(target=running.start)
        first.start()
        while first.is_alive():
            seen.append(get(running, "/").body)  # type: ignore[attr-defined]
            time.sleep(0.05)
        first.join()
        counting = rb"Building the preview: [A-Z][a-z ]+: [\d,]+ of [\d,]+"
        counts = [page for page in seen if re.search(counting, page)]
        assert counts, seen[:3]
        assert get(running, "/").status == 200
    finally:
        running.stop()


def test_a_new_embed_host_in_the_settings_shows_at_once_in_the_preview(tmp_path):
    from conftest import SETTINGS

    site = small_site(tmp_path / "site")
    frame = '<iframe src="https://media.example.org/player/1" title="Ours"></iframe>'
    (site / "content/releases/story.md").write_text(release("The story", body=f"Text.\n\n{frame}\n"))
    running = Session(site, "127.0.0.1", 0, report=lambda line: None)
    try:
        assert b"media.example.org" not in get(running, "/releases/story/").body
        (site / "presskit.toml").write_text(SETTINGS + 'embed_hosts = ["media.example.org"]\n')
        wait_for(lambda: b"media.example.org/player/1" in get(running, "/releases/story/").body, 5)
    finally:
        running.stop()


def test_a_save_with_a_warning_is_said_and_still_quick(tmp_path):
    from test_quick import aged

    site = small_site(tmp_path / "site")
    story = site / "content/releases/story.md"
    noisy = 'Original text of the story.\n\n<b onclick="x()">Bold</b>'
    story.write_text(release("The story", body=noisy))
    lines: list[str] = []
    running = Session(aged(site), "127.0.0.1", 0, report=lines.append)  # a build with a warning
    try:
        assert any("onclick= of <b>" in line for line in lines)
        assert b"onclick" not in get(running, "/releases/story/").body
        said = len(lines)
        story.write_text(release("The story", body=noisy + "\n\nMore words."))
        wait_for(lambda: b"More words." in get(running, "/releases/story/").body)
        said_rebuilt(lines, said)
        assert "only the text of 1 release changed" in lines[-1], lines
        assert "onclick= of <b>" in lines[-2]  # said again for the file saved
        # (every word kept; a save that takes the last word of a search shard away removes the shard)
        calm = "Original text of the story.\n\nBold\n\nMore words, calm."
        said = len(lines)
        story.write_text(release("The story", body=calm))
        wait_for(lambda: b"More words, calm." in get(running, "/releases/story/").body)
        said_rebuilt(lines, said)
        assert "only the text of 1 release changed" in lines[-1], lines
    finally:
        running.stop()


def test_a_saved_alias_bomb_is_a_located_error_and_the_next_save_is_heard(session):
    from test_errors import BILLION_LAUGHS

    story = session.preview.site_dir / "content/releases/story.md"
    started = time.monotonic()
    story.write_text(BILLION_LAUGHS)
    wait_for(lambda: "grows beyond 10,000 values" in status(session)["error"], 10)
    assert time.monotonic() - started < 10
    assert "story.md:" in status(session)["error"]
    story.write_text(release("The story", body="Back to normal."))
    wait_for(lambda: b"Back to normal." in get(session, "/releases/story/").body, 10)
    assert status(session)["error"] == ""


def test_a_bug_in_the_first_build_is_said_plainly_and_the_next_save_is_heard(tmp_path, monkeypatch):
    import presskit.serve as serve_module

    real = serve_module.make_site
    calls = {"n": 0}

    def broken_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("simulated bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(serve_module, "make_site", broken_once)
    lines: list[str] = []
    running = Session(small_site(tmp_path / "site"), "127.0.0.1", 0, report=lines.append)
    try:
        assert any("failed unexpectedly while building: RuntimeError: simulated bug" in line
                   for line in lines)
        story = running.preview.site_dir / "content/releases/story.md"
        story.write_text(release("The story", body="After the bug."))
        wait_for(lambda: b"After the bug." in get(running, "/releases/story/").body, 10)
    finally:
        running.stop()


def test_the_preview_knows_which_build_each_open_tab_was_told_of(session):
    """A move's search index and sitemap wait until every open tab has been told of its pages
    (serve.Preview.wait_until_told): each event stream says which build it told its tab of, and
    a closed tab stops counting."""
    preview = session.preview
    build = preview.snapshot().build
    streams = _open_streams(session, 2)
    for raw in streams:
        assert b"event: state" in _first_state(raw)
    wait_for(lambda: sorted(preview.tabs.values()) == [build, build], 3)
    started = time.monotonic()
    preview.wait_until_told(build + 1, 0.3)  # no tab told of a build not made yet: the timeout
    assert time.monotonic() - started >= 0.29
    started = time.monotonic()
    preview.wait_until_told(build, 5)  # every tab told already
    assert time.monotonic() - started < 0.2
    for raw in streams:
        raw.close()
    wait_for(lambda: not preview.tabs, 3)
