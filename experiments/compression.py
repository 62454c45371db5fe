"""Experiment 5: compression at several latent sizes (784:64/16/8/6 on MNIST, 256:4 on USPS): compression
ratio, reconstruction quality, and a classifier trained on the latent codes."""

from __future__ import annotations

from pathlib import Path

import pyldl_gpu as nn
from experiments import _common as common
from experiments.experiment import Experiment, register
from pyldl_gpu import metrics, plots

LATENTS = {"mnist": (64, 16, 8, 6), "usps": (4,)}


def run(args, out: Path) -> dict:
    x_train, y_train, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    d = x_train[0].size
    latents = LATENTS[args.dataset] if not args.quick else LATENTS[args.dataset][-2:]
    results = {}
    for size in latents:
        nn.manual_seed(args.seed)
        net = common.autoencoder([d, 256, 64, size])
        nn.Optim(net, nn.BCELoss(), nn.Adam(net, lr=2e-3)).fit(
            common.flat(x_train), common.flat(x_train), epochs=common.epochs(args, 30, 3), batch_size=64,
            verbose=not args.quiet, label=f"autoencoder {d}:{size}")
        net.eval()
        codes_train = nn.to_numpy(net.encode(nn.asarray(common.flat(x_train))))
        codes_test = nn.to_numpy(net.encode(nn.asarray(common.flat(x_test))))
        output = nn.to_numpy(net.decode(nn.asarray(codes_test))).reshape(x_test.shape)
        _, accuracy, _ = common.train_classifier(codes_train, y_train, codes_test, y_test, hidden=(64,),
                                                 epochs_=common.epochs(args, 60, 10), verbose=not args.quiet)
        key = f"{d}:{size}"
        results[f"{key}/compression_ratio"] = metrics.compression_ratio(d, size)
        results[f"{key}/psnr"] = metrics.psnr(x_test, output)
        results[f"{key}/latent_classifier_accuracy"] = accuracy
        plots.reconstructions(x_test, output, out / f"reconstructions-{size}.png",
                              title=f"{args.dataset} {key} (ratio {d / size:.0f})")
    return results


EXPERIMENT = register(Experiment(
    order=5, name="compression", title="Compression: latent size, reconstruction, and a classifier on the codes",
    seed_report="NNDIY: a 784:8 latent classifier (its figure is not quoted in the issue)",
    datasets=("mnist", "usps"), headline=("*/latent_classifier_accuracy", "*/psnr"),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
