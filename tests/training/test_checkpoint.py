"""save / load: bit-exact round trips, optimizer state, atomic writes and clear mismatch errors."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def trained(rng):
    net = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=0.01))
    x = rng.standard_normal((40, 5)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    opt.fit(x, y, epochs=2, batch_size=8, verbose=False)
    return net, opt, x, y


def fresh():
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))


def test_round_trip_is_bit_exact_including_optimizer_state(rng, tmp_path):
    net, opt, x, y = trained(rng)
    path = nn.save(net, tmp_path / "model.npz", optimizer=opt.optimizer)
    nn.manual_seed(99)
    other = fresh()
    other_opt = nn.Adam(other, lr=0.5)
    nn.load(other, path, optimizer=other_opt)
    for p, q in zip(net.parameters(), other.parameters()):
        assert q.data.dtype == np.float32
        np.testing.assert_array_equal(nn.to_numpy(p.data), nn.to_numpy(q.data))
    assert other_opt.steps == opt.optimizer.steps and other_opt.lr == 0.01
    for s, t in zip(opt.optimizer.state, other_opt.state):
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(nn.to_numpy(s[key]), nn.to_numpy(t[key]))
    # Training on from the loaded state matches training on from the original, step for step.
    xb, yb = nn.asarray(x[:8]), nn.asarray(y[:8])
    nn.Optim(net, nn.CrossEntropyLoss(), opt.optimizer).step(xb, yb)
    nn.Optim(other, nn.CrossEntropyLoss(), other_opt).step(xb, yb)
    for p, q in zip(net.parameters(), other.parameters()):
        np.testing.assert_array_equal(nn.to_numpy(p.data), nn.to_numpy(q.data))


def test_load_writes_in_place_so_shared_weights_stay_shared(rng, tmp_path):
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    net = nn.Sequential(a, b)
    nn.save(net, tmp_path / "tied.npz")
    data = a.weight.data
    nn.load(net, tmp_path / "tied.npz")
    assert a.weight.data is data and b.weight is a.weight


def test_crash_during_save_keeps_previous_file_and_leaves_no_temp(rng, tmp_path, monkeypatch):
    net, _, _, _ = trained(rng)
    path = tmp_path / "model.npz"
    nn.save(net, path)
    before = path.read_bytes()

    def crash(file, arrays):
        file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(backends, "save_npz", crash)
    net[0].weight.data += 1.0
    with pytest.raises(OSError, match="disk full"):
        nn.save(net, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_shape_mismatch_names_the_parameter(rng, tmp_path):
    net, _, _, _ = trained(rng)
    nn.save(net, tmp_path / "m.npz")
    wrong = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 4))
    before = nn.to_numpy(wrong[0].weight.data).copy()
    with pytest.raises(nn.CheckpointError, match=r"parameter '2.weight' has shape \(7, 3\) in the file, \(7, 4\)"):
        nn.load(wrong, tmp_path / "m.npz")
    np.testing.assert_array_equal(nn.to_numpy(wrong[0].weight.data), before)  # nothing half-loaded


def test_missing_and_unexpected_parameters_are_listed(rng, tmp_path):
    net, _, _, _ = trained(rng)
    nn.save(net, tmp_path / "m.npz")
    bigger = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3), nn.Linear(3, 2))
    with pytest.raises(nn.CheckpointError, match=r"missing \['3.weight', '3.bias'\], unexpected none"):
        nn.load(bigger, tmp_path / "m.npz")


def test_loading_optimizer_from_a_file_without_one_is_explained(rng, tmp_path):
    net, _, _, _ = trained(rng)
    nn.save(net, tmp_path / "m.npz")
    with pytest.raises(nn.CheckpointError, match="saved without an optimizer"):
        nn.load(fresh(), tmp_path / "m.npz", optimizer=nn.SGD(fresh()))


@pytest.mark.parametrize("content", [b"", b"not a zip file at all", b"PK\x03\x04truncated"])
def test_corrupt_file_gives_checkpoint_error(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(nn.CheckpointError, match="not a readable pyldl_gpu checkpoint"):
        nn.load(fresh(), path)


def test_truncated_checkpoint_gives_checkpoint_error(rng, tmp_path):
    net, _, _, _ = trained(rng)
    path = nn.save(net, tmp_path / "m.npz")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(nn.CheckpointError, match="not a readable"):
        nn.load(fresh(), path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(fresh(), tmp_path / "nope.npz")
