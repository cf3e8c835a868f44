"""Losses of the estimators and their gradients with respect to the network's outputs.

Every loss takes the network's outputs as a 2-D array ``(n_samples, n_outputs)`` and returns
``(loss, gradient)``: the (sample-weighted) mean loss as a Python float, and its gradient with
respect to the outputs, in the outputs' dtype (float32 stays float32) and on their device
(NumPy or CuPy arrays; targets and weights must live with the outputs).

Sample weights enter as a weighted mean over rows, ``sum(w * l) / sum(w)``, so scaling all
weights by a constant changes nothing and unit weights give the plain mean. Class weights are
turned into sample weights by the caller (``sklearn.utils.class_weight.compute_sample_weight``).
"""

import numpy as np

from pygru._arrays import array_module


def softmax(logits):
    """Softmax along the last axis, stable for logits of any magnitude.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
        Unnormalised log-probabilities.

    Returns
    -------
    probabilities : ndarray of shape (n_samples, n_classes)
        Non-negative, each row sums to 1; same dtype as ``logits``.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[0.0, np.log(3.0)]])).round(2)
    array([[0.25, 0.75]])
    """
    # Shifting by the row maximum leaves the result unchanged and keeps exp from overflowing.
    exponentials = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def log_softmax(logits):
    """Logarithm of the softmax along the last axis, without over- or underflow.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
        Unnormalised log-probabilities.

    Returns
    -------
    log_probabilities : ndarray of shape (n_samples, n_classes)
        Same dtype as ``logits``; finite wherever ``logits`` is finite, even where the
        probability itself underflows to 0.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([[0.0, 1e4]]))
    array([[-10000.,      0.]])
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy(logits, y_index, sample_weight=None):
    """Softmax cross-entropy computed from raw logits, and its gradient.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
        Floating-point outputs of the network, before the softmax.

    y_index : ndarray of shape (n_samples,)
        Index of the true class of each sample, an integer in ``[0, n_classes)``.

    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weight of each sample; ``None`` weighs all samples equally.

    Returns
    -------
    loss : float
        ``sum(w * l) / sum(w)`` where ``l = -log(softmax(logits)[i, y_index[i]])``.

    d_logits : ndarray of shape (n_samples, n_classes)
        Gradient of ``loss`` with respect to ``logits``, in the dtype of ``logits``.

    Examples
    --------
    >>> import numpy as np
    >>> loss, d_logits = cross_entropy(np.zeros((2, 2)), np.array([0, 1]))
    >>> round(loss, 4)
    0.6931
    >>> d_logits
    array([[-0.25,  0.25],
           [ 0.25, -0.25]])
    """
    _check_outputs(logits, "logits")
    xp = array_module(logits)
    n_samples, n_classes = logits.shape
    _check_class_indices(y_index, n_samples, n_classes)
    row_weights = _normalized_row_weights(xp, sample_weight, n_samples, logits.dtype)
    rows = xp.arange(n_samples)
    log_probabilities = log_softmax(logits)
    loss = -(row_weights * log_probabilities[rows, y_index]).sum()
    # d/dlogits of -log softmax(logits)[y] is softmax(logits) - onehot(y).
    d_logits = xp.exp(log_probabilities)
    d_logits[rows, y_index] -= 1
    d_logits *= row_weights[:, None]
    return float(loss), d_logits


def squared_error(pred, target, sample_weight=None):
    """Half the mean squared error, as scikit-learn's ``MLPRegressor``, and its gradient.

    Parameters
    ----------
    pred : ndarray of shape (n_samples, n_outputs)
        Floating-point predictions of the network.

    target : ndarray of shape (n_samples, n_outputs)
        True values; converted to the dtype of ``pred``.

    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weight of each row; ``None`` weighs all rows equally.

    Returns
    -------
    loss : float
        ``sum_i w_i * mean_k (pred[i, k] - target[i, k]) ** 2 / 2 / sum(w)``; without weights,
        the mean over all elements of ``(pred - target) ** 2 / 2``.

    d_pred : ndarray of shape (n_samples, n_outputs)
        Gradient of ``loss`` with respect to ``pred``, in the dtype of ``pred``.

    Examples
    --------
    >>> import numpy as np
    >>> loss, d_pred = squared_error(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    >>> loss
    1.25
    >>> d_pred
    array([[0.5, 1. ]])
    """
    _check_outputs(pred, "pred")
    if getattr(target, "shape", None) != pred.shape:
        raise ValueError(
            f"target must have the shape of pred {pred.shape}, "
            f"got {getattr(target, 'shape', type(target).__name__)}."
        )
    n_samples, n_outputs = pred.shape
    row_weights = _normalized_row_weights(array_module(pred), sample_weight, n_samples, pred.dtype)
    residuals = pred - target.astype(pred.dtype, copy=False)
    element_weights = row_weights[:, None] / n_outputs
    loss = (element_weights * residuals * residuals).sum() / 2
    return float(loss), element_weights * residuals


def _check_outputs(outputs, name):
    """Raise unless ``outputs`` is a non-empty 2-D floating-point array (NumPy or CuPy)."""
    if not isinstance(outputs, array_module(outputs).ndarray):
        raise TypeError(f"{name} must be a NumPy or CuPy array, got {type(outputs).__name__}.")
    if outputs.dtype.kind != "f":
        raise TypeError(f"{name} must have a floating-point dtype, got {outputs.dtype}.")
    if outputs.ndim != 2 or outputs.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D array (n_samples, n_outputs), "
            f"got shape {outputs.shape}."
        )


def _check_class_indices(y_index, n_samples, n_classes):
    """Raise unless ``y_index`` holds one valid class index per sample."""
    if not isinstance(y_index, array_module(y_index).ndarray) or y_index.dtype.kind not in "iu":
        raise TypeError(
            "y_index must be an array of integer class indices, got "
            f"{getattr(y_index, 'dtype', type(y_index).__name__)}."
        )
    if y_index.shape != (n_samples,):
        raise ValueError(
            f"y_index must have shape ({n_samples},) to match logits, got {y_index.shape}."
        )
    if y_index.min() < 0 or y_index.max() >= n_classes:
        raise ValueError(
            f"y_index must lie in [0, {n_classes}) for {n_classes} classes, got values in "
            f"[{y_index.min()}, {y_index.max()}]."
        )


def _normalized_row_weights(xp, sample_weight, n_samples, dtype):
    """Per-row weights that sum to 1: ``sample_weight / sum(sample_weight)``, or ``1 / n``;
    an array of module ``xp`` (where the outputs are)."""
    if sample_weight is None:
        return xp.full(n_samples, 1 / n_samples, dtype=dtype)
    sample_weight = xp.asarray(sample_weight)
    if sample_weight.dtype.kind not in "iuf":
        raise TypeError(f"sample_weight must hold real numbers, got dtype {sample_weight.dtype}.")
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {sample_weight.shape}."
        )
    if not xp.isfinite(sample_weight).all() or (sample_weight < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    total = sample_weight.sum()
    if total <= 0:
        raise ValueError("sample_weight must not be all zero.")
    return (sample_weight / total).astype(dtype, copy=False)
