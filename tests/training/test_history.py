"""History.best picks the best epoch by EarlyStopping's own rule (training.monitor): higher is better for scores
(accuracy, f1, auc, psnr, ...), lower for everything else (losses, errors, mse, perplexity, time), in any case."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn


def _history(**columns) -> nn.History:
    history = nn.History()
    for row in zip(*columns.values()):
        history.append(dict(zip(columns, row)))
    return history


def test_best_accuracy_is_the_highest_not_the_lowest():
    """The issue's example: best('val_accuracy') returned the worst epoch."""
    history = _history(val_accuracy=[0.5, 0.9, 0.7], val_loss=[0.9, 0.3, 0.5])
    assert history.best("val_accuracy") == (1, 0.9)
    assert history.best("val_loss") == (1, 0.3)


def test_best_follows_early_stopping_for_every_name():
    history = _history(accuracy=[0.2, 0.8, 0.8, 0.6], loss=[2.0, 1.0, 1.0, 1.5], test_error=[0.3, 0.1, 0.2, 0.4])
    assert history.best("accuracy") == (1, 0.8)  # ties: the first such epoch, as EarlyStopping keeps it
    assert history.best("loss") == (1, 1.0)
    assert history.best("test_error") == (1, 0.1)
    for name in ("accuracy", "loss", "test_error"):
        assert nn.EarlyStopping(name).mode == ("max" if name == "accuracy" else "min")
    assert history.best("accuracy", mode="min") == (0, 0.2)  # said outright, it is obeyed
    with pytest.raises(ValueError, match="mode must be one of 'auto', 'min', 'max'"):
        history.best("accuracy", mode="best")


LOWER_IS_BETTER = ["val_loss", "val_mse", "val_mae", "val_rmse", "mse", "val_nll", "val_ce", "val_cross_entropy",
                   "val_kl", "val_perplexity", "val_err", "val_miss_rate", "val_Loss", "time", "VAL_MSE"]
HIGHER_IS_BETTER = ["val_accuracy", "val_acc", "balanced_accuracy", "val_f1", "f1_score", "val_precision",
                    "val_recall", "test_auc", "val_r2", "val_psnr", "val_ssim", "val_score", "val_top5", "Val_Accuracy"]


@pytest.mark.parametrize("name", LOWER_IS_BETTER)
def test_auto_minimises_every_name_that_is_not_a_score(name):
    """Errors, distances, divergences and times that do not contain 'loss'/'error' were maximised: best() and
    EarlyStopping picked the worst epoch."""
    history = _history(**{name: [3.0, 1.0, 2.0]})
    assert history.best(name) == (1, 1.0)
    assert nn.EarlyStopping(name).mode == "min"


@pytest.mark.parametrize("name", HIGHER_IS_BETTER)
def test_auto_maximises_higher_is_better_scores_in_any_case(name):
    history = _history(**{name: [0.5, 0.9, 0.7]})
    assert history.best(name) == (1, 0.9)
    assert nn.EarlyStopping(name).mode == "max"


def test_mode_is_case_insensitive():
    history = _history(val_loss=[3.0, 1.0, 2.0])
    assert history.best("val_loss", mode="MIN") == (1, 1.0)
    assert history.best("val_loss", mode="Max") == (0, 3.0)


def test_early_stopping_keeps_the_lowest_val_mse_epoch(rng):
    """A fit metric named like an error without the word: EarlyStopping restores its best (lowest) epoch."""
    def mse(y, yhat):
        return ((y - yhat) ** 2).mean()

    x = rng.standard_normal((32, 3)).astype("float32")
    y = x[:, :1].copy()
    nn.manual_seed(0)
    net = nn.Linear(3, 1)
    stop = nn.EarlyStopping("val_mse", patience=10)
    history = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.05)).fit(
        x, y, epochs=6, metrics=[mse], validation_data=(x, y), early_stopping=stop, verbose=0)
    values = history["val_mse"]
    assert values == sorted(values, reverse=True)  # it improves every epoch
    assert stop.best_epoch == 5 and stop.best == values[-1]
