"""Where each data set comes from: its canonical public files, their checksums, and what the loaders read.

MNIST: the four official idx .gz files (LeCun, Cortes, Burges), from torchvision's mirror of them first and
LeCun's own page second; the loaders read them as they are.
USPS: the two files of Hastie, Tibshirani and Friedman's "Elements of Statistical Learning" data page, zip.train.gz
and zip.test.gz (7291 / 2007 digits, 16x16, values in [-1, 1], the digit first on each line). usps.npz, what
load_usps reads, is converted from them (x = (v + 1) / 2 in float32, labels uint8): the conversion reproduces the
reference file byte for byte, and both checksums are verified.
Olivetti: Sam Roweis' olivettifaces.mat (AT&T Laboratories Cambridge faces, 64x64), the file scikit-learn's
fetch_olivetti_faces downloads, with the sha256 it publishes. load_olivetti reads it as it is, and also accepts the
compressed MATLAB re-save of the same faces that the project's shared data folder holds (md5 below)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One file to download: its name, the URLs to try in order, and its published checksum."""

    name: str
    urls: tuple[str, ...]
    algorithm: str  # "md5" or "sha256"
    digest: str


@dataclass(frozen=True)
class DataSet:
    """A data set's folder under data_home(), its downloads, and the files its loader reads with their checksums
    (algorithm, digest) pairs, any of which is accepted. ``converted`` names the files built from the downloads."""

    name: str
    folder: str
    sources: tuple[Source, ...]
    reads: dict  # file name -> ((algorithm, digest), ...)
    converted: tuple[str, ...] = ()
    licence: str = ""


_MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_MNIST = (("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
          ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
          ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
          ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"))
_ESL = ("https://hastie.su.domains/ElemStatLearn/datasets/", "https://web.stanford.edu/~hastie/ElemStatLearn/datasets/")

MNIST = DataSet(
    "mnist", "mnist",
    sources=tuple(Source(name, tuple(m + name for m in _MNIST_MIRRORS), "md5", md5) for name, md5 in _MNIST),
    reads={name: (("md5", md5),) for name, md5 in _MNIST},
    licence="Yann LeCun and Corinna Cortes; no licence file ships with it (commonly redistributed under CC BY-SA 3.0)")

USPS = DataSet(
    "usps", "usps",
    sources=(Source("zip.train.gz", tuple(m + "zip.train.gz" for m in _ESL), "md5", "206835541ea704bcfb4b6eea872678bf"),
             Source("zip.test.gz", tuple(m + "zip.test.gz" for m in _ESL), "md5", "f9350e940232b89f1dc8f8eacac88625")),
    reads={"usps.npz": (("md5", "1e2b7e0ad8754d6d84e35e019b3f4b31"),)},
    converted=("usps.npz",),
    licence="made available by AT&T Research (Le Cun et al.) through the ESL data page; no licence stated")

OLIVETTI = DataSet(
    "olivetti", "olivetti",
    sources=(Source("olivettifaces.mat", ("https://ndownloader.figshare.com/files/5976027",
                                          "https://cs.nyu.edu/~roweis/data/olivettifaces.mat"),
                    "sha256", "b612fb967f2dc77c9c62d3e1266e0c73d5fca46a4b8906c18e454d41af987794"),),
    reads={"olivettifaces.mat": (("sha256", "b612fb967f2dc77c9c62d3e1266e0c73d5fca46a4b8906c18e454d41af987794"),
                                 ("md5", "7be4afc20ba95152afb4c6b4b5d45c5b"))},
    licence="AT&T Laboratories Cambridge; free for research, credit AT&T Laboratories Cambridge")

DATASETS = {d.name: d for d in (MNIST, USPS, OLIVETTI)}
