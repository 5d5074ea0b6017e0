"""Write small source trees to disk and run the real command on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rescope.audit.rules import Example


def write_tree(root: Path, files: Example | dict[str, str | bytes]) -> Path:
    """Write ``{relative path: source}`` (or one snippet as app/module.py) under ``root``."""
    tree = files if isinstance(files, dict) else {"app/module.py": files}
    for rel, source in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            path.write_bytes(source)
        else:
            path.write_text(source, encoding="utf-8")
    return root


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m rescope audit ARGS` in a real subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "rescope", "audit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )
