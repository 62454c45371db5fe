"""load refuses what is not a checkpoint, or not this model's, naming the file and the entry; saves that were
killed leave nothing behind once the folder is used again; saved files get the umask's permissions."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import zipfile

import pytest
from paths import ROOT

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _net():
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))


def _trained(tmp_path):
    net = _net()
    opt = nn.Adam(net, lr=0.01)
    rng = np.random.default_rng(0)
    nn.Optim(net, nn.CrossEntropyLoss(), opt).fit(rng.standard_normal((16, 5)).astype(np.float32),
                                                  rng.integers(0, 3, 16), epochs=1, batch_size=8, verbose=False)
    return net, opt, nn.save(net, tmp_path / "good.npz", optimizer=opt)


def _rewrite(path, target, change):
    """Copy the checkpoint at path to target with change(entries) applied."""
    with np.load(path, allow_pickle=False) as data:
        entries = {name: data[name] for name in data.files}
    change(entries)
    np.savez(target, **entries)
    return target


class Unchanged:
    def __init__(self, net, optimizer=None):
        self.net, self.optimizer = net, optimizer
        self.weights = [nn.to_numpy(p.data).copy() for p in net.parameters()]
        self.state = None if optimizer is None else (optimizer.steps, optimizer.lr, [
            {k: nn.to_numpy(v).copy() for k, v in s.items()} for s in optimizer.state])

    def check(self):
        for p, w in zip(self.net.parameters(), self.weights):
            np.testing.assert_array_equal(nn.to_numpy(p.data), w)
        if self.optimizer is not None:
            steps, lr, states = self.state
            assert (self.optimizer.steps, self.optimizer.lr) == (steps, lr)
            for now, before in zip(self.optimizer.state, states):
                assert now.keys() == before.keys()
                for k in now:
                    np.testing.assert_array_equal(nn.to_numpy(now[k]), before[k])


@pytest.mark.parametrize("stored", [
    np.zeros((5, 4), dtype=np.int64), np.zeros((5, 4), dtype=bool), np.full((5, 4), "w"),
    np.zeros((5, 4), dtype=np.complex64),
], ids=["integer", "bool", "string", "complex"])
def test_parameters_of_another_kind_are_refused(tmp_path, stored):
    """Integer, bool and complex parameters were cast without a word; strings gave a bare NumPy error."""
    _, _, good = _trained(tmp_path)
    bad = _rewrite(good, tmp_path / "bad.npz", lambda e: e.__setitem__("param/0.weight", stored))
    fresh = _net()
    unchanged = Unchanged(fresh)
    with pytest.raises(nn.CheckpointError, match=rf"bad\.npz: parameter '0\.weight' is stored as {stored.dtype}"):
        nn.load(fresh, bad)
    unchanged.check()


def test_float64_is_rounded_into_float32_and_values_beyond_its_range_are_refused(tmp_path):
    net, _, good = _trained(tmp_path)
    w64 = nn.to_numpy(net[0].weight.data).astype(np.float64) + 1e-12  # not a float32 value any more
    rounded = _rewrite(good, tmp_path / "f64.npz", lambda e: e.__setitem__("param/0.weight", w64))
    fresh = nn.load(_net(), rounded)
    assert fresh[0].weight.data.dtype == np.float32
    np.testing.assert_array_equal(nn.to_numpy(fresh[0].weight.data), w64.astype(np.float32))
    huge = _rewrite(good, tmp_path / "huge.npz", lambda e: e.__setitem__("param/0.weight", w64 * 1e39))
    unchanged = Unchanged(fresh)
    with pytest.raises(nn.CheckpointError, match=r"huge\.npz: parameter '0\.weight' holds values beyond float32's "
                                                 "range"):
        nn.load(fresh, huge)
    nan = _rewrite(good, tmp_path / "nan.npz", lambda e: e["param/2.bias"].__setitem__(1, np.nan))
    with pytest.raises(nn.CheckpointError, match=r"nan\.npz: parameter '2\.bias' holds NaN or infinite values"):
        nn.load(fresh, nan)
    unchanged.check()


def _write_npy(path):
    with open(path, "wb") as file:  # np.save(path) would add .npy to the name
        np.save(file, np.zeros(3))


def _write_pickle(path):
    path.write_bytes(pickle.dumps({"param/0.weight": np.zeros((5, 4))}))


def _write_object_entry(path):
    np.savez(path, **{"param/0.weight": np.array([{"a": 1}], dtype=object)})


def _write_foreign_npz(path):
    np.savez(path, weights=np.zeros((5, 4)))


def _write_zip_of_bytes(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("param/0.weight", b"not an array")


def _make_folder(path):
    path.mkdir()


@pytest.mark.parametrize("write, message", [
    (_write_npy, r"a single NumPy array \(\.npy\), not a checkpoint"),
    (_write_pickle, "a Python pickle, not a checkpoint"),
    (_write_object_entry, r"entry 'param/0\.weight' holds Python objects \(a pickle\)"),
    (_write_foreign_npz, r"entry 'weights' is not part of a pyldl_gpu checkpoint"),
    (_write_zip_of_bytes, r"entry 'param/0\.weight' is not a NumPy array"),
    (_make_folder, "a folder, not a checkpoint file"),
], ids=["npy", "pickle", "object-array", "foreign-npz", "zip-of-bytes", "folder"])
def test_files_that_are_not_checkpoints_are_refused_without_suggesting_pickles(tmp_path, write, message):
    """A .npy gave an AttributeError; pickles and object arrays gave NumPy's message suggesting allow_pickle."""
    path = tmp_path / "model.npz"
    write(path)
    fresh = _net()
    unchanged = Unchanged(fresh)
    with pytest.raises(nn.CheckpointError, match=message) as info:
        nn.load(fresh, path)
    assert str(path) in str(info.value) and "allow_pickle" not in str(info.value)
    unchanged.check()


