"""``make bench``: runs every benchmark of the project and prints one table.

Each benchmark module under bench/ exposes ``run() -> list[Row]``; a row carries what was
measured, its figure, the target and the ratio measured side by side in the same run.
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main() -> int:
    import django

    django.setup()
    from bench.table import Row, print_table

    rows: list[Row] = []
    for module in pkgutil.iter_modules([str(ROOT / "bench")]):
        if module.name.startswith("bench_"):
            rows.extend(importlib.import_module(f"bench.{module.name}").run())
    print_table(rows)
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
