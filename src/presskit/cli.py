"""The `presskit` command: argument parsing, messages and exit codes."""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape

from presskit import __version__
from presskit.build import (
    BuildResult,
    NextEvent,
    Rebuilt,
    Stage,
    UpToDate,
    build,
    upcoming_embargoes,
)
from presskit.checking import Checked, check
from presskit.config import Settings, load_settings
from presskit.errors import BuildFailed, Problem, display_path, errors_in
from presskit.languages import language_name
from presskit.text import held_back_line, local_time, new_release_line
from presskit.write import OUTPUT_CHANGED

if TYPE_CHECKING:
    from presskit.serve import Session

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130  # 130: Ctrl-C, as shells say

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="presskit",
        description="Build a cross-linked newsroom from press releases written in Markdown.",
        epilog="Run `presskit COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"presskit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    site_help = "the site folder (the one with presskit.toml); default: the current folder"
    as_of_help = ("build as if it were this moment, e.g. 2026-12-01T09:00 (the site's time zone) "
                  "or 2026-12-01T09:00+07:00: shows what an embargo lifting then will publish")

    build_cmd = commands.add_parser(
        "build", help="build the site into output/",
        description="Build the site into its output/ folder. The folder is replaced only when "
                    "the whole build succeeds.")
    build_cmd.add_argument("site", nargs="?", default=".", help=site_help)
    build_cmd.add_argument("--as-of", metavar="DATETIME", help=as_of_help)
    build_cmd.add_argument("--drafts", action="store_true",
                           help="include drafts (a preview: written to preview/, never to output/)")
    build_cmd.add_argument("--out", metavar="FOLDER",
                           help="write the site here instead of output/ (default for --as-of and "
                                "--drafts: preview/; never output/ for those)")

    check_cmd = commands.add_parser(
        "check", help="check every file, link and image without writing output/",
        description="Check everything build checks, plus every internal link and image. "
                    "Writes nothing.")
    check_cmd.add_argument("site", nargs="?", default=".", help=site_help)
    check_cmd.add_argument("--as-of", metavar="DATETIME", help=as_of_help)

    serve_cmd = commands.add_parser(
        "serve", help="preview the site in a browser, rebuilding as you save",
        description="Build the site, serve it on this computer and rebuild whenever a file is "
                    "saved; the open browser tab reloads by itself. Drafts and embargoed releases "
                    "are shown, each with a banner. Nothing is written to output/.")
    serve_cmd.add_argument("site", nargs="?", default=".", help=site_help)
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default 127.0.0.1: this computer only)")
    serve_cmd.add_argument("--port", type=int, help="port to listen on (default 8000, or the next "
                                                    "free one)")

    embargoes_cmd = commands.add_parser(
        "embargoes", help="list the embargoes still ahead, for scheduling the rebuilds",
        description="List every release whose embargo has not lifted yet (drafts left out), "
                    "soonest first: when to rebuild and upload so that each is published on time.")
    embargoes_cmd.add_argument("site", nargs="?", default=".", help=site_help)
    embargoes_cmd.add_argument("--json", action="store_true",
                               help="one JSON document, for scripts and schedulers")

    new_cmd = commands.add_parser(
        "new", help='start a new file: `presskit new release "TITLE"`',
        description='Start a file: `new release "TITLE"` (today\'s date, every key), `new '
                    'translation FILE --lang vi` (its twin in another language), `new language '
                    'CODE` (the theme\'s words to translate, in templates/locale/).')
    new_cmd.add_argument("kind", choices=["release", "translation", "language"], help="what to create")
    new_cmd.add_argument("what", metavar="TITLE|FILE|CODE",
                         help="the headline (in quotes), the file to translate, or a language code")
    new_cmd.add_argument("--lang", metavar="CODE", help="the language of the new release or translation")
    new_cmd.add_argument("--site", default=".", help=site_help)
    return parser


def entry() -> None:
    """The `presskit` command: `main`, then out at once (see `leave`)."""
    leave(main())


