"""The download table of the Data sets page, generated from pyldl_gpu/datasets/sources.py: every file's canonical
URLs and published checksum, and the checksums the loaders accept (so the page and the code never disagree)."""

from __future__ import annotations

from pathlib import Path

from written import write_text


def table() -> str:
    from pyldl_gpu.datasets.sources import DATASETS

    lines = ["| data set | file downloaded | from (tried in order) | published checksum |", "|---|---|---|---|"]
    for dataset in DATASETS.values():
        for source in dataset.sources:
            urls = "<br>".join(f"`{url}`" for url in source.urls)
            lines.append(f"| {dataset.name} | `{dataset.folder}/{source.name}` | {urls} | "
                         f"{source.algorithm} `{source.digest}` |")
    lines += ["", "| data set | file the loader reads | accepted checksums | built by |", "|---|---|---|---|"]
    for dataset in DATASETS.values():
        for name, checksums in dataset.reads.items():
            accepted = "<br>".join(f"{algorithm} `{value}`" for algorithm, value in checksums)
            built = "converted from the downloads" if name in dataset.converted else "downloaded as it is"
            lines.append(f"| {dataset.name} | `{dataset.folder}/{name}` | {accepted} | {built} |")
    return "\n".join(lines) + "\n"


def write_all(out: Path) -> None:
    write_text(out / "dataset_sources.md", table())
