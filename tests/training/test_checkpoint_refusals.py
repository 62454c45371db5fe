"""save refuses bad weights, optimizers and paths before touching the file; load accepts a schedule's lr of 0 and
refuses negative variances, duplicate entries and .npy headers that do not fit, before inflating any data."""

from __future__ import annotations

import contextlib
import io
import tracemalloc
import zipfile

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _net():
    nn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1D(2))


def _entries(path):
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _zip(path, members, compression=zipfile.ZIP_STORED):
    """A .npz from (name, bytes) pairs, in order (duplicates allowed, as zipfile warns but writes)."""
    with pytest.warns(UserWarning) if len({n for n, _ in members}) < len(members) else contextlib.nullcontext():
        with zipfile.ZipFile(path, "w", compression=compression) as archive:
            for name, data in members:
                archive.writestr(name + ".npy", data)
    return path


def _weights(net):
    return [nn.to_numpy(a).copy() for _, a in list(net.named_parameters()) + list(net.named_buffers())]


def _assert_unchanged(net, before):
    for now, was in zip(_weights(net), before):
        np.testing.assert_array_equal(now, was)


def test_a_learning_rate_annealed_to_zero_round_trips(tmp_path):
    """CosineAnnealingLR (eta_min=0) ends at lr 0.0; load refused it as 'must be finite and > 0'."""
    net = nn.Linear(3, 2)
    sgd = nn.SGD(net, lr=0.1, momentum=0.9)
    nn.Optim(net, nn.MSELoss(), sgd).fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), epochs=2,
                                         verbose=0, scheduler=nn.CosineAnnealingLR(sgd, T_max=2))
    assert sgd.lr == 0.0
    path = nn.save(net, tmp_path / "cosine.npz", sgd)
    other = nn.Linear(3, 2)
    resumed = nn.SGD(other, lr=0.1, momentum=0.9)
    nn.load(other, path, resumed)
    assert (resumed.lr, resumed.steps) == (0.0, sgd.steps)
    np.testing.assert_array_equal(nn.to_numpy(other.weight.data), nn.to_numpy(net.weight.data))


