"""Find the ``.py`` files to audit: honour .gitignore and excludes, survive symlink loops."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec

from rescope.exceptions import AuditError

__all__ = ["ALWAYS_SKIPPED", "Discovery", "SourceFile", "discover"]

ALWAYS_SKIPPED = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        "__pypackages__",
        "node_modules",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".rescope_cache",
        "site-packages",
    }
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to audit: where it is, how reports name it, and its dotted module."""

    path: Path
    rel: str
    module: str
    is_package: bool
    size: int
    mtime_ns: int = 0


@dataclass(slots=True)
class Discovery:
    """The files found, and the ones left out with the reason."""

    root: Path
    files: list[SourceFile]
    skipped: list[tuple[str, str]]


def _package_prefix(root: Path) -> list[str]:
    """The packages that contain ``root`` (outermost first)."""
    prefix: list[str] = []
    directory = root
    while (directory / "__init__.py").is_file() and directory != directory.parent:
        prefix.append(directory.name)
        directory = directory.parent
    return prefix[::-1]


def _module(rel_parts: Sequence[str], prefix: list[str]) -> tuple[str, bool]:
    name = rel_parts[-1]
    is_package = name == "__init__.py"
    parts = list(rel_parts[:-1])
    if not is_package:
        parts.append(name[:-3] if name.endswith(".py") else name.rpartition(".")[0] or name)
    if len(parts) > 1 and parts[0] in {"src", "lib"}:
        parts = parts[1:]
    return ".".join([*prefix, *parts]), is_package


def _spec(lines: Iterable[str]) -> pathspec.PathSpec[Any]:
    return pathspec.GitIgnoreSpec.from_lines(list(lines))


def discover(  # noqa: C901, PLR0912, PLR0915
    paths: Sequence[Path],
    *,
    exclude: Sequence[str] = (),
    exclude_base: Path | None = None,
    respect_gitignore: bool = True,
    max_file_size: int,
) -> Discovery:
    """Walk ``paths`` and return the Python files to audit, sorted.

    Args:
        paths: Files or directories, as given on the command line.
        exclude: Gitignore-style patterns, relative to ``exclude_base``.
        exclude_base: The directory the patterns are relative to (the pyproject's).
        respect_gitignore: Read ``.gitignore`` files at and below each directory walked.
        max_file_size: Larger files are skipped and listed in ``Discovery.skipped``.

    Raises:
        AuditError: A path does not exist.
    """
    resolved = [p.resolve() for p in paths] or [Path.cwd().resolve()]
    for given, path in zip(paths, resolved, strict=False):
        if not path.exists():
            raise AuditError(f"{given} does not exist: nothing to audit there.")
    root = resolved[0] if len(resolved) == 1 and resolved[0].is_dir() else _common(resolved)
    base = (exclude_base or root).resolve()
    excluded = _spec(exclude) if exclude else None
    found: dict[Path, SourceFile] = {}
    skipped: list[tuple[str, str]] = []
    seen_dirs: set[tuple[int, int]] = set()

    prefix = _package_prefix(root)

    def consider(file: Path) -> None:
        rel = _rel(file, root)
        if excluded is not None and _matches(excluded, file, base):
            return
        try:
            stat = os.stat(file)  # noqa: PTH116 - one call, no Path objects made
        except OSError as exc:
            skipped.append((rel, f"cannot be read: {exc.strerror}"))
            return
        if stat.st_size > max_file_size:
            skipped.append((rel, f"{stat.st_size} bytes is over max-file-size ({max_file_size})"))
            return
        # a file outside the root (given by its own path) is named by its file name
        parts = (file.name,) if rel.startswith("/") else rel.split("/")
        module, is_package = _module(parts, prefix)
        found[file] = SourceFile(file, rel, module, is_package, stat.st_size, stat.st_mtime_ns)

    for path in resolved:
        if path.is_file():
            consider(path)
            continue
        specs: list[tuple[Path, pathspec.PathSpec[Any]]] = []
        for directory, dirnames, filenames in os.walk(path, followlinks=True):
            here = Path(directory)
            stat = here.stat()
            if (stat.st_dev, stat.st_ino) in seen_dirs:
                skipped.append((_rel(here, root), "a symlink loop: already walked"))
                dirnames[:] = []
                continue
            seen_dirs.add((stat.st_dev, stat.st_ino))
            if respect_gitignore and ".gitignore" in filenames:
                try:
                    text = (here / ".gitignore").read_text(encoding="utf-8", errors="replace")
                    specs.append((here, _spec(text.splitlines())))
                except OSError:
                    pass
            active = [(d, s) for d, s in specs if here == d or d in here.parents]
            keep = []
            for name in sorted(dirnames):
                sub = here / name
                if name in ALWAYS_SKIPPED or _ignored(active, sub, is_dir=True):
                    continue
                if excluded is not None and _matches(excluded, sub, base, is_dir=True):
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in sorted(filenames):
                if name.endswith(".py"):
                    file = here / name
                    if not _ignored(active, file, is_dir=False):
                        consider(file)
    files = sorted(found.values(), key=lambda f: f.rel)
    return Discovery(root=root, files=files, skipped=sorted(skipped))


def _common(paths: list[Path]) -> Path:
    parents = [p if p.is_dir() else p.parent for p in paths]
    return Path(os.path.commonpath([str(p) for p in parents]))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or path.name
    except ValueError:
        return path.as_posix()


def _matches(spec: pathspec.PathSpec[Any], path: Path, base: Path, *, is_dir: bool = False) -> bool:
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        return False
    return spec.match_file(rel + "/" if is_dir else rel)


def _ignored(specs: list[tuple[Path, pathspec.PathSpec[Any]]], path: Path, *, is_dir: bool) -> bool:
    for directory, spec in specs:
        rel = path.relative_to(directory).as_posix()
        if spec.match_file(rel + "/" if is_dir else rel):
            return True
    return False
