"""read_idx checks an idx file's header as soon as its bytes are inflated and never inflates more than the
header promises: a wrong or hostile file costs its first bytes, not the gigabyte it may decompress to."""

from __future__ import annotations

import gzip
import zlib

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.datasets import mnist as mnist_module

np = backends.host()
BIG = 64 << 20  # 64 MiB of zeros compress to about 64 KiB


def _gzip_of(path, header: bytes, payload_bytes: int):
    """A gzip file: header, then payload_bytes zero bytes, compressed in one stream (written in slices)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        f.write(compressor.compress(header))
        block = bytes(1 << 20)
        left = payload_bytes
        while left:
            f.write(compressor.compress(block[:min(left, len(block))]))
            left -= min(left, len(block))
        f.write(compressor.flush())
    return path


@pytest.fixture
def inflated(monkeypatch):
    """How many bytes read_idx takes out of gzip streams."""
    counter = {"bytes": 0}
    real_open = gzip.open

    class Counting:
        def __init__(self, f):
            self.f = f

        def read(self, n=-1):
            data = self.f.read(n)
            counter["bytes"] += len(data)
            return data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(mnist_module.gzip, "open", lambda *a, **k: Counting(real_open(*a, **k)))
    return counter


def _header(magic, dims):
    return b"".join(int(v).to_bytes(4, "big") for v in (magic, *dims))


def test_a_wrong_magic_number_is_refused_after_the_header(tmp_path, inflated):
    """The issue's example: a 1 MB gzip was inflated to 1 GiB before its magic number was checked."""
    path = _gzip_of(tmp_path / "bomb.gz", _header(0x801, (BIG,)), BIG)
    assert path.stat().st_size < BIG // 100
    with pytest.raises(nn.DatasetError, match="not an idx file with magic number 0x803"):
        mnist_module.read_idx(path, 0x803, (10, 28, 28))
    assert inflated["bytes"] <= 16


def test_wrong_dimensions_are_refused_before_the_payload(tmp_path, inflated):
    path = _gzip_of(tmp_path / "wrong.gz", _header(0x803, (BIG // 784, 28, 28)), BIG)
    with pytest.raises(nn.DatasetError, match=r"header says \(85598, 28, 28\); expected \(10, 28, 28\)"):
        mnist_module.read_idx(path, 0x803, (10, 28, 28))
    assert inflated["bytes"] <= 16


def test_data_beyond_what_the_header_promises_is_refused_without_inflating_it(tmp_path, inflated):
    """A right header followed by far more bytes than it announces."""
    path = _gzip_of(tmp_path / "long.gz", _header(0x803, (10, 28, 28)), BIG)
    with pytest.raises(nn.DatasetError, match=r"header says \(10, 28, 28\), more than 7840 bytes follow"):
        mnist_module.read_idx(path, 0x803, (10, 28, 28))
    assert inflated["bytes"] <= 16 + 7840 + 1


def test_a_valid_file_still_reads(tmp_path, inflated):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "ok.gz"
    path.write_bytes(gzip.compress(_header(0x803, (2, 3, 4)) + images.tobytes()))
    np.testing.assert_array_equal(mnist_module.read_idx(path, 0x803, (2, 3, 4)), images)
    assert inflated["bytes"] == 16 + 24  # the header, the payload, and an empty read that proves the end
