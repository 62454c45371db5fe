"""
A CNN on MNIST: validation, early stopping and a checkpoint
===========================================================

A LeNet-style convolutional network on MNIST, trained with a held-out validation set, early stopping on the
validation loss, and a checkpoint saved and loaded back. To keep the docs build fast it trains on 20,000 of the
60,000 training images for at most 8 epochs. ``python -m experiments run cnn --dataset mnist`` is the full run: all
60,000 images and 20 epochs, reaching 99.3 % on the official test set (see the experiments gallery).
"""

# %%
# The data
# --------
# :func:`pyldl_gpu.datasets.load_mnist` reads the official files from ``$PYLDL_DATA``. Get them once with
# ``python -m pyldl_gpu.datasets fetch mnist``. Images come as float32 ``(n, 28, 28)`` in [0, 1]. Convolutions are
# channels-last, so they get a channel axis: ``(n, 28, 28, 1)``. Where the files are missing, this script falls
# back to scikit-learn's 8x8 digits, upsampled to 28x28, and says so.

import matplotlib.pyplot as plt
import numpy as np

import pyldl_gpu as nn
from pyldl_gpu import datasets

try:
    x_all, y_all = datasets.load_mnist("train", download=False)
    x_test, y_test = datasets.load_mnist("test", download=False)
    source = "MNIST"
except nn.DatasetError as missing:
    print(f"MNIST not found ({missing}); using scikit-learn's digits instead")
    digits, labels = datasets.load_digits()
    big = digits.repeat(3, axis=1).repeat(3, axis=2)  # 24x24
    padded = np.zeros((len(big), 28, 28), dtype="float32")
    padded[:, 2:26, 2:26] = big
    x_all, y_all, x_test, y_test = padded[:1400], labels[:1400], padded[1400:], labels[1400:]
    source = "digits"

x_train, y_train = x_all[:20000, ..., None], y_all[:20000]
x_val, y_val = x_all[-2000:, ..., None], y_all[-2000:]  # never trained on
x_test = x_test[..., None]
print(source, "train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)

# %%
# The network
# -----------
# Two 5x5 convolutions with ReLU and 2x2 max pooling, then three Linear layers. ``summary`` prints each layer's
# output shape and parameter count.

nn.manual_seed(0)
net = nn.Sequential(
    nn.Conv2D(5, 1, 6, padding=2, init="he"), nn.ReLU(), nn.MaxPool2D(2),   # (batch, 14, 14, 6)
    nn.Conv2D(5, 6, 16, init="he"), nn.ReLU(), nn.MaxPool2D(2),             # (batch, 5, 5, 16)
    nn.Flatten(), nn.Linear(400, 120, init="he"), nn.ReLU(),
    nn.Linear(120, 84, init="he"), nn.ReLU(), nn.Linear(84, 10))
table = net.summary(input_shape=(28, 28, 1))  # prints it, and returns it as text

# %%
# Training with validation and early stopping
# -------------------------------------------
# ``validation_data`` adds ``val_loss`` and ``val_accuracy`` to the history every epoch.
# :class:`pyldl_gpu.EarlyStopping` stops once ``patience`` epochs bring no improvement of the monitored value, and
# puts back the weights of the best epoch.

stopper = nn.EarlyStopping("val_loss", patience=2, restore_best_weights=True)
trainer = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=1e-3))
history = trainer.fit(x_train, y_train, epochs=8, batch_size=128, metrics=["accuracy"],
                      validation_data=(x_val, y_val), early_stopping=stopper, verbose=False)
best_epoch, best_loss = history.best("val_loss")
print(f"{history.epochs} epochs; best validation loss {best_loss:.4f} at epoch {best_epoch + 1}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
epochs = range(1, history.epochs + 1)
for key in ("loss", "val_loss"):
    left.plot(epochs, history[key], marker="o", label=key)
for key in ("accuracy", "val_accuracy"):
    right.plot(epochs, history[key], marker="o", label=key)
left.set_xlabel("epoch"), right.set_xlabel("epoch"), left.legend(), right.legend()
fig.suptitle(f"LeNet-style CNN on {source}")

# %%
# Test accuracy, a checkpoint, and loading it back
# ------------------------------------------------
# :func:`pyldl_gpu.save` writes every parameter (and, if given, the optimizer's state) to an ``.npz``. It writes
# to a temporary file first and renames it, so a crash mid-save leaves the previous file intact.
# :func:`pyldl_gpu.load` fills a network of the same architecture in place, on whichever device is active, and
# refuses a file whose parameters do not fit.

test = nn.evaluate(net, x_test, y_test, nn.CrossEntropyLoss())
print(f"test accuracy {test['accuracy']:.4f}, test loss {test['loss']:.4f}")
nn.save(net, "lenet.npz", optimizer=trainer.optimizer)

nn.manual_seed(1)
fresh = nn.Sequential(
    nn.Conv2D(5, 1, 6, padding=2), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(5, 6, 16), nn.ReLU(), nn.MaxPool2D(2),
    nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
nn.load(fresh, "lenet.npz")
again = nn.evaluate(fresh, x_test, y_test)
print(f"loaded checkpoint: test accuracy {again['accuracy']:.4f}")
assert again["accuracy"] == test["accuracy"]
assert test["accuracy"] > (0.97 if source == "MNIST" else 0.8)

# %%
# What the network gets wrong
# ---------------------------
# :func:`pyldl_gpu.predict` returns device outputs. :func:`pyldl_gpu.to_numpy` brings them to the host.

predicted = nn.to_numpy(nn.predict(net, x_test)).argmax(axis=1)
wrong = (predicted != y_test).nonzero()[0][:8]
fig, axes = plt.subplots(1, len(wrong), figsize=(1.4 * len(wrong), 1.8), layout="constrained")
for ax, i in zip(axes, wrong):
    ax.imshow(x_test[i, ..., 0], cmap="gray")
    ax.set_title(f"{y_test[i]} -> {predicted[i]}", fontsize=9)
    ax.axis("off")