@pytest.mark.parametrize("change, message", [
    (lambda e: e.__setitem__("optim/steps", np.array([1, 2])), r"saved 'steps' must be an integer, got int64 of "
                                                               r"shape \(2,\)"),
    (lambda e: e.__setitem__("optim/steps", np.array(-3)), r"saved 'steps' must be >= 0, got -3"),
    (lambda e: e.__setitem__("optim/steps", np.array(1.5)), "saved 'steps' must be an integer"),
    (lambda e: e.__setitem__("optim/lr", np.array(np.nan)), "saved 'lr' must be finite and >= 0, got nan"),
    (lambda e: e.__setitem__("optim/lr", np.array("fast")), "saved 'lr' must be a number"),
    (lambda e: e.__setitem__("optim/state.x.exp_avg", np.zeros((5, 4), np.float32)),
     r"saved entry 'state\.x\.exp_avg' is not optimizer state"),
    (lambda e: e.__setitem__("optim/state.0", np.zeros((5, 4), np.float32)), r"saved entry 'state\.0' is not"),
    (lambda e: e.__setitem__("optim/state.9.exp_avg", np.zeros((5, 4), np.float32)),
     r"saved state 'state\.9\.exp_avg' does not fit this optimizer \(4 parameters; slots: exp_avg, exp_avg_sq\)"),
    (lambda e: e.__setitem__("optim/state.0.velocity", np.zeros((5, 4), np.float32)),
     r"'state\.0\.velocity' does not fit"),
    (lambda e: e.__setitem__("optim/state.0.exp_avg", np.zeros((5, 4), np.int32)),
     r"saved state 'state\.0\.exp_avg' must hold floating-point numbers, got int32"),
    (lambda e: e["optim/state.1.exp_avg_sq"].__setitem__(0, np.inf), r"'state\.1\.exp_avg_sq' holds NaN or infinite"),
    (lambda e: e.pop("optim/state.2.exp_avg_sq"), r"no saved state state\.2\.exp_avg_sq for parameter 2"),
], ids=["steps-array", "steps-negative", "steps-float", "lr-nan", "lr-string", "index-not-a-number", "no-slot",
        "index-too-large", "foreign-slot", "integer-state", "infinite-state", "missing-slot"])
def test_malformed_optimizer_entries_are_refused_naming_the_file_and_entry(tmp_path, change, message):
    """Malformed optimizer entries gave bare TypeErrors and ValueErrors, or were taken (a NaN learning rate)."""
    _, _, good = _trained(tmp_path)
    bad = _rewrite(good, tmp_path / "bad.npz", change)
    fresh = _net()
    optimizer = nn.Adam(fresh, lr=0.5)
    unchanged = Unchanged(fresh, optimizer)
    with pytest.raises(nn.CheckpointError, match=message) as info:
        nn.load(fresh, bad, optimizer=optimizer)
    assert str(bad) in str(info.value) and "Adam" in str(info.value)
    unchanged.check()


_SLOW_SAVE = textwrap.dedent("""
    import sys, time
    import pyldl_gpu as nn
    from pyldl_gpu import backends

    def slow(file, arrays):
        file.write(b"partial")
        file.flush()
        print("writing", flush=True)
        time.sleep(120)

    backends.save_npz = slow
    nn.save(nn.Linear(3, 2), sys.argv[1])
""")


def _start_slow_save(path):
    """A process whose save of path stops halfway (its temporary file open); returns it once it is writing."""
    child = subprocess.Popen([sys.executable, "-c", _SLOW_SAVE, str(path)], stdout=subprocess.PIPE, text=True,
                             cwd=ROOT, env={**os.environ, "PYLDL_DEVICE": "cpu"})
    assert child.stdout.readline().strip() == "writing"
    child.stdout.close()
    return child


def _kill(child):
    child.send_signal(signal.SIGKILL)
    child.wait()


def _temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_killed_saves_leave_no_temporary_file_once_the_folder_is_used_again(tmp_path):
    """50 killed saves left 41 temporary files (149 MB) forever."""
    path = tmp_path / "model.npz"
    nn.save(_net(), path)
    before = path.read_bytes()
    for _ in range(3):
        _kill(_start_slow_save(path))  # each save first removes the temporary file the last one left
        assert len(_temporaries(tmp_path)) == 1 and path.read_bytes() == before  # the old checkpoint is intact
    nn.load(_net(), path)  # a load in that folder cleans up
    assert _temporaries(tmp_path) == []
    _kill(_start_slow_save(path))
    nn.save(_net(), tmp_path / "other.npz")  # so does a save of another file in it
    assert _temporaries(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "other.npz"]


def test_a_live_save_keeps_its_temporary_file(tmp_path):
    """Cleaning up never removes the file of a save that is still running, in another process."""
    path = tmp_path / "model.npz"
    child = _start_slow_save(path)
    try:
        live = _temporaries(tmp_path)
        assert len(live) == 1
        nn.save(_net(), tmp_path / "other.npz")
        assert _temporaries(tmp_path) == live
    finally:
        _kill(child)
    nn.save(_net(), tmp_path / "other.npz")
    assert _temporaries(tmp_path) == []


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_saved_files_get_the_permissions_of_the_umask(tmp_path, umask):
    """Saves were always 0600 (mkstemp's mode), whatever the umask."""
    previous = os.umask(umask)
    try:
        path = nn.save(_net(), tmp_path / "model.npz")
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
