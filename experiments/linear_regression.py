"""Experiment 1: linear regression with noise, learned by one Linear layer and SGD."""

from __future__ import annotations

from pathlib import Path

import pyldl_gpu as nn
from experiments import _common as common
from experiments.experiment import Experiment, register
from pyldl_gpu import datasets, plots


def run(args, out: Path) -> dict:
    np = common.np
    x, y, w, b = datasets.make_linear_regression(2000, 5, noise=0.1, seed=args.seed)
    x_train, y_train, x_test, y_test = x[:1500], y[:1500], x[1500:], y[1500:]
    net = nn.Sequential(nn.Linear(5, 1))
    history = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.05, momentum=0.9)).fit(
        x_train, y_train, epochs=common.epochs(args, 50, 10), batch_size=32, validation_data=(x_test, y_test),
        verbose=not args.quiet, label="linear regression")
    pred = nn.to_numpy(nn.predict(net, x_test))
    r2 = 1.0 - float(((pred - y_test) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum())
    plots.training_curves(history, out / "curves.png", "linear regression: MSE")
    return {"test_r2": r2, "test_mse": float(((pred - y_test) ** 2).mean()), "noise_variance": 0.01,
            "weight_error": float(np.abs(nn.to_numpy(net[0].weight.data) - w).max()),
            "bias_error": abs(float(nn.to_numpy(net[0].bias.data)[0]) - b)}


EXPERIMENT = register(Experiment(
    order=1, name="linear_regression", title="Linear regression with noise",
    seed_report="no figure given in the issue",
    datasets=("synthetic",), headline=("test_r2", "weight_error"),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
