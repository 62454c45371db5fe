"""Writing a file so that a crash leaves the old file or the new one, and no debris once the folder is used again.

``with replacing(path) as (file, tmp):`` gives a temporary file beside ``path`` (created with the permissions the
user's umask gives, not mkstemp's 0600); a clean exit flushes it to disk, renames it over ``path`` (over a
symlink's target, not the link) and flushes the folder; ``write_atomically(path, write)`` is the one-call form.
A process killed meanwhile leaves its temporary file behind; ``remove_stale_temporaries(folder)``, which every
save, load and download runs first, removes those (checkpoints' ``.<name>.pyldl_gpu-<hex>.tmp`` and downloads'
``.<name>.<random>.part``). It tells a dead writer's file from a live one's by a lock: a writer
holds an exclusive flock on its temporary file until it is renamed, and holds a shared lock on the folder while
it creates and locks that file, so a cleaner (which takes the folder's lock exclusively) never sees a file that
is not yet locked. Locks die with their process. Without fcntl (Windows) only files older than a day are
removed."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows: no flock; stale files are told by their age instead
    fcntl = None

MARK = ".pyldl_gpu-"  # in every temporary file's name: .<name>.pyldl_gpu-<random><suffix>
SUFFIX = ".tmp"  # checkpoints; downloads use PART
PART = ".part"
STALE_AFTER_S = 86400.0  # without fcntl: a temporary file this old is a dead writer's
# A download's partial file, also as older versions named it (mkstemp's .<name>.<8 random characters>.part).
_PARTIAL = re.compile(r"\..+\.[A-Za-z0-9_-]+\.part")


def _is_temporary(name: str) -> bool:
    return (name.startswith(".") and MARK in name and name.endswith(SUFFIX)) or bool(_PARTIAL.fullmatch(name))


@contextlib.contextmanager
def _folder(folder: Path, lock: int | None = None) -> Iterator[int | None]:
    """An open descriptor of the folder (None where folders cannot be opened), holding its flock ``lock``
    (LOCK_SH or LOCK_EX) when given and possible."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield None
        return
    try:
        if fcntl is not None and lock is not None:
            with contextlib.suppress(OSError):  # a file system without flock: go on unlocked
                fcntl.flock(fd, lock)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def remove_stale_temporaries(folder: str | os.PathLike) -> None:
    """Delete the temporary files that killed writers left in ``folder`` (never a live writer's). Quiet: a
    folder that cannot be read or written is left as it is."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    with _folder(folder, fcntl.LOCK_EX if fcntl else None):
        try:
            names = [entry.name for entry in os.scandir(folder) if _is_temporary(entry.name)]
        except OSError:
            return
        for name in names:
            _remove_if_stale(folder / name)


def _remove_if_stale(path: Path) -> None:
    try:
        if fcntl is None:
            if time.time() - path.stat().st_mtime > STALE_AFTER_S:
                path.unlink()
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # taken: its writer is gone
        except OSError:
            return  # a live writer holds it
        else:
            path.unlink()
        finally:
            os.close(fd)
    except OSError:  # gone already, or not ours to remove
        pass


def _create_temporary(path: Path, suffix: str) -> tuple[int, Path]:
    """A new, exclusively locked temporary file beside path, mode 0666 less the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    with _folder(path.parent, fcntl.LOCK_SH if fcntl else None):
        while True:
            tmp = path.with_name(f".{path.name}{MARK}{secrets.token_hex(6)}{suffix}")
            try:
                fd = os.open(tmp, flags, 0o666)
            except FileExistsError:
                continue
            if fcntl is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_EX)
            return fd, tmp


def _real_target(path: Path) -> Path:
    """The file a write to ``path`` should replace: a symlink's final target (so the link stays a link)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@contextlib.contextmanager
def replacing(path: str | os.PathLike, suffix: str = SUFFIX) -> Iterator[tuple[BinaryIO, Path]]:
    """(open binary file, its path): a locked temporary file beside ``path``; a clean exit renames it over
    ``path`` (see the module docstring), an error removes it and leaves ``path`` as it was."""
    path = _real_target(Path(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    fd, tmp = _create_temporary(path, suffix)
    try:
        with os.fdopen(fd, "wb") as f:  # closing it releases its lock: rename it first (Windows: it cannot be)
            yield f, tmp
            f.flush()
            os.fsync(f.fileno())
            if fcntl is not None:
                os.replace(tmp, path)
        if fcntl is None:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with _folder(path.parent) as folder:  # the rename itself survives a power cut
        if folder is not None:
            with contextlib.suppress(OSError):
                os.fsync(folder)


def write_atomically(path: str | os.PathLike, write: Callable) -> Path:
    """``write(file)`` into a temporary file, then rename it over ``path`` (``replacing``). Returns ``path``."""
    with replacing(path) as (file, _):
        write(file)
    return Path(path)
