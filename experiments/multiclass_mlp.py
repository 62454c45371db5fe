"""Experiment 3: multiclass MLPs on digits, USPS and MNIST, with confusion matrices."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments import _common as common
from pyldl_gpu import metrics, plots
from pyldl_gpu.training import predict

NAME = "multiclass_mlp"
TITLE = "Multiclass MLP"
SEED_REPORT = "DIY: USPS MLP 91.72 %"
DATASETS = ("digits", "usps", "mnist")
HEADLINE = ("test_accuracy", "epochs")  # metrics shown in RESULTS.md (fnmatch patterns)


def run(args, out: Path) -> dict:
    x_train, y_train, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    hidden = (256,) if args.dataset == "digits" else (512, 256)
    net, accuracy, history = common.train_classifier(x_train, y_train, x_test, y_test, hidden=hidden,
                                                     epochs_=common.epochs(args, 60, 10), verbose=not args.quiet)
    plots.training_curves(history, out / "curves.png", f"{args.dataset} MLP")
    plots.confusion(metrics.confusion_matrix(y_test, predict(net, common.flat(x_test))), out / "confusion.png",
                    f"{args.dataset} MLP: test accuracy {100 * accuracy:.2f} %")
    return {"test_accuracy": accuracy, "epochs": history.epochs}


if __name__ == "__main__":
    common.main(sys.modules[__name__])
