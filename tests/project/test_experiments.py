"""Every experiment's --quick run, as a user runs it, with metric floors that chance cannot reach;
the runner and the package (registry, any working directory, --help); RESULTS.md generation; the README's
main job."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT

DATA = Path(os.environ.get("PYLDL_DATA", ROOT.parent / "shared" / "data"))


def _run(args, tmp_path, timeout=240) -> dict:
    env = {**os.environ, "PYLDL_DEVICE": os.environ.get("PYLDL_DEVICE", "cpu"), "PYLDL_DATA": str(DATA)}
    out = tmp_path / "out"
    subprocess.run([sys.executable, *args, "--quick", "--quiet", "--out", str(out)], cwd=ROOT, env=env,
                   capture_output=True, text=True, timeout=timeout, check=True)
    record = json.loads((out / "metrics.json").read_text())
    assert record["quick"] and record["wall_seconds"] >= 0
    pngs = list(out.glob("*.png"))
    assert pngs, "every experiment writes figures"
    return record["metrics"]


def _needs(*files):
    missing = [f for f in files if not (DATA / f).is_file()]
    if missing:
        pytest.skip(f"shared data missing: {missing}")


def test_linear_regression(tmp_path):
    m = _run(["experiments/linear_regression.py"], tmp_path)
    assert m["test_r2"] > 0.95 and m["weight_error"] < 0.1


def test_nonlinear_classification(tmp_path):
    m = _run(["experiments/nonlinear_classification.py"], tmp_path)
    assert m["best_test_error"] < 0.05  # chance: 50 %


def test_multiclass_mlp_digits(tmp_path):
    assert _run(["experiments/multiclass_mlp.py"], tmp_path)["test_accuracy"] > 0.85  # chance: 10 %


def test_autoencoder_usps(tmp_path):
    _needs("usps/usps.npz")
    m = _run(["experiments/autoencoder.py"], tmp_path)
    assert m["deep-bce/psnr"] > 11.0 and m["deep-mse/test_mse"] < 0.07


def test_compression_usps(tmp_path):
    _needs("usps/usps.npz")
    m = _run(["experiments/compression.py", "--dataset", "usps"], tmp_path)
    assert m["256:4/compression_ratio"] == 64 and m["256:4/latent_classifier_accuracy"] > 0.3


def test_denoising_digits(tmp_path):
    m = _run(["experiments/denoising.py"], tmp_path)
    assert m["accuracy_clean"] > 0.85
    for key in ("gauss-0.4", "sp-30"):
        assert m[f"{key}/psnr_denoised"] > m[f"{key}/psnr_noisy"] + 2  # the denoiser removes noise
        assert m[f"{key}/kl_denoised"] < m[f"{key}/kl_noisy"]
        assert m[f"{key}/accuracy_denoised"] > m[f"{key}/accuracy_noisy"]
        assert m[f"{key}/accuracy_denoised_other"] > m[f"{key}/accuracy_noisy_other"]  # an independent classifier
    assert m["accuracy_clean_other"] > 0.85
    for suffix in ("", "_other"):  # the task-driven denoiser (Gaussian noise only) helps both classifiers
        assert m[f"gauss-0.4/accuracy_denoised_task{suffix}"] > m[f"gauss-0.4/accuracy_noisy{suffix}"]
    assert "sp-30/accuracy_denoised_task" not in m


def test_latent_clustering_usps(tmp_path):
    _needs("usps/usps.npz")
    m = _run(["experiments/latent_clustering.py"], tmp_path)
    assert m["kmeans_purity_2d_latent"] > 0.3 and m["kmeans_purity_raw_pixels"] > 0.3  # chance: about 0.17


def test_cnn_usps(tmp_path):
    _needs("usps/usps.npz")
    m = _run(["experiments/cnn.py"], tmp_path)
    assert m["conv1d_accuracy"] > 0.85 and m["conv2d_accuracy"] > 0.85


def test_optimizers_mnist(tmp_path):
    _needs("mnist/train-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz")
    m = _run(["experiments/optimizers.py"], tmp_path)
    names = ("sgd-momentum-0.1", "sgd-momentum-0.9", "rmsprop", "adam")
    assert all(m[f"{n}/test_accuracy"] > 0.7 for n in names), m
    assert all(m[f"{n}/epochs_to_97"] == -1 or 1 <= m[f"{n}/epochs_to_97"] <= 2 for n in names), m


def test_grid_search_digits(tmp_path):
    m = _run(["experiments/grid_search.py"], tmp_path)
    assert m["trials"] == 4 and m["best_val_accuracy"] > 0.8 and m["test_accuracy"] > 0.8
    assert m["best_loss"] in ("ce", "mse")


def test_stacked_denoising_mnist(tmp_path):
    _needs("mnist/train-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz")
    m = _run(["experiments/stacked_denoising.py"], tmp_path)
    assert m["layer1/reconstruction_bce"] < 0.3, "the first layer learned to reconstruct (chance BCE is ~0.7)"
    assert m["finetuned_accuracy"] > 0.3 and m["scratch_accuracy"] > 0.3 and m["labelled"] == 300


def test_digit_pairs_mnist(tmp_path):
    _needs("mnist/train-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz")
    m = _run(["experiments/digit_pairs.py"], tmp_path)
    assert m["rounds"] == 2 and m["pairs"] == 300
    for name in ("plain-cnn", "weight-sharing", "weight-sharing+aux"):
        assert m[f"{name}/test_error_mean"] < 0.35, (name, m)  # chance is about 0.5


def test_faces_olivetti(tmp_path):
    _needs("olivetti/olivettifaces.mat")
    m = _run(["experiments/faces.py"], tmp_path)
    assert m["pixels/identity_accuracy"] > 0.5 and m["4096:64/identity_accuracy"] > 0.1  # chance is 1/40
    assert m["4096:64/compression_ratio"] == 64.0 and m["4096:64/psnr"] > 12.0
    assert m["denoise/psnr_denoised"] > m["denoise/psnr_noisy"]


def test_epochs_to_target():
    from experiments.optimizers import epochs_to

    assert epochs_to([0.5, 0.97, 0.99], 0.97) == 2 and epochs_to([0.5], 0.97) == -1 and epochs_to([], 0.9) == -1


def test_runner_lists_every_experiment():
    out = subprocess.run([sys.executable, "-m", "experiments", "list"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    from experiments import registry

    names = list(registry())
    assert all(name in out for name in names) and len(out.splitlines()) == len(names)


def test_results_table_is_generated_from_full_runs_only(tmp_path):
    from experiments.results import write_results

    for name, quick in (("a", False), ("b", True)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps({
            "title": f"exp {name}", "dataset": "digits", "seed_report": "x", "metrics": {"acc": 0.5},
            "device": "cpu", "wall_seconds": 1.0, "quick": quick}))
    text = write_results(tmp_path, tmp_path / "RESULTS.md", gpu_runs=tmp_path / "none").read_text()
    assert "| exp a | digits | x | acc 0.5000 | cpu | 1.0 s |" in text and "exp b" not in text
    assert "On the GPU" not in text

    gpu = tmp_path / "gpu" / "a-cuda"
    gpu.mkdir(parents=True)
    (gpu / "metrics.json").write_text(json.dumps({
        "title": "exp a", "dataset": "digits", "metrics": {"acc": 0.625}, "device": "cuda:0", "wall_seconds": 0.25,
        "quick": False}))
    text = write_results(tmp_path, tmp_path / "RESULTS.md", gpu_runs=tmp_path / "gpu").read_text()
    assert "| exp a | digits | acc 0.6250 | 1.0 s | 0.25 s | 4.0x |" in text


def test_module_entry_point_reports_device_and_cuda_status():
    out = subprocess.run([sys.executable, "-m", "pyldl_gpu"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True, env={**os.environ, "PYLDL_DEVICE": "cpu"}).stdout
    assert "active device: cpu (NumPy" in out and "default dtype: float32" in out
    assert re.search(r"cuda: (usable|not usable: .+)", out)


SEED_ORDER = ("linear_regression", "nonlinear_classification", "multiclass_mlp", "autoencoder", "compression",
              "denoising", "latent_clustering", "cnn", "optimizers", "stacked_denoising", "digit_pairs", "faces",
              "grid_search")


def _env() -> dict:
    return {**os.environ, "PYLDL_DEVICE": "cpu", "PYLDL_DATA": str(DATA)}


def test_registry_has_the_seed_experiments_in_order():
    from experiments import Experiment, registry

    known = registry()
    assert tuple(known) == SEED_ORDER
    for name, experiment in known.items():
        assert isinstance(experiment, Experiment) and experiment.name == name
        assert experiment.module == f"experiments.{name}"  # one file each, registered when imported
        assert experiment.datasets and experiment.headline and experiment.title and experiment.seed_report


def test_register_keeps_one_description_per_name():
    from experiments import Experiment, get, register, registry

    def run(args, out):
        return {}

    registered = registry()["linear_regression"]
    other = Experiment(order=1, name="linear_regression", title="t", seed_report="s", datasets=("d",),
                       headline=("*",), run=run)
    with pytest.raises(ValueError, match="registered by both"):
        register(other)
    run.__module__ = "__main__"  # a script's own description is not registered
    assert register(other) is other and get("linear_regression") is registered


def test_no_sys_path_in_experiments():
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "experiments").rglob("*")
                 if path.is_file() and "__pycache__" not in path.parts and b"sys.path" in path.read_bytes()]
    assert not offenders


def test_script_by_absolute_path_writes_runs_under_the_working_directory(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "experiments" / "linear_regression.py"), "--quick", "--quiet"],
                   cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120, check=True)
    record = json.loads((tmp_path / "runs" / "linear_regression-quick" / "metrics.json").read_text())
    assert record["experiment"] == "linear_regression" and record["quick"] and record["metrics"]["test_r2"] > 0.95


def test_runner_from_another_working_directory(tmp_path):
    tracked = (ROOT / "experiments" / "RESULTS.md").read_bytes()
    for command in (["run", "linear_regression", "--quick", "--quiet"], ["results"]):
        subprocess.run([sys.executable, "-m", "experiments", *command], cwd=tmp_path, env=_env(),
                       capture_output=True, text=True, timeout=120, check=True)
    record = json.loads((tmp_path / "runs" / "linear_regression-quick" / "metrics.json").read_text())
    assert record["experiment"] == "linear_regression" and record["metrics"]["test_r2"] > 0.95
    assert (tmp_path / "runs" / "RESULTS.md").read_bytes() == tracked  # a quick run adds no row
    assert (ROOT / "experiments" / "RESULTS.md").read_bytes() == tracked


def test_script_run_as_main_leaves_one_registry(tmp_path):
    """A script is module __main__, and the runner imports it again as experiments.<name>: one registry, whose
    description comes from the package's module, and the run goes through it."""
    code = f"""
import runpy, sys
sys.argv = ["linear_regression.py", "--quick", "--quiet", "--out", {str(tmp_path / "out")!r}]
runpy.run_path({str(ROOT / "experiments" / "linear_regression.py")!r}, run_name="__main__")
from experiments import registry
known = registry()
print(len(known), known["linear_regression"].module,
      known["linear_regression"] is sys.modules["experiments.linear_regression"].EXPERIMENT)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.splitlines()[-1] == f"{len(SEED_ORDER)} experiments.linear_regression True"
    assert (tmp_path / "out" / "metrics.json").is_file()


def _row(title: str, dataset: str, ours: str) -> str:
    return f"| {title} | {dataset} | seed | {ours} | cpu | 1.0 s |"


def _record(folder: Path, name: str, title: str, dataset: str, metrics: dict, quick: bool = False) -> None:
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({
        "experiment": name, "title": title, "dataset": dataset, "quick": quick, "device": "cpu", "seed": 0,
        "wall_seconds": 2.0, "seed_report": "seed", "metrics": metrics}))


def test_results_keep_rows_without_runs_and_the_tracked_table_unless_written(tmp_path, capsys):
    from experiments.__main__ import main
    from experiments.results import COLUMNS

    kept = (_row("Linear regression with noise", "synthetic", "test_r2 0.9000"),
            _row("CNNs: Conv1D and Conv2D on USPS, LeNet-style on MNIST", "usps", "conv1d_accuracy 0.9000"))
    replaced = _row("Multiclass MLP", "digits", "test_accuracy 0.5000")
    table = tmp_path / "RESULTS.md"
    table.write_text(f"# Results\n\nan older header\n\n{COLUMNS}\n|---|---|---|---|---|---|\n"
                     f"{kept[0]}\n{replaced}\n{kept[1]}\n")
    before = table.read_bytes()
    runs = tmp_path / "runs"
    _record(runs / "multiclass_mlp", "multiclass_mlp", "Multiclass MLP", "digits", {"test_accuracy": 0.875})
    _record(runs / "faces", "faces", "Olivetti faces", "olivetti", {"pixels/identity_accuracy": 0.75})
    _record(runs / "cnn-quick", "cnn", "CNNs", "usps", {"conv1d_accuracy": 0.1}, quick=True)  # left out

    assert main(["results", "--runs", str(runs), "--table", str(table)]) == 0
    out = capsys.readouterr().out
    assert "2 rows kept, 1 updated, 1 added" in out and str(runs / "RESULTS.md") in out
    assert table.read_bytes() == before, "without --write the tracked table is untouched"
    text = (runs / "RESULTS.md").read_text()
    assert all(row in text for row in kept) and replaced not in text and "conv1d_accuracy 0.1" not in text
    assert "| Multiclass MLP | digits | DIY: USPS MLP 91.72 % | test_accuracy 0.8750 | cpu | 2.0 s |" in text
    assert "| pixels/identity_accuracy 0.7500 | cpu | 2.0 s |" in text
    lines = text.splitlines()
    body = itertools.takewhile(lambda line: line.startswith("| "), lines[lines.index(COLUMNS) + 2:])
    assert [line.split(" | ")[1] for line in body] == ["synthetic", "digits", "usps", "olivetti"], "runner's order"

    assert main(["results", "--runs", str(runs), "--table", str(table), "--write"]) == 0
    assert "2 rows kept, 1 updated, 1 added" in capsys.readouterr().out
    assert table.read_text() == text
    assert main(["results", "--runs", str(tmp_path / "no-runs"), "--table", str(table)]) == 0
    assert "4 rows kept, 0 updated, 0 added" in capsys.readouterr().out
    assert (tmp_path / "no-runs" / "RESULTS.md").read_text() == text


def _parsers():
    """Every parser of the runner (subcommands and each experiment under run), and each script's."""
    import argparse

    from experiments import registry
    from experiments.__main__ import build_parser
    from experiments._common import experiment_parser

    todo, seen = [build_parser(), *(experiment_parser(e) for e in registry().values())], []
    while todo:
        parser = todo.pop()
        seen.append(parser)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend(action.choices.values())
    return seen


