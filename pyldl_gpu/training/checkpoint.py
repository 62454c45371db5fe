"""save / load of a model's parameters (and an optimizer's state) as .npz, written atomically.

A checkpoint is a .npz archive of plain arrays: 'param/<name>', 'buffer/<name>' and, with an optimizer,
'optim/steps', 'optim/lr' and 'optim/state.<index>.<slot>'. save refuses what load would refuse (non-finite
values, an optimizer of another net) before touching the file. load reads nothing else: every entry is checked
(its name, then its .npy header's kind and shape before any data is inflated, then its values) before anything
is written, and a refusal is a CheckpointError naming the file and the entry. It never unpickles."""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

from .. import backends
from ..exceptions import ArgumentError, CheckpointError
from ..module import Module
from ..optimizers.optimizer import Optimizer
from .atomic import remove_stale_temporaries, write_atomically
from .snapshot import BUFFER, PARAM, foreign_parameters, named_state

_OPTIM = "optim/"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive (an empty one)
_NPY = ".npy"


def _require_type(value, kind: type, name: str, caller: str) -> None:
    if not isinstance(value, kind):
        raise ArgumentError(f"{caller}: {name} must be a pyldl_gpu {kind.__name__}, got {type(value).__name__} "
                            f"{value!r:.60}")


def _checked_path(path, caller: str) -> Path:
    """``path`` as a Path, or an ArgumentError naming the caller, the expected and the actual value."""
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentError(f"{caller}: path must be a str or os.PathLike, got {type(path).__name__} {path!r:.60}")
    if not str(os.fspath(path)).strip():
        raise ArgumentError(f"{caller}: path must name a file, got the empty path {path!r}")
    return Path(path)


def _check_writable(path: Path) -> None:
    """A clear error, before anything is written, when ``path`` is a folder or lies under a file."""
    if path.is_dir():
        raise CheckpointError(f"save: {path} is a folder; give a file path such as {path / 'model.npz'}")
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise CheckpointError(f"save: cannot write {path}: {folder} is a file, not a folder")
            return


def _check_values(path: Path, key: str, host_array, caller: str) -> None:
    """Values every checkpoint holds: finite, and running variances >= 0."""
    what = f"{'parameter' if key.startswith(PARAM) else 'buffer'} {key.split('/', 1)[1]!r}"
    np = backends.host()
    if host_array.size and not np.isfinite(host_array).all():
        raise CheckpointError(f"{caller}: {path}: {what} holds NaN or infinite values (a failed run's weights?)")
    if key.startswith(BUFFER) and key.endswith("running_var") and host_array.size and (host_array < 0).any():
        raise CheckpointError(f"{caller}: {path}: {what} holds negative variances (down to "
                              f"{float(host_array.min()):g}); a running variance is >= 0")


def save(net: Module, path: str | os.PathLike, optimizer: Optimizer | None = None) -> Path:
    """Write every parameter and buffer (and the optimizer's state) to ``path`` as .npz; returns the path.

    Refused before the file is touched: non-finite parameters, buffers or optimizer state, negative running
    variances, and an optimizer holding parameters that are not ``net``'s. Atomic (training/atomic.py): a
    temporary file in the same folder, flushed to disk, renamed over ``path`` (over a symlink's target, so the
    link stays). A crash at any moment leaves the previous file or the new one; a killed save's temporary file is
    removed by the next save or load in that folder. The file gets the permissions the umask gives."""
    _require_type(net, Module, "net", "save")
    path = _checked_path(path, "save")
    if optimizer is not None:
        _require_type(optimizer, Optimizer, "optimizer", "save")
    _check_writable(path)
    arrays = {key: backends.to_numpy(value) for key, value in named_state(net).items()}
    for key, value in arrays.items():
        _check_values(path, key, value, "save")
    if optimizer is not None:
        foreign = foreign_parameters(net, optimizer)
        if foreign:
            i, p = foreign[0]
            raise CheckpointError(f"save: {path}: the optimizer's parameter {i} ({p.name!r}, shape "
                                  f"{tuple(p.data.shape)}) is not a parameter of this net (an optimizer built "
                                  "for another model?)")
        for key, value in optimizer.state_dict().items():
            value = backends.host().asarray(backends.to_numpy(value))  # lr: finite and >= 0 (Optimizer.lr's setter)
            if key not in ("steps", "lr") and value.size and not backends.host().isfinite(value).all():
                raise CheckpointError(f"save: {path}: optimizer state {key!r} holds NaN or infinite values")
            arrays[_OPTIM + key] = value
    write_atomically(path, lambda file: backends.save_npz(file, arrays))
    return path


