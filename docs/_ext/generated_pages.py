"""Sphinx extension: the pages and figures generated from the repository when the docs build.

Everything lands in docs/_generated/ (ignored by git) before Sphinx reads the sources, so the pages that include
those files always show what the committed results say:

    figures.py              the course-API flow and the convolution tile (drawn with the library itself)
    benchmarks.py           the CPU and GPU benchmark summary, table and chart, from bench/results/*.json
    experiment_gallery.py   one page per experiment from docs/gallery/<name>/metrics.json and its figures
    dataset_sources.py      the data sets' URLs and checksums, from pyldl_gpu/datasets/sources.py"""

from __future__ import annotations

import re
from pathlib import Path

import benchmarks
import dataset_sources
import experiment_gallery
import figures


def generate(app) -> None:
    docs = Path(app.srcdir)
    out = docs / "_generated"
    out.mkdir(exist_ok=True)
    figures.write_all(out)
    benchmarks.write_all(docs.parent / "bench" / "results", out)
    experiment_gallery.write_all(docs / "gallery", out / "gallery")
    dataset_sources.write_all(out)


SIGNATURE = re.compile(r"\.\. only:: html\n\n \.\. rst-class:: sphx-glr-signature\n\n[^\n]*\n?")


def drop_gallery_signature(app, docname: str, source: list) -> None:
    """sphinx-gallery ends each tutorial with a link to its own web site; the docs link nowhere outside the repo."""
    if docname.startswith("auto_tutorials/"):
        source[0] = SIGNATURE.sub("", source[0])


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("source-read", drop_gallery_signature)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
