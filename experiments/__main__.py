"""The experiment runner: ``python -m experiments list | run NAME | all | results`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments import _common as common
from experiments import registry
from experiments.results import TRACKED, regenerate

DESCRIPTION = """Run the seed reports' experiments on pyldl_gpu.

Needs a source checkout: `experiments` is not part of the installed library but a folder beside it in the
repository (its name is generic); `pip install -e .` from the checkout's root makes it importable from any
directory. Runs write under runs/ of the current directory."""


def build_parser() -> argparse.ArgumentParser:
    """The runner's command line: one subcommand each for list, run NAME (one per experiment), all, results."""
    parser = argparse.ArgumentParser(prog="python -m experiments", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", help="what to do (COMMAND --help for more)")
    commands.add_parser("list", help="every experiment with its title and data sets, in the runner's order",
                        description="Every experiment: name, title and data sets (the first is the default).")
    run = commands.add_parser("run", help="run one experiment (run NAME --help: its options)",
                              description="Run one experiment; NAME --help shows its options and data sets.")
    names = run.add_subparsers(dest="name", metavar="NAME", required=True, help="the experiment")
    for experiment in registry().values():
        common.experiment_parser(experiment, names.add_parser(experiment.name, help=experiment.title,
                                                              description=experiment.title))
    common.add_options(commands.add_parser("all", help="run every experiment on its default data set",
                                           description="Run every experiment on its default data set, in order."),
                       out_help="parent folder: each experiment writes to DIR/NAME[-quick] (default runs)")
    results = commands.add_parser(
        "results", help="regenerate the results table from the runs' metrics.json",
        description="Regenerate the results table: rows with a full run in RUNS are replaced, new ones added, all "
                    "others kept from the tracked table. Writes RUNS/RESULTS.md; the tracked table only with --write.")
    results.add_argument("--runs", default="runs", metavar="DIR", help="the runs folder (default runs)")
    results.add_argument("--write", action="store_true", help="also rewrite the tracked table (--table)")
    results.add_argument("--table", default=str(TRACKED), metavar="PATH",
                         help="the tracked table whose rows are kept (default experiments/RESULTS.md of the checkout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
    elif args.command == "list":
        for experiment in registry().values():
            print(f"{experiment.name:26s} {experiment.title}  (data: {', '.join(experiment.datasets)})")
    elif args.command == "run":
        common.run_experiment(registry()[args.name], args)
    elif args.command == "all":
        for experiment in registry().values():
            folder = Path(args.out or "runs") / common.run_folder(experiment, experiment.datasets[0], args.quick)
            common.run_experiment(experiment, argparse.Namespace(**{**vars(args), "out": str(folder),
                                                                   "dataset": experiment.datasets[0]}))
    else:
        table, paths = regenerate(args.runs, args.table, write=args.write)
        print(f"wrote {' and '.join(map(str, paths))}: {table.summary()} (rows kept from {args.table})"
              + ("" if args.write else "; the tracked table is unchanged (--write to update it)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
