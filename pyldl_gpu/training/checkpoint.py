"""save / load of a model's parameters (and an optimizer's state) as .npz, written atomically.

A checkpoint is a .npz archive of plain arrays: 'param/<name>', 'buffer/<name>' and, with an optimizer,
'optim/steps', 'optim/lr' and 'optim/state.<index>.<slot>'. load reads nothing else: every entry is checked
(its name, kind, shape and values) before anything is written, and a refusal is a CheckpointError naming the
file and the entry. It never unpickles."""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

from .. import backends
from ..exceptions import CheckpointError
from ..module import Module
from ..optimizers.optimizer import Optimizer
from .atomic import remove_stale_temporaries, write_atomically
from .snapshot import BUFFER, PARAM, named_state

_OPTIM = "optim/"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive (an empty one)


def save(net: Module, path: str | os.PathLike, optimizer: Optimizer | None = None) -> Path:
    """Write every parameter and buffer (and the optimizer's state) to ``path`` as .npz; returns the path.

    Atomic (training/atomic.py): a temporary file in the same folder, flushed to disk, renamed over ``path``.
    A crash at any moment leaves the previous file or the new one; a killed save's temporary file is removed by
    the next save or load in that folder. The file gets the permissions the umask gives."""
    arrays = named_state(net)
    if optimizer is not None:
        xp = backends.host()
        for key, value in optimizer.state_dict().items():
            arrays[_OPTIM + key] = xp.asarray(value) if key in ("steps", "lr") else value
    return write_atomically(path, lambda file: backends.save_npz(file, arrays))


def _kind_of_file(path: Path, head: bytes) -> str | None:
    """Why a file is not a checkpoint, from its first bytes (None: it may be one)."""
    if head.startswith(b"\x93NUMPY"):
        return "a single NumPy array (.npy), not a checkpoint (a .npz archive written by pyldl_gpu.save)"
    if head[:1] == b"\x80":
        return "a Python pickle, not a checkpoint: load reads .npz archives of plain arrays and never unpickles"
    if not head.startswith(_ZIP_MAGIC):
        return "not a readable pyldl_gpu checkpoint (not a .npz archive)"
    return None


def _read(path: Path) -> dict:
    """Every entry of the checkpoint at path, as host arrays; CheckpointError names the entry that fails."""
    if path.is_dir():
        raise CheckpointError(f"{path}: a folder, not a checkpoint file (a .npz archive written by pyldl_gpu.save)")
    with open(path, "rb") as file:  # FileNotFoundError passes through as it is
        why = _kind_of_file(path, file.read(8))
        if why is not None:
            raise CheckpointError(f"{path}: {why}")
        file.seek(0)
        try:
            archive = backends.host().load(file, allow_pickle=False)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
            raise CheckpointError(f"{path}: not a readable pyldl_gpu checkpoint ({type(error).__name__}: the "
                                  "archive is damaged or truncated)") from error
        with archive:
            entries = {}
            for name in archive.files:
                try:
                    entries[name] = archive[name]
                except ValueError as error:
                    if "pickle" in str(error):
                        raise CheckpointError(f"{path}: entry {name!r} holds Python objects (a pickle); load "
                                              "reads plain arrays only and never unpickles") from error
                    raise CheckpointError(f"{path}: entry {name!r} is not a readable array ({error})") from error
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
                    raise CheckpointError(f"{path}: entry {name!r} is damaged or truncated "
                                          f"({type(error).__name__})") from error
    not_arrays = [name for name, value in entries.items() if not isinstance(value, backends.host().ndarray)]
    if not_arrays:
        raise CheckpointError(f"{path}: entry {not_arrays[0]!r} is not a NumPy array: not a file written by "
                              "pyldl_gpu.save")
    foreign = [name for name in entries if not name.startswith((PARAM, BUFFER, _OPTIM))]
    if foreign:
        raise CheckpointError(f"{path}: entry {foreign[0]!r} is not part of a pyldl_gpu checkpoint (its entries "
                              "are 'param/...', 'buffer/...' and 'optim/...'): not a file written by "
                              "pyldl_gpu.save")
    return entries


def _check_array(path: Path, key: str, stored, target) -> None:
    """A stored parameter or buffer fits its model array: floating point (float16/32/64; cast to the model's
    dtype, float64 rounding to the nearest float32), the same shape, finite, and within the model dtype's
    range."""
    kind, name = key.split("/", 1)
    what = f"{'parameter' if kind + '/' == PARAM else 'buffer'} {name!r}"
    if stored.dtype.kind != "f":
        raise CheckpointError(f"{path}: {what} is stored as {stored.dtype}; checkpoints hold floating-point "
                              "arrays (integer, bool, complex and string entries are refused)")
    if tuple(stored.shape) != tuple(target.shape):
        raise CheckpointError(f"{path}: {what} has shape {tuple(stored.shape)} in the file, "
                              f"{tuple(target.shape)} in the model")
    host = backends.host()
    if stored.size and not host.isfinite(stored).all():
        raise CheckpointError(f"{path}: {what} holds NaN or infinite values (a failed run's weights?)")
    limit = float(host.finfo(target.dtype).max)
    if stored.size and float(host.abs(stored).max()) > limit:
        raise CheckpointError(f"{path}: {what} holds values beyond {target.dtype}'s range (up to {limit:g}): "
                              f"they would become infinite in the {target.dtype} model")


def load(net: Module, path: str | os.PathLike, optimizer: Optimizer | None = None) -> Module:
    """Load parameters saved by ``save`` onto the active device, in place; returns ``net``.

    Every parameter must be present with the same shape, as floating-point, finite values (stored float64
    values are rounded to a float32 model's dtype; values beyond its range are refused); with an optimizer
    every one of its entries must fit it. Anything else is a CheckpointError naming the file and the entry, and
    nothing is changed unless everything fits."""
    path = Path(path)
    remove_stale_temporaries(path.parent)
    saved = _read(path)
    targets = named_state(net)
    stored = {k: v for k, v in saved.items() if k.startswith((PARAM, BUFFER))}
    missing = [k.split("/", 1)[1] for k in targets if k not in stored]
    unexpected = [k.split("/", 1)[1] for k in stored if k not in targets]
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: parameters do not match the model; missing {missing or 'none'}, unexpected {unexpected or 'none'}"
        )
    for key, array in targets.items():
        _check_array(path, key, stored[key], array)
    if optimizer is not None:
        optim_state = {k[len(_OPTIM):]: v for k, v in saved.items() if k.startswith(_OPTIM)}
        if not optim_state:
            raise CheckpointError(f"{path}: holds no optimizer state (it was saved without an optimizer)")
        try:
            optimizer.load_state_dict(optim_state)
        except CheckpointError as error:
            raise CheckpointError(f"{path}: {error} (of its 'optim/' entries)") from error
    for key, array in targets.items():
        array[...] = backends.asarray(stored[key], dtype=array.dtype)
    return net
