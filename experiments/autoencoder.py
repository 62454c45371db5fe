"""Experiment 4: autoencoder reconstruction, the DIY report's four combinations: MSE vs BCE loss, simple
(one hidden layer) vs deep (three hidden layers)."""

from __future__ import annotations

from pathlib import Path

import pyldl_gpu as nn
from experiments import _common as common
from experiments.experiment import Experiment, register
from pyldl_gpu import metrics, plots


def run(args, out: Path) -> dict:
    x_train, _, x_test, _ = common.load_images(args.dataset, args.quick, args.seed)
    d = x_train[0].size
    shapes = {"simple": [d, 64], "deep": [d, 256, 128, 64]}
    results = {}
    for depth, sizes in shapes.items():
        for loss_name, loss in (("mse", nn.MSELoss()), ("bce", nn.BCELoss())):
            nn.manual_seed(args.seed)
            net = common.autoencoder(sizes)
            nn.Optim(net, loss, nn.Adam(net, lr=2e-3)).fit(
                common.flat(x_train), common.flat(x_train), epochs=common.epochs(args, 30, 3), batch_size=64,
                verbose=not args.quiet, label=f"{depth} autoencoder ({loss_name})")
            output = nn.to_numpy(nn.predict(net, common.flat(x_test))).reshape(x_test.shape)
            key = f"{depth}-{loss_name}"
            results[f"{key}/test_mse"] = float(((output - x_test) ** 2).mean())
            results[f"{key}/psnr"] = metrics.psnr(x_test, output)
            plots.reconstructions(x_test, output, out / f"reconstructions-{key}.png",
                                  title=f"{args.dataset}, {depth} autoencoder, {loss_name.upper()} loss")
    return results


EXPERIMENT = register(Experiment(
    order=4, name="autoencoder", title="Autoencoder reconstruction: MSE vs BCE, simple vs deep",
    seed_report="DIY: the four combinations shown as figures, no number in the issue",
    datasets=("usps", "mnist", "digits"), headline=("*/psnr",),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
