"""The code the pages show runs: the getting-started example, and the commands the pages give exist."""

from __future__ import annotations

import re

from paths import ROOT

DOCS = ROOT / "docs"


def test_getting_started_example_runs(monkeypatch, tmp_path, capsys):
    example = re.findall(r"```python\n(.*?)```", (DOCS / "getting-started.md").read_text(), flags=re.S)[0]
    assert len(example.strip().splitlines()) <= 10  # "a first network in ten lines"
    monkeypatch.chdir(tmp_path)
    exec(compile(example.replace("epochs=20", "epochs=3"), "getting-started example", "exec"), {})
    assert re.search(r"\{'accuracy': 0\.\d+\}", capsys.readouterr().out)


def test_every_page_is_reachable_from_a_toctree():
    """Sphinx warns (an error with -W) about a page in no toctree; this says which, without a build."""
    pages = {p.relative_to(DOCS).with_suffix("").as_posix() for p in DOCS.rglob("*.md")
             if not p.relative_to(DOCS).parts[0].startswith(("_", "gallery", "tutorials"))}
    listed = set()
    for page in DOCS.rglob("*.md"):
        for block in re.findall(r"```\{toctree\}\n(.*?)```", page.read_text(), flags=re.S):
            base = page.parent.relative_to(DOCS)
            for entry in block.splitlines():
                if entry and not entry.startswith(":"):
                    listed.add((base / entry.strip()).as_posix().removeprefix("./"))
    assert pages - listed == {"index"}, pages - listed - {"index"}


def test_placeholders_reserve_the_pages_others_write():
    for page in ("training", "cpu-kernels", "gpu"):
        assert (DOCS / f"{page}.md").is_file(), page
    index = (DOCS / "index.md").read_text()
    assert all(f"\n{page}\n" in index for page in ("training", "cpu-kernels", "gpu"))