def _kind_of_file(path: Path, head: bytes) -> str | None:
    """Why a file is not a checkpoint, from its first bytes (None: it may be one)."""
    if head.startswith(b"\x93NUMPY"):
        return "a single NumPy array (.npy), not a checkpoint (a .npz archive written by pyldl_gpu.save)"
    if head[:1] == b"\x80":
        return "a Python pickle, not a checkpoint: load reads .npz archives of plain arrays and never unpickles"
    if not head.startswith(_ZIP_MAGIC):
        return "not a readable pyldl_gpu checkpoint (not a .npz archive)"
    return None


def _entries(path: Path, archive: zipfile.ZipFile) -> dict:
    """name (without .npy) -> ZipInfo; refuses members that are not arrays, foreign names and duplicates."""
    entries = {}
    for info in archive.infolist():
        if not info.filename.endswith(_NPY):
            raise CheckpointError(f"{path}: entry {info.filename!r} is not a NumPy array: not a file written by "
                                  "pyldl_gpu.save")
        name = info.filename[:-len(_NPY)]
        if not name.startswith((PARAM, BUFFER, _OPTIM)):
            raise CheckpointError(f"{path}: entry {name!r} is not part of a pyldl_gpu checkpoint (its entries "
                                  "are 'param/...', 'buffer/...' and 'optim/...'): not a file written by "
                                  "pyldl_gpu.save")
        if name in entries:
            raise CheckpointError(f"{path}: entry {name!r} appears twice in the archive: not a file written by "
                                  "pyldl_gpu.save (which would it be?)")
        entries[name] = info
    return entries


def _header(path: Path, name: str, member):
    """(shape, fortran_order, dtype) from a member's .npy header, read before any of its data."""
    fmt = backends.host().lib.format
    try:
        version = fmt.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f".npy format version {version}")
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = read(member)
    except ValueError as error:
        raise CheckpointError(f"{path}: entry {name!r} is not a readable array ({error})") from error
    if dtype.hasobject:
        raise CheckpointError(f"{path}: entry {name!r} holds Python objects (a pickle); load reads plain arrays "
                              "only and never unpickles")
    return tuple(shape), fortran, dtype


def _read_entry(path: Path, name: str, member, target, limit: int):
    """One entry as a host array, its header checked first: against ``target``'s kind and shape when given,
    else at most ``limit`` elements, so a lying header or a deflate bomb is refused without inflating it."""
    np = backends.host()
    shape, fortran, dtype = _header(path, name, member)
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if target is not None:
        what = f"{'parameter' if name.startswith(PARAM) else 'buffer'} {name.split('/', 1)[1]!r}"
        if dtype.kind != "f":
            raise CheckpointError(f"{path}: {what} is stored as {dtype}; checkpoints hold floating-point "
                                  "arrays (integer, bool, complex and string entries are refused)")
        if shape != tuple(target.shape):
            raise CheckpointError(f"{path}: {what} has shape {shape} in the file, {tuple(target.shape)} in the model")
    elif count > limit:
        raise CheckpointError(f"{path}: entry {name!r} declares shape {shape} ({count} values), more than any "
                              f"array of this model and optimizer ({limit})")
    size = count * dtype.itemsize
    data = member.read(size)
    if len(data) != size:
        raise CheckpointError(f"{path}: entry {name!r} is truncated ({len(data)} of {size} bytes)")
    if member.read(1):
        raise CheckpointError(f"{path}: entry {name!r} holds more data than its header declares (shape {shape})")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()  # writable, C order


