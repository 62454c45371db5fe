"""Loaders on the shared files and on tiny files the tests write; toy generators, noise, preprocessing."""

from __future__ import annotations

import gzip
import io
import math
import shutil

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu import datasets as ds
from pyldl_gpu.datasets import download as download_module

np = backends.host()


@pytest.fixture
def shared(data_dir, monkeypatch):
    monkeypatch.setenv("PYLDL_DATA", str(data_dir))
    return data_dir


def _skip_unless(path):
    if not path.is_file():
        pytest.skip(f"data file missing: {path}")


def test_mnist_official_splits(shared):
    _skip_unless(shared / "mnist" / "t10k-images-idx3-ubyte.gz")
    x, y = ds.load_mnist("test", download=False)
    assert x.shape == (10000, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert abs(float(x.mean()) * 255 - 33.791) < 1e-3 and x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    x, y = ds.load_mnist("train", download=False)
    assert x.shape == (60000, 28, 28) and abs(float(x.mean()) - 0.1307) < 1e-4 and y[:5].tolist() == [5, 0, 4, 1, 9]
    assert np.bincount(y).tolist()[:3] == [5923, 6742, 5958]
    with pytest.raises(ValueError, match="'train' or 'test'"):
        ds.load_mnist("validation")


def test_usps(shared):
    _skip_unless(shared / "usps" / "usps.npz")
    x_train, _, x_test, y_test = ds.load_usps()
    assert x_train.shape == (7291, 16, 16) and x_test.shape == (2007, 16, 16)
    assert np.bincount(y_test).tolist() == [359, 264, 198, 166, 200, 160, 170, 147, 166, 177]
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0 and x_train.dtype == np.float32


def test_olivetti_matches_scikit_learn_orientation(shared):
    _skip_unless(shared / "olivetti" / "olivettifaces.mat")
    images, people = ds.load_olivetti()
    assert images.shape == (400, 64, 64) and people.tolist()[:12] == [0] * 10 + [1, 1]
    data = images.reshape(400, -1)  # scikit-learn's `data`
    np.testing.assert_allclose(data[0, :3], [0.30991736, 0.3677686, 0.41735536], rtol=1e-6)
    np.testing.assert_allclose(data[0, -3:], [0.15289256, 0.16115703, 0.1570248], rtol=1e-6)
    np.testing.assert_allclose(data[2, :3], [0.3181818, 0.40082645, 0.49173555], rtol=1e-6)
    assert images.max() == 1.0 and images.min() == 0.0 and abs(float(images.mean()) - 0.5470425) < 1e-6


def test_digits_ship_with_scikit_learn():
    x, y = ds.load_digits()
    assert x.shape == (1797, 8, 8) and x.max() == 1.0 and set(np.unique(y)) == set(range(10))


def _idx_bytes(magic: int, array) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_read_idx_on_a_tiny_valid_file(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    path = tmp_path / "tiny.gz"
    path.write_bytes(gzip.compress(_idx_bytes(0x803, images)))
    np.testing.assert_array_equal(ds.read_idx(path, 0x803, (2, 3, 4)), images)


@pytest.mark.parametrize("content, message", [  # mtime=0: the same bytes (and test ids) in every process
    (b"not gzip at all", "not a readable gzip file"),
    (gzip.compress(_idx_bytes(0x803, np.zeros((2, 3, 4))), mtime=0)[:-12], "not a readable gzip file"),
    (gzip.compress(_idx_bytes(0x801, np.zeros((2, 3, 4))), mtime=0), "magic number 0x803"),
    (gzip.compress(_idx_bytes(0x803, np.zeros((2, 3, 4)))[:-5], mtime=0), r"header says \(2, 3, 4\), 19 bytes follow"),
    (gzip.compress(b"\x00\x00", mtime=0), "magic number"),
], ids=["not-gzip", "truncated-gzip", "wrong-magic", "truncated-payload", "short-header"])
def test_read_idx_rejects_corrupt_and_truncated_files_clearly(tmp_path, content, message):
    path = tmp_path / "bad.gz"
    path.write_bytes(content)
    with pytest.raises(nn.DatasetError, match=message):
        ds.read_idx(path, 0x803, (2, 3, 4))


def test_missing_files_name_the_path_and_the_remedy(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLDL_DATA", str(tmp_path))
    with pytest.raises(nn.DatasetError, match=rf"{tmp_path}/usps/usps.npz.*get usps.npz"):
        ds.load_usps()
    with pytest.raises(nn.DatasetError, match=r"olivettifaces\.mat"):
        ds.load_olivetti()
    with pytest.raises(nn.DatasetError, match=r"t10k-images-idx3-ubyte.gz; put the official MNIST files there"):
        ds.load_mnist("test", download=False)


def test_corrupt_shared_style_file_fails_its_checksum(tmp_path, monkeypatch, data_dir):
    source = data_dir / "usps" / "usps.npz"
    _skip_unless(source)
    (tmp_path / "usps").mkdir()
    (tmp_path / "usps" / "usps.npz").write_bytes(source.read_bytes()[:1000])
    monkeypatch.setenv("PYLDL_DATA", str(tmp_path))
    with pytest.raises(nn.DatasetError, match=r"md5 .* differs from the published"):
        ds.load_usps()


def test_failed_download_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLDL_DATA", str(tmp_path))

    def offline(url, timeout):
        raise OSError("network unreachable")

    monkeypatch.setattr(download_module.urllib.request, "urlopen", offline)
    with pytest.raises(nn.DatasetError, match=r"downloading it from .* failed .*network unreachable"):
        ds.load_mnist("test")


def test_download_keeps_only_checksum_verified_files(tmp_path, monkeypatch, data_dir):
    src = data_dir / "mnist"
    _skip_unless(src / "t10k-images-idx3-ubyte.gz")
    monkeypatch.setenv("PYLDL_DATA", str(tmp_path))
    served = []

    def mirror(url, timeout):
        served.append(url.rsplit("/", 1)[1])
        return io.BytesIO((src / served[-1]).read_bytes())

    monkeypatch.setattr(download_module.urllib.request, "urlopen", mirror)
    x, y = ds.load_mnist("test")
    assert served == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] and x.shape == (10000, 28, 28)
    assert y.shape == (10000,)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(served)  # saved, nothing else
    shutil.rmtree(tmp_path / "mnist")
    monkeypatch.setattr(download_module.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"tampered"))
    with pytest.raises(nn.DatasetError, match="md5"):
        ds.load_mnist("test")
    assert list((tmp_path / "mnist").iterdir()) == []  # nothing unverified is kept


def test_data_home_falls_back_to_a_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("PYLDL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert ds.data_home() == tmp_path / "pyldl_gpu"


def test_toy_generators_are_seeded_and_shaped():
    x, y, w, b = ds.make_linear_regression(100, 4, noise=0.0, seed=1)
    np.testing.assert_allclose(x @ w + b, y, rtol=1e-5, atol=1e-5)
    x, y = ds.make_blobs(300, centers=3, seed=2)
    assert x.shape == (300, 2) and np.bincount(y).tolist() == [100, 100, 100]
    np.testing.assert_array_equal(ds.make_blobs(300, centers=3, seed=2)[0], x)
    x, y = ds.make_circle_in_square(20000, seed=3)
    assert abs(y.mean() - 0.5) < 0.02  # radius 1/sqrt(2 pi): half the square
    assert ((x - 0.5) ** 2).sum(1)[y == 1].max() < 1 / (2 * math.pi)
    x, y = ds.make_xor(400, seed=4)
    assert x.dtype == np.float32 and set(y.tolist()) == {0, 1}
    assert (y == (np.round(x[:, 0]).astype(int) ^ np.round(x[:, 1]).astype(int))).mean() > 0.99
    x, y = ds.make_spirals(500, arms=2, seed=5)
    assert x.shape == (500, 2) and np.bincount(y).tolist() == [250, 250]


def test_noise_models_stay_in_range_and_hit_the_requested_fraction():
    x = np.full((200, 50), 0.5, dtype=np.float32)
    g = ds.gaussian_noise(x, 0.3, seed=1)
    assert g.dtype == np.float32 and g.min() >= 0 and g.max() <= 1 and abs(float((g - x).std()) - 0.3) < 0.03
    s = ds.salt_and_pepper(x, 0.4, seed=1)
    changed = s != 0.5
    assert abs(changed.mean() - 0.4) < 0.02 and set(np.unique(s[changed]).tolist()) == {0.0, 1.0}
    m = ds.binomial_mask(x, 0.25, seed=1)
    assert abs((m == 0).mean() - 0.25) < 0.02
    with pytest.raises(ValueError, match="fraction"):
        ds.salt_and_pepper(x, 1.5)


def test_min_max_scale_and_stratified_split():
    scaled = ds.min_max_scale(np.array([2.0, 4.0, 6.0]), -1, 1)
    np.testing.assert_allclose(scaled, [-1, 0, 1])
    assert ds.min_max_scale(np.ones(3)).tolist() == [0, 0, 0]
    x = np.arange(1000, dtype=np.float32)[:, None]
    y = np.repeat(np.arange(4), [100, 200, 300, 400])
    x_tr, y_tr, x_va, y_va, x_te, y_te = ds.stratified_split(x, y, validation=0.1, test=0.2, seed=0)
    assert len(x_va) == len(y_va) == 100 and len(y_tr) == 700 and len(y_va) == 100 and len(y_te) == 200
    assert np.bincount(y_te).tolist() == [20, 40, 60, 80]
    assert not set(x_tr[:, 0]) & set(x_te[:, 0])
    with pytest.raises(ValueError, match="validation"):
        ds.stratified_split(x, y, validation=0.5, test=0.6)


def test_mnist_pairs_are_halved_labelled_and_reproducible():
    images = np.arange(8 * 4 * 4, dtype=np.float32).reshape(8, 4, 4) / 128.0
    labels = np.array([3, 0, 4, 1, 5, 7, 2, 6])  # unique: a label names its image
    x, target, classes = ds.make_pairs(images, labels, 4, seed=1)
    assert x.shape == (4, 2, 2, 2) and x.dtype == np.float32 and target.dtype == np.int64
    np.testing.assert_array_equal(target, (classes[:, 0] <= classes[:, 1]).astype(np.int64))
    assert len(set(classes.ravel().tolist())) == 8, "pairs use distinct images"
    for i in range(4):
        for k in range(2):
            source = images[int(np.flatnonzero(labels == classes[i, k])[0])]
            np.testing.assert_allclose(x[i, k], source.reshape(2, 2, 2, 2).mean(axis=(1, 3)), rtol=1e-6)
    np.testing.assert_array_equal(ds.make_pairs(images, labels, 4, seed=1)[0], x)
    with pytest.raises(ValueError, match=r"n must be in \[1, 4\]"):
        ds.make_pairs(images, labels, 5)


def test_load_mnist_pairs_pairs_the_official_split(shared):
    _skip_unless(shared / "mnist" / "t10k-images-idx3-ubyte.gz")
    x, target, classes = ds.load_mnist_pairs(5, "test", seed=2, download=False)
    expected = ds.make_pairs(*ds.load_mnist("test", download=False), 5, seed=2)
    assert x.shape == (5, 2, 14, 14)
    for got, want in zip((x, target, classes), expected):
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- fetching, against a local HTTP server
import contextlib  # noqa: E402
import hashlib  # noqa: E402
import http.server  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import typing  # noqa: E402

from pyldl_gpu.datasets import __main__ as datasets_cli  # noqa: E402
from pyldl_gpu.datasets import conversions  # noqa: E402
from pyldl_gpu.datasets.sources import Source  # noqa: E402

GOOD = bytes(range(256)) * 64  # 16 KiB
GOOD_MD5 = hashlib.md5(GOOD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves `files` (name -> bytes) and a few misbehaving paths: corrupt/NAME (one byte changed), truncated/NAME
    (the first half, with a matching length: a short file), drop/NAME (announces the whole file, sends half,
    then resets the connection); anything else is a 404."""

    files: typing.ClassVar[dict] = {}
    served: typing.ClassVar[list] = []

    def do_GET(self):
        kind, _, name = self.path.strip("/").rpartition("/")
        self.served.append(self.path)
        body = self.files.get(name)
        if body is None or kind not in ("", "corrupt", "truncated", "drop"):
            self.send_error(404)
            return
        if kind == "corrupt":
            body = body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]
        sent = body[: len(body) // 2] if kind in ("truncated", "drop") else body
        self.send_response(200)
        self.send_header("Content-Length", str(len(body) if kind == "drop" else len(sent)))
        self.end_headers()
        self.wfile.write(sent)
        if kind == "drop":
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()

    def log_message(self, *args):  # keep the test output clean
        pass


@contextlib.contextmanager
def _server(files: dict):
    """A threaded HTTP server on 127.0.0.1 (a free port) serving `files`; yields its base URL."""
    handler = type("Handler", (_Handler,), {"files": dict(files), "served": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _tiny_source(*urls):
    return Source("tiny.bin", tuple(urls), "md5", GOOD_MD5)


def _quiet(line):
    pass


def test_fetch_downloads_a_good_file_atomically(tmp_path):
    target = tmp_path / "tiny" / "tiny.bin"
    with _server({"tiny.bin": GOOD}) as (url, served):
        lines = []
        assert download_module.download(_tiny_source(f"{url}/tiny.bin"), target, report=lines.append) == target
    assert target.read_bytes() == GOOD and served == ["/tiny.bin"]
    assert lines == [f"downloaded {url}/tiny.bin -> {target}"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["tiny.bin"]  # no temporary file left


@pytest.mark.parametrize("kind, reason", [
    ("corrupt", r"md5 \w+ differs from the published"),
    ("truncated", r"md5 \w+ differs from the published"),
    ("drop", r"IncompleteRead|ConnectionResetError|closed after"),
    ("missing", r"HTTP 404"),
])
def test_a_failed_download_leaves_no_partial_file(tmp_path, kind, reason):
    target = tmp_path / "tiny" / "tiny.bin"
    with _server({"tiny.bin": GOOD}) as (url, _):
        with pytest.raises(nn.DatasetError, match=reason) as failure:
            download_module.download(_tiny_source(f"{url}/{kind}/tiny.bin"), target, report=_quiet)
    assert not target.exists() and list(target.parent.iterdir()) == []
    message = str(failure.value)
    assert f"Fetch it by hand from {url}/{kind}/tiny.bin and save it as {target} (md5 {GOOD_MD5})" in message


def test_fetch_falls_back_to_the_next_url(tmp_path):
    target = tmp_path / "tiny.bin"
    with _server({"tiny.bin": GOOD}) as (url, served):
        download_module.download(_tiny_source(f"{url}/corrupt/tiny.bin", f"{url}/tiny.bin"), target, report=_quiet)
    assert target.read_bytes() == GOOD and served == ["/corrupt/tiny.bin", "/tiny.bin"]


def test_offline_prints_the_url_to_fetch_by_hand_and_where_to_put_it(tmp_path, capsys):
    with socket.socket() as probe:  # a port nobody listens on: connections are refused at once
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    assert datasets_cli.main(["fetch", "olivetti", "--dir", str(tmp_path), "--mirror", closed]) == 1
    err = capsys.readouterr().err
    target = tmp_path / "olivetti" / "olivettifaces.mat"
    assert f"{closed}/olivettifaces.mat: unreachable" in err
    assert f"Fetch it by hand from {closed}/olivettifaces.mat and save it as {target}" in err
    assert "not fetched: olivetti" in err and not target.exists()


def test_without_a_mirror_the_hint_names_the_canonical_source(tmp_path):
    source = ds.sources.USPS.sources[0]
    hint = download_module.manual_hint(source, tmp_path / "usps" / source.name)
    assert "https://hastie.su.domains/ElemStatLearn/datasets/zip.train.gz" in hint
    assert f"save it as {tmp_path}/usps/zip.train.gz (md5 206835541ea704bcfb4b6eea872678bf)" in hint
    assert "fetch usps" in hint


def test_fetch_mnist_by_command_from_a_mirror(tmp_path, data_dir, capsys):
    src = data_dir / "mnist"
    _skip_unless(src / "train-images-idx3-ubyte.gz")
    files = {p.name: p.read_bytes() for p in src.glob("*.gz")}
    with _server(files) as (url, served):
        assert datasets_cli.main(["fetch", "mnist", "--dir", str(tmp_path), "--mirror", url + "/"]) == 0
        assert len(served) == 4
        assert datasets_cli.main(["fetch", "mnist", "--dir", str(tmp_path), "--mirror", url]) == 0
        assert len(served) == 4  # verified files are not fetched again
    out = capsys.readouterr().out
    assert f"mnist: ready in {tmp_path}/mnist" in out and "already there and verified" in out
    for name, body in files.items():
        assert (tmp_path / "mnist" / name).read_bytes() == body
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(files)


def test_usps_conversion_reproduces_the_reference_file_byte_for_byte(tmp_path, data_dir):
    reference = data_dir / "usps" / "usps.npz"
    _skip_unless(reference)
    data = backends.load_npz(reference)
    downloads = []
    for split in ("train", "test"):  # the ESL text files, rebuilt from the reference: digit, then 256 values
        v = 2.0 * data[f"x_{split}"].reshape(-1, 256).astype(np.float64) - 1.0
        table = np.column_stack([data[f"y_{split}"].astype(np.float64), v])
        text = "\n".join(" ".join(f"{value:.4f}" for value in row) for row in table) + "\n"
        path = tmp_path / f"zip.{split}.gz"
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
        downloads.append(path)
    out = tmp_path / "usps.npz"
    with open(out, "wb") as f:
        conversions.usps(downloads, f)
    assert hashlib.md5(out.read_bytes()).hexdigest() == ds.sources.USPS.reads["usps.npz"][0][1]
    assert out.read_bytes() == reference.read_bytes()


def test_a_conversion_that_fails_its_checksum_leaves_nothing(tmp_path, monkeypatch):
    folder = tmp_path / "usps"
    folder.mkdir()
    for source in ds.sources.USPS.sources:  # stand-ins with the published names; their checksums are patched
        (folder / source.name).write_bytes(gzip.compress(b"1 " + b"0.5 " * 256 + b"\n", mtime=0))
    fake = tuple(Source(s.name, s.urls, "md5", hashlib.md5((folder / s.name).read_bytes()).hexdigest())
                 for s in ds.sources.USPS.sources)
    monkeypatch.setitem(ds.sources.DATASETS, "usps", ds.sources.DataSet(
        "usps", "usps", fake, ds.sources.USPS.reads, ds.sources.USPS.converted))
    converted = r"usps.npz: converting zip.train.gz, zip.test.gz gave md5 \w+, which differs from the published 1e2b"
    with pytest.raises(nn.DatasetError, match=converted):
        download_module.fetch("usps", tmp_path, report=_quiet)
    assert sorted(p.name for p in folder.iterdir()) == ["zip.test.gz", "zip.train.gz"]


def test_olivetti_loader_accepts_the_canonical_and_the_re_saved_file():
    accepted = dict((algorithm, digest) for algorithm, digest in ds.sources.OLIVETTI.reads["olivettifaces.mat"])
    assert accepted == {"sha256": ds.sources.OLIVETTI.sources[0].digest, "md5": "7be4afc20ba95152afb4c6b4b5d45c5b"}


def test_unknown_data_set_names_the_choices():
    with pytest.raises(ValueError, match="choose one of mnist, usps, olivetti"):
        download_module.fetch("cifar")
    with pytest.raises(SystemExit):
        datasets_cli.main(["fetch", "cifar"])


def test_a_killed_downloads_partial_file_is_removed_by_the_next_download(tmp_path):
    """A download killed mid-transfer left its .part file forever (mkstemp's name, no way to tell it was dead)."""
    target = tmp_path / "tiny" / "tiny.bin"
    target.parent.mkdir()
    for stale in (".tiny.bin.c3zbnxiu.part", ".tiny.bin.pyldl_gpu-0123456789ab.part"):  # old and current names
        (target.parent / stale).write_bytes(b"x" * 1000)
    (target.parent / "notes.part").write_bytes(b"the user's")  # not this library's pattern: kept
    live = target.parent / ".other.bin.pyldl_gpu-aaaaaaaaaaaa.part"
    with open(live, "wb") as held:  # a download still running: its writer holds the lock
        fcntl = pytest.importorskip("fcntl")
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with _server({"tiny.bin": GOOD}) as (url, _):
            download_module.download(_tiny_source(f"{url}/tiny.bin"), target, report=_quiet)
    assert sorted(p.name for p in target.parent.iterdir()) == [live.name, "notes.part", "tiny.bin"]


def test_loading_mnist_removes_a_killed_downloads_partial_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLDL_DATA", str(tmp_path))
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / ".t10k-images-idx3-ubyte.gz.abc123.part").write_bytes(b"x" * 1000)
    with pytest.raises(nn.DatasetError, match="data file not found"):
        ds.load_mnist("test", download=False)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_fetch_into_a_file_names_the_path(tmp_path):
    afile = tmp_path / "afile"
    afile.write_bytes(b"x")
    with pytest.raises(nn.DatasetError, match=rf"fetch: {afile} is a file; the directory to fetch 'mnist' into"):
        ds.fetch("mnist", directory=afile, report=_quiet)
    assert afile.read_bytes() == b"x"


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1:]


@pytest.mark.parametrize("index", [-9, -7], ids=["deflate-block", "crc"])
def test_a_corrupt_gzip_stream_is_called_corrupt(tmp_path, index):
    """A flipped byte of the last deflate block read as 'more than 24 bytes follow'."""
    path = tmp_path / "bad.gz"
    path.write_bytes(_flip(gzip.compress(_idx_bytes(0x803, np.zeros((2, 3, 4))), mtime=0), index))
    with pytest.raises(nn.DatasetError, match=r"bad\.gz: the gzip stream is corrupt"):
        ds.read_idx(path, 0x803, (2, 3, 4))
