"""`rescope audit` on ~1M lines of real code vs `ruff check` and plain `ast.parse`.

The corpus is a deterministic selection of .py files from the installed site-packages,
copied into .bench/corpus/ (as ruff's benchmarks do). Each tool runs in its own process;
peak memory is the summed RSS of the process tree, sampled every 20 ms, and CPU time is the
user + system time of the tree. The warm rows are an unchanged tree (the whole result comes
from the cache) and the same tree with one file edited (cached facts, full analysis).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks._harness import markdown_table

PEERS = ["ruff"]
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / ".bench" / "corpus"
CACHE = ROOT / ".bench" / "audit-cache"
TARGET_LINES = 1_000_000


def build_corpus(target: int) -> tuple[int, int]:
    """Copy .venv's site-packages .py files, sorted, until ``target`` lines: (files, lines)."""
    stamp = CORPUS / ".stamp"
    if stamp.exists():
        files, lines = map(int, stamp.read_text().split())
        if lines >= target * 0.95:
            return files, lines
    shutil.rmtree(CORPUS, ignore_errors=True)
    site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"), None)
    if site is None:
        site = Path(sysconfig.get_paths()["purelib"])
    files = lines = 0
    for src in sorted(site.rglob("*.py")):
        rel = src.relative_to(site)
        if rel.parts[0].startswith(("rescope", "_", "pip")) or src.stat().st_size > 300_000:
            continue
        dest = CORPUS / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = src.read_bytes()
        dest.write_bytes(data)
        files += 1
        lines += data.count(b"\n")
        if lines >= target:
            break
    stamp.write_text(f"{files} {lines}")
    return files, lines


def _tree_rss(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def timed(cmd: list[str]) -> tuple[float, int, str, float]:
    """Run ``cmd``; return (seconds, peak tree RSS in bytes, stdout, CPU seconds of the tree).

    CPU time (user + system of the process and the workers it waited for) is what a shared,
    busy machine distorts least.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, peak, out, cpu


AST_ONE_CORE = (
    "import ast, gc, pathlib, sys\n"
    "gc.disable()\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.py')):\n"
    "    try: ast.parse(p.read_bytes())\n"
    "    except (SyntaxError, ValueError): pass\n"
)
AUDIT = (
    "import json, sys; from pathlib import Path\n"
    "from rescope.audit import AuditConfig, run_audit\n"
    "cache = sys.argv[2] != 'none'\n"
    "ignore = tuple(sys.argv[3].split(',')) if len(sys.argv) > 3 else ()\n"
    "r = run_audit([Path(sys.argv[1])], AuditConfig(use_cache=cache, cache_dir=Path(sys.argv[2]) "
    "if cache else None, jobs=2, respect_gitignore=False, ignore=ignore))\n"
    "print(json.dumps({'files': r.files, 'lines': r.lines, 'cached': r.cached_files, "
    "'rules': [f.rule for f in r.findings], 'services': len(r.services), "
    "'caches': len(r.value_caches), 'sample': [(f.rule, f.path, f.line, f.message) "
    "for f in r.findings][:400]}))\n"
)


def main(quick: bool = False) -> None:
    """Build the corpus, time each tool once (quick: a ~100k-line corpus), print the tables."""
    target = 100_000 if quick else TARGET_LINES
    files, lines = build_corpus(target)
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    shutil.rmtree(CACHE, ignore_errors=True)
    runs = {
        "ast.parse (1 core)": [sys.executable, "-c", AST_ONE_CORE, str(CORPUS)],
        "ruff check --select ASYNC,PLW0603": [
            ruff,
            "check",
            "--select",
            "ASYNC,PLW0603",
            "--no-cache",
            "--exit-zero",
            "--isolated",
            "--quiet",
            str(CORPUS),
        ],
        "rescope audit, cold (2 cores)": [sys.executable, "-c", AUDIT, str(CORPUS), "none"],
        "rescope audit, cold, without RS4xx-RS6xx": [
            sys.executable,
            "-c",
            AUDIT,
            str(CORPUS),
            "none",
            "RS4,RS5,RS6",
        ],
        "rescope audit, fill cache": [sys.executable, "-c", AUDIT, str(CORPUS), str(CACHE)],
        "rescope audit, warm (cache hit)": [sys.executable, "-c", AUDIT, str(CORPUS), str(CACHE)],
        "rescope audit, warm, 1 file edited": [
            sys.executable,
            "-c",
            AUDIT,
            str(CORPUS),
            str(CACHE),
        ],
    }
    rows = []
    report: dict[str, object] = {}
    edited = sorted(CORPUS.rglob("*.py"))[files // 2]
    original = edited.read_bytes()
    for name, cmd in runs.items():
        if name.endswith("1 file edited"):
            # The facts of every other file come from the cache; the analysis runs in full.
            edited.write_bytes(original + b"\n# edited\n")
            try:
                seconds, peak, out, cpu = timed(cmd)
            finally:
                edited.write_bytes(original)
        else:
            seconds, peak, out, cpu = timed(cmd)
        if name.startswith("rescope") and "without" not in name and out.strip():
            report = json.loads(out)
        if name == "rescope audit, fill cache":
            continue
        rows.append(
            [
                name,
                f"{seconds:.2f} s",
                f"{lines / seconds / 1000:,.0f}k",
                f"{peak / 2**20:,.0f} MiB",
                f"{cpu:.2f} s",
            ]
        )
    print(f"### Audit on {lines:,} lines in {files:,} files from site-packages\n")
    print(markdown_table(["tool", "time", "lines/s", "peak RSS (tree)", "CPU (tree)"], rows))
    counts = Counter(report.get("rules", []))  # type: ignore[arg-type]
    print(
        f"\n{report.get('services')} services, {report.get('caches')} value caches; "
        f"the edited run read {report.get('cached')} of {report.get('files')} files' facts from "
        "the cache.\n"
    )
    print(markdown_table(["rule", "findings"], sorted(counts.items())))
    print()
    if os.environ.get("RESCOPE_BENCH_SAMPLE"):
        for item in report.get("sample", []):  # type: ignore[union-attr]
            print(item)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
