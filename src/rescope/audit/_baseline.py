"""Baselines: accept today's findings, fail only on new ones.

A baseline file is JSON: ``{"schema_version": 1, "fingerprints": {"<fp>": "RS101 path"}}``.
Fingerprints hash the rule, the path and the symbol, not the line, so they survive edits
that move code up or down.
"""

from __future__ import annotations

import json
from pathlib import Path

from rescope.audit._model import AuditResult
from rescope.exceptions import ConfigurationError

__all__ = ["apply_baseline", "read_baseline", "write_baseline"]


def write_baseline(result: AuditResult, path: Path) -> int:
    """Write every finding of ``result`` to ``path`` as accepted; return how many."""
    data = {
        "schema_version": 1,
        "fingerprints": {f.fingerprint: f"{f.rule} {f.path} {f.symbol}" for f in result.findings},
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(result.findings)


def read_baseline(path: Path) -> set[str]:
    """Return the accepted fingerprints stored in ``path``.

    Raises:
        ConfigurationError: The file is missing or is not a baseline.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"baseline {path} does not exist.",
            setting="--baseline",
            hint=f"`rescope audit --write-baseline {path}` to create it from today's findings.",
        ) from exc
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"baseline {path} is not valid JSON: {exc}.",
            setting="--baseline",
            hint="writing it again with `--write-baseline`.",
        ) from exc
    fingerprints = data.get("fingerprints") if isinstance(data, dict) else None
    if not isinstance(fingerprints, dict):
        raise ConfigurationError(
            f"{path} is not a rescope baseline (no `fingerprints` table).",
            setting="--baseline",
            hint="writing it again with `--write-baseline`.",
        )
    return set(fingerprints)


def apply_baseline(result: AuditResult, accepted: set[str]) -> None:
    """Drop the findings whose fingerprints are accepted, counting them in ``baselined``."""
    kept = [f for f in result.findings if f.fingerprint not in accepted]
    result.baselined = len(result.findings) - len(kept)
    result.findings = kept
