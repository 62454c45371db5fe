"""Evaluation metrics for reports: they take device or host arrays and return host values. (``accuracy``, the
training metric that stays on the device, lives in training/metrics.py and is re-exported here.)"""

from __future__ import annotations

from . import backends
from .training.metrics import METRICS, accuracy, check_label_values, resolve_metric

__all__ = ["METRICS", "accuracy", "cluster_purity", "cluster_purity_per_class", "compression_ratio",
           "confusion_matrix", "kl_divergence", "psnr", "resolve_metric"]


def confusion_matrix(y_true, y_pred, classes: int | None = None):
    """Contingency table (classes, classes): row = true class, column = predicted class (host int64).
    y_pred may be labels or scores (argmax is taken over the last axis). Labels must be whole numbers in
    [0, classes) (any >= 0 when classes is None): -1 or 2.5 is refused, not wrapped or truncated."""
    np = backends.host()
    t, p = backends.to_numpy(y_true), backends.to_numpy(y_pred)
    if p.ndim == 2:
        p = p.argmax(axis=1)
    check_label_values(t, "confusion_matrix", classes, what="true label")
    check_label_values(p, "confusion_matrix", classes, what="predicted label")
    t, p = t.reshape(-1).astype("int64"), p.reshape(-1).astype("int64")
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: {t.shape[0]} true labels for {p.shape[0]} predictions")
    k = int(classes if classes is not None else max(t.max(initial=-1), p.max(initial=-1)) + 1)
    out = np.zeros((k, k), dtype="int64")
    np.add.at(out, (t, p), 1)
    return out


def _kmeans_majority(codes, labels, clusters, seed):
    """(labels, each point's cluster's majority label) after KMeans on codes (n, d)."""
    from sklearn.cluster import KMeans

    np = backends.host()
    labels = backends.to_numpy(labels)
    check_label_values(labels, "cluster_purity", what="label")
    labels = labels.astype("int64")
    k = int(clusters if clusters is not None else labels.max() + 1)
    points = backends.to_numpy(codes).reshape(len(labels), -1)
    assigned = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(points)
    majority = np.zeros(k, dtype="int64")
    for c in range(k):
        if (assigned == c).any():
            majority[c] = np.bincount(labels[assigned == c]).argmax()
    return labels, majority[assigned]


def cluster_purity(codes, labels, clusters: int | None = None, seed: int = 0) -> float:
    """KMeans on ``codes`` (n, d), then the fraction of points whose cluster's majority label is their own."""
    labels, majority = _kmeans_majority(codes, labels, clusters, seed)
    return float((labels == majority).mean())


def cluster_purity_per_class(codes, labels, clusters: int | None = None, seed: int = 0) -> dict[int, float]:
    """For each true class, the fraction of its points that land in a cluster whose majority is that class."""
    labels, majority = _kmeans_majority(codes, labels, clusters, seed)
    return {int(c): float((majority[labels == c] == c).mean()) for c in backends.host().unique(labels)}


def kl_divergence(reference, other, eps: float = 1e-8) -> float:
    """Mean over images of KL(p || q), each image read as a distribution over its pixels
    (p = reference image / its sum, q likewise; eps keeps empty pixels finite). 0 for identical sets."""
    np = backends.host()
    p = backends.to_numpy(reference).reshape(len(reference), -1).astype("float64") + eps
    q = backends.to_numpy(other).reshape(len(other), -1).astype("float64") + eps
    p /= p.sum(axis=1, keepdims=True)
    q /= q.sum(axis=1, keepdims=True)
    return float(np.mean(np.sum(p * np.log(p / q), axis=1)))


def psnr(reference, other, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB over the whole set: 10 log10(peak^2 / MSE); inf when identical."""
    np = backends.host()
    difference = backends.to_numpy(reference).astype("float64") - backends.to_numpy(other).astype("float64")
    mse = float(np.mean(difference**2))
    return float("inf") if mse == 0.0 else float(10.0 * np.log10(peak * peak / mse))


def compression_ratio(input_size: int, code_size: int) -> float:
    """How many times smaller the code is than the input (784 -> 8 gives 98)."""
    if code_size < 1:
        raise ValueError(f"compression_ratio: code size must be >= 1, got {code_size}")
    return input_size / code_size
