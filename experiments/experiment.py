"""What an experiment is, and the registry the runner finds them in.

Each experiment module ends with ONE description::

    EXPERIMENT = register(Experiment(order=1, name="linear_regression", title=..., seed_report=...,
                                     datasets=("synthetic",), headline=("test_r2",), run=run))

and the runner finds every experiment by importing the modules of the ``experiments`` package
(:func:`registry`): adding an experiment is adding one file. The registry is ordered by ``order``, then by name.

A module run as a script (``python experiments/<name>.py``) is named ``__main__``, and the runner's import of
``experiments.<name>`` is a second module object with a second description. Only the package's module
registers: :func:`register` leaves a ``__main__`` description out of the registry, and the script's
``main(EXPERIMENT)`` runs the registered description of the same name (see ``_common.main``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE = __name__.rpartition(".")[0] or "experiments"


@dataclass(frozen=True)
class Experiment:
    """One experiment, as the runner, the command line and the results table see it.

    order: its place in the runner's list and in ``all`` (the seed reports' order).
    name: the command-line name and the default output folder, ``runs/<name>[-dataset][-quick]``.
    title: one line; the results table's first column.
    seed_report: the seed report's figure (text) the results table puts next to ours.
    datasets: the data sets ``--dataset`` accepts; the first is the default.
    headline: fnmatch patterns of the metrics shown in the results table (metrics.json has all of them).
    run: ``run(args, out) -> dict`` of metrics; ``args`` is the parsed command line, ``out`` the output folder.
    """

    order: int
    name: str
    title: str
    seed_report: str
    datasets: tuple[str, ...]
    headline: tuple[str, ...]
    run: Callable[[Any, Path], dict]

    def __post_init__(self):
        if not self.datasets:
            raise ValueError(f"experiment {self.name!r} needs at least one data set")

    @property
    def module(self) -> str:
        """The name of the module that defines ``run``."""
        return self.run.__module__


class UnknownExperimentError(LookupError):
    """A name that no experiment module registers."""


_REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry and return it. A description from a module run as a script
    (``__main__``) is returned but not registered: the package's import of the same file registers it. Two
    modules registering one name is an error; re-importing the same module replaces its description."""
    if experiment.module == "__main__":
        return experiment
    known = _REGISTRY.get(experiment.name)
    if known is not None and known.module != experiment.module:
        raise ValueError(f"experiment {experiment.name!r} registered by both {known.module} and {experiment.module}")
    _REGISTRY[experiment.name] = experiment
    return experiment


def discover() -> None:
    """Import every public module of the package; the experiment modules register themselves."""
    package = sys.modules.get(PACKAGE) or importlib.import_module(PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{PACKAGE}.{info.name}")


def registry() -> dict[str, Experiment]:
    """Every experiment, name -> description, in the documented order (``order``, then name)."""
    discover()
    return {e.name: e for e in sorted(_REGISTRY.values(), key=lambda e: (e.order, e.name))}


def get(name: str) -> Experiment:
    """The registered description called ``name`` (its module is imported if need be); an unknown name raises
    UnknownExperimentError, which lists the valid ones."""
    if name not in _REGISTRY and name.isidentifier():
        try:
            importlib.import_module(f"{PACKAGE}.{name}")
        except ModuleNotFoundError as error:  # no such module; an import failing inside one is raised
            if error.name != f"{PACKAGE}.{name}":
                raise
    if name not in _REGISTRY:
        known = registry()
        if name not in known:
            raise UnknownExperimentError(f"unknown experiment {name!r}; choose one of: {', '.join(known)}")
    return _REGISTRY[name]
