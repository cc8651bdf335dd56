"""Pages are valid HTML5 by today's Nu Html Checker (npm's vnu-jar, installed by README's test
set-up into .ci/vnu/; an old pinned copy misses errors that the current one catches)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, release, require_tool, write_site

JAR = Path(os.environ.get("PRESSKIT_VNU_JAR", REPO / ".ci/vnu/node_modules/vnu-jar/build/dist/vnu.jar"))


def nu_errors(output: Path) -> list[str]:
    require_tool("java", "Java, for the Nu Html Checker")
    require_tool(str(JAR), "the Nu Html Checker (npm's vnu-jar)")
    pages = sorted(str(p) for p in output.rglob("*.html"))
    result = subprocess.run(["java", "-jar", str(JAR), "--errors-only", "--format", "json", *pages],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [f"{m.get('url', '').rsplit('/output/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
            for m in messages if m.get("type") in ("error", "non-document-error")]


def test_the_checker_is_current():
    require_tool(str(JAR), "the Nu Html Checker (npm's vnu-jar)")
    version = json.loads((JAR.parents[2] / "package.json").read_text())["version"]
    assert int(version.split(".")[0]) >= 26, version


def test_demo_site_html_is_valid(demo_site):
    assert len(list((demo_site / "output").rglob("*.html"))) > 30
    assert nu_errors(demo_site / "output") == []


@pytest.mark.parametrize("base_url", ["https://example.org/", "https://example.org/newsroom/"])
def test_releases_without_subheadings_are_valid(tmp_path, run, base_url):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("Plain words only", body="One paragraph, no heading."),
        "content/releases/b.md": release("Another", "2023-04-01", topics="[Gender equality]",
                                         body="Text.\n\nMore text.", updated="2023-04-03",
                                         corrections="\n  - date: 2023-04-02\n    note: A typo."),
    }, settings=f'title = "T"\nbase_url = "{base_url}"\nlanguage = "en"\ntimezone = "UTC"\n')
    assert run("build", site).code == 0
    assert nu_errors(site / "output") == []
