"""UvicornProcess: a server that fails to start reports why and leaves nothing open."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import pytest

from rescope.exceptions import ProcessError
from rescope.testing import UvicornProcess


def test_failed_start_reports_the_log_and_closes_it(tmp_path: Path) -> None:
    """An app that cannot be imported raises ProcessError with its output; no file is leaked."""
    (tmp_path / "broken.py").write_text("raise RuntimeError('the app refuses to load')\n")
    server = UvicornProcess("broken:app", cwd=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        with pytest.raises(ProcessError) as info:
            server.start(timeout=60)
        assert "the app refuses to load" in info.value.stderr_tail
        assert server.pid is None
        assert server.log() == ""
        del server
        gc.collect()
