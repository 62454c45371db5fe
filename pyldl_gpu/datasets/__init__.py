"""Data sets (host NumPy arrays; move them with pyldl_gpu.asarray or let fit do it once), toy problems,
noise models and preprocessing. Files are read from $PYLDL_DATA, else ~/.cache/pyldl_gpu;
``python -m pyldl_gpu.datasets fetch mnist|usps|olivetti|all`` (or ``fetch(name)``) downloads them."""

from ._files import data_home
from .download import fetch
from .images import load_digits, load_olivetti, load_usps
from .mnist import load_mnist, read_idx
from .noise import binomial_mask, gaussian_noise, salt_and_pepper
from .pairs import load_mnist_pairs, make_pairs
from .preprocessing import min_max_scale, stratified_split
from .toy import make_blobs, make_circle_in_square, make_linear_regression, make_spirals, make_xor

__all__ = [
    "binomial_mask", "data_home", "fetch", "gaussian_noise", "load_digits", "load_mnist", "load_mnist_pairs",
    "load_olivetti", "load_usps", "make_pairs",
    "make_blobs", "make_circle_in_square", "make_linear_regression", "make_spirals", "make_xor", "min_max_scale",
    "read_idx", "salt_and_pepper", "stratified_split",
]
