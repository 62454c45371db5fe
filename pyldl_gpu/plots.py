"""Figures for experiments, written to PNG files through matplotlib's object-oriented Figure API: no pyplot,
no global backend switch, no display needed. Every function takes host or device arrays and a path, and
returns the path written."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.figure import Figure

from . import backends


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def _figure(rows: int, columns: int, size: tuple):
    fig = Figure(figsize=size)
    return fig, fig.subplots(rows, columns, squeeze=False)


def training_curves(history, path, title: str = "") -> Path:
    """Loss (and accuracy, when recorded) per epoch, train and validation."""
    metrics = [m for m in ("loss", "accuracy") if m in history]
    fig, axes = _figure(1, len(metrics), (5 * len(metrics), 3.5))
    for ax, metric in zip(axes[0], metrics):
        ax.plot(range(1, len(history[metric]) + 1), history[metric], label="train")
        if "val_" + metric in history:
            ax.plot(range(1, len(history["val_" + metric]) + 1), history["val_" + metric], label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    fig.suptitle(title)
    return _save(fig, path)


def compare_curves(series: dict, path, ylabel: str, title: str = "", target: float | None = None,
                   xlabel: str = "epoch") -> Path:
    """Several runs' per-epoch values on one axis (e.g. test accuracy per optimizer); ``target`` draws a
    dashed horizontal line."""
    fig, axes = _figure(1, 1, (6, 4))
    ax = axes[0][0]
    for name, values in series.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=name)
    if target is not None:
        ax.axhline(target, color="gray", linestyle="--", linewidth=1, label=f"{target:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return _save(fig, path)


def bars(values: dict, path, ylabel: str, title: str = "", errors: dict | None = None) -> Path:
    """One bar per name (e.g. mean test error per model), with optional error bars (e.g. standard deviations)."""
    fig, axes = _figure(1, 1, (1.6 + 1.4 * len(values), 4))
    ax = axes[0][0]
    names = list(values)
    ax.bar(names, [values[n] for n in names], yerr=[errors[n] for n in names] if errors else None, capsize=4,
           color="tab:blue")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def decision_boundary(net, x, y, path, title: str = "", resolution: int = 200) -> Path:
    """2-D inputs: the predicted class over a grid, the points, and misclassified points circled in red."""
    from .training.inference import predict

    np = backends.host()
    x, y = backends.to_numpy(x), backends.to_numpy(y).reshape(-1)
    lo, hi = x.min(axis=0) - 0.1, x.max(axis=0) + 0.1
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype("float32")

    def classes(points):
        scores = backends.to_numpy(predict(net, points, batch_size=4096))
        return scores.argmax(axis=1) if scores.ndim == 2 and scores.shape[1] > 1 else (scores.reshape(-1) > 0.5)

    fig, axes = _figure(1, 1, (5, 5))
    ax = axes[0][0]
    ax.contourf(gx, gy, classes(grid).reshape(gx.shape).astype(float), alpha=0.3, cmap="coolwarm")
    predicted = classes(x.astype("float32")).astype(int)
    ax.scatter(x[:, 0], x[:, 1], c=y, s=6, cmap="coolwarm")
    wrong = predicted != y.astype(int)
    ax.scatter(x[wrong, 0], x[wrong, 1], s=40, facecolors="none", edgecolors="red",
               label=f"misclassified: {wrong.sum()}")
    ax.legend(loc="upper right")
    ax.set_title(title)
    return _save(fig, path)


def reconstructions(original, output, path, noisy=None, count: int = 8, title: str = "") -> Path:
    """Rows: original, noisy (optional), output, ``|output - original|`` heatmap; one column per image."""
    rows = [("original", backends.to_numpy(original)), ("noisy", None if noisy is None else backends.to_numpy(noisy)),
            ("output", backends.to_numpy(output))]
    rows = [(name, a) for name, a in rows if a is not None]
    side = rows[0][1][0].size
    shape = rows[0][1].shape[1:3] if rows[0][1].ndim >= 3 else (math.isqrt(side),) * 2
    rows.append(("error", abs(rows[-1][1] - rows[0][1])))
    count = min(count, len(rows[0][1]))
    fig, axes = _figure(len(rows), count, (1.3 * count, 1.4 * len(rows)))
    for r, (name, images) in enumerate(rows):
        for c in range(count):
            ax = axes[r][c]
            ax.imshow(images[c].reshape(shape), cmap="hot" if name == "error" else "gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r][0].set_ylabel(name)
    fig.suptitle(title)
    return _save(fig, path)


def confusion(matrix, path, title: str = "") -> Path:
    """A confusion matrix with counts in the cells."""
    matrix = backends.to_numpy(matrix)
    fig, axes = _figure(1, 1, (5, 4.5))
    ax = axes[0][0]
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in backends.host().ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _save(fig, path)


def latent_scatter(codes, labels, path, title: str = "", tsne: bool = False, seed: int = 0) -> Path:
    """A 2-D scatter of latent codes coloured by label; codes of more dimensions go through t-SNE first
    (or always, with tsne=True)."""
    codes, labels = backends.to_numpy(codes).reshape(len(labels), -1), backends.to_numpy(labels)
    if tsne or codes.shape[1] != 2:
        from sklearn.manifold import TSNE

        codes = TSNE(n_components=2, random_state=seed, init="pca").fit_transform(codes)
    fig, axes = _figure(1, 1, (5, 5))
    ax = axes[0][0]
    points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, s=4, cmap="tab10")
    fig.colorbar(points, ax=ax)
    ax.set_title(title)
    return _save(fig, path)


def image_grid(images, path, title: str = "", columns: int = 8, cmap: str = "gray") -> Path:
    """Images (n, H, W) in a grid, each scaled to its own range: learned filters, feature maps."""
    images = backends.to_numpy(images)
    rows = math.ceil(len(images) / columns)
    fig, axes = _figure(rows, columns, (1.2 * columns, 1.2 * rows))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image in zip(axes.ravel(), images):
        ax.imshow(image, cmap=cmap)
    fig.suptitle(title)
    return _save(fig, path)


def conv_filters(conv, path, title: str = "") -> Path:
    """The first input channel of every filter of a Conv2D (weight (kh, kw, cin, cout))."""
    weight = backends.to_numpy(conv.weight.data)
    return image_grid(weight[:, :, 0, :].transpose(2, 0, 1), path, title or f"filters of {conv!r}")


def feature_maps(maps, path, title: str = "") -> Path:
    """The channels of one sample's feature maps (H, W, C)."""
    return image_grid(backends.to_numpy(maps).transpose(2, 0, 1), path, title, cmap="viridis")
