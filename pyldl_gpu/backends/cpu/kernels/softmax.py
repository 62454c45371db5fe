"""Softmax cross-entropy on integer labels as compiled loops: each row (one sample's logits) in one pass forward
and one pass backward. NumPy makes about ten passes over the (batch, classes) array, each a
short-row reduction or a gather, so on small classifiers the call overhead is most of the loss's time.

Probabilities whose logarithm lies below ``floor`` (log of the dtype's smallest normal number + 20) are exactly 0:
the rule of backends/generic/softmax.py, so no denormal number reaches the weight-gradient GEMMs. The exponential
is the C library's, NumPy's is its own vectorised one: the two agree to float rounding, not bit for bit. One
thread: a loss's (batch, classes) array is small."""

from __future__ import annotations

import math

from ._jit import serial_kernel


@serial_kernel
def softmax_cross_entropy(logits, labels, floor, inv_batch, log_p, loss):
    """log_p = log_softmax(logits) row by row; loss[0] = -sum_i log_p[i, labels[i]] / batch, the rows' terms
    added in row order. Returns the
    number of labels outside 0 .. classes - 1 (their rows are left out of the sum)."""
    batch, classes = logits.shape
    for i in range(batch):
        top = logits[i, 0]
        for j in range(1, classes):
            top = max(top, logits[i, j])
        total = logits[i, 0] * 0
        for j in range(classes):
            shifted = logits[i, j] - top
            if shifted >= floor:
                total += math.exp(shifted)
        log_total = math.log(total)
        for j in range(classes):
            log_p[i, j] = (logits[i, j] - top) - log_total
    picked = log_p[0, 0] * 0
    bad = 0
    for i in range(batch):
        if 0 <= labels[i] < classes:
            picked += log_p[i, labels[i]]
        else:
            bad += 1
    loss[0] = picked * -inv_batch
    return bad


@serial_kernel
def softmax_cross_entropy_backward(log_p, labels, floor, inv_batch, one, grad):
    """grad = (softmax - one_hot(labels)) / batch, the softmax as exp(log_p) (0 below floor); a label outside
    0 .. classes - 1 subtracts nothing (the forward reported it)."""
    batch, classes = log_p.shape
    for i in range(batch):
        for j in range(classes):
            p = math.exp(log_p[i, j]) if log_p[i, j] >= floor else log_p[i, j] * 0
            if j == labels[i]:
                p -= one
            grad[i, j] = p * inv_batch