def _read(path: Path, targets: dict, with_optimizer: bool, limit: int) -> tuple[dict, list]:
    """(entries read, names not in targets): the model's entries (and 'optim/' ones when with_optimizer)."""
    if path.is_dir():
        raise CheckpointError(f"{path}: a folder, not a checkpoint file (a .npz archive written by pyldl_gpu.save)")
    with open(path, "rb") as file:  # FileNotFoundError passes through as it is
        why = _kind_of_file(path, file.read(8))
        if why is not None:
            raise CheckpointError(f"{path}: {why}")
        file.seek(0)
        name = None
        try:
            with zipfile.ZipFile(file) as archive:
                entries = _entries(path, archive)
                saved, unexpected = {}, [n for n in entries if not n.startswith(_OPTIM) and n not in targets]
                for name, info in entries.items():
                    if name in targets or (with_optimizer and name.startswith(_OPTIM)):
                        with archive.open(info) as member:
                            saved[name] = _read_entry(path, name, member, targets.get(name), limit)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as error:
            where = "the archive is" if name is None else f"entry {name!r} is"
            raise CheckpointError(f"{path}: not a readable pyldl_gpu checkpoint ({type(error).__name__}: {where} "
                                  "damaged or truncated)") from error
    return saved, unexpected


def _check_range(path: Path, key: str, stored, target) -> None:
    """Stored values fit the model's dtype (float64 rounds to the nearest float32; beyond its range is refused)."""
    _check_values(path, key, stored, "load")
    what = f"{'parameter' if key.startswith(PARAM) else 'buffer'} {key.split('/', 1)[1]!r}"
    limit = float(backends.host().finfo(target.dtype).max)
    if stored.size and float(backends.host().abs(stored).max()) > limit:
        raise CheckpointError(f"{path}: {what} holds values beyond {target.dtype}'s range (up to {limit:g}): "
                              f"they would become infinite in the {target.dtype} model")


def load(net: Module, path: str | os.PathLike, optimizer: Optimizer | None = None) -> Module:
    """Load parameters saved by ``save`` onto the active device, in place; returns ``net``.

    Every parameter must be present with the same shape, as floating-point, finite values (stored float64
    values are rounded to a float32 model's dtype; values beyond its range are refused; running variances are
    >= 0); shapes and kinds are read from each entry's header before its data. With an optimizer every one of its
    entries must fit it (its learning rate finite and >= 0). Anything else is a CheckpointError naming the file
    and the entry, and nothing is changed unless everything fits."""
    _require_type(net, Module, "net", "load")
    path = _checked_path(path, "load")
    if optimizer is not None:
        _require_type(optimizer, Optimizer, "optimizer", "load")
    remove_stale_temporaries(path.parent)
    targets = named_state(net)
    limit = max([1] + [int(a.size) for a in targets.values()])
    saved, unexpected = _read(path, targets, optimizer is not None, limit)
    missing = [k.split("/", 1)[1] for k in targets if k not in saved]
    if missing or unexpected:
        unexpected = [k.split("/", 1)[1] for k in unexpected]
        raise CheckpointError(
            f"{path}: parameters do not match the model; missing {missing or 'none'}, unexpected {unexpected or 'none'}"
        )
    for key, array in targets.items():
        _check_range(path, key, saved[key], array)
    if optimizer is not None:
        optim_state = {k[len(_OPTIM):]: v for k, v in saved.items() if k.startswith(_OPTIM)}
        if not optim_state:
            raise CheckpointError(f"{path}: holds no optimizer state (it was saved without an optimizer)")
        try:  # checks every entry (lr: finite and >= 0) before it changes anything
            optimizer.load_state_dict(optim_state)
        except CheckpointError as error:
            raise CheckpointError(f"{path}: {error} (of its 'optim/' entries)") from error
    for key, array in targets.items():
        array[...] = backends.asarray(saved[key], dtype=array.dtype)
    return net
