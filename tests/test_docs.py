"""Every code block in the docs runs: `python` blocks are executed, `pycon` blocks doctested."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([*ROOT.glob("docs/**/*.md"), ROOT / "README.md"])
FENCE = re.compile(r"^```(python|pycon)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def code_blocks(page: Path) -> list[tuple[str, int, str]]:
    """Return (kind, line, source) for every python/pycon block of a page."""
    text = page.read_text(encoding="utf-8")
    return [
        (m.group(1), text.count("\n", 0, m.start()) + 2, m.group(2)) for m in FENCE.finditer(text)
    ]


@pytest.mark.parametrize(
    "page", [p for p in PAGES if code_blocks(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's blocks run in order in one namespace, and pycon output matches exactly."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for kind, line, source in code_blocks(page):
        where = f"{page.relative_to(ROOT)}:{line}"
        if kind == "python":
            exec(compile(source, where, "exec", dont_inherit=True), namespace)  # noqa: S102 - the docs are ours
        else:
            test = parser.get_doctest(source, namespace, where, str(page), line)
            result = runner.run(test, clear_globs=False)
            assert result.failed == 0, f"doctest failed at {where}"


def test_docs_link_to_existing_pages() -> None:
    """Relative Markdown links in the docs point at files that exist."""
    link = re.compile(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)")
    for page in PAGES:
        for target in link.findall(page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), (
                f"{page.relative_to(ROOT)} links to missing {target}"
            )
