"""MNIST from the four official idx .gz files in $PYLDL_DATA/mnist/, checksums verified; missing files are
downloaded by the fetch module (download.py) when ``download`` is True."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from .. import backends
from ..exceptions import DatasetError
from ._files import FETCH_HINT, data_home, verify
from .download import ensure_file
from .sources import MNIST

SPLITS = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
          "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000)}


def _file(name: str, download: bool) -> Path:
    """The verified path of one MNIST file, downloaded first when missing and ``download`` is True."""
    path = data_home() / MNIST.folder / name
    if not path.is_file() and not download:
        raise DatasetError(f"data file not found: {path}; put the official MNIST files there or pass "
                           f"download=True (needs internet), or run `{FETCH_HINT.format(name='mnist')}`")
    if not path.is_file():
        return ensure_file(MNIST, name, report=lambda line: None)
    verify(path, MNIST.reads[name])
    return path


def read_idx(path: Path, magic: int, shape: tuple):
    """The uint8 array of a gzip-compressed idx file with this magic number and shape, or a DatasetError."""
    np = backends.host()
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"{path}: not a readable gzip file ({error})") from error
    header = 4 * (1 + len(shape))
    if len(raw) < header or int.from_bytes(raw[:4], "big") != magic:
        raise DatasetError(f"{path}: not an idx file with magic number {magic:#x}")
    dims = tuple(int.from_bytes(raw[4 * i:4 * i + 4], "big") for i in range(1, 1 + len(shape)))
    if dims != shape or len(raw) != header + int(np.prod(shape)):
        raise DatasetError(f"{path}: header says {dims}, {len(raw) - header} bytes follow; expected {shape}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


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
