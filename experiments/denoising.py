"""Experiment 6: denoising autoencoders under Gaussian and salt-and-pepper noise.

A classifier trained on clean images is tested on clean, noisy and denoised test images; KL divergence and
PSNR measure how close the noisy and denoised sets are to the clean one."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyldl_gpu as nn
from experiments import _common as common
from pyldl_gpu import datasets, metrics, plots

NAME = "denoising"
TITLE = "Denoising autoencoders: classifier accuracy on clean, noisy and denoised images"
SEED_REPORT = "PyLDL: denoised 96.06 % vs clean 96.13 % only at small noise"
DATASETS = ("digits", "usps", "mnist")
HEADLINE = ("accuracy_clean", "gauss-0.4/accuracy_*", "gauss-0.3/accuracy_denoised", "sp-30/accuracy_denoised",
            "gauss-0.4/kl_*")  # metrics shown in RESULTS.md (fnmatch patterns)
NOISES = {"gauss-0.3": ("gaussian", 0.3), "gauss-0.4": ("gaussian", 0.4), "sp-10": ("salt_pepper", 0.1),
          "sp-30": ("salt_pepper", 0.3), "sp-50": ("salt_pepper", 0.5), "sp-80": ("salt_pepper", 0.8)}
QUICK_NOISES = ("gauss-0.4", "sp-30")


def corrupt(x, kind: str, level: float, seed: int):
    return datasets.gaussian_noise(x, level, seed) if kind == "gaussian" else datasets.salt_and_pepper(x, level, seed)


def run(args, out: Path) -> dict:
    verbose = not args.quiet
    x_train, y_train, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    d = x_train[0].size
    classifier, clean_accuracy, _ = common.train_classifier(x_train, y_train, x_test, y_test,
                                                            epochs_=common.epochs(args, 60, 15), verbose=verbose)
    results = {"accuracy_clean": clean_accuracy}
    copies = 2 if args.quick else 5
    for key in (QUICK_NOISES if args.quick else NOISES):
        kind, level = NOISES[key]
        noisy_train = common.np.concatenate([corrupt(x_train, kind, level, args.seed + 1 + c) for c in range(copies)])
        clean_train = common.np.concatenate([x_train] * copies)
        net = common.autoencoder([d, 256, 128])
        nn.Optim(net, nn.BCELoss(), nn.Adam(net, lr=2e-3)).fit(
            common.flat(noisy_train), common.flat(clean_train), epochs=common.epochs(args, 40, 6), batch_size=64,
            verbose=verbose)
        noisy_test = corrupt(x_test, kind, level, args.seed + 99)
        denoised = nn.to_numpy(nn.predict(net, common.flat(noisy_test))).reshape(x_test.shape)
        results[f"{key}/accuracy_noisy"] = nn.evaluate(classifier, common.flat(noisy_test), y_test)["accuracy"]
        results[f"{key}/accuracy_denoised"] = nn.evaluate(classifier, common.flat(denoised), y_test)["accuracy"]
        results[f"{key}/kl_noisy"] = metrics.kl_divergence(x_test, noisy_test)
        results[f"{key}/kl_denoised"] = metrics.kl_divergence(x_test, denoised)
        results[f"{key}/psnr_noisy"] = metrics.psnr(x_test, noisy_test)
        results[f"{key}/psnr_denoised"] = metrics.psnr(x_test, denoised)
        plots.reconstructions(x_test, denoised, out / f"denoised-{key}.png", noisy=noisy_test,
                              title=f"{args.dataset}, {key}: original / noisy / denoised / error")
    return results


if __name__ == "__main__":
    common.main(sys.modules[__name__])