def leave(code: int) -> NoReturn:
    """End this process at once with this exit code. Once a build is done, Python would free
    its millions of objects one by one (a fifth of a second at 10,000 releases, as long as a
    quick rebuild's own work; about a second for the preview's start, which `serve` waits
    for); the system takes the memory back in one go."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler, debugger or coverage writes its report at exit
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    # A build makes hundreds of thousands of objects that live to its end; Python's default
    # thresholds scan them again and again (about a tenth of a large build). mypy does the same.
    gc.set_threshold(100_000, 50, 1000)
    target = "output/"  # the folder `build` writes, as the user knows it
    if args.command == "build" and (args.out or args.as_of or args.drafts):
        target = f"{args.out.rstrip('/')}/" if args.out else "preview/"
    try:
        if args.command == "new":
            return new_file(args.kind, args.what, Path(args.site), args.lang)
        if args.command == "serve":
            return serve(Path(args.site).resolve(), args.host, args.port)
        if args.command == "embargoes":
            return embargoes(Path(args.site).resolve(), args.json)
        as_of = _parse_as_of(args.as_of) if args.as_of else None
        site_dir = Path(args.site).resolve()
        with _stages() as stage:
            if args.command == "build":
                result = build(site_dir, as_of=as_of, drafts=args.drafts, stage=stage,
                               out=Path(args.out) if args.out else None, waiting=_say_waiting)
            else:
                result = check(site_dir, as_of=as_of, stage=stage)
    except BuildFailed as failure:
        return _report_failure(failure.problems, args.command, target)
    except _UsageError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}")
        return EXIT_USAGE
    except KeyboardInterrupt as stop:
        err.print(f"Stopped; {_output_fate(stop, args.command, target)}")
        return EXIT_STOPPED
    except OSError as error:  # the computer said no: which path, and what to do
        message, hint = _system_error(error)
        err.print(f"[bold red]error:[/] {escape(message)}\n  [dim]hint:[/] {escape(hint)}")
        err.print(_output_fate(error, args.command, target))
        return EXIT_PROBLEMS
    except Exception as error:  # a bug in presskit: say so plainly, keep the trace for developers
        if os.environ.get("PRESSKIT_DEBUG"):
            raise
        fate = _output_fate(error, args.command, target)
        err.print(f"[bold red]presskit failed unexpectedly:[/] {escape(type(error).__name__)}: "
                  f"{escape(str(error))}\n{escape(fate)} This is a bug in presskit, not in your "
                  "files; run again with PRESSKIT_DEBUG=1 for details to report it.")
        return EXIT_PROBLEMS
    _report_success(result, args.command)
    return EXIT_OK


class _UsageError(Exception):
    pass


def _say_waiting() -> None:
    err.print("Another presskit build of this site is running; waiting for it to finish "
              "(Ctrl-C to stop waiting).")


def _output_fate(error: BaseException, command: str, target: str) -> str:
    """What is true of the output folder after a command stopped with this error."""
    if command != "build":
        return "Nothing was written."
    if OUTPUT_CHANGED in getattr(error, "__notes__", ()):
        return f"{target} was partly updated: build again to complete it."
    return f"{target} was not changed."


_SYSTEM_HINTS = {
    errno.EACCES: ("presskit may not {verb} {path}", "check the permissions of that folder: the "
                   "user who runs presskit must be able to write the site folder and its output"),
    errno.EROFS: ("{path} is on a read-only disk", "build a copy of the site on a disk you can "
                  "write to, or write the site elsewhere with --out FOLDER"),
    errno.ENOSPC: ("the disk is full (while writing {path})", "free some space on that disk, "
                   "then build again"),
    errno.EBUSY: ("{path} is in use by the system (a mount point, or open elsewhere)",
                  "close what uses it, or write the site elsewhere with --out FOLDER"),
}
_SYSTEM_HINTS[errno.EPERM] = _SYSTEM_HINTS[errno.EACCES]
_SYSTEM_HINTS[errno.EDQUOT] = _SYSTEM_HINTS[errno.ENOSPC]


def _system_error(error: OSError) -> tuple[str, str]:
    path = display_path(Path(os.fsdecode(error.filename))) if error.filename else "a file"
    found = _SYSTEM_HINTS.get(error.errno or 0)
    if found is None:
        return (f"{path}: {error.strerror or error}",
                "check that the folder exists and can be written, then build again")
    message, hint = found
    return message.format(path=path, verb="write" if error.errno != errno.ENOENT else "read"), hint


def _parse_as_of(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _UsageError(f"--as-of {text!r} is not a date-time; write e.g. 2026-12-01T09:00") from None


@contextmanager
def _stages() -> Iterator[Stage]:
    """A spinner naming the stage, on a terminal only, gone when the build ends."""
    if not err.is_terminal:
        yield lambda _: None
        return
    with err.status("Starting", spinner="dots") as status:
        yield lambda name: status.update(name)


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A bar for a stage of known length (a spinner for the others), on a terminal only, gone
    when the stage ends."""
    if not err.is_terminal:
        yield lambda *_: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), console=err, transient=True) as bar:
        task = bar.add_task("Starting", total=None)

        def show(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage or "Starting", completed=done, total=total or None)
        yield show


