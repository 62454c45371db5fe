"""Layer constructors refuse degenerate arguments when given (floats where sizes are integers, bools, strings,
NaN), naming the class, the argument, what is valid and the value; nothing is truncated silently."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Linear(2.5, 3), r"^Linear: in_features must be >= 1 \(an integer\), got 2\.5$"),
    (lambda: nn.Linear("3", 2), r"^Linear: in_features must be >= 1 \(an integer\), got '3'$"),
    (lambda: nn.Linear(True, 3), r"^Linear: in_features must be >= 1 \(an integer\), got True$"),
    (lambda: nn.Linear(3, 0), r"^Linear: out_features must be >= 1"),
    (lambda: nn.BatchNorm1D(2.5), r"^BatchNorm1D: features must be >= 1 \(an integer\), got 2\.5$"),
    (lambda: nn.BatchNorm1D(2, eps=0.0), r"^BatchNorm1D: eps must be positive \(a finite number > 0\), got 0\.0$"),
    (lambda: nn.BatchNorm1D(2, eps=-1.0), r"^BatchNorm1D: eps must be positive"),
    (lambda: nn.BatchNorm1D(2, eps=float("nan")), r"^BatchNorm1D: eps must be positive .*got nan$"),
    (lambda: nn.LeakyReLU(float("nan")), r"^LeakyReLU: alpha must be a finite number, got nan$"),
    (lambda: nn.LeakyReLU(float("inf")), r"^LeakyReLU: alpha must be a finite number, got inf$"),
    (lambda: nn.LeakyReLU("x"), r"^LeakyReLU: alpha must be a finite number, got 'x'$"),
    (lambda: nn.Dropout("0.5"), r"^Dropout: p must be a finite number, got '0\.5'$"),
    (lambda: nn.Dropout(True), r"^Dropout: p must be a finite number, got True$"),
    (lambda: nn.KLSparsity(rho="0.1"), r"^KLSparsity: rho must be a finite number, got '0\.1'$"),
    (lambda: nn.Conv2D(3, 2.5, 4), r"^Conv2D: channels must be >= 0 \(an integer\), got 2\.5$"),
    (lambda: nn.Conv2D(2.5, 1, 4), r"^Conv2D: k_size must be an int or a pair of ints \(each >= 1\), got 2\.5$"),
    (lambda: nn.Conv2D((3, True), 1, 4), r"^Conv2D: k_size\[1\] must be >= 1 \(an integer\), got True$"),
    (lambda: nn.Conv1D(3, 1, 4, stride=True), r"^Conv1D: stride must be >= 1 \(an integer\), got True$"),
    (lambda: nn.MaxPool2D(2, stride=1.5), r"^MaxPool2D: stride must be an int or a pair of ints \(each >= 1\), "
                                          r"got 1\.5$"),
    (lambda: nn.AvgPool1D(2.0), r"^AvgPool1D: k_size must be >= 1 \(an integer\), got 2\.0$"),
    (lambda: nn.Reshape((2.7, 2)), r"^Reshape: shape\[0\] \(every size, no -1\) must be >= 1 \(an integer\), "
                                   r"got 2\.7$"),
    (lambda: nn.Reshape((-1, 4)), r"^Reshape: shape\[0\] \(every size, no -1\) must be >= 1 \(an integer\), "
                                  r"got -1$"),
    (lambda: nn.Reshape(4), r"^Reshape: shape must be a tuple of sizes, got 4$"),
    (lambda: nn.Upsample2D(True), r"^Upsample2D: factor must be >= 1 \(an integer\), got True$"),
], ids=["linear-float", "linear-str", "linear-bool", "linear-zero", "bn-float", "bn-eps-zero", "bn-eps-negative",
        "bn-eps-nan", "leaky-nan", "leaky-inf", "leaky-str", "dropout-str", "dropout-bool", "kl-rho-str",
        "conv-float-channels", "conv-float-kernel", "conv-bool-in-pair", "conv1d-bool-stride", "pool-float-stride",
        "pool1d-float-kernel", "reshape-float", "reshape-minus-one", "reshape-not-a-tuple", "upsample-bool"])
def test_degenerate_layer_arguments_are_refused_by_name(make, message):
    """Linear(2.5, 3) and Conv2D(3, 2.5, 4) were truncated, Linear(True, 3) taken as 1, BatchNorm eps 0 divided a
    constant feature by zero, LeakyReLU(nan) gave NaN outputs, Reshape((-1, 4)) failed at its first forward."""
    with pytest.raises(nn.ArgumentError, match=message):
        make()


def test_kl_sparsity_refuses_an_empty_batch():
    """Its penalty on no activations was NaN with a RuntimeWarning."""
    with pytest.raises(nn.ShapeError, match=r"^KLSparsity\(rho=0\.05, beta=0\.5\): empty batch \(activations "
                                            r"\(0, 3\)\): a mean over no values is not a penalty$"):
        nn.KLSparsity().penalty(nn.asarray(np.ones((0, 3), dtype=np.float32)))
