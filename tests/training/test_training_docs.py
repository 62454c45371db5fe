"""docs/training.md: every Python snippet runs as it is, and the page links nowhere outside the repository."""

from __future__ import annotations

import re

import pytest
from paths import ROOT

PAGE = (ROOT / "docs" / "training.md").read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", PAGE, flags=re.S)


def test_the_page_has_its_sections_and_no_outside_link():
    for title in ("fit's arguments", "Metrics", "Progress", "Early stopping", "What is checked, and when",
                  "When training blows up", "Saving and loading", "Reproducibility", "DataParallel",
                  "Grid search", "On a Dask cluster"):
        assert re.search(rf"^#+ .*{re.escape(title)}", PAGE, flags=re.M), title
    assert not re.search(r"https?://|www\.", PAGE)
    assert len(SNIPPETS) >= 7


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"snippet-{k + 1}" for k in range(len(SNIPPETS))])
def test_every_snippet_runs(code, tmp_path, monkeypatch):
    if "distributed" in code:
        pytest.importorskip("distributed", reason="dask.distributed is an optional extra")
    monkeypatch.chdir(tmp_path)  # snippets that save write here
    exec(compile(code, "docs/training.md", "exec"), {"__name__": "__docs__"})
