"""Experiment 7: clustering in a 2-D latent space: KMeans purity per class and overall, latent scatter, t-SNE."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyldl_gpu as nn
from experiments import _common as common
from pyldl_gpu import metrics, plots

NAME = "latent_clustering"
TITLE = "Clustering in a 2-D latent space: KMeans purity, t-SNE"
SEED_REPORT = "no figure given in the issue (scatter and t-SNE plots in the reports)"
DATASETS = ("usps", "mnist", "digits")
HEADLINE = ("kmeans_purity_2d_latent", "kmeans_purity_raw_pixels")  # metrics shown in RESULTS.md (fnmatch patterns)


def run(args, out: Path) -> dict:
    x_train, _, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    d = x_train[0].size
    net = common.autoencoder([d, 256, 64, 2])
    nn.Optim(net, nn.BCELoss(), nn.Adam(net, lr=2e-3)).fit(
        common.flat(x_train), common.flat(x_train), epochs=common.epochs(args, 40, 4), batch_size=64,
        verbose=not args.quiet)
    net.eval()
    codes = nn.to_numpy(net.encode(nn.asarray(common.flat(x_test))))
    results = {"kmeans_purity_2d_latent": metrics.cluster_purity(codes, y_test, seed=args.seed),
               "kmeans_purity_raw_pixels": metrics.cluster_purity(common.flat(x_test), y_test, seed=args.seed)}
    per_class = metrics.cluster_purity_per_class(codes, y_test, seed=args.seed)
    results.update({f"class-{c}/purity_2d_latent": value for c, value in per_class.items()})
    plots.latent_scatter(codes, y_test, out / "latent-2d.png", f"{args.dataset}: 2-D latent codes")
    sample = slice(0, 300 if args.quick else 2000)
    plots.latent_scatter(common.flat(x_test)[sample], y_test[sample], out / "tsne-pixels.png",
                         f"{args.dataset}: t-SNE of the pixels", tsne=True)
    return results


if __name__ == "__main__":
    common.main(sys.modules[__name__])
