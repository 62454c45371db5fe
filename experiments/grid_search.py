"""Experiment 13: the PyLDL report's grid search over activation, layer sizes, loss, learning rate and batch
size, with pyldl_gpu.tuning.grid_search: trials in parallel worker processes (joblib), ranked by validation
accuracy; the best trial's model is saved as trained and scored once on the test split."""

from __future__ import annotations

import os
from pathlib import Path

import pyldl_gpu as nn
from experiments import _common as common
from experiments.experiment import Experiment, register
from pyldl_gpu import datasets, plots
from pyldl_gpu.tuning import MLPBuilder, grid_search

GRID = {"activation": ["relu", "tanh", "sigmoid"], "hidden": [(64,), (128, 64)], "loss": ["ce", "mse"],
        "lr": [0.1, 0.01], "batch_size": [32, 128]}
QUICK_GRID = {"activation": ["relu", "tanh"], "hidden": [(32,)], "loss": ["ce", "mse"], "lr": [0.05],
              "batch_size": [32]}


def run(args, out: Path) -> dict:
    x_train, y_train, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    x_train, x_test = common.flat(x_train), common.flat(x_test)
    x_fit, y_fit, _, _, x_val, y_val = datasets.stratified_split(x_train, y_train, test=0.2, seed=args.seed)
    grid = QUICK_GRID if args.quick else GRID
    result = grid_search(MLPBuilder(x_train.shape[1], 10), grid, (x_fit, y_fit), (x_val, y_val),
                         epochs=common.epochs(args, 20, 3), n_jobs=min(4, os.cpu_count() or 1), seed=args.seed,
                         verbose=0 if args.quiet else 5, save_best=out / "best-model.npz")
    (out / "grid.md").write_text(result.table())
    print(result.table() if not args.quiet else "", end="")
    best = result.best
    test_accuracy = nn.evaluate(best.model, x_test, y_test)["accuracy"]
    plots.compare_curves({"validation accuracy, best first": [t.scores["val_accuracy"] for t in result.trials]},
                         out / "ranking.png", "validation accuracy", f"{len(result.trials)} trials on {args.dataset}",
                         xlabel="rank")
    results = {f"best_{key}": str(value) for key, value in best.params.items()}
    results.update(best_val_accuracy=best.scores["val_accuracy"], trials=len(result.trials),
                   test_accuracy=test_accuracy)
    return results


EXPERIMENT = register(Experiment(
    order=13, name="grid_search", title="Grid search over activation, layer sizes, loss, learning rate and batch size",
    seed_report="PyLDL: a grid search over the same five choices (its table has no figure quoted in the issue)",
    datasets=("digits", "usps"), headline=("best_*", "trials", "test_accuracy"),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
