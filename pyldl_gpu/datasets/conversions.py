"""Conversions of canonical downloads into the files the loaders read, reproducible to the byte.

usps: Hastie, Tibshirani and Friedman's zip.train.gz and zip.test.gz (text: the digit, then 256 values in [-1, 1]
per line) -> usps.npz with x_train, y_train, x_test, y_test: images float32 (n, 16, 16) = (v + 1) / 2 computed in
float32, labels uint8. The archive is written with fixed member order, dates and modes, deflated at zlib's default
level, so the result has the published md5 of the reference usps.npz."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

from .. import backends
from ..exceptions import DatasetError

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time leaks into the bytes


def _esl_digits(path: Path):
    """(images float32 (n, 16, 16) in [0, 1], labels uint8 (n,)) of one ESL zip.*.gz file."""
    np = backends.host()
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, dtype=np.float32, ndmin=2)
    except (OSError, EOFError, ValueError) as error:
        raise DatasetError(f"{path}: not the ESL USPS text file ({error})") from error
    if table.ndim != 2 or table.shape[1] != 257:
        raise DatasetError(f"{path}: expected lines of a digit and 256 values, got shape {table.shape}")
    images = ((table[:, 1:] + np.float32(1.0)) / np.float32(2.0)).reshape(-1, 16, 16)
    return np.ascontiguousarray(images), table[:, 0].astype(np.uint8)


def write_npz(arrays: dict, out) -> None:
    """A deflated .npz of ``arrays`` (name -> host array, in order) whose bytes depend on the arrays alone."""
    write_array = backends.host().lib.format.write_array
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix
            info.external_attr = 0o600 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                write_array(member, array, allow_pickle=False)


def usps(downloads: list[Path], out) -> None:
    """usps.npz from [zip.train.gz, zip.test.gz], written to the open binary file ``out``."""
    by_name = {p.name: p for p in downloads}
    x_train, y_train = _esl_digits(by_name["zip.train.gz"])
    x_test, y_test = _esl_digits(by_name["zip.test.gz"])
    write_npz({"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}, out)


CONVERSIONS = {"usps": usps}
