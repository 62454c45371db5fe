"""The seed reports' CNNs learn small real data sets in a few epochs (held-out accuracy far above chance)."""

from __future__ import annotations

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def test_lenet_learns_mnist_subset(mnist_subset):
    x_train, y_train, x_test, y_test = mnist_subset
    nn.manual_seed(0)
    net = nn.Sequential(nn.Conv2D(9, 1, 15, init="he"), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(5, 15, 20, init="he"),
                        nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Linear(180, 100, init="he"), nn.ReLU(),
                        nn.Linear(100, 10))
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=2e-3)).fit(x_train, y_train, epochs=3, batch_size=64,
                                                                       verbose=False)
    accuracy = nn.evaluate(net, x_test, y_test)["accuracy"]
    print(f"LeNet on 3000 MNIST images, 3 epochs: test accuracy {accuracy:.4f}")
    assert accuracy > 0.90, accuracy  # chance is 10 %


def test_seed_conv1d_net_learns_usps(usps):
    x_train, y_train, x_test, y_test = usps
    x_train = x_train[:3000].reshape(-1, 256, 1)
    x_test = x_test.reshape(-1, 256, 1)
    nn.manual_seed(0)
    net = nn.Sequential(nn.Conv1D(3, 1, 32, init="he"), nn.MaxPool1D(2, 2), nn.Flatten(), nn.Linear(4064, 100),
                        nn.ReLU(), nn.Linear(100, 10))
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=1e-3)).fit(x_train, y_train[:3000], epochs=3,
                                                                       batch_size=64, verbose=False)
    accuracy = nn.evaluate(net, x_test, y_test)["accuracy"]
    print(f"Conv1D net on 3000 USPS images, 3 epochs: test accuracy {accuracy:.4f}")
    assert accuracy > 0.85, accuracy
