"""Every tutorial of the docs (docs/tutorials/tutorial_*.py) runs to the end, as the docs build runs it: each in a
fresh interpreter, in an empty folder, with matplotlib drawing off-screen. The tutorials assert their own results
(gradient checks pass, a broken backward is caught, accuracies and PSNR gains, the checkpoint loads back)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from paths import ROOT

TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("tutorial_*.py"))
EXPECTED = {  # a line each tutorial must print: proof it reached its point, not only that it exited 0
    "tutorial_1_custom_layer.py": "caught: BrokenScale() parameter 'a': gradient mismatch",
    "tutorial_2_cnn_mnist.py": "loaded checkpoint: test accuracy",
    "tutorial_3_denoising_autoencoder.py": "PSNR noisy",
    "tutorial_4_check_against_pytorch.py": "PyTorch installed:",
}


def test_every_tutorial_is_listed():
    assert sorted(t.name for t in TUTORIALS) == sorted(EXPECTED)


@pytest.mark.parametrize("tutorial", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs(tutorial, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "error::DeprecationWarning"}
    done = subprocess.run([sys.executable, str(tutorial)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert EXPECTED[tutorial.name] in done.stdout, done.stdout[-3000:]
    if tutorial.name == "tutorial_2_cnn_mnist.py":
        assert (tmp_path / "lenet.npz").is_file()