def _print_problem(problem: Problem) -> None:
    colour = "yellow" if problem.warning else "red"
    label = "warning" if problem.warning else "error"
    where = f"[bold]{escape(problem.location())}[/]: " if problem.file else ""
    err.print(f"{where}[{colour}]{label}:[/] {escape(problem.message)}")
    if problem.hint:
        err.print(f"  [dim]hint:[/] {escape(problem.hint)}")


def _report_failure(problems: list[Problem], command: str, target: str) -> int:
    for problem in problems:
        _print_problem(problem)
    errors = errors_in(problems)
    files = {problem.file for problem in errors if problem.file}
    noun = "error" if len(errors) == 1 else "errors"
    where = f" in {len(files)} file{'s' if len(files) != 1 else ''}" if files else ""
    tail = f" {target} was not changed." if command == "build" else ""
    err.print(f"\n[bold red]{command.capitalize()} failed:[/] {len(errors)} {noun}{where}.{tail}")
    return EXIT_PROBLEMS


def _report_success(result: BuildResult | UpToDate | Rebuilt | Checked, command: str) -> None:
    warnings = _say_warnings(result, command)
    if isinstance(result, Checked):
        _report_checked(result, warnings)
        return
    if isinstance(result, UpToDate):
        noted = f" ({_count(warnings, 'warning')}, see above)" if warnings else ""
        out.print(f"Nothing changed since the last build ({result.seconds:.2f} s): "
                  f"{escape(display_path(result.settings.output_dir))}/ is up to date{noted}.")
        _report_embargo(result.next_embargo, result.settings)
        _report_event(result.next_event)
        return
    noted = f" with {_count(warnings, 'warning')}, see above" if warnings else ""
    if isinstance(result, Rebuilt):
        others = "feed" if result.kind == "words" else "other file"  # (feeds, search index, sitemap)
        made = (f"made {_count(result.pages, 'page')} and {_count(result.feeds, others)} again"
                if result.pages or result.feeds else "nothing published shows them")
        for line in result.announced:
            out.print(escape(line))
        releases = _count(result.releases, 'release')
        what = {"in place": f"{releases} changed in place (title, summary, lead or photos)",
                "moved": f"{releases} moved among the others (a new date or other partners)",
                "added": f"{releases} added", "deleted": f"{releases} deleted",
                }.get(result.kind, f"Only the text of {releases} changed")
        out.print(f"{what[0].upper()}{what[1:]}: {made} "
                  f"in {result.seconds:.2f} s; {result.files_written} of {result.files} files in "
                  f"{escape(display_path(result.settings.output_dir))}/ changed{noted}.")
        _report_embargo(result.next_embargo, result.settings)
        _report_event(result.next_event)
        return
    settings = result.settings
    graph = result.graph
    for release in graph.held_back:
        line = held_back_line(release.title, release.draft, release.embargo, settings.timezone)
        out.print(f"Not published: {escape(line)}")
    for release in result.new_releases:
        out.print(escape(new_release_line(release, graph)))
    releases = len(graph.releases)
    held = f" ({graph.withheld} not published: drafts or embargoed)" if graph.withheld else ""
    if result.photos_made:
        out.print(f"Made {_count(result.photos_made, 'photo file')} (sizes, print copies, link "
                  f"previews) in {result.photo_seconds:.2f} s; they are kept in .presskit-cache/.")
    out.print(f"Built {releases} release{'s' if releases != 1 else ''} and "
              f"{result.page_count} pages in {result.seconds:.2f} s into "
              f"{escape(display_path(settings.output_dir))}/{held}; "
              f"{result.files_written} of {result.files} files changed{noted}.")
    if settings.base_path != "/":
        root = settings.base_url[:-len(settings.base_path) + 1]
        out.print(f"Note: crawlers read robots.txt only at {root}robots.txt, not under "
                  f"{settings.base_path}; add its line `Sitemap: "
                  f"{settings.base_url}sitemap.xml` to that file (see README, Deploying).")
    if settings.output_dir != settings.publishable_dir:
        out.print("This is not output/, the folder that gets published: what is in "
                  f"{escape(display_path(settings.output_dir))}/ is for your eyes only.")
    _report_embargo(graph.next_embargo, settings)
    _report_event(NextEvent.of(graph))


