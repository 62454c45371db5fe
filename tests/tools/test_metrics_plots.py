"""Evaluation metrics against hand-computed values, and every figure written as a real PNG."""

from __future__ import annotations

import math

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends, metrics, plots

np = backends.host()


def test_confusion_matrix_from_labels_and_scores():
    cm = metrics.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), classes=3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    scores = np.eye(3)[[0, 2, 1, 2]]
    np.testing.assert_array_equal(metrics.confusion_matrix(nn.asarray(np.array([0, 1, 1, 2])), nn.asarray(scores)), cm)


def test_cluster_purity_separated_and_mixed():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 50)
    codes = np.array([[0, 0], [10, 0], [0, 10]])[labels] + rng.normal(0, 0.5, (150, 2))
    assert metrics.cluster_purity(codes, labels) == 1.0
    assert metrics.cluster_purity(rng.normal(0, 1, (150, 2)), labels) < 0.7
    assert metrics.cluster_purity_per_class(codes, labels) == {0: 1.0, 1: 1.0, 2: 1.0}
    merged = codes.copy()
    merged[labels == 2] = merged[labels == 1]  # classes 1 and 2 share one place: one of them loses
    per_class = metrics.cluster_purity_per_class(merged[:, :] + rng.normal(0, 0.01, (150, 2)), labels, clusters=2)
    assert per_class[0] == 1.0 and sorted([per_class[1], per_class[2]]) == [0.0, 1.0]


def test_kl_divergence_psnr_and_compression_ratio():
    a = np.array([[[0.2, 0.8]], [[0.5, 0.5]]])
    assert metrics.kl_divergence(a, a) == pytest.approx(0.0, abs=1e-12)
    b = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    expected = (0.2 * math.log(0.2 / 0.5) + 0.8 * math.log(0.8 / 0.5)) / 2
    assert metrics.kl_divergence(a, b) == pytest.approx(expected, rel=1e-6)
    assert metrics.psnr(np.zeros(4), np.full(4, 0.1)) == pytest.approx(20.0)
    assert metrics.psnr(a, a) == float("inf")
    assert metrics.compression_ratio(784, 8) == 98.0
    with pytest.raises(ValueError, match="code size"):
        metrics.compression_ratio(784, 0)


def _is_png(path):
    """A PNG that decodes and is not blank (pixels vary)."""
    from matplotlib.image import imread

    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and float(imread(path).std()) > 0.01


def test_every_figure_is_written(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (60, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    net = nn.Sequential(nn.Linear(2, 2))
    history = nn.Optim(net, nn.CrossEntropyLoss(), 0.5).fit(x, y, epochs=3, validation_data=(x, y),
                                                             metrics=["accuracy"], verbose=False)
    images = rng.random((6, 8, 8)).astype(np.float32)
    conv = nn.Conv2D(3, 1, 4)
    written = [
        plots.training_curves(history, tmp_path / "curves.png", "toy"),
        plots.compare_curves({"a": [0.5, 0.7], "b": [0.6, 0.9]}, tmp_path / "compare.png", "accuracy", target=0.8),
        plots.bars({"a": 0.1, "b": 0.05}, tmp_path / "bars.png", "error", errors={"a": 0.01, "b": 0.02}),
        plots.decision_boundary(net, x, y, tmp_path / "boundary.png", resolution=40),
        plots.reconstructions(images, images * 0.9, tmp_path / "recon.png", noisy=images * 0.5, count=4),
        plots.confusion(metrics.confusion_matrix(y, y), tmp_path / "cm.png"),
        plots.latent_scatter(x, y, tmp_path / "latent.png"),
        plots.latent_scatter(rng.normal(size=(60, 5)), y, tmp_path / "tsne.png"),
        plots.conv_filters(conv, tmp_path / "filters.png"),
        plots.feature_maps(conv(nn.asarray(images[:1, :, :, None]))[0], tmp_path / "maps.png"),
    ]
    assert all(_is_png(p) for p in written), written
