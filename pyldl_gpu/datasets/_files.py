"""Where data files live and how they are checked: $PYLDL_DATA, else a per-user cache folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..exceptions import DatasetError
from ..training.atomic import remove_stale_temporaries

ENV_VAR = "PYLDL_DATA"


def data_home() -> Path:
    """$PYLDL_DATA if set, else ~/.cache/pyldl_gpu (XDG_CACHE_HOME respected)."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(cache) / "pyldl_gpu"


def digest(path: Path, algorithm: str) -> str:
    """The hex digest of a file ("md5" or "sha256")."""
    hasher = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def matches(path: Path, checksums) -> bool:
    """Whether the file has one of the (algorithm, digest) pairs."""
    return any(digest(path, algorithm) == expected for algorithm, expected in checksums)


def verify(path: Path, checksums) -> None:
    """A DatasetError unless the file has one of the (algorithm, digest) pairs (the first one is reported)."""
    if not matches(path, checksums):
        algorithm, expected = checksums[0]
        raise DatasetError(f"{path}: {algorithm} {digest(path, algorithm)} differs from the published {expected}: "
                           "the file is corrupt or truncated; delete it and fetch it again")


FETCH_HINT = "python -m pyldl_gpu.datasets fetch {name}"


def require(relative: str, how_to_get: str) -> Path:
    """The path of a data file under data_home(), or a DatasetError naming the path tried and the remedy."""
    path = data_home() / relative
    remove_stale_temporaries(path.parent)  # a killed download's or conversion's partial file
    if not path.is_file():
        raise DatasetError(
            f"data file not found: {path} (looked in ${ENV_VAR}={os.environ.get(ENV_VAR, '<unset>')}); {how_to_get}"
        )
    return path