@pytest.mark.parametrize("lr", [-0.5, float("inf")])
def test_a_negative_or_infinite_saved_learning_rate_is_refused(tmp_path, lr):
    net = _net()
    sgd = nn.SGD(net, lr=0.1)
    entries = _entries(nn.save(net, tmp_path / "good.npz", sgd))
    entries["optim/lr"] = np.array(lr)
    np.savez(tmp_path / "bad.npz", **entries)
    fresh = _net()
    resumed = nn.SGD(fresh, lr=0.1)
    with pytest.raises(nn.CheckpointError, match=rf"bad\.npz: SGD: saved 'lr' must be finite and >= 0, got {lr}"):
        nn.load(fresh, tmp_path / "bad.npz", resumed)
    assert resumed.lr == 0.1


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_save_refuses_non_finite_weights_before_touching_the_file(tmp_path, value):
    """save wrote NaN weights over a good checkpoint, which load then refused."""
    net = _net()
    path = nn.save(net, tmp_path / "model.npz")
    before = path.read_bytes()
    net[1].weight.data[1] = value
    with pytest.raises(nn.CheckpointError, match=r"save: .*model\.npz: parameter '1\.weight' holds NaN or infinite"):
        nn.save(net, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_save_refuses_an_optimizer_of_another_net(tmp_path):
    net, other = _net(), nn.Linear(5, 7)
    with pytest.raises(nn.CheckpointError, match=r"save: .*m\.npz: the optimizer's parameter 0 \('weight', shape "
                                                 r"\(5, 7\)\) is not a parameter of this net"):
        nn.save(net, tmp_path / "m.npz", nn.SGD(other, lr=0.1, momentum=0.9))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("call, message", [
    (lambda p: nn.save("x", p), r"save: net must be a pyldl_gpu Module, got str 'x'"),
    (lambda p: nn.load("x", p), r"load: net must be a pyldl_gpu Module, got str 'x'"),
    (lambda p: nn.save(_net(), p, optimizer="sgd"), r"save: optimizer must be a pyldl_gpu Optimizer, got str 'sgd'"),
    (lambda p: nn.load(_net(), p, optimizer="sgd"), r"load: optimizer must be a pyldl_gpu Optimizer, got str"),
    (lambda p: nn.save(_net(), 123), r"save: path must be a str or os.PathLike, got int 123"),
    (lambda p: nn.save(_net(), ""), r"save: path must name a file, got the empty path ''"),
    (lambda p: nn.load(_net(), "  "), r"load: path must name a file, got the empty path '  '"),
], ids=["save-net", "load-net", "save-optimizer", "load-optimizer", "path-int", "path-empty", "load-path-blank"])
def test_arguments_of_the_wrong_type_are_named(tmp_path, call, message):
    """These gave bare AttributeErrors, or 'PosixPath('.') has an empty name'."""
    path = nn.save(_net(), tmp_path / "good.npz")
    with pytest.raises(TypeError, match=message):
        call(path)


def test_save_names_a_folder_path_and_a_parent_that_is_a_file(tmp_path):
    (tmp_path / "adir").mkdir()
    with pytest.raises(nn.CheckpointError, match=r"save: .*adir is a folder; give a file path such as"):
        nn.save(_net(), tmp_path / "adir")
    afile = tmp_path / "afile"
    afile.write_bytes(b"x")
    with pytest.raises(nn.CheckpointError, match=r"save: cannot write .*afile/sub/m\.npz: .*afile is a file"):
        nn.save(_net(), afile / "sub" / "m.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "afile"] and afile.read_bytes() == b"x"


def test_negative_running_variances_are_refused(tmp_path):
    """They loaded, and the eval forward gave NaN."""
    entries = _entries(nn.save(_net(), tmp_path / "good.npz"))
    entries["buffer/1.running_var"] = np.array([1.0, -5.0], "float32")
    np.savez(tmp_path / "negvar.npz", **entries)
    fresh = _net()
    before = _weights(fresh)
    with pytest.raises(nn.CheckpointError, match=r"negvar\.npz: buffer '1\.running_var' holds negative variances"):
        nn.load(fresh, tmp_path / "negvar.npz")
    _assert_unchanged(fresh, before)


def test_duplicate_entries_are_refused(tmp_path):
    """The second of two 'param/0.weight' members was loaded silently."""
    entries = _entries(nn.save(_net(), tmp_path / "good.npz"))
    members = [(k, _npy(v)) for k, v in entries.items()] + [("param/0.weight", _npy(entries["param/0.weight"] + 7))]
    path = _zip(tmp_path / "dup.npz", members)
    fresh = _net()
    before = _weights(fresh)
    with pytest.raises(nn.CheckpointError, match=r"dup\.npz: entry 'param/0\.weight' appears twice"):
        nn.load(fresh, path)
    _assert_unchanged(fresh, before)


def _lying(shape, descr="<f4") -> bytes:
    """A .npy header declaring ``shape`` followed by 16 bytes of data."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header = header + " " * (118 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\x00" * 16


@pytest.mark.parametrize("name, member, message", [
    ("param/0.weight", _lying((2**40,)), r"parameter '0\.weight' has shape \(1099511627776,\) in the file, \(3, 2\)"),
    ("param/0.weight", _lying((3, 2), "<i4"), r"parameter '0\.weight' is stored as int32"),
    ("optim/state.0.velocity", _lying((2**40,)), r"entry 'optim/state\.0\.velocity' declares shape \(1099511627776,\)"),
], ids=["parameter-shape", "parameter-kind", "optimizer-entry"])
def test_a_lying_npy_header_is_refused_from_the_header(tmp_path, name, member, message):
    """A header claiming 2**40 floats gave a MemoryError (NumPy allocated before reading)."""
    net = _net()
    sgd = nn.SGD(net, lr=0.1, momentum=0.9)
    entries = _entries(nn.save(net, tmp_path / "good.npz", sgd))
    entries.pop(name, None)
    path = _zip(tmp_path / "lying.npz", [(k, _npy(v)) for k, v in entries.items()] + [(name, member)])
    with pytest.raises(nn.CheckpointError, match=rf"lying\.npz: {message}"):
        nn.load(_net(), path, nn.SGD(_net(), lr=0.1, momentum=0.9))


def test_a_deflate_bomb_is_refused_without_inflating_it(tmp_path):
    """A 200 MB array (deflated to ~200 KB) stored for a (3, 2) parameter was inflated in full."""
    entries = _entries(nn.save(_net(), tmp_path / "good.npz"))
    path = tmp_path / "bomb.npz"
    count = 50_000_000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in entries.items():
            if key != "param/0.weight":
                archive.writestr(key + ".npy", _npy(value))
        with archive.open("param/0.weight.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False, "shape": (count,)})
            zeros = bytes(1 << 22)
            for _ in range(4 * count // len(zeros)):
                member.write(zeros)
    assert path.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(nn.CheckpointError, match=r"bomb\.npz: parameter '0\.weight' has shape \(50000000,\)"):
            nn.load(_net(), path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, peak


def test_saving_through_a_symlink_updates_its_target(tmp_path):
    """The link was replaced by a regular file and its target kept the old weights."""
    real = nn.save(nn.Linear(3, 2), tmp_path / "real.npz")
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    net = nn.Linear(3, 2)
    net.weight.data[...] = 0.25
    assert nn.save(net, link) == link
    assert link.is_symlink()
    np.testing.assert_array_equal(_entries(real)["param/weight"], np.full((3, 2), 0.25, "float32"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.npz", "real.npz"]
