"""Experiment 2: nonlinear binary classification (the EPFL study): Gaussian blobs and the circle in the square;
ReLU vs Tanh, Xavier vs uniform initialisation, batch sizes; decision boundaries with misclassified points."""

from __future__ import annotations

from pathlib import Path

import pyldl_gpu as nn
from experiments import _common as common
from experiments.experiment import Experiment, register
from pyldl_gpu import datasets, plots


def data(name: str, n: int, seed: int):
    if name == "circle":
        return datasets.make_circle_in_square(n, seed)
    return datasets.make_blobs(n, centers=2, spread=1.0, distance=3.0, seed=seed)


def train(x, y, activation, init: str, batch: int, epochs: int, verbose: bool):
    net = common.mlp([2, 25, 25, 25, 2], activation, init=init)
    adam = nn.Adam(net, lr=3e-3)
    nn.Optim(net, nn.CrossEntropyLoss(), adam).fit(x, y, epochs=epochs, batch_size=batch,
                                                   scheduler=nn.CosineAnnealingLR(adam, epochs), verbose=verbose,
                                                   label=f"MLP {activation.__name__}, {init}, batch {batch}")
    return net


def run(args, out: Path) -> dict:
    n = 2000 if args.quick else 4000
    x_train, y_train = data(args.dataset, n, args.seed)
    x_test, y_test = data(args.dataset, 2000, args.seed + 1)
    n_epochs = common.epochs(args, 150, 30)
    variants = [("relu", nn.ReLU, "xavier", 32), ("tanh", nn.Tanh, "xavier", 32), ("relu-uniform", nn.ReLU,
                "uniform", 32), ("relu-batch8", nn.ReLU, "xavier", 8), ("relu-batch256", nn.ReLU, "xavier", 256)]
    if args.quick:
        variants = variants[:2]
    results, best = {}, (1.0, None, "")
    for label, activation, init, batch in variants:
        nn.manual_seed(args.seed)
        net = train(x_train, y_train, activation, init, batch, n_epochs, not args.quiet)
        error = 1.0 - nn.evaluate(net, x_test, y_test)["accuracy"]
        results[f"{label}/test_error"] = error
        if error < best[0]:
            best = (error, net, label)
    results["best_test_error"], results["best_variant"] = best[0], best[2]
    plots.decision_boundary(best[1], x_test, y_test, out / "decision-boundary.png",
                            f"{args.dataset}, {best[2]}: test error {100 * best[0]:.2f} %")
    return results


EXPERIMENT = register(Experiment(
    order=2, name="nonlinear_classification", title="Nonlinear binary classification: blobs and circle-in-square",
    seed_report="EPFL study: no figure in the issue; our target is < 1 % error on circle-in-square",
    datasets=("circle", "blobs"), headline=("best_test_error", "best_variant", "*/test_error"),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
