"""pyldl_gpu.tuning.grid_search: ranking, reproducibility across workers (joblib processes, a 2-worker Dask
LocalCluster), saving the best model, and clear errors."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends, datasets
from pyldl_gpu.tuning import MLPBuilder, grid_points, grid_search, trial_seed

np = backends.host()
GRID = {"activation": ["relu", "tanh"], "hidden": [(16,)], "loss": ["ce", "mse"], "lr": [0.05], "batch_size": [32]}


@pytest.fixture(scope="module")
def digits():
    x, y = datasets.load_digits()
    x_train, y_train, _, _, x_val, y_val = datasets.stratified_split(x.reshape(len(x), -1), y, test=0.2, seed=0)
    return (x_train[:600], y_train[:600]), (x_val[:300], y_val[:300])


def _search(digits, **kwargs):
    return grid_search(MLPBuilder(64, 10), GRID, *digits, epochs=3, **kwargs)


def test_sequential_search_ranks_trials_and_saves_the_best(digits, tmp_path):
    result = _search(digits, save_best=tmp_path / "best.npz")
    scores = [t.scores["val_accuracy"] for t in result.trials]
    assert len(scores) == 4 and scores == sorted(scores, reverse=True)
    assert scores[0] > 0.6, "the best of four small MLPs learns digits"
    table = result.table()
    assert table.splitlines()[0].startswith("| rank | activation | hidden | loss | lr | batch_size | val_loss")
    assert len(table.splitlines()) == 2 + 4
    net, *_ = MLPBuilder(64, 10)(result.best.params)
    nn.load(net, tmp_path / "best.npz")
    assert nn.evaluate(net, *digits[1])["accuracy"] == pytest.approx(scores[0])


def test_parallel_processes_give_the_same_table(digits):
    assert _search(digits, n_jobs=2).rows() == _search(digits).rows()


def test_dask_cluster_of_two_workers_gives_the_same_table(digits):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is an optional extra")
    sequential = _search(digits).rows()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster):
        assert _search(digits, backend="dask").rows() == sequential


def test_trial_seeds_depend_on_parameters_only():
    a, b = {"lr": 0.1, "act": "relu"}, {"act": "relu", "lr": 0.1}
    assert trial_seed(0, a) == trial_seed(0, b) != trial_seed(1, a)
    assert trial_seed(0, a) != trial_seed(0, {"lr": 0.01, "act": "relu"})


def test_grid_errors_are_clear():
    with pytest.raises(ValueError, match="grid is empty"):
        grid_points({})
    with pytest.raises(ValueError, match=r"grid\['lr'\] must be a non-empty list"):
        grid_points({"lr": []})
    with pytest.raises(ValueError, match=r"grid\['activation'\] must be a non-empty list"):
        grid_points({"activation": "relu"})
    assert len(grid_points({"a": [1, 2], "b": [3, 4, 5]})) == 6


def test_unknown_score_is_named(digits):
    with pytest.raises(ValueError, match="score 'val_f1' is not one of"):
        grid_search(MLPBuilder(64, 10), {"lr": [0.05]}, *digits, epochs=1, score="val_f1")


def test_score_direction_follows_the_auto_rule_unless_given():
    """grid_search(score='val_loss') kept maximize=True and ranked the worst trial first."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    grid = {"lr": [1e-4, 0.5], "hidden": [(8,)]}
    by_loss = grid_search(MLPBuilder(4, 2), grid, (x, y), (x, y), epochs=3, score="val_loss")
    losses = [t.scores["val_loss"] for t in by_loss.trials]
    assert losses == sorted(losses) and not by_loss.maximize and by_loss.best.params["lr"] == 0.5
    told = grid_search(MLPBuilder(4, 2), grid, (x, y), (x, y), epochs=3, score="val_loss", maximize=True)
    assert [t.scores["val_loss"] for t in told.trials] == sorted(losses, reverse=True)
    by_accuracy = grid_search(MLPBuilder(4, 2), grid, (x, y), (x, y), epochs=3)
    assert by_accuracy.maximize
    with pytest.raises(TypeError, match="grid_search: maximize must be True, False or None"):
        grid_search(MLPBuilder(4, 2), grid, (x, y), (x, y), epochs=1, maximize="yes")
