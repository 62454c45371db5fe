"""
A denoising autoencoder
=======================

An autoencoder squeezes each image through a small code and rebuilds it. A *denoising* autoencoder is fed a
corrupted image and asked for the clean one, so it must learn what digits look like rather than copy pixels. This
tutorial trains one on MNIST with fresh Gaussian noise every epoch, measures the gain in PSNR, and shows the
result. It uses 20,000 training images and 10 epochs to keep the docs build fast. The full experiment,
``python -m experiments run denoising --dataset mnist``, also judges the denoised images with a classifier trained
on clean ones.
"""

# %%
# Data and noise
# --------------
# Flattened images ``(n, 784)`` in [0, 1]. :func:`pyldl_gpu.datasets.gaussian_noise` adds
# :math:`\mathcal{N}(0, \sigma^2)` and clips back to [0, 1]. Where MNIST is missing, the script falls back to
# scikit-learn's 8x8 digits.

import matplotlib.pyplot as plt

import pyldl_gpu as nn
from pyldl_gpu import datasets, metrics

try:
    images, _ = datasets.load_mnist("train", download=False)
    test_images, _ = datasets.load_mnist("test", download=False)
    side = 28
except nn.DatasetError as missing:
    print(f"MNIST not found ({missing}); using scikit-learn's digits instead")
    digits, _ = datasets.load_digits()
    images, test_images, side = digits[:1400], digits[1400:], 8

x_train = images[:20000].reshape(-1, side * side)
x_test = test_images[:1000].reshape(-1, side * side)
sigma = 0.4
noisy_test = datasets.gaussian_noise(x_test, sigma, seed=123)
print(f"train {x_train.shape}, test {x_test.shape}, noise sigma {sigma}")

# %%
# The model
# ---------
# An :class:`pyldl_gpu.AutoEncoder` is an encoder followed by a decoder. The code goes through Tanh, which is
# bounded so no code unit dies. The output goes through Sigmoid, which stays in [0, 1] and suits the binary
# cross-entropy, a better-conditioned loss than the squared error for pixel intensities.

n = side * side
nn.manual_seed(0)
model = nn.AutoEncoder(
    nn.Sequential(nn.Linear(n, 256, init="he"), nn.ReLU(), nn.Linear(256, 64), nn.Tanh()),
    nn.Sequential(nn.Linear(64, 256, init="he"), nn.ReLU(), nn.Linear(256, n), nn.Sigmoid()))
print(model)

# %%
# Training on fresh noise every epoch
# -----------------------------------
# ``fit`` accepts a callable ``x(epoch)`` in place of the inputs. It is called once per epoch and gives that epoch
# its own corrupted copies of the same targets, here the clean images. Fresh noise each epoch is a stronger
# regulariser than one fixed noisy copy.


def noisy_inputs(epoch: int):
    return datasets.gaussian_noise(x_train, sigma, seed=epoch)


trainer = nn.Optim(model, nn.BCELoss(), nn.Adam(model, lr=1e-3))
history = trainer.fit(noisy_inputs, x_train, epochs=10, batch_size=128, verbose=False)
print("training loss per epoch:", [round(v, 4) for v in history["loss"]])

# %%
# How much noise is gone
# ----------------------
# The peak signal-to-noise ratio :math:`10 \log_{10}(1 / \text{MSE})` against the clean images, in dB. Higher is
# better.

denoised = nn.to_numpy(nn.predict(model, noisy_test))
before, after = metrics.psnr(x_test, noisy_test), metrics.psnr(x_test, denoised)
print(f"PSNR noisy {before:.2f} dB -> denoised {after:.2f} dB")
assert after > before + 3.0

fig, axes = plt.subplots(3, 8, figsize=(8, 3.3), layout="constrained")
for column in range(8):
    for row, (name, batch) in enumerate((("noisy", noisy_test), ("denoised", denoised), ("clean", x_test))):
        axes[row, column].imshow(batch[column].reshape(side, side), cmap="gray", vmin=0.0, vmax=1.0)
        axes[row, column].set_xticks([]), axes[row, column].set_yticks([])
        if column == 0:
            axes[row, column].set_ylabel(name)
fig.suptitle(f"denoising autoencoder, Gaussian noise sigma {sigma}: {before:.1f} -> {after:.1f} dB")
