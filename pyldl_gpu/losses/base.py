"""The Loss base class: ``forward(y, yhat)`` -> mean loss (a device scalar, never read back here) and
``backward(y, yhat)`` -> dL/dyhat with yhat's shape. Targets come first, as in the seed reports."""

from __future__ import annotations

from .. import backends
from ..exceptions import DTypeError, ShapeError


class Loss:
    """Base class. Subclasses implement ``_forward`` and ``_backward`` on checked arrays; ``_check`` (shapes and
    dtypes, here: equal) may be overridden, and sees arrays of the active device."""

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
        """Both are arrays of the active device (a clear error otherwise), then the loss's own _check."""
        backends.require_array(yhat, f"{self!r} prediction")
        backends.require_array(y, f"{self!r} target")
        self._check(y, yhat)

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
