"""Grid search: train one model per point of a parameter grid, in parallel, and rank them by validation score::

    grid = {"activation": ["relu", "tanh"], "hidden": [(64,), (128, 64)], "loss": ["ce", "mse"],
            "lr": [0.1, 0.01], "batch_size": [32, 128]}
    result = grid_search(MLPBuilder(64, 10), grid, (x_train, y_train), (x_val, y_val), epochs=20, n_jobs=2)
    print(result.table())          # markdown, best first
    result.save_best("best.npz")   # the best trial's weights (pyldl_gpu.load reads them)

Trials run through joblib: ``n_jobs`` worker processes on this machine (backend 'loky'), or, unchanged, on a
Dask cluster with ``backend='dask'`` while a ``dask.distributed.Client`` is active (dask is an optional extra).
Each trial's seed comes from the base seed and its parameters alone, so a trial gives the same result whatever
the order, the worker or the number of workers."""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

from . import backends
from .labels import one_hot
from .layers import Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from .losses import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .optimizers import SGD, Adam
from .training import Optim, evaluate, save
from .training.monitor import higher_is_better


@dataclass
class Trial:
    """One grid point: its parameters, seed, final validation scores, wall time and trained model."""

    params: dict
    seed: int
    scores: dict
    seconds: float
    model: Module | None = field(default=None, repr=False)


@dataclass
class GridResult:
    """Trials sorted best first by ``score`` (highest first when ``maximize``)."""

    trials: list[Trial]
    score: str
    maximize: bool

    @property
    def best(self) -> Trial:
        return self.trials[0]

    def table(self) -> str:
        """A markdown table, one row per trial, best first."""
        keys = list(self.trials[0].params)
        scores = list(self.trials[0].scores)
        lines = ["| rank | " + " | ".join(keys + scores) + " | seconds |", "|---" * (len(keys) + len(scores) + 2) + "|"]
        for rank, t in enumerate(self.trials, start=1):
            cells = [str(t.params[k]) for k in keys] + [f"{t.scores[s]:.4f}" for s in scores]
            lines.append(f"| {rank} | " + " | ".join(cells) + f" | {t.seconds:.2f} |")
        return "\n".join(lines) + "\n"

    def rows(self) -> list[tuple]:
        """(params, scores) of every trial, best first: what two runs compare to be the same search."""
        return [(t.params, t.scores) for t in self.trials]

    def save_best(self, path) -> Path:
        """Save the best trial's model (atomically, as pyldl_gpu.save does)."""
        save(self.best.model, path)
        return Path(path)


def grid_points(grid: Mapping[str, Sequence]) -> list[dict]:
    """Every combination of the grid's values, in the grid's key order."""
    if not grid:
        raise ValueError("grid_search: the grid is empty; give at least one parameter with its values")
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"grid_search: grid[{key!r}] must be a non-empty list of values, got {values!r}")
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in product(*(grid[k] for k in keys))]


def trial_seed(base_seed: int, params: dict) -> int:
    """A seed from the base seed and the parameters alone (stable across processes and Python runs)."""
    return (base_seed * 1_000_003 + zlib.crc32(repr(sorted(params.items())).encode())) % (2**31)


def run_trial(build: Callable, params: dict, train: tuple, validation: tuple, epochs: int, seed: int,
              device: str) -> Trial:
    """Train build(params) on ``train`` for ``epochs`` and score it on ``validation``: one grid point. It seeds
    the library's generators (manual_seed) in the process it runs in."""
    start = time.perf_counter()
    with backends.device(device):
        backends.manual_seed(seed)
        net, loss, optimizer = build(params)
        x, y = train
        xv, yv = validation
        labels = getattr(y, "ndim", 2) == 1 and y.dtype.kind in "iu"
        if labels and not isinstance(loss, (CrossEntropyLoss, NLLLoss)):
            classes = int(max(backends.host().max(y), backends.host().max(yv))) + 1  # regression losses on labels
            y, yv = one_hot(backends.asarray(y), classes), one_hot(backends.asarray(yv), classes)
        Optim(net, loss, optimizer).fit(x, y, epochs=epochs, batch_size=int(params.get("batch_size", 32)),
                                        verbose=False)
        scores = {"val_" + k: v for k, v in evaluate(net, xv, yv, loss=loss, metrics=["accuracy"]).items()}
    return Trial(dict(params), seed, scores, time.perf_counter() - start, net)


