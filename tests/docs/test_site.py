"""The built site stands alone: no page links or loads anything outside it (no CDN font, script or stylesheet,
no link to another site), and the pages the issue names exist."""

from __future__ import annotations

import re

from docsite import require_site

EXTERNAL = re.compile(r"""(?:href|src|srcset|action)\s*=\s*["']((?:https?:)?//[^"']+)""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?((?:https?:)?//[^)"']+)""", re.I)


def test_no_page_links_or_loads_anything_outside_the_site():
    site = require_site()
    offenders = {}
    for page in site.rglob("*.html"):
        found = EXTERNAL.findall(page.read_text(errors="replace"))
        if found:
            offenders[str(page.relative_to(site))] = sorted(set(found))[:5]
    for sheet in site.rglob("*.css"):
        found = CSS_URL.findall(sheet.read_text(errors="replace"))
        if found:
            offenders[str(sheet.relative_to(site))] = sorted(set(found))[:5]
    assert not offenders, offenders


def test_the_pages_of_the_issue_exist():
    site = require_site()
    pages = ["index", "getting-started", "course-api", "math/index", "math/linear", "math/activations",
             "math/losses", "math/conv", "math/pooling", "math/shape", "math/dropout", "math/batchnorm", "math/tied",
             "math/containers", "math/optimizers", "auto_tutorials/index", "auto_tutorials/tutorial_1_custom_layer",
             "auto_tutorials/tutorial_2_cnn_mnist", "auto_tutorials/tutorial_3_denoising_autoencoder",
             "auto_tutorials/tutorial_4_check_against_pytorch", "training", "devices-performance", "cpu-kernels",
             "gpu", "datasets", "gallery", "api/index", "architecture"]
    missing = [p for p in pages if not (site / f"{p}.html").is_file()]
    assert not missing, missing
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()  # math renders without internet


LOCAL = re.compile(r"""(?:href|src)\s*=\s*["']([^"'#?]+)""", re.I)


def test_every_local_link_and_resource_of_every_page_exists():
    """The static twin of the browser test's link check, over every page: each relative href and src (pages,
    stylesheets, scripts, images, downloads) is a file of the site."""
    site = require_site()
    broken = {}
    for page in (p for p in site.rglob("*.html") if "_static" not in p.parts):  # _static: theme templates
        for target in set(LOCAL.findall(page.read_text(errors="replace"))):
            if re.match(r"[a-z]+:", target) or target.startswith("//"):
                continue  # external links are the other test's business; mailto: and data: are not files
            path = (site / target.lstrip("/")) if target.startswith("/") else (page.parent / target)
            if not (path.is_file() or (path / "index.html").is_file()):
                broken.setdefault(str(page.relative_to(site)), []).append(target)
    assert not broken, dict(list(broken.items())[:5])
