"""MNIST from the four official idx .gz files in $PYLDL_DATA/mnist/, checksums verified; missing files are
downloaded by the fetch module (download.py) when ``download`` is True."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from .. import backends
from ..exceptions import DatasetError
from ..training.atomic import remove_stale_temporaries
from ._files import FETCH_HINT, data_home, verify
from .download import ensure_file
from .sources import MNIST

SPLITS = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
          "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000)}


def _file(name: str, download: bool) -> Path:
    """The verified path of one MNIST file, downloaded first when missing and ``download`` is True."""
    path = data_home() / MNIST.folder / name
    remove_stale_temporaries(path.parent)  # a killed download's partial file
    if not path.is_file() and not download:
        raise DatasetError(f"data file not found: {path}; put the official MNIST files there or pass "
                           f"download=True (needs internet), or run `{FETCH_HINT.format(name='mnist')}`")
    if not path.is_file():
        return ensure_file(MNIST, name, report=lambda line: None)
    verify(path, MNIST.reads[name])
    return path


def _recorded_size(path: Path) -> int:
    """The uncompressed size (mod 2**32) a gzip file's trailer records: a corrupt stream that inflates to more
    than it says is told from a long one without inflating the rest."""
    with open(path, "rb") as f:
        f.seek(-4, 2)
        return int.from_bytes(f.read(4), "little")


def read_idx(path: Path, magic: int, shape: tuple):
    """The uint8 array of a gzip-compressed idx file with this magic number and shape, or a DatasetError.

    The header is checked as soon as its bytes are inflated, and little more than the header promises is ever
    inflated: a wrong or hostile file (a small gzip of a huge stream) is refused after its first bytes; a damaged
    stream (a failed CRC, a broken deflate block) is reported as corrupt."""
    np = backends.host()
    header = 4 * (1 + len(shape))
    expected = int(np.prod(shape))
    raw = b""
    try:
        with gzip.open(path, "rb") as f:
            head = f.read(header)
            if len(head) < header or int.from_bytes(head[:4], "big") != magic:
                raise DatasetError(f"{path}: not an idx file with magic number {magic:#x}")
            dims = tuple(int.from_bytes(head[4 * i:4 * i + 4], "big") for i in range(1, 1 + len(shape)))
            if dims != shape:
                raise DatasetError(f"{path}: header says {dims}; expected {shape}")
            raw = f.read(expected)
            extra = f.read(1)
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, DatasetError):
            raise
        what = "the gzip stream is corrupt" if raw else "not a readable gzip file"
        raise DatasetError(f"{path}: {what} ({type(error).__name__}: {error}); delete it and fetch it again") \
            from error
    if extra and _recorded_size(path) == header + expected:
        raise DatasetError(f"{path}: the gzip stream is corrupt: it inflates past the {header + expected} bytes its "
                           "trailer records (a damaged deflate block); delete it and fetch it again")
    if len(raw) != expected or extra:
        follow = f"{len(raw)} bytes follow" if not extra else f"more than {expected} bytes follow"
        raise DatasetError(f"{path}: header says {dims}, {follow}; expected {shape}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


def load_mnist(split: str = "train", download: bool = True):
    """(images, labels) of the official MNIST split 'train' (60000) or 'test' (10000).
    images: float32 (n, 28, 28) in [0, 1] (pixel / 255), rows top to bottom; labels: int64 (n,). Files are
    md5-checked; a missing file is downloaded (checksum-verified, atomically) into $PYLDL_DATA/mnist when download
    is True."""
    if split not in SPLITS:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    images_name, labels_name, count = SPLITS[split]
    images = read_idx(_file(images_name, download), 0x803, (count, 28, 28))
    labels = read_idx(_file(labels_name, download), 0x801, (count,))
    return images.astype("float32") / 255.0, labels.astype("int64")
