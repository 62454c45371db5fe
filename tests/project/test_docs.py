"""The README's promises: its test command is what CI runs, and its example code runs."""

from __future__ import annotations

import re

import pytest
from paths import ROOT

README = (ROOT / "README.md").read_text()


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = next(line for block in _bash_blocks() for line in block.splitlines() if "pytest" in line)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command.strip() in ci.splitlines()


def test_readme_main_command_runs_an_existing_script():
    main = _bash_blocks()[0].strip()
    script = main.rsplit("python ", 1)[1].split()[0]
    assert (ROOT / script).is_file(), script


def test_readme_api_example_runs(tmp_path, monkeypatch):
    example = re.findall(r"```python\n(.*?)```", README, flags=re.S)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(example.replace("epochs=30", "epochs=3"), "README example", "exec"), namespace)
    assert (tmp_path / "digits.npz").is_file()
    assert namespace["history"].epochs >= 1


@pytest.mark.parametrize("name", ["Linear", "Sequential", "CrossEntropyLoss", "Adam", "Optim", "gradcheck", "save"])
def test_every_public_name_has_a_docstring(name):
    import pyldl_gpu as nn

    assert getattr(nn, name).__doc__, name


def test_all_public_names_are_documented():
    import pyldl_gpu as nn

    undocumented = [n for n in nn.__all__ if callable(getattr(nn, n)) and not getattr(nn, n).__doc__]
    assert not undocumented, undocumented


def test_readme_is_a_front_page():
    assert len(README.splitlines()) <= 125, "the README is a front page; the details belong in docs/"


def test_readme_links_stay_in_the_repository():
    targets = re.findall(r"\]\(([^)]+)\)", README)
    assert targets, "the README links its docs"
    outside = [t for t in targets if re.match(r"[a-z]+:", t) or t.startswith(("/", "//", ".."))]
    assert not outside, outside
    missing = [t for t in targets if not (ROOT / t.split("#")[0]).exists()]
    assert not missing, missing


def test_readme_headline_results_come_from_committed_results():
    section = README.split("## Headline results", 1)[1].split("\n## ", 1)[0]
    figures = re.findall(r"`([\w+./-]+ \d\.\d{4})`", section)
    results = (ROOT / "experiments" / "RESULTS.md").read_text()
    assert len(figures) >= 5
    assert [f for f in figures if f not in results] == []


def test_every_install_hint_names_an_extra_of_the_checkout():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    from pyldl_gpu.backends import cuda

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    texts = [README, cuda.INSTALL_HINT, (ROOT / "docs" / "getting-started.md").read_text()]
    hinted = {extra for text in texts for extra in re.findall(r'pip install -e "\.\[(\w+)\]"', text)}
    assert {"cuda12", "cuda13", "dev", "docs"} <= hinted
    assert hinted <= set(extras), hinted - set(extras)
    assert all('pip install "pyldl-gpu' not in text for text in texts)  # not on PyPI: hints work from a checkout


def test_license_and_typing_marker_ship():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == {"text": "MIT"}
    assert (ROOT / "pyldl_gpu" / "py.typed").is_file()
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["pyldl_gpu"]
    assert (ROOT / "CHANGELOG.md").read_text().startswith("# Changelog")
