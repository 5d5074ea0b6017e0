"""`--format html`: a self-contained page, checked in a real headless Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, sync_playwright

from rescope.audit import AuditConfig, run_audit
from rescope.audit.reporters import render
from rescope.audit.reporters._html import embed_json
from tests.audit._helpers import run_cli, write_tree

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "legacy_app"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVICE = (
    "class {name}:\n    def run(self): ...\n\n_svc = None\n\n"
    "def get_svc():\n    global _svc\n    if _svc is None:\n        _svc = {name}()\n"
    "    return _svc\n"
)


@pytest.fixture(name="browser", scope="module")
def fixture_browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _open(browser: Browser, html: Path) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
    page.goto(html.as_uri())
    page.wait_for_function("window.rescopeReport !== undefined")
    assert requests == [], f"the page fetched {requests}: it must work offline"
    return page, errors


def test_embedded_json_cannot_close_its_script_block() -> None:
    """`<`, `>` and `&` in the data are escaped, and the JSON still decodes to the same text."""
    payload = {"name": "</script><script>alert(1)</script>&amp;"}
    text = embed_json(payload)
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert json.loads(text) == payload


def test_legacy_app_report_in_a_real_browser(browser: Browser, tmp_path: Path) -> None:
    """The legacy app's page loads cleanly, draws each labelled service, and details a click."""
    html = tmp_path / "report.html"
    done = run_cli(str(APP), "--no-cache", "--format", "html", "-o", str(html))
    assert done.returncode == 1, done.stderr
    text = html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), "no external asset"
    labels = yaml.safe_load((APP / "EXPECTED.yaml").read_text(encoding="utf-8"))
    page, errors = _open(browser, html)
    assert page.evaluate("window.rescopeReport.cy.nodes().length") == len(labels["services"])
    assert page.evaluate("window.rescopeReport.cy.edges('[cyclic = 1]').length") >= 2
    x, y = page.evaluate(
        """() => {
        const cy = window.rescopeReport.cy;
        const node = cy.nodes().filter(n => n.data('name') === 'AuthService')[0];
        const at = node.renderedPosition();
        const box = document.getElementById('graph').getBoundingClientRect();
        return [box.left + at.x, box.top + at.y];
    }"""
    )
    page.mouse.click(x, y)
    details = page.inner_text("#details")
    assert "backend/services/auth_service.py:" in details
    assert "JWTService" in details
    assert "backend.api.routes.auth.login" in details
    page.select_option("#filter-rule", "RS401")
    shown = page.locator("#findings tbody tr:not(.hidden)").count()
    assert shown == sum(1 for f in labels["findings"] if f["rule"] == "RS401")
    page.select_option("#filter-rule", "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "audit-report-legacy-app.png"), full_page=True)
    assert errors == []
    page.close()


def test_hostile_names_stay_text(browser: Browser, tmp_path: Path) -> None:
    """Paths and names that look like markup are shown as text and never run as script."""
    script_dir = "app/x<script>window.__pwned=1<"
    write_tree(
        tmp_path,
        {
            f"{script_dir}/script>.py": SERVICE.format(name="ScriptService"),
            "app/<img src=x onerror=window.__pwned=2>.py": SERVICE.format(name="ImgService"),
            "app/broken<b>.py": "def (:\n",
        },
    )
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert {s.name for s in result.services} == {"ScriptService", "ImgService"}
    html = tmp_path / "report.html"
    html.write_text(render(result, "html"), encoding="utf-8")
    page, errors = _open(browser, html)
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    body = page.inner_text("body")
    assert "x<script>window.__pwned=1</script>.py" in body
    assert "<img src=x onerror=window.__pwned=2>.py" in body
    assert errors == []
    page.close()