def grid_search(build: Callable[[dict], tuple], grid: Mapping[str, Sequence], train: tuple, validation: tuple, *,
                epochs: int = 10, score: str = "val_accuracy", maximize: bool | None = None, n_jobs: int = 1,
                backend: str | None = None, seed: int = 0, device: str | None = None, verbose: int = 0,
                save_best: str | Path | None = None) -> GridResult:
    """Train ``build(params) -> (net, loss, optimizer)`` at every grid point and rank by validation ``score``
    ('val_accuracy' or 'val_loss'). ``maximize`` None (the default) takes the direction from the score's name
    with EarlyStopping's 'auto' rule (training.monitor: 'val_accuracy' highest first, 'val_loss' lowest
    first); True or False says it outright. n_jobs / backend go to joblib.Parallel ('loky' processes by default;
    'dask' with an active dask.distributed Client). ``device`` (default: the active one) is where trials train."""
    from joblib import Parallel, delayed, parallel_config

    points = grid_points(grid)
    if maximize is None:
        maximize = higher_is_better(score)
    elif not isinstance(maximize, bool):
        raise TypeError(f"grid_search: maximize must be True, False or None (from the score's name), got {maximize!r}")
    device = device or backends.get_device()
    jobs = (delayed(run_trial)(build, p, train, validation, epochs, trial_seed(seed, p), device) for p in points)
    config = parallel_config(backend=backend) if backend else contextlib.nullcontext()
    with config:  # a context rather than Parallel(backend=): only the context also registers 'dask'
        trials = list(Parallel(n_jobs=n_jobs, verbose=verbose)(jobs))
    if score not in trials[0].scores:
        raise ValueError(f"grid_search: score {score!r} is not one of {sorted(trials[0].scores)}")
    trials.sort(key=lambda t: t.scores[score], reverse=maximize)
    result = GridResult(trials, score, maximize)
    if save_best is not None:
        result.save_best(save_best)
    return result


ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


@dataclass(frozen=True)
class MLPBuilder:
    """The PyLDL report's search space as a picklable builder: params 'hidden' (a tuple of layer sizes),
    'activation' ('relu' | 'tanh' | 'sigmoid'), 'loss' ('ce' | 'mse', the latter on a softmax output and
    one-hot targets), 'lr', optional 'optimizer' ('sgd' | 'adam', default sgd with momentum 0.9)."""

    n_in: int
    n_out: int

    def __call__(self, params: dict):
        act = ACTIVATIONS[params.get("activation", "relu")]
        sizes = (self.n_in, *params.get("hidden", (64,)), self.n_out)
        layers: list[Module] = []
        for i in range(len(sizes) - 1):
            layers.append(Linear(sizes[i], sizes[i + 1], init="he" if act is ReLU else "xavier"))
            if i < len(sizes) - 2:
                layers.append(act())
        loss_name = params.get("loss", "ce")
        if loss_name == "mse":
            layers.append(Softmax())
            loss = MSELoss()
        elif loss_name == "ce":
            loss = CrossEntropyLoss()
        else:
            raise ValueError(f"MLPBuilder: loss must be 'ce' or 'mse', got {loss_name!r}")
        net = Sequential(*layers)
        lr = float(params.get("lr", 0.01))
        optimizer = Adam(net, lr=lr) if params.get("optimizer") == "adam" else SGD(net, lr=lr, momentum=0.9)
        return net, loss, optimizer
