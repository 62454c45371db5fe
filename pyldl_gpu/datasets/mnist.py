"""MNIST from the four official idx .gz files in $PYLDL_DATA/mnist/, checksums verified."""

from __future__ import annotations

import gzip
import shutil
import tempfile
import urllib.request
import zlib
from pathlib import Path

from .. import backends
from ..exceptions import DatasetError
from ._files import check_md5, data_home

MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # torchvision's mirror of the official files
FILES = {  # split -> ((images file, md5), (labels file, md5), count)
    "train": (("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
              ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"), 60000),
    "test": (("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
             ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"), 10000),
}


def _download(name: str, target: Path, expected_md5: str) -> None:
    """Fetch one file from the mirror into target atomically, keeping it only if its md5 matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
        with urllib.request.urlopen(MIRROR + name, timeout=60) as response:
            shutil.copyfileobj(response, tmp)
    part = Path(tmp.name)
    try:
        check_md5(part, expected_md5)
    except DatasetError:
        part.unlink(missing_ok=True)
        raise
    part.replace(target)


def _file(name: str, expected_md5: str, download: bool) -> Path:
    path = data_home() / "mnist" / name
    if not path.is_file():
        if not download:
            raise DatasetError(f"data file not found: {path}; put the official MNIST files there or pass "
                               "download=True (needs internet)")
        try:
            _download(name, path, expected_md5)
        except OSError as error:
            raise DatasetError(f"data file not found: {path}, and downloading it from {MIRROR} failed ({error}); "
                               "copy the official MNIST .gz files into that folder") from error
    check_md5(path, expected_md5)
    return path


def read_idx(path: Path, magic: int, shape: tuple):
    """The uint8 array of a gzip-compressed idx file with this magic number and shape, or a DatasetError.

    The header is checked as soon as its bytes are inflated, and no more than the header promises is ever
    inflated: a wrong or hostile file (a small gzip of a huge stream) is refused after its first bytes."""
    np = backends.host()
    header = 4 * (1 + len(shape))
    expected = int(np.prod(shape))
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
        raise DatasetError(f"{path}: not a readable gzip file ({error})") from error
    if len(raw) != expected or extra:
        follow = f"{len(raw)} bytes follow" if not extra else f"more than {expected} bytes follow"
        raise DatasetError(f"{path}: header says {dims}, {follow}; expected {shape}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


def load_mnist(split: str = "train", download: bool = True):
    """(images, labels) of the official MNIST split 'train' (60000) or 'test' (10000).
    images: float32 (n, 28, 28) in [0, 1] (pixel / 255); labels: int64 (n,). Files are md5-checked; a
    missing file is downloaded from the mirror into $PYLDL_DATA/mnist when download is True."""
    if split not in FILES:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    (images_name, images_md5), (labels_name, labels_md5), count = FILES[split]
    images = read_idx(_file(images_name, images_md5, download), 0x803, (count, 28, 28))
    labels = read_idx(_file(labels_name, labels_md5, download), 0x801, (count,))
    return images.astype("float32") / 255.0, labels.astype("int64")
