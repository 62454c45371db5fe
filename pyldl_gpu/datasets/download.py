"""Downloading data files: each one streamed to a temporary file beside its target, checked against its published
checksum, then renamed into place (training/atomic.py's ``replacing``). A failed, corrupt or truncated download
leaves nothing behind; a killed one's partial file is removed by the next download or load in that folder. An
unreachable source ends in an error that names the exact URL to fetch by hand and where to put the file.

    fetch("usps")                      # download, verify, convert: the files load_usps reads, in data_home()/usps
    fetch("mnist", directory, mirror)  # into another folder, or from another base URL (a local mirror)
    ensure_file(MNIST, name)           # one file the loader needs, downloaded if missing (load_mnist(download=True))

``python -m pyldl_gpu.datasets fetch mnist|usps|olivetti|all [--dir DIR]`` is the command line (__main__.py)."""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

from ..exceptions import DatasetError
from ..training.atomic import PART, replacing
from ._files import data_home, digest, matches, verify
from .sources import DATASETS, DataSet, Source

TIMEOUT = 60.0  # seconds without data before a download is given up
CHUNK = 1 << 16


def _stream(url: str, out, progress) -> None:
    """Copy the body of ``url`` into ``out``; a short body (the connection closed early) is an OSError."""
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        headers = getattr(response, "headers", None)
        length = headers.get("Content-Length") if headers is not None else None
        expected = int(length) if length and length.isdigit() else None
        received = 0
        for block in iter(lambda: response.read(CHUNK), b""):
            out.write(block)
            received += len(block)
            progress(len(block))
    if expected is not None and received != expected:
        raise OSError(f"the connection closed after {received} of {expected} bytes")


def download(source: Source, target: Path, urls: tuple[str, ...] | None = None, report=print) -> Path:
    """Download ``source`` to ``target``: each URL in turn until one gives a file with the published checksum.
    Nothing is kept of a failed try. Raises DatasetError listing every URL tried and why it failed, with the exact
    URL to fetch by hand and where to put the file."""
    failures = []
    for url in urls or source.urls:
        try:
            with replacing(target, PART) as (out, part):
                with _Bar(source.name, report) as bar:
                    _stream(url, out, bar.update)
                out.flush()
                verify(part, ((source.algorithm, source.digest),))
            report(f"downloaded {url} -> {target}")
            return target
        except (OSError, http.client.HTTPException, ValueError, DatasetError) as error:
            failures.append(f"{url}: {_reason(error)}")
    raise DatasetError(f"data file not found: {target}, and downloading it from {' or '.join(urls or source.urls)} "
                       f"failed ({'; '.join(failures)}). {manual_hint(source, target, urls)}")


def manual_hint(source: Source, target: Path, urls: tuple[str, ...] | None = None) -> str:
    """What to do by hand: the URL, where to put the file, and how to check it."""
    url = (urls or source.urls)[0]
    return (f"Fetch it by hand from {url} and save it as {target} ({source.algorithm} {source.digest}), then run "
            f"`python -m pyldl_gpu.datasets fetch {target.parent.name}` again")


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"unreachable ({error.reason})"
    return f"{type(error).__name__}: {error}" if not isinstance(error, DatasetError) else str(error)


class _Bar:
    """A tqdm bar on a terminal (silent elsewhere: the one-line reports say what happened)."""

    def __init__(self, name: str, report) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(desc=name, unit="B", unit_scale=True, disable=None if report is print else True,
                         leave=False)

    def __enter__(self):
        return self._bar

    def __exit__(self, *exc) -> None:
        self._bar.close()


def _urls(source: Source, mirror: str | None) -> tuple[str, ...] | None:
    """The URLs of a source from a mirror (its base URL + the file name), or None for the canonical ones."""
    return None if mirror is None else (mirror.rstrip("/") + "/" + source.name,)


def ensure_file(dataset: DataSet, name: str, directory: Path | None = None, mirror: str | None = None,
                report=print) -> Path:
    """The path of one downloaded file of ``dataset``, fetched when missing; an existing file is checked."""
    source = next(s for s in dataset.sources if s.name == name)
    target = Path(directory or data_home()) / dataset.folder / name
    if not target.is_file():
        download(source, target, _urls(source, mirror), report)
    verify(target, ((source.algorithm, source.digest),))
    return target


def fetch(name: str, directory: str | os.PathLike | None = None, mirror: str | None = None,
          report=print) -> list[Path]:
    """Put the files the loader of ``name`` ('mnist', 'usps', 'olivetti') reads into ``directory`` (default
    data_home(), that is $PYLDL_DATA or the per-user cache), downloading each from its canonical public source (or
    from ``mirror``, a base URL), verifying every checksum, and converting where the loader reads another format.
    Files already there are verified, not fetched again. Returns the paths the loader reads."""
    if name not in DATASETS:
        raise ValueError(f"fetch: unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    dataset = DATASETS[name]
    home = Path(directory or data_home()).expanduser()
    for path in (home, home / dataset.folder):
        if path.exists() and not path.is_dir():
            raise DatasetError(f"fetch: {path} is a file; the directory to fetch {name!r} into must be a folder "
                               "(or a path that does not exist yet)")
    folder = home / dataset.folder
    ready = [folder / f for f in dataset.reads if (folder / f).is_file() and matches(folder / f, dataset.reads[f])]
    if len(ready) == len(dataset.reads):
        report(f"{name}: already there and verified: {', '.join(map(str, ready))}")
        return ready
    downloaded = [ensure_file(dataset, s.name, folder.parent, mirror, report) for s in dataset.sources]
    if dataset.converted:
        from .conversions import CONVERSIONS

        for converted in dataset.converted:
            target = folder / converted
            with replacing(target, PART) as (out, part):
                CONVERSIONS[name](downloaded, out)
                out.flush()
                if not matches(part, dataset.reads[converted]):
                    algorithm, expected = dataset.reads[converted][0]
                    raise DatasetError(f"{target}: converting {', '.join(p.name for p in downloaded)} gave {algorithm} "
                                       f"{digest(part, algorithm)}, which differs from the published {expected}; "
                                       "nothing was written (delete the downloads and fetch them again)")
            report(f"converted {', '.join(p.name for p in downloaded)} -> {target}")
    paths = [folder / f for f in dataset.reads]
    for path in paths:
        verify(path, dataset.reads[path.name])
    report(f"{name}: ready in {folder}")
    return paths
