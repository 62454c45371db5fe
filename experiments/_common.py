"""What every experiment shares: the command line, data loading, standard networks, and writing results.

An experiment module ends with one ``EXPERIMENT = register(Experiment(...))`` (see ``experiments.experiment``)
and ``if __name__ == "__main__": main(EXPERIMENT)``. ``main`` parses
    --device cpu|cuda|auto   --dataset NAME   --epochs N   --quick   --out DIR   --seed S   --quiet
and ``run_experiment`` runs it with a progress bar, prints a summary and writes DIR/metrics.json (figures go
to DIR as PNG); the runner's ``run NAME`` and ``all`` call the same two functions."""

from __future__ import annotations

import argparse
import inspect
import json
import platform
import time
from pathlib import Path

import pyldl_gpu as nn
from experiments.experiment import Experiment, get
from pyldl_gpu import backends, datasets

np = backends.host()
ROOT = Path(__file__).resolve().parent


def run_folder(experiment: Experiment, dataset: str, quick: bool) -> str:
    """The output folder's name: <name>[-dataset][-quick], the data set only when it is not the default."""
    suffix = "" if dataset == experiment.datasets[0] else f"-{dataset}"
    return experiment.name + suffix + ("-quick" if quick else "")


def add_options(parser: argparse.ArgumentParser, experiment: Experiment | None = None,
                out_help: str | None = None) -> argparse.ArgumentParser:
    """The options of one run. With ``experiment``, --dataset with its data sets as the choices; without one
    (the runner's ``all``: every experiment on its default data set), no --dataset and ``out_help`` says
    what --out means."""
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N or auto (default: $PYLDL_DEVICE or cpu)")
    if experiment is not None:
        parser.add_argument("--dataset", default=experiment.datasets[0], choices=experiment.datasets,
                            help=f"the data set (default {experiment.datasets[0]})")
    parser.add_argument("--epochs", type=int, default=None, metavar="N",
                        help="override the experiment's number of epochs")
    parser.add_argument("--quick", action="store_true", help="a small, fast run (CI)")
    default = f"runs/{experiment.name}[-DATASET][-quick]" if experiment else "runs/NAME[-quick]"
    parser.add_argument("--out", default=None, metavar="DIR",
                        help=out_help or f"output folder (default {default}, under the current directory)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def experiment_parser(experiment: Experiment, parser: argparse.ArgumentParser | None = None):
    """The command line of one experiment: a new parser (the script's), or ``parser`` filled (``run NAME``)."""
    if parser is None:
        parser = argparse.ArgumentParser(prog=f"python experiments/{experiment.name}.py", description=experiment.title)
    return add_options(parser, experiment)


def registered(experiment: Experiment) -> Experiment:
    """The registered description of ``experiment``. A script's own (module ``__main__``, not registered) is
    replaced by the one the package imports from the same file; from another file (another checkout than the
    installed one) is an error."""
    if experiment.module != "__main__":
        return experiment
    known = get(experiment.name)
    script, source = (Path(inspect.getfile(e.run)).resolve() for e in (experiment, known))
    if script != source:
        raise SystemExit(f"{script} is not the file the installed package `experiments` runs ({source}); "
                         "install this checkout with `pip install -e .` from its root")
    return known


def run_experiment(experiment: Experiment, args: argparse.Namespace) -> dict:
    """Run ``experiment`` with the parsed command line, write metrics.json, print a summary; returns the record."""
    if args.device:
        nn.set_device(args.device)
    nn.manual_seed(args.seed)
    out = Path(args.out or Path("runs") / run_folder(experiment, args.dataset, args.quick))
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results = experiment.run(args, out)
    record = {"experiment": experiment.name, "title": experiment.title, "dataset": args.dataset, "quick": args.quick,
              "device": nn.get_device(), "seed": args.seed, "wall_seconds": round(time.perf_counter() - start, 1),
              "machine": platform.processor() or platform.machine(), "seed_report": experiment.seed_report,
              "metrics": results}
    (out / "metrics.json").write_text(json.dumps(record, indent=2, default=float))
    print(f"{experiment.title} [{args.dataset}, {nn.get_device()}, {record['wall_seconds']} s]")
    for key, value in results.items():
        print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}")
    print(f"  results in {out}/")
    return record


