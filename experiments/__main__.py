"""The experiment runner.

    python -m experiments list                      what there is
    python -m experiments run NAME [options]        one experiment (options as for the script)
    python -m experiments all [--quick] [options]   every experiment on its default data set
    python -m experiments results [--runs DIR]      write experiments/RESULTS.md from runs/*/metrics.json
"""

from __future__ import annotations

import importlib
import sys

from experiments import REGISTRY
from experiments.results import write_results


def _module(name: str):
    if name not in REGISTRY:
        raise SystemExit(f"unknown experiment {name!r}; choose one of: {', '.join(REGISTRY)}")
    return importlib.import_module(f"experiments.{name}")


def main(argv: list[str]) -> int:
    from experiments._common import main as run_one

    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "list":
        for name in REGISTRY:
            module = _module(name)
            print(f"{name:26s} {module.TITLE}  (data: {', '.join(module.DATASETS)})")
    elif command == "run" and rest:
        run_one(_module(rest[0]), rest[1:])
    elif command == "all":
        for name in REGISTRY:
            run_one(_module(name), rest)
    elif command == "results":
        runs = rest[rest.index("--runs") + 1] if "--runs" in rest else "runs"
        print(f"wrote {write_results(runs)}")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
