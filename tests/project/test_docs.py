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