def main(experiment: Experiment, argv: list[str] | None = None) -> dict:
    """A script's entry point: parse the command line, run the (registered) experiment; returns the record."""
    experiment = registered(experiment)
    return run_experiment(experiment, experiment_parser(experiment).parse_args(argv))


def epochs(args, full: int, quick: int) -> int:
    return args.epochs if args.epochs is not None else (quick if args.quick else full)


def load_images(name: str, quick: bool, seed: int = 0):
    """(x_train, y_train, x_test, y_test) of 'digits', 'usps' or 'mnist' as float32 images (n, H, W) in [0, 1].
    digits has no official split: a stratified 80/20 one. quick keeps a small stratified part of each split."""
    if name == "digits":
        x, y = datasets.load_digits()
        x_train, y_train, _, _, x_test, y_test = datasets.stratified_split(x, y, test=0.2, seed=seed)
    elif name == "usps":
        x_train, y_train, x_test, y_test = datasets.load_usps()
    elif name == "mnist":
        (x_train, y_train), (x_test, y_test) = datasets.load_mnist("train"), datasets.load_mnist("test")
    else:
        raise ValueError(f"unknown data set {name!r}")
    if quick:
        x_train, y_train = subset(x_train, y_train, 3000, seed)
        x_test, y_test = subset(x_test, y_test, 1000, seed)
    return x_train, y_train, x_test, y_test


def subset(x, y, n: int, seed: int):
    """A stratified part of n samples (all of them when there are fewer)."""
    if len(y) <= n:
        return x, y
    _, _, _, _, x_part, y_part = datasets.stratified_split(x, y, test=n / len(y), seed=seed)
    return x_part, y_part


def flat(x):
    return x.reshape(len(x), -1)


def mlp(sizes, activation=nn.ReLU, init: str = "xavier", output=None) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them and an optional output module."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1], init=init))
        if i < len(sizes) - 2:
            layers.append(activation())
    if output is not None:
        layers.append(output)
    return nn.Sequential(*layers)


def autoencoder(sizes, activation=nn.ReLU, code_activation=nn.Tanh) -> nn.AutoEncoder:
    """Symmetric autoencoder: encoder sizes[0] -> ... -> sizes[-1] with ``activation`` between layers and a
    bounded ``code_activation`` on the code (no dead code units), mirrored decoder, Sigmoid output."""
    encoder = mlp(sizes, activation, init="he", output=code_activation())
    decoder = mlp(list(reversed(sizes)), activation, init="he", output=nn.Sigmoid())
    return nn.AutoEncoder(encoder, decoder)


def train_classifier(x_train, y_train, x_test, y_test, hidden=(256,), epochs_: int = 30, lr: float = 1e-3,
                     verbose: bool = True, batch_size: int = 64):
    """An MLP classifier on flattened inputs, Adam, early stopping on a 10 % validation split.
    Returns (net, test accuracy, history)."""
    x_fit, y_fit, x_val, y_val = train_val(flat(x_train), y_train)
    net = mlp([x_fit.shape[1], *hidden, int(y_train.max()) + 1], nn.ReLU, init="he")
    history = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=lr)).fit(
        x_fit, y_fit, epochs=epochs_, batch_size=batch_size, validation_data=(x_val, y_val), metrics=["accuracy"],
        early_stopping=nn.EarlyStopping("val_loss", patience=8), verbose=verbose,
        label=f"MLP classifier {x_fit.shape[1]}-{'-'.join(map(str, hidden))}")
    return net, nn.evaluate(net, flat(x_test), y_test)["accuracy"], history


def train_val(x, y, validation: float = 0.1, seed: int = 0):
    """(x_fit, y_fit, x_val, y_val): a stratified validation part held out of the training set."""
    x_fit, y_fit, _, _, x_val, y_val = datasets.stratified_split(x, y, validation=0.0, test=validation, seed=seed)
    return x_fit, y_fit, x_val, y_val
