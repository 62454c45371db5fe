"""save / load of a model's parameters (and an optimizer's state) as .npz, written atomically."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from .. import backends
from ..exceptions import CheckpointError
from ..module import Module
from ..optim.optimizer import Optimizer

_PARAM, _OPTIM = "param/", "optim/"


def save(net: Module, path: str | os.PathLike, optimizer: Optimizer | None = None) -> Path:
    """Write every parameter (and the optimizer's state) to ``path`` as .npz.

    The file is written to a temporary file in the same folder, flushed to disk, then renamed over ``path``:
    a crash mid-save leaves the previous file intact. Returns the path written."""
    path = Path(path)
    arrays = {_PARAM + name: p.data for name, p in net.named_parameters()}
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
    params = dict(net.named_parameters())
    stored = {k[len(_PARAM):]: v for k, v in saved.items() if k.startswith(_PARAM)}
    missing = [name for name in params if name not in stored]
    unexpected = [name for name in stored if name not in params]
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: parameters do not match the model; missing {missing or 'none'}, unexpected {unexpected or 'none'}"
        )
    for name, p in params.items():
        if tuple(stored[name].shape) != tuple(p.data.shape):
            raise CheckpointError(
                f"{path}: parameter {name!r} has shape {tuple(stored[name].shape)} in the file, "
                f"{tuple(p.data.shape)} in the model"
            )
    if optimizer is not None:
        optim_state = {k[len(_OPTIM):]: v for k, v in saved.items() if k.startswith(_OPTIM)}
        if not optim_state:
            raise CheckpointError(f"{path}: holds no optimizer state (it was saved without an optimizer)")
        optim_state["steps"] = int(optim_state.get("steps", 0))
        optim_state["lr"] = float(optim_state.get("lr", optimizer.lr))
        optimizer.load_state_dict(optim_state)
    for name, p in params.items():
        p.data[...] = backends.asarray(stored[name], dtype=p.data.dtype)
    return net
