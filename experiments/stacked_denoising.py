"""Experiment 10: a stacked denoising autoencoder. Layers 900-625-400 (as the MNIST report; 64-32-16 in
--quick) are pretrained greedily, one at a time, each as a denoising autoencoder with binomial masking noise,
tied weights (nn.TiedLinear: the decoder uses the encoder's own Parameter, transposed), a KL sparsity penalty
(rho 0.05, beta 0.5) and SGD with momentum. Then a 5-layer classifier starts from the pretrained layers and is
fine-tuned on a small labelled subset, next to the same net trained from scratch on the same subset."""

from __future__ import annotations

from pathlib import Path

import pyldl_gpu as nn
from experiments import _common as common
from experiments.experiment import Experiment, register
from pyldl_gpu import backends, datasets, plots

np = backends.host()

MASKING = 0.25  # fraction of inputs zeroed by the binomial masking noise
RHO, BETA = 0.05, 0.5


def pretrain_layer(codes, n_out: int, epochs: int, seed: int, verbose: bool):
    """One denoising autoencoder on ``codes`` (n, n_in) in [0, 1]; returns (encoder Linear, final BCE). Each
    epoch draws a fresh masking of the inputs; the target is the clean input."""
    encoder = nn.Linear(codes.shape[1], n_out)
    # the report's cost sums the reconstruction error over the n_in inputs; our BCE is their mean, so the same
    # objective divided by n_in has the sparsity weight beta / n_in (and a learning rate to match: 10 was the
    # best of 1, 10, 30 after 5 epochs)
    dae = nn.Sequential(encoder, nn.Sigmoid(), nn.KLSparsity(RHO, BETA / codes.shape[1]), nn.TiedLinear(encoder),
                        nn.Sigmoid())
    trainer = nn.Optim(dae, nn.BCELoss(), nn.SGD(dae, lr=10.0, momentum=0.9))
    clean = nn.asarray(codes)
    for epoch in range(epochs):
        noisy = datasets.binomial_mask(codes, MASKING, seed=seed * 1000 + epoch)
        history = trainer.fit(noisy, clean, epochs=1, batch_size=64, verbose=verbose,
                              label=f"denoising layer {codes.shape[1]}:{n_out}")
    return encoder, history["loss"][-1]


def encode(encoder, codes):
    return nn.to_numpy(nn.Sequential(encoder, nn.Sigmoid())(nn.asarray(codes)))


def classifier(sizes) -> nn.Sequential:
    layers = []
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1])] + ([nn.Sigmoid()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers)


def fine_tune(net, x, y, x_test, y_test, epochs: int, verbose: bool, label: str = "classifier") -> float:
    x_fit, y_fit, x_val, y_val = common.train_val(x, y, validation=0.2)
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=1e-3)).fit(
        x_fit, y_fit, epochs=epochs, batch_size=32, validation_data=(x_val, y_val), metrics=["accuracy"],
        early_stopping=nn.EarlyStopping("val_accuracy", patience=10), verbose=verbose, label=label)
    return nn.evaluate(net, x_test, y_test)["accuracy"]


def run(args, out: Path) -> dict:
    verbose = not args.quiet
    x_train, y_train, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    side = x_train.shape[1]
    x_train, x_test = common.flat(x_train), common.flat(x_test)
    hidden = (64, 32, 16) if args.quick else (900, 625, 400)
    unlabelled = x_train if args.quick else common.subset(x_train, y_train, 20_000, args.seed)[0]
    labelled = 300 if args.quick else 1000
    epochs = common.epochs(args, 10, 3)
    results, encoders, codes = {}, [], unlabelled
    for depth, n_out in enumerate(hidden, start=1):
        encoder, bce = pretrain_layer(codes, n_out, epochs, args.seed + depth, verbose)
        encoders.append(encoder)
        results[f"layer{depth}/reconstruction_bce"] = bce
        codes = encode(encoder, codes)
    x_small, y_small = common.subset(x_train, y_train, labelled, args.seed)
    sizes = (x_train.shape[1], *hidden, 10)
    pretrained = classifier(sizes)
    for layer, encoder in zip(pretrained[::2], encoders):  # Linear layers at even positions
        layer.weight.data[...] = encoder.weight.data
        layer.bias.data[...] = encoder.bias.data
    scratch = classifier(sizes)
    tune_epochs = common.epochs(args, 100, 30)
    results["finetuned_accuracy"] = fine_tune(pretrained, x_small, y_small, x_test, y_test, tune_epochs, verbose,
                                              label="fine-tuned classifier")
    results["scratch_accuracy"] = fine_tune(scratch, x_small, y_small, x_test, y_test, tune_epochs, verbose,
                                             label="classifier from scratch")
    results["labelled"] = len(y_small)
    results["unlabelled"] = len(unlabelled)
    filters = nn.to_numpy(encoders[0].weight.data).T[:64].reshape(-1, side, side)
    plots.image_grid(filters, out / "filters.png", "first pretrained layer: 64 of its filters")
    return results


EXPERIMENT = register(Experiment(
    order=10, name="stacked_denoising",
    title="Stacked denoising autoencoder: greedy pretraining with tied weights, then fine-tuning",
    seed_report="MNIST report: 900-625-400 pretraining took too long to finish; no accuracy reported",
    datasets=("mnist", "usps", "digits"),
    headline=("finetuned_accuracy", "scratch_accuracy", "labelled", "layer*/reconstruction_bce"),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
