"""Train an MLP on scikit-learn's 8x8 digits (ships with scikit-learn: no download) and print test accuracy.

    python experiments/digits_mlp.py [--device cpu|cuda|auto] [--epochs N (100)] [--seed S] [--quiet]
"""

from __future__ import annotations

import argparse
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import pyldl_gpu as nn


def run(device: str = "cpu", epochs: int = 100, seed: int = 0, verbose: bool = True) -> dict[str, float]:
    """Train 64-256-ReLU-10 with Adam on 60 % of digits, early-stop on 20 %, test on the last 20 %."""
    nn.set_device(device)
    nn.manual_seed(seed)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int64")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.25, stratify=y_train,
                                                      random_state=seed)
    net = nn.Sequential(nn.Linear(64, 256, init="he"), nn.ReLU(), nn.Linear(256, 10))
    if verbose:
        net.summary()
    optimizer = nn.Adam(net, lr=1e-3)
    start = time.perf_counter()
    history = nn.Optim(net, nn.CrossEntropyLoss(), optimizer).fit(
        x_train, y_train, epochs=epochs, batch_size=32, validation_data=(x_val, y_val), metrics=["accuracy"],
        early_stopping=nn.EarlyStopping("val_loss", patience=15), verbose=verbose)
    seconds = time.perf_counter() - start
    test = nn.evaluate(net, x_test, y_test, nn.CrossEntropyLoss())
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"], "epochs": history.epochs,
            "train_seconds": seconds, "device": nn.get_device()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N or auto (default: $PYLDL_DEVICE or cpu)")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no summary table or progress bar")
    args = parser.parse_args()
    device = args.device or nn.get_device()
    result = run(device, args.epochs, args.seed, verbose=not args.quiet)
    print(f"digits MLP on {result['device']}: test accuracy {100 * result['test_accuracy']:.2f} % "
          f"(loss {result['test_loss']:.4f}) after {result['epochs']} epochs in {result['train_seconds']:.1f} s")


if __name__ == "__main__":
    main()
