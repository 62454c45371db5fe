"""The shared case tables: every layer, loss and optimizer the suite checks, declared once.

LAYER_CASES feeds the gradient checks, the reference-twin comparison, the explicit-state tests (a copy of the
input gives the same gradients; eval mode keeps nothing), the input- and delta-shape errors
(tests/layers/test_layer_cases.py) and CPU/GPU parity (tests/gpu/test_cuda_parity.py). Adding a layer means adding
one case here. Shapes are small and odd, so transposed or swapped axes cannot pass by accident."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.layers import reference

np = backends.host()


@dataclass(frozen=True)
class LayerCase:
    """make() -> a fresh module; shape: a good input; bad: an input shape it must refuse (None: it takes any);
    elementwise: no GEMM or long reduction (CPU/GPU parity to 1e-5, else 1e-4); twin(module, x, delta) -> (y, dx,
    {parameter name: gradient}) by the textbook reference, where one exists; train_only_twin: the twin is the
    training-mode formula (BatchNorm)."""

    make: Callable
    shape: tuple
    bad: tuple | None = None
    elementwise: bool = False
    twin: Callable | None = None
    inputs: str = "normal"  # "normal": N(0, 4); "unit": U(0.05, 0.95) (KLSparsity's activations)


def _conv_twin(conv, x, delta):
    w = conv.weight.data
    b = None if conv.bias is None else conv.bias.data
    if isinstance(conv, nn.Conv1D):
        y = reference.conv1d(x, w, b, conv.stride[1], conv.padding[1])
        dx, dw, db = reference.conv1d_backward(x, w, delta, conv.stride[1], conv.padding[1])
    else:
        y = reference.conv2d(x, w, b, conv.stride, conv.padding)
        dx, dw, db = reference.conv2d_backward(x, w, delta, conv.stride, conv.padding)
    return y, dx, {"weight": dw} | ({} if b is None else {"bias": db})


def _pool_twin(forward, backward):
    def twin(pool, x, delta):
        one_d = x.ndim == 3
        x4, d4 = (x[:, None], delta[:, None]) if one_d else (x, delta)
        y, dx = forward(x4, pool.kernel, pool.stride), backward(x4, d4, pool.kernel, pool.stride)
        return (y[:, 0], dx[:, 0], {}) if one_d else (y, dx, {})
    return twin


def _batch_norm_twin(bn, x, delta):
    gamma = None if bn.weight is None else bn.weight.data
    beta = None if bn.bias is None else bn.bias.data
    dx, d_gamma, d_beta = reference.batch_norm_backward(x, delta, gamma, bn.eps)
    return reference.batch_norm(x, gamma, beta, bn.eps), dx, {} if gamma is None else {"weight": d_gamma,
                                                                                         "bias": d_beta}


CONV_TWIN = _conv_twin
MAX_POOL_TWIN = _pool_twin(reference.max_pool2d, reference.max_pool2d_backward)
AVG_POOL_TWIN = _pool_twin(reference.avg_pool2d, reference.avg_pool2d_backward)


def _tied_autoencoder():
    encoder = nn.Linear(9, 4)
    return nn.Sequential(encoder, nn.Sigmoid(), nn.TiedLinear(encoder), nn.Sigmoid())


def lenet():
    """The LeNet-style net of the seed reports (channels-last, 28x28x1 inputs)."""
    return nn.Sequential(nn.Conv2D(9, 1, 15), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(5, 15, 20), nn.ReLU(),
                         nn.MaxPool2D(2), nn.Flatten(), nn.Linear(180, 100), nn.ReLU(), nn.Linear(100, 10))


def _fixed_dropout():
    drop = nn.Dropout(0.3)
    drop.fixed_mask = nn.asarray((np.random.default_rng(3).random((5, 7)) > 0.3).astype(np.float32))
    return drop


C = LayerCase
LAYER_CASES: dict[str, LayerCase] = {
    # dense layers and activations
    "linear": C(lambda: nn.Linear(7, 5), (3, 7), bad=(3, 8)),
    "linear_no_bias_he": C(lambda: nn.Linear(5, 3, bias=False, init="he"), (5, 5), bad=(5, 5, 1)),
    "linear_uniform_batch1": C(lambda: nn.Linear(9, 11, init="uniform"), (1, 9), bad=(9,)),
    "linear_normal": C(lambda: nn.Linear(3, 1, init="normal"), (7, 3), bad=(7, 1)),
    "tied_linear": C(lambda: nn.TiedLinear(nn.Linear(6, 3)), (5, 3), bad=(5, 6)),
    "identity": C(nn.Identity, (3, 5), elementwise=True),
    "relu": C(nn.ReLU, (5, 7), elementwise=True),
    "leaky_relu": C(lambda: nn.LeakyReLU(0.2), (5, 7), elementwise=True),
    "tanh": C(nn.Tanh, (3, 9), elementwise=True),
    "sigmoid": C(nn.Sigmoid, (7, 3), elementwise=True),
    "softmax": C(nn.Softmax, (5, 7), elementwise=True),
    "log_softmax": C(nn.LogSoftmax, (3, 11), elementwise=True),
    "kl_sparsity": C(lambda: nn.KLSparsity(rho=0.1, beta=2.0), (7, 5), inputs="unit"),
    "dropout_fixed_mask": C(_fixed_dropout, (5, 7), elementwise=True),
    # convolutions
    "conv2d_3x3": C(lambda: nn.Conv2D(3, 2, 4), (2, 7, 5, 2), bad=(2, 7, 5, 3), twin=_conv_twin),
    "conv2d_batch1_stride2_pad1": C(lambda: nn.Conv2D(3, 3, 2, stride=2, padding=1), (1, 7, 9, 3), bad=(1, 7, 9),
                                    twin=_conv_twin),
    "conv2d_nonsquare_stride3": C(lambda: nn.Conv2D((2, 3), 1, 3, stride=3), (3, 8, 11, 1), bad=(3, 1, 11, 1),
                                  twin=_conv_twin),
    "conv2d_mixed_pairs": C(lambda: nn.Conv2D((3, 1), 2, 3, stride=(1, 2), padding=(2, 1)), (2, 5, 7, 2),
                            twin=_conv_twin),
    "conv2d_no_bias_he": C(lambda: nn.Conv2D(2, 3, 5, bias=False, init="he"), (3, 5, 5, 3), twin=_conv_twin),
    "conv2d_lenet_im2col": C(lambda: nn.Conv2D(9, 1, 15, algorithm="im2col"), (3, 28, 28, 1), twin=_conv_twin),
    "conv2d_lenet_banded": C(lambda: nn.Conv2D(5, 15, 20, algorithm="banded"), (3, 12, 12, 15), twin=_conv_twin),
    "conv2d_lenet_conv2_auto": C(lambda: nn.Conv2D(5, 15, 20), (3, 10, 10, 15), twin=_conv_twin),  # two tile widths
    "conv2d_tiles_stride2_padded": C(lambda: nn.Conv2D(5, 3, 4, stride=2, padding=2, algorithm=2), (3, 9, 8, 3),
                                     twin=_conv_twin),
    "conv1d_3": C(lambda: nn.Conv1D(3, 2, 5), (3, 11, 2), bad=(3, 11, 3), twin=_conv_twin),
    "conv1d_batch1_stride2_pad3": C(lambda: nn.Conv1D(4, 1, 2, stride=2, padding=3), (1, 9, 1), bad=(1, 9, 1, 1),
                                    twin=_conv_twin),
    "conv1d_stride3": C(lambda: nn.Conv1D(5, 3, 3, stride=3), (2, 17, 3), bad=(2, 4, 3), twin=_conv_twin),
    "conv1d_seed": C(lambda: nn.Conv1D(3, 1, 32), (3, 256, 1), twin=_conv_twin),
    # pooling
    "maxpool2d": C(lambda: nn.MaxPool2D(2), (2, 6, 5, 3), bad=(2, 6, 5), elementwise=True, twin=MAX_POOL_TWIN),
    "maxpool2d_overlap": C(lambda: nn.MaxPool2D(3, stride=2), (2, 7, 7, 2), bad=(2, 2, 7, 2), elementwise=True,
                           twin=MAX_POOL_TWIN),
    "maxpool2d_nonsquare_batch1": C(lambda: nn.MaxPool2D((2, 3), stride=(1, 3)), (1, 5, 9, 3), elementwise=True,
                                    twin=MAX_POOL_TWIN),
    "avgpool2d": C(lambda: nn.AvgPool2D(2), (3, 6, 7, 3), bad=(3, 6, 7, 3, 1), twin=AVG_POOL_TWIN),
    "avgpool2d_overlap": C(lambda: nn.AvgPool2D(3, stride=1), (1, 5, 5, 2), twin=AVG_POOL_TWIN),
    "maxpool1d": C(lambda: nn.MaxPool1D(2), (3, 9, 2), bad=(3, 9), elementwise=True, twin=MAX_POOL_TWIN),
    "maxpool1d_overlap": C(lambda: nn.MaxPool1D(3, stride=1), (2, 7, 3), elementwise=True, twin=MAX_POOL_TWIN),
    "maxpool1d_stride3": C(lambda: nn.MaxPool1D(2, stride=3), (1, 11, 1), bad=(1, 1, 1), elementwise=True,
                           twin=MAX_POOL_TWIN),
    "avgpool1d": C(lambda: nn.AvgPool1D(3, 2), (2, 9, 3), bad=(2, 9, 3, 1), twin=AVG_POOL_TWIN),
    # a ReLU next to a max pool: Sequential runs the pair as one fused operation (layers/_fused.py)
    "relu_then_maxpool2d": C(lambda: nn.Sequential(nn.ReLU(), nn.MaxPool2D(2)), (3, 7, 6, 3), bad=(3, 7, 6),
                             elementwise=True),
    "maxpool2d_overlap_then_relu": C(lambda: nn.Sequential(nn.MaxPool2D(3, stride=2), nn.ReLU()), (2, 7, 8, 2),
                                     bad=(2, 7, 8), elementwise=True),
    "relu_then_maxpool1d": C(lambda: nn.Sequential(nn.ReLU(), nn.MaxPool1D(3, stride=2)), (2, 11, 3),
                             bad=(2, 2, 3), elementwise=True),
    # shape layers and normalisation
    "flatten": C(nn.Flatten, (3, 4, 5, 2), elementwise=True),
    "reshape": C(lambda: nn.Reshape((5, 4)), (3, 20), bad=(3, 21), elementwise=True),
    "upsample2": C(lambda: nn.Upsample2D(2), (2, 3, 5, 3), bad=(2, 3, 5), elementwise=True),
    "upsample3_batch1": C(lambda: nn.Upsample2D(3), (1, 2, 3, 1), elementwise=True),
    "batchnorm1d": C(lambda: nn.BatchNorm1D(5), (7, 5), bad=(7, 4), twin=_batch_norm_twin),
    "batchnorm1d_sequence": C(lambda: nn.BatchNorm1D(3), (3, 5, 3), bad=(3, 5, 3, 3), twin=_batch_norm_twin),
    "batchnorm2d": C(lambda: nn.BatchNorm2D(3), (3, 5, 3, 3), bad=(3, 5, 3, 2), twin=_batch_norm_twin),
    # containers and whole nets
    "sequential": C(lambda: nn.Sequential(nn.Linear(7, 9), nn.Tanh(), nn.Linear(9, 5), nn.ReLU(), nn.Linear(5, 3),
                                          nn.Softmax()), (5, 7), bad=(5, 6)),
    "autoencoder": C(lambda: nn.AutoEncoder(nn.Sequential(nn.Linear(9, 5), nn.Sigmoid()),
                                            nn.Sequential(nn.Linear(5, 9), nn.Sigmoid())), (3, 9), bad=(3, 5)),
    "tied_autoencoder": C(_tied_autoencoder, (5, 9), bad=(5, 4)),
    "siamese_with_aux": C(lambda: nn.Siamese(nn.Sequential(nn.Linear(4, 3), nn.Tanh()), nn.Linear(6, 2),
                                             nn.Linear(3, 2)), (3, 2, 4), bad=(3, 3, 4)),
    "sparse_hidden": C(lambda: nn.Sequential(nn.Linear(7, 5), nn.Sigmoid(), nn.KLSparsity(0.05, 0.5),
                                             nn.Linear(5, 3)), (9, 7), bad=(9, 5)),
    "lenet_small": C(lambda: nn.Sequential(nn.Conv2D(3, 1, 3), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(2, 3, 2),
                                           nn.Tanh(), nn.Flatten(), nn.Linear(8, 3)), (2, 9, 9, 1), bad=(2, 9, 9, 2)),
    "conv1d_net_small": C(lambda: nn.Sequential(nn.Conv1D(3, 1, 4), nn.MaxPool1D(2, 2), nn.Flatten(),
                                                nn.Linear(16, 5), nn.ReLU(), nn.Linear(5, 3)), (3, 10, 1)),
    "conv_autoencoder": C(lambda: nn.Sequential(nn.Conv2D(3, 1, 2, padding=1), nn.Sigmoid(), nn.MaxPool2D(2),
                                                nn.Flatten(), nn.Linear(18, 8), nn.Reshape((2, 2, 2)),
                                                nn.Upsample2D(3), nn.Conv2D(1, 2, 1)), (2, 6, 6, 1)),
}


def against_twin(module, x, twin, rng):
    """[(what, fast, twin), ...] for module(x) and its backward at a random delta, against twin(module, x, delta):
    the output, the input gradient and every parameter gradient."""
    y = module(x)
    delta = nn.asarray(rng.standard_normal(tuple(y.shape)))
    module.zero_grad()
    dx = module.backward(delta)
    y_twin, dx_twin, grads_twin = twin(module, x, delta)
    grads = {name: p.grad for name, p in module.named_parameters()}
    assert grads.keys() == grads_twin.keys()
    return [("output", y, y_twin), ("input gradient", dx, dx_twin),
            *((f"gradient of {key}", grads[key], value) for key, value in grads_twin.items())]


def layer_input(case: LayerCase, rng, dtype=None):
    """A host input for the case: N(0, 4) entries, or U(0.05, 0.95) for activations in (0, 1)."""
    if case.inputs == "unit":
        x = rng.uniform(0.05, 0.95, size=case.shape)
    else:
        x = rng.standard_normal(case.shape) * 2.0
    return x if dtype is None else x.astype(dtype)


# ---------------------------------------------------------------- losses
def _targets(kind, shape, rng):
    if kind == "real":
        return rng.standard_normal(shape)
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype(float)
    if kind == "labels":
        return rng.integers(0, shape[1], size=shape[0])
    if kind == "onehot":
        return np.eye(shape[1])[rng.integers(0, shape[1], size=shape[0])]
    if kind == "soft":
        p = rng.uniform(0.1, 1.0, size=shape)
        return p / p.sum(axis=1, keepdims=True)
    raise AssertionError(kind)


LOSSES = [
    ("mse", nn.MSELoss, "real", "real"), ("mae", nn.MAELoss, "real", "real"), ("rmse", nn.RMSELoss, "real", "real"),
    ("bce", nn.BCELoss, "binary", "prob"), ("bce_soft_target", nn.BCELoss, "prob", "prob"),
    ("bce_logits", nn.BCEWithLogitsLoss, "binary", "real"),
    ("ce_labels", nn.CrossEntropyLoss, "labels", "real"), ("ce_onehot", nn.CrossEntropyLoss, "onehot", "real"),
    ("ce_soft", nn.CrossEntropyLoss, "soft", "real"),
    ("nll_labels", nn.NLLLoss, "labels", "logprob"), ("nll_onehot", nn.NLLLoss, "onehot", "logprob"),
]


def loss_inputs(target_kind, pred_kind, shape, rng):
    """(y, yhat) host arrays of the kinds a loss expects (see LOSSES)."""
    y = rng.uniform(0.05, 0.95, size=shape) if target_kind == "prob" else _targets(target_kind, shape, rng)
    if pred_kind == "prob":
        yhat = rng.uniform(0.05, 0.95, size=shape)
    elif pred_kind == "logprob":
        z = rng.standard_normal(shape)
        yhat = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    else:
        yhat = rng.standard_normal(shape) * 2.0
    return y, yhat


def task_driven_judge(d: int = 7, rng_seed: int = 0):
    """A small classifier of d inputs into 3 classes, the judge of the TaskDrivenLoss tests."""
    nn.manual_seed(rng_seed)
    return nn.Sequential(nn.Linear(d, 5), nn.Tanh(), nn.Linear(5, 3))


def task_driven_inputs(rng, n: int = 5, d: int = 7):
    """(y, yhat) host arrays for TaskDrivenLoss: y = [clean (n, d) | one-hot of 3 classes], yhat (n, d)."""
    clean = rng.uniform(0.05, 0.95, size=(n, d))
    labels = np.eye(3)[rng.integers(0, 3, size=n)]
    return np.concatenate([clean, labels], axis=1), rng.uniform(0.05, 0.95, size=(n, d))


# ---------------------------------------------------------------- optimizers
OPTIMIZERS = {
    "sgd": lambda net: nn.SGD(net, lr=0.1),
    "sgd_momentum_nesterov_wd": lambda net: nn.SGD(net, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "rmsprop": lambda net: nn.RMSProp(net, lr=0.01),
    "adam": lambda net: nn.Adam(net, lr=0.01),
    "adamw": lambda net: nn.AdamW(net, lr=0.01, weight_decay=0.1),
}
