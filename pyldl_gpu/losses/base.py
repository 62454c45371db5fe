"""The Loss base class: ``forward(y, yhat)`` -> mean loss (a device scalar, never read back here) and
``backward(y, yhat)`` -> dL/dyhat with yhat's shape. Targets come first, as in the seed reports.

Called directly, a loss checks everything before it computes: both are arrays of the active device, their
shapes and dtypes fit (``_check``), the batch is not empty, and their values lie where the loss is defined
(``targets`` and ``predictions``, see values.py: labels in range, soft targets that are distributions,
probabilities in [0, 1]; one small read-back for device data). Trainers run their steps inside
``trusted_values(level)``, which skips the value checks made elsewhere:

- ``"host"`` (``Optim.step`` after its first call): values are checked wherever that is free, on host (CPU
  backend) arrays, so every step on the CPU checks its batch; on a GPU they are skipped, as reading a value back
  would wait for the device at every batch;
- ``"predictions"`` (``fit``, whose targets were checked once before the first step): only the predictions, on
  host arrays (for the losses that constrain them: BCELoss's probabilities);
- ``True`` (the default: a backward after its checked forward, a composite's parts): none.

Under trust, non-finite predictions pass: the trainer's guard reports them and restores good weights."""

from __future__ import annotations

import contextvars

from .. import backends
from ..exceptions import DTypeError, ShapeError
from .values import FINITE, on_host

_TRUSTED: contextvars.ContextVar[bool | str] = contextvars.ContextVar("pyldl_values_trusted", default=False)


class trusted_values:  # noqa: N801 - used as a context manager, like a function
    """``with trusted_values(level):`` losses skip the value checks the caller made (see the module docstring):
    level True (all of them), "predictions" (the targets'; host predictions are still checked) or "host" (the
    ones that would wait for a device). Shapes, dtypes and devices are always checked. ``trusted_values(False)``
    turns every check back on inside."""

    __slots__ = ("_token", "trusted")
    LEVELS = (False, True, "host", "predictions")

    def __init__(self, trusted: bool | str = True) -> None:
        if not any(trusted is level or (isinstance(level, str) and trusted == level) for level in self.LEVELS):
            raise ValueError(f"trusted_values: level must be one of {self.LEVELS}, got {trusted!r}")
        self.trusted = trusted

    def __enter__(self) -> None:
        self._token = _TRUSTED.set(self.trusted)

    def __exit__(self, *exc) -> None:
        _TRUSTED.reset(self._token)


class Loss:
    """Base class. Subclasses implement ``_forward`` and ``_backward`` on checked arrays; ``_check`` (shapes and
    dtypes, here: equal) may be overridden, and sees arrays of the active device. ``targets`` and
    ``predictions`` are the rules their values must follow (values.Range; None: any). Values are checked at
    every call on the CPU; on a GPU at direct calls and once per training run (see the module docstring)."""

    targets = FINITE
    predictions = None

    def __call__(self, y, yhat):
        return self.forward(y, yhat)

    def forward(self, y, yhat):
        """Mean loss over the batch (a device scalar)."""
        self._validate(y, yhat)
        return self._forward(y, yhat)

    def backward(self, y, yhat):
        """dL/dyhat, same shape as yhat."""
        self._validate(y, yhat)
        return self._backward(y, yhat)

    def _validate(self, y, yhat) -> None:
        """Both are arrays of the active device (a clear error otherwise), then the loss's own _check, then a
        non-empty batch, then the values the trust level leaves (see the module docstring), letting non-finite
        predictions through to the trainer's guard when trusted."""
        self.check_structure(y, yhat)
        trust = _TRUSTED.get()
        if not trust:
            self.check_values(y, yhat)
        elif trust == "host" and on_host(y, yhat):
            self.check_values(y, yhat, non_finite_ok=True)
        elif trust == "predictions" and on_host(yhat):
            self.check_predictions(yhat, non_finite_ok=True)

    def check_structure(self, y, yhat) -> None:
        """Devices, shapes and dtypes (free: nothing is read back); raises naming the loss."""
        backends.require_array(yhat, f"{self!r} prediction")
        backends.require_array(y, f"{self!r} target")
        if yhat.dtype.kind != "f":
            raise DTypeError(f"{self!r}: predictions must be floating point (a network's output), got {yhat.dtype}")
        self._check(y, yhat)
        if yhat.size == 0 or y.size == 0:
            raise ShapeError(f"{self!r}: empty batch (target {tuple(y.shape)}, prediction {tuple(yhat.shape)}): "
                             "a mean over no values is not a loss")

    def check_values(self, y, yhat, non_finite_ok: bool = False) -> None:
        """Targets and predictions lie where the loss is defined (one small read-back of each for device data).
        non_finite_ok: NaN or inf in the predictions passes (see values.Range.check)."""
        self.check_targets(y, tuple(yhat.shape))
        self.check_predictions(yhat, non_finite_ok)

    def check_targets(self, y, prediction_shape: tuple) -> None:
        """The targets' values (host or device data; prediction_shape gives the class count of labels)."""
        if self.targets is not None:
            self.targets.check(y, self, "target", prediction_shape)

    def check_predictions(self, yhat, non_finite_ok: bool = False) -> None:
        """The predictions' values; nothing is read when the loss takes any prediction."""
        if self.predictions is not None:
            self.predictions.check(yhat, self, "prediction", non_finite_ok=non_finite_ok)

    def _check(self, y, yhat) -> None:
        if yhat.shape != y.shape:
            raise ShapeError(
                f"{self!r}: target and prediction must have the same shape, got y {tuple(y.shape)} "
                f"and yhat {tuple(yhat.shape)}"
            )
        if y.dtype != yhat.dtype:
            raise DTypeError(f"{self!r}: target dtype {y.dtype} differs from prediction dtype {yhat.dtype}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
