"""Experiment 3: multiclass MLPs on digits, USPS and MNIST, with confusion matrices."""

from __future__ import annotations

from pathlib import Path

from experiments import _common as common
from experiments.experiment import Experiment, register
from pyldl_gpu import metrics, plots
from pyldl_gpu.training import predict


def run(args, out: Path) -> dict:
    x_train, y_train, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    hidden = (256,) if args.dataset == "digits" else (512, 256)
    net, accuracy, history = common.train_classifier(x_train, y_train, x_test, y_test, hidden=hidden,
                                                     epochs_=common.epochs(args, 60, 10), verbose=not args.quiet)
    plots.training_curves(history, out / "curves.png", f"{args.dataset} MLP")
    plots.confusion(metrics.confusion_matrix(y_test, predict(net, common.flat(x_test))), out / "confusion.png",
                    f"{args.dataset} MLP: test accuracy {100 * accuracy:.2f} %")
    return {"test_accuracy": accuracy, "epochs": history.epochs}


EXPERIMENT = register(Experiment(
    order=3, name="multiclass_mlp", title="Multiclass MLP",
    seed_report="DIY: USPS MLP 91.72 %",
    datasets=("digits", "usps", "mnist"), headline=("test_accuracy", "epochs"),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