def _report_checked(result: Checked, warnings: int) -> None:
    settings, summary = result.settings, result.summary
    for title, draft, embargo in summary.held_back:
        moment = datetime.fromisoformat(embargo) if embargo else None
        out.print(f"Not to be published: {escape(held_back_line(title, draft, moment, settings.timezone))}")
    held = f" ({summary.withheld} not published: drafts or embargoed)" if summary.withheld else ""
    noted = f" with {_count(warnings, 'warning')}, see above" if warnings else ""
    out.print(f"Checked {summary.releases} releases and {result.pages} pages: no problems{held}{noted}.")
    for code, count, first in summary.missing:
        shown = "; ".join(f"{title} ({display_path(Path(source))})" for title, source in first)
        more = f"; and {count - len(first)} more" if count > len(first) else ""
        has = "has" if count == 1 else "have"
        out.print(f"Note: {_count(count, 'published release')} {has} "
                  f"no {language_name(code)} version: {escape(shown)}{more}. "
                  f"Start one with `presskit new translation FILE --lang {code}`.")
    _report_embargo(result.next_embargo, settings)
    _report_event(result.next_event)


def _say_warnings(result: BuildResult | UpToDate | Rebuilt | Checked, command: str) -> int:
    """Print the warnings of the site (kept from the build a quick or up-to-date one stands
    for) and of publishing it; how many, for the summary line."""
    warnings = [*result.warnings, *_publishing_warnings(result.settings, command)]
    for warning in warnings:
        _print_problem(warning)
    return len(warnings)


_PLACEHOLDER_HOSTS = ("example.org", "example.com", "example.net")


def _publishing_warnings(settings: Settings, command: str) -> list[Problem]:
    """What a build for publishing must not do in silence: point every address at a placeholder."""
    host = (urlsplit(settings.base_url).hostname or "").lower()
    if command != "build" or settings.output_dir != settings.publishable_dir:
        return []
    if host in _PLACEHOLDER_HOSTS or host.endswith(tuple(f".{h}" for h in _PLACEHOLDER_HOSTS)):
        return [Problem(settings.settings_file, None, f"`base_url` is still the placeholder "
                        f"{settings.base_url}: canonical addresses, the sitemap and the feeds point there",
                        'set it to where the site will be published, e.g. '
                        'base_url = "https://www.ilo.org/hanoi/newsroom/"', warning=True)]
    return []


