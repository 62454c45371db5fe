"""``python -m pyldl_gpu.datasets fetch mnist|usps|olivetti|all [--dir DIR] [--mirror URL]``: download the data
sets from their canonical public sources into $PYLDL_DATA (default: the per-user cache), verify every checksum,
convert where needed, and print where the files went. Offline, it prints the exact URL of each file to fetch by
hand and where to put it."""

from __future__ import annotations

import argparse
import sys

from ..exceptions import DatasetError
from ._files import ENV_VAR, data_home
from .download import fetch
from .sources import DATASETS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pyldl_gpu.datasets", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    get = commands.add_parser("fetch", help="download, verify and convert data sets",
                              description="Download data sets from their canonical sources, verify their "
                                          "checksums, convert where the loader reads another format.")
    get.add_argument("names", nargs="+", choices=[*DATASETS, "all"], metavar="NAME",
                     help=f"the data sets: {', '.join(DATASETS)} or all")
    get.add_argument("--dir", default=None, metavar="DIR",
                     help=f"where to put them (default ${ENV_VAR}, else the per-user cache; now {data_home()})")
    get.add_argument("--mirror", default=None, metavar="URL",
                     help="download every file from this base URL (URL/FILE) instead of the canonical sources")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = list(DATASETS) if "all" in args.names else list(dict.fromkeys(args.names))
    failed = []
    for name in names:
        try:
            fetch(name, args.dir, args.mirror)
        except DatasetError as error:
            print(f"{name}: {error}", file=sys.stderr)
            failed.append(name)
    if failed:
        print(f"not fetched: {', '.join(failed)} (see above for the URLs to fetch by hand)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
