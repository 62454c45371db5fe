"""Experiment scripts: each runs as `python experiments/<name>.py [--device] [--dataset] [--epochs] [--quick]
[--out] [--seed]`, or through the runner `python -m experiments list | run NAME | all | results`."""

REGISTRY = (
    "linear_regression", "nonlinear_classification", "multiclass_mlp", "autoencoder", "compression",
    "denoising", "latent_clustering", "cnn", "optimizers", "stacked_denoising", "digit_pairs", "faces", "grid_search",
)
