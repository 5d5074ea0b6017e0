"""`rescope migrate` (every phase, dry run) on the legacy example and a synthetic backend.

The synthetic backend is generated into .bench/migrate/: N route modules of 10 handlers
each (200 routes by default) calling 40 lazy-getter services, a conftest.py that resets
every global, and tests that patch getters. Each run audits the tree (ast), plans, and
parses with libcst only the files the plan names; the table shows both counts.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

from benchmarks._harness import markdown_table
from rescope.migrate import Phase, migrate

PEERS: list[str] = []
ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench" / "migrate"
SERVICES = 40
ROUTES_PER_MODULE = 10


def _service(n: int) -> str:
    dep = f"from app.services.svc{n - 1} import get_svc{n - 1}\n" if n else ""
    uses = f"        self.dep = get_svc{n - 1}()\n" if n else "        self.dep = None\n"
    return (
        f"from typing import Optional\n{dep}\n\nclass Svc{n}:\n    def __init__(self):\n"
        f"{uses}        self.calls = 0\n\n    def run(self, x: int) -> int:\n"
        f"        self.calls += 1\n        return x + {n}\n\n\n"
        f"_svc{n}: Optional[Svc{n}] = None\n\n\ndef get_svc{n}() -> Svc{n}:\n"
        f"    global _svc{n}\n    if _svc{n} is None:\n        _svc{n} = Svc{n}()\n"
        f"    return _svc{n}\n"
    )


def _routes(module: int) -> str:
    used = sorted({(module * 3 + k) % SERVICES for k in range(4)})
    imports = "".join(f"from app.services.svc{s} import get_svc{s}\n" for s in used)
    handlers = []
    for r in range(ROUTES_PER_MODULE):
        a, b = used[r % len(used)], used[(r + 1) % len(used)]
        handlers.append(
            f'\n\n@router.get("/m{module}/r{r}")\nasync def route_{r}(x: int = 1):\n'
            f'    """Route {r}."""\n    svc = get_svc{a}()\n'
            f"    return {{'a': svc.run(x), 'b': get_svc{b}().run(x)}}\n"
        )
    return f"from fastapi import APIRouter\n\n{imports}\nrouter = APIRouter()\n" + "".join(handlers)


def build_synthetic(routes: int) -> Path:
    """Write a backend with ``routes`` handlers under .bench/migrate/synthetic."""
    target = WORK / f"synthetic-{routes}"
    shutil.rmtree(target, ignore_errors=True)
    modules = max(1, routes // ROUTES_PER_MODULE)
    files = {"app/__init__.py": "", "app/services/__init__.py": "", "app/api/__init__.py": ""}
    for n in range(SERVICES):
        files[f"app/services/svc{n}.py"] = _service(n)
    for m in range(modules):
        files[f"app/api/routes{m}.py"] = _routes(m)
    includes = "".join(f"from app.api.routes{m} import router as r{m}\n" for m in range(modules))
    files["app/main.py"] = (
        f"from fastapi import FastAPI\n\n{includes}\napp = FastAPI()\n"
        + "".join(f"app.include_router(r{m})\n" for m in range(modules))
    )
    resets = "".join(
        f"import app.services.svc{n} as svc{n}  # noqa: E402\n" for n in range(SERVICES)
    )
    body = "".join(f"    svc{n}._svc{n} = None\n" for n in range(SERVICES))
    files["tests/__init__.py"] = ""
    files["tests/conftest.py"] = (
        "import pytest\n\n" + resets + "from app.main import app  # noqa: E402\n\n\n"
        "@pytest.fixture(autouse=True)\ndef reset():\n" + body + "    yield\n"
    )
    files["tests/test_routes.py"] = (
        "from unittest import mock\n\n\ndef test_patched(client):\n    stub = mock.MagicMock()\n"
        '    with mock.patch("app.api.routes0.get_svc0", return_value=stub):\n        pass\n'
    )
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


def _copy_legacy() -> Path:
    target = WORK / "legacy_app"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "examples" / "legacy_app", target)
    return target


def _lines(root: Path) -> int:
    return sum(p.read_text(encoding="utf-8").count("\n") for p in root.rglob("*.py"))


def _run(root: Path, rounds: int) -> list[object]:
    times = []
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = migrate(root, Phase.ordered(), write=False)
        times.append(time.perf_counter() - started)
    if result is None:
        raise RuntimeError("no rounds ran")
    scanned = result.reports[0].scanned
    handlers = sum(r.count("injected") for r in result.reports)
    return [
        f"{statistics.median(times):.2f} s",
        f"{min(times):.2f} s",
        scanned,
        _lines(root),
        result.parsed,
        len(result.changes),
        handlers,
    ]


def main(quick: bool) -> None:
    """Print the table: seconds, files scanned by the audit and files parsed by libcst."""
    rounds = 1 if quick else 5
    rows = [["examples/legacy_app", *_run(_copy_legacy(), rounds)]]
    rows.extend(
        [f"synthetic, {routes} routes", *_run(build_synthetic(routes), rounds)]
        for routes in ((200,) if quick else (200, 1000))
    )
    print(f"### rescope migrate, all phases, dry run (median of {rounds})\n")
    print(
        markdown_table(
            [
                "project",
                "median",
                "best",
                "files scanned (ast)",
                "lines",
                "files parsed (libcst)",
                "files changed",
                "handler rewrites",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
