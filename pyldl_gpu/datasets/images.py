"""USPS, the Olivetti faces and scikit-learn's 8x8 digits as float32 images in [0, 1]."""

from __future__ import annotations

import zipfile

from .. import backends
from ..exceptions import DatasetError
from ._files import FETCH_HINT, require, verify
from .sources import OLIVETTI, USPS


def load_digits():
    """scikit-learn's digits (ships with scikit-learn, no download): images float32 (1797, 8, 8) in [0, 1]
    (pixel / 16), labels int64 (1797,). The offline default data set."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return (digits.images / 16.0).astype("float32"), digits.target.astype("int64")


def load_usps():
    """USPS (Hull 1994) from $PYLDL_DATA/usps/usps.npz: (x_train, y_train, x_test, y_test),
    images float32 (7291 | 2007, 16, 16) in [0, 1] (rows top to bottom, 0 = background), labels int64.
    usps.npz is converted from the ESL files zip.train.gz / zip.test.gz by ``python -m pyldl_gpu.datasets fetch
    usps`` (conversions.py)."""
    path = require("usps/usps.npz", "get usps.npz (7291 train / 2007 test, 16x16) into that folder: "
                   f"`{FETCH_HINT.format(name='usps')}` downloads and converts it")
    verify(path, USPS.reads["usps.npz"])
    try:
        data = backends.load_npz(path)
        parts = [data[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise DatasetError(f"{path}: not the expected USPS archive ({error})") from error
    x_train, y_train, x_test, y_test = parts
    return (x_train.astype("float32"), y_train.astype("int64"), x_test.astype("float32"), y_test.astype("int64"))


def load_olivetti():
    """The Olivetti faces (AT&T, 64x64 version) from $PYLDL_DATA/olivetti/olivettifaces.mat, oriented exactly
    as scikit-learn's fetch_olivetti_faces: images float32 (400, 64, 64) in [0, 1], person ids int64 (400,)
    (ten images per person, in order). Reads Roweis' original file (what ``python -m pyldl_gpu.datasets fetch
    olivetti`` downloads) or its compressed MATLAB re-save; both checksums are accepted."""
    path = require("olivetti/olivettifaces.mat", "get olivettifaces.mat (Roweis' 64x64 faces) into that folder: "
                   f"`{FETCH_HINT.format(name='olivetti')}` downloads it")
    verify(path, OLIVETTI.reads["olivettifaces.mat"])
    from scipy.io import loadmat

    try:
        faces = loadmat(str(path))["faces"]
    except (KeyError, ValueError, OSError) as error:
        raise DatasetError(f"{path}: not a MATLAB file with a 'faces' variable ({error})") from error
    np = backends.host()
    x = faces.T.astype("float32")
    x -= x.min()
    x /= x.max()
    images = np.ascontiguousarray(x.reshape(400, 64, 64).transpose(0, 2, 1))  # columns are MATLAB-ordered
    return images, np.arange(400, dtype="int64") // 10
