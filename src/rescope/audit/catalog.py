"""Generate the rule catalog: ``python -m rescope.audit.catalog docs/rules [--check]``."""

from __future__ import annotations

import sys

from rescope.audit._catalog import check_catalog, main, render_catalog

__all__ = ["check_catalog", "main", "render_catalog"]

if __name__ == "__main__":
    sys.exit(main())
