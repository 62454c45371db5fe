"""Experiment 7: clustering in a 2-D latent space: KMeans purity per class and overall, latent scatter, t-SNE."""

from __future__ import annotations

from pathlib import Path

import pyldl_gpu as nn
from experiments import _common as common
from experiments.experiment import Experiment, register
from pyldl_gpu import metrics, plots


def run(args, out: Path) -> dict:
    x_train, _, x_test, y_test = common.load_images(args.dataset, args.quick, args.seed)
    d = x_train[0].size
    net = common.autoencoder([d, 256, 64, 2])
    nn.Optim(net, nn.BCELoss(), nn.Adam(net, lr=2e-3)).fit(
        common.flat(x_train), common.flat(x_train), epochs=common.epochs(args, 40, 4), batch_size=64,
        verbose=not args.quiet, label="autoencoder with a 2-d code")
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


EXPERIMENT = register(Experiment(
    order=7, name="latent_clustering", title="Clustering in a 2-D latent space: KMeans purity, t-SNE",
    seed_report="no figure given in the issue (scatter and t-SNE plots in the reports)",
    datasets=("usps", "mnist", "digits"), headline=("kmeans_purity_2d_latent", "kmeans_purity_raw_pixels"),
    run=run))


if __name__ == "__main__":
    common.main(EXPERIMENT)
