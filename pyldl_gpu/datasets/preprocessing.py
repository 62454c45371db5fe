"""Host-side preprocessing: min-max scaling and stratified splits."""

from __future__ import annotations

from .. import backends


def min_max_scale(x, low: float = 0.0, high: float = 1.0):
    """Scale x linearly so its minimum is ``low`` and its maximum ``high`` (a constant x maps to ``low``)."""
    np = backends.host()
    x = np.asarray(x, dtype="float32")
    lo, hi = float(x.min()), float(x.max())
    span = hi - lo
    if span == 0.0:
        return np.full_like(x, low)
    return ((x - lo) * ((high - low) / span) + low).astype("float32")


def stratified_split(x, y, validation: float = 0.0, test: float = 0.2, seed: int | None = 0):
    """Split (x, y) into train / validation / test keeping class proportions. Returns
    (x_train, y_train, x_val, y_val, x_test, y_test); the validation pair is empty when validation == 0."""
    from sklearn.model_selection import train_test_split

    if not (0.0 <= validation < 1.0 and 0.0 < test < 1.0 and validation + test < 1.0):
        raise ValueError(f"stratified_split: need 0 <= validation, 0 < test, validation + test < 1; "
                         f"got {validation}, {test}")
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test, stratify=y, random_state=seed)
    if validation == 0.0:
        return x_rest, y_rest, x_rest[:0], y_rest[:0], x_test, y_test
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=validation / (1.0 - test),
                                                      stratify=y_rest, random_state=seed)
    return x_train, y_train, x_val, y_val, x_test, y_test
