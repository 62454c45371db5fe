"""save / load of a model's parameters (and an optimizer's state) as .npz, written atomically."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from .. import backends
from ..exceptions import CheckpointError
from ..module import Module
from ..optimizers.optimizer import Optimizer
from .snapshot import BUFFER, PARAM, named_state

_OPTIM = "optim/"


def save(net: Module, path: str | os.PathLike, optimizer: Optimizer | None = None) -> Path:
    """Write every parameter (and the optimizer's state) to ``path`` as .npz.

    The file is written to a temporary file in the same folder, flushed to disk, then renamed over ``path``:
    a crash mid-save leaves the previous file intact. Returns the path written."""
    path = Path(path)
    arrays = named_state(net)
    if optimizer is not None:
        xp = backends.host()
        for key, value in optimizer.state_dict().items():
            arrays[_OPTIM + key] = xp.asarray(value) if key in ("steps", "lr") else value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            backends.save_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(net: Module, path: str | os.PathLike, optimizer: Optimizer | None = None) -> Module:
    """Load parameters saved by ``save`` onto the active device, in place; returns ``net``.

    Every parameter must be present with the same shape: a mismatch names the parameter and both shapes,
    and nothing is changed unless everything fits."""
    path = Path(path)
    try:
        saved = backends.load_npz(path)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise CheckpointError(f"{path}: not a readable pyldl_gpu checkpoint ({error})") from error
    targets = named_state(net)
    stored = {k: v for k, v in saved.items() if k.startswith((PARAM, BUFFER))}
    missing = [k.split("/", 1)[1] for k in targets if k not in stored]
    unexpected = [k.split("/", 1)[1] for k in stored if k not in targets]
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: parameters do not match the model; missing {missing or 'none'}, unexpected {unexpected or 'none'}"
        )
    for key, array in targets.items():
        if tuple(stored[key].shape) != tuple(array.shape):
            kind, name = key.split("/", 1)
            raise CheckpointError(
                f"{path}: {'parameter' if kind + '/' == PARAM else 'buffer'} {name!r} has shape "
                f"{tuple(stored[key].shape)} in the file, {tuple(array.shape)} in the model"
            )
    if optimizer is not None:
        optim_state = {k[len(_OPTIM):]: v for k, v in saved.items() if k.startswith(_OPTIM)}
        if not optim_state:
            raise CheckpointError(f"{path}: holds no optimizer state (it was saved without an optimizer)")
        optim_state["steps"] = int(optim_state.get("steps", 0))
        optim_state["lr"] = float(optim_state.get("lr", optimizer.lr))
        optimizer.load_state_dict(optim_state)
    for key, array in targets.items():
        array[...] = backends.asarray(stored[key], dtype=array.dtype)
    return net
