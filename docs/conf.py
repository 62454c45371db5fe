"""Sphinx configuration of the pyldl_gpu documentation.

Builds offline: no intersphinx, no CDN (MathJax comes from the sphinx-mathjax-offline package and is copied into
the site; the theme ships its own fonts and scripts). Build with warnings as errors:

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

Pages generated when the docs build (under docs/_generated/, never committed): the course-API and convolution
figures, the benchmark summary (from bench/results/) and the experiments gallery (from docs/gallery/*/metrics.json).
The tutorials (docs/tutorials/*.py) run when the docs build (sphinx-gallery) and in the test suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYLDL_DEVICE", "cpu")  # the docs build computes on the CPU unless told otherwise
os.environ.setdefault("MPLBACKEND", "Agg")

import pyldl_gpu  # noqa: E402

project = "pyldl_gpu"
author = "the pyldl_gpu authors"
copyright = "the pyldl_gpu authors, MIT licence"
release = version = pyldl_gpu.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "sphinx_design",  # the cards of the home page
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static/mathjax: math renders without internet
    "generated_pages",  # docs/_ext: figures, benchmark summary, experiments gallery
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [  # sources that are not pages: the tutorials' sources, files that pages include
    "_build", "README.md", "sg_execution_times.rst", "gallery/**/*.md", "tutorials/*.py",
    "tutorials/GALLERY_HEADER.rst", "_generated/*.md", "_generated/gallery/*.inc.md",
]
templates_path = []
nitpicky = False

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = False
napoleon_numpy_docstring = True

sphinx_gallery_conf = {
    "examples_dirs": "tutorials",  # the sources, plain Python with comment blocks
    "gallery_dirs": "auto_tutorials",  # generated when the docs build (not committed)
    "filename_pattern": r"/tutorial_",  # every tutorial runs
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "min_reported_time": 1,
    "abort_on_example_error": True,
    "reset_modules_order": "both",
    "matplotlib_animations": False,
    "write_computation_times": False,  # its page loads scripts from CDNs: nothing may load from outside
}

html_theme = "pydata_sphinx_theme"
html_title = "pyldl_gpu"
html_static_path = ["_static"]
html_css_files = ["pyldl.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_end": [],  # no "built with" links: nothing links outside the repository
    "secondary_sidebar_items": ["page-toc"],
    "navbar_end": ["theme-switcher"],
    "header_links_before_dropdown": 7,
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False
html_copy_source = False
