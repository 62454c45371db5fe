"""The seed reports' experiments, run on pyldl_gpu.

NEEDS A SOURCE CHECKOUT. This package is not part of the pyldl_gpu library: it lives beside it in the
repository, with its results table (RESULTS.md) and committed GPU runs (gpu-runs/), and its name is generic.
Install the checkout editable (``pip install -e .`` from the repository root, which adds ``experiments`` to the
installed packages) and run it from any directory::

    python -m experiments list | run NAME [options] | all [options] | results [--write]
    python /path/to/checkout/experiments/<name>.py [--device] [--dataset] [--epochs] [--quick] [--out] [--seed]

Runs write under ``runs/`` of the current directory. Each experiment is one module that ends with one
``EXPERIMENT = register(Experiment(...))`` (``experiments.experiment``); :func:`registry` imports the package's
modules and returns them in the seed reports' order, so adding an experiment is adding one file."""

from experiments.experiment import Experiment, UnknownExperimentError, get, register, registry

__all__ = ["Experiment", "UnknownExperimentError", "get", "register", "registry"]