def embargoes(site_dir: Path, as_json: bool) -> int:
    """`presskit embargoes`: what is still under embargo, and when each lifts."""
    settings, ahead = upcoming_embargoes(site_dir)
    items = [{"title": r.title, "file": display_path(r.source), "url": settings.base_url + r.path.lstrip("/"),
              "embargo": r.embargo.astimezone(settings.timezone or UTC).isoformat() if r.embargo else "",
              "embargo_utc": r.embargo.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if r.embargo else ""}
             for r in ahead]
    if as_json:
        print(json.dumps({"site": str(site_dir), "embargoes": items}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not ahead:
        out.print("No embargo ahead: every release that is not a draft is published by `presskit build`.")
        return EXIT_OK
    for release in ahead:
        assert release.embargo is not None
        out.print(f"{escape(local_time(release.embargo, settings.timezone))} "
                  f"({release.embargo.astimezone(UTC):%Y-%m-%d %H:%M} UTC): \"{escape(release.title)}\" "
                  f"({escape(display_path(release.source))})")
    out.print("Build and upload again just after each of these moments to publish it on time.")
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _report_embargo(moment: datetime | None, settings: Settings) -> None:
    if moment:
        utc = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        out.print(f"Next embargo lifts {local_time(moment, settings.timezone)} ({utc}): "
                  "build again after that to publish it.")


def _report_event(event: NextEvent | None) -> None:
    """The next event, which moves from upcoming to past on the events page after it ends."""
    if event is None:
        return
    zone = event.start.tzinfo
    start = (local_time(event.start, zone if isinstance(zone, ZoneInfo) else None) if event.has_time
             else event.start.strftime("%Y-%m-%d"))
    out.print(f"Next event: {escape(event.title)}, {start}: build again after it ends to list it "
              "as past.")


def serve(site_dir: Path, host: str, port: int | None) -> int:
    """Run the preview until Ctrl-C."""
    load_settings(site_dir)  # a site that is not one stops here, with the usual message

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)  # `kill` stops it as cleanly as Ctrl-C
    session = None
    try:
        session = _start_session(site_dir, host, port)
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(f"[yellow]warning:[/] listening on {escape(host)}: anyone who can reach this "
                      "address sees drafts and embargoed releases.")
        err.print(f"Building the preview of {escape(display_path(site_dir))}; open {session.url} "
                  "now: it shows the progress, then the site.")
        first = threading.Thread(target=session.start, daemon=True)
        first.start()
        with _progress_bar() as show:
            while first.is_alive() and not session.preview.snapshot().files:
                show(*session.preview.fraction())
                first.join(0.2)
        out.print(f"Previewing {escape(display_path(site_dir))} at [bold]{session.url}[/] "
                  "(drafts and embargoed releases shown, with a banner). Press Ctrl-C to stop.")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if session is not None:
            session.stop()
    out.print("Stopped.")
    return EXIT_STOPPED


def _start_session(site_dir: Path, host: str, port: int | None) -> Session:
    """A preview on the given port, or on the first free one from 8000."""
    from presskit.serve import Session  # the watcher and the web server: only serve needs them

    for candidate in [port] if port else range(8000, 8020):
        try:
            return Session(site_dir, host, candidate, report=lambda line: err.print(escape(line)),
                           start=False)
        except OSError as error:
            if error.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise _UsageError(f"cannot listen on {host}:{candidate}: {error.strerror}") from None
            if port:
                raise _UsageError(f"port {port} is in use by another program; stop it, or choose "
                                  "another port with --port") from None
            err.print(f"Port {candidate} is in use; trying {candidate + 1}.")
    raise _UsageError("ports 8000 to 8019 are all in use; choose one with --port")


def new_file(kind: str, what: str, site: Path, lang: str | None) -> int:
    """`presskit new release|translation|language`: write the file, say what to do next."""
    from presskit import scaffold  # only `new` needs it, and Babel's catalog tools

    try:
        if kind == "release":
            path = scaffold.new_release(site, what, lang)
            out.print(f"Wrote {escape(display_path(path))}. It is a draft: set `draft: false` to "
                      "publish it.")
        elif kind == "translation":
            if not lang:
                raise scaffold.Refused("which language?", f"add --lang, e.g. presskit new "
                                       f"translation {what} --lang vi")
            path = scaffold.new_translation(site, Path(what), lang)
            out.print(f"Wrote {escape(display_path(path))}: translate its title, words and text. "
                      "A release stays a draft until you set `draft: false`.")
        else:
            path = scaffold.new_language(site, what)
            out.print(f"Wrote {escape(display_path(path))}: write each msgstr in the language; "
                      "an empty one stays English. presskit reads the file as it is.")
    except scaffold.Refused as refused:
        err.print(f"[bold red]error:[/] {escape(refused.message)}\n  [dim]hint:[/] {escape(refused.hint)}")
        return EXIT_USAGE
    return EXIT_OK


