"""Experiment 9: optimizers on the LeNet-style CNN with a 12 000-image MNIST training subset. Mini-batch SGD
(weight decay 1e-4) with momentum 0.1 and 0.9, RMSProp (rho 0.9, eps 1e-6) and Adam train the same initial
weights on the same batches; test accuracy per epoch on one plot, and the epochs each needs to reach 97 %."""

from __future__ import annotations

from pathlib import Path

import pyldl_gpu as nn
from experiments import _common as common
from experiments.cnn import lenet
from experiments.experiment import Experiment, register
from pyldl_gpu import plots

TARGET = 0.97
TRAIN_SIZE = 12_000

OPTIMIZERS = {  # learning rates: the usual defaults; SGD's effective step lr / (1 - momentum) is 0.056 and 0.1
    "sgd-momentum-0.1": lambda net: nn.SGD(net, lr=0.05, momentum=0.1, weight_decay=1e-4),
    "sgd-momentum-0.9": lambda net: nn.SGD(net, lr=0.01, momentum=0.9, weight_decay=1e-4),
    "rmsprop": lambda net: nn.RMSProp(net, lr=1e-3, rho=0.9, eps=1e-6),
    "adam": lambda net: nn.Adam(net, lr=1e-3),
}


def epochs_to(accuracies: list[float], target: float) -> int:
    """The first epoch (1-based) whose accuracy reaches ``target``; -1 when none does."""
    return next((epoch for epoch, value in enumerate(accuracies, start=1) if value >= target), -1)


def run(args, out: Path) -> dict:
    x_train, y_train, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    if len(y_train) > TRAIN_SIZE:
        x_train, y_train = common.subset(x_train, y_train, TRAIN_SIZE, args.seed)
    x_train, x_test = x_train[..., None], x_test[..., None]  # channels-last
    epochs = common.epochs(args, 15, 2)
    results, curves = {}, {}
    for name, make in OPTIMIZERS.items():
        nn.manual_seed(args.seed)  # the same initial weights and the same batch order for every optimizer
        net = lenet()
        history = nn.Optim(net, nn.CrossEntropyLoss(), make(net)).fit(
            x_train, y_train, epochs=epochs, batch_size=64, validation_data=(x_test, y_test), metrics=["accuracy"],
            verbose=not args.quiet, label=f"LeNet, {name}")
        curves[name] = history["val_accuracy"]
        results[f"{name}/test_accuracy"] = history["val_accuracy"][-1]
        results[f"{name}/epochs_to_97"] = epochs_to(history["val_accuracy"], TARGET)
    plots.compare_curves(curves, out / "test-accuracy.png", "test accuracy",
                         f"LeNet-style CNN, {len(y_train)} MNIST training images", target=TARGET)
    results["train_images"] = len(y_train)
    return results


EXPERIMENT = register(Experiment(
    order=9, name="optimizers", title="Optimizers on the LeNet-style CNN (MNIST, 12 000 training images)",
    seed_report="MNIST report: SGD with momentum 0.1 / 0.9, RMSProp and Adam compared by test-accuracy curves",
    datasets=("mnist",), headline=("*/test_accuracy", "*/epochs_to_97"),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