def test_every_option_of_every_parser_has_help():
    import argparse

    parsers = _parsers()
    assert len(parsers) == 1 + 4 + 2 * len(SEED_ORDER)  # runner, its 4 commands, run NAME, the scripts
    missing = []
    for parser in parsers:
        for action in parser._actions:
            helps = [action.help]
            if isinstance(action, argparse._SubParsersAction):
                helps += [choice.help for choice in action._choices_actions]
            if not all(h and h.strip() for h in helps):
                missing.append(f"{parser.prog}: {action.option_strings or action.dest}")
    assert not missing


@pytest.mark.parametrize("argv", [[], ["list"], ["run"], ["run", "cnn"], ["all"], ["results"]])
def test_help_of_every_subcommand_exits_0(argv, capsys):
    from experiments.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith("usage: python -m experiments")
    if argv == ["run", "cnn"]:
        assert "--dataset {usps,mnist}" in out  # the experiment's data sets as the choices


def test_unknown_experiment_names_list_the_valid_ones():
    from experiments import UnknownExperimentError, get

    result = subprocess.run([sys.executable, "-m", "experiments", "run", "no_such"], cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no_such" in result.stderr
    assert all(name in result.stderr for name in SEED_ORDER)
    with pytest.raises(UnknownExperimentError, match="grid_search"):
        get("no_such")
