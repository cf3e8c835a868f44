"""What the PyTorch and Keras converters share: finding the network, reading and writing one
GRU layer direction's weights on the estimator's raw input, and checking imported arrays."""

import numpy as np

from pygru._arrays import to_host

_GRU_WEIGHT_NAMES = ("w_ih", "w_hh", "b_ih", "b_hh")


def network_of(target):
    """The GRUNetwork behind a fitted estimator, or ``target`` itself if it is one."""
    from sklearn.utils.validation import check_is_fitted

    from pygru._estimators import BaseGRU
    from pygru._network import GRUNetwork

    if isinstance(target, GRUNetwork):
        return target
    if isinstance(target, BaseGRU):
        check_is_fitted(target, "network_")
        return target.network_
    raise TypeError(
        "expected a fitted GRUClassifier/GRURegressor or a GRUNetwork "
        f"(estimator.network_), got {type(target).__name__}"
    )


def gru_slots(network):
    """(layer, direction, view prefix) of every GRU layer direction, in torch/Keras order."""
    return [
        (layer, direction, f"gru{layer}.{direction}.")
        for layer in range(len(network.hidden_layer_sizes))
        for direction in network.directions
    ]


def gru_weights(target, network, layer, view_prefix):
    """One layer direction's {name: array} (``w_ih``, ``w_hh``, ``b_ih``, ``b_hh``) as host
    copies, acting on the estimator's raw input: the input standardisation is folded into
    the first layer's w_ih and b_ih, exactly (W (x - m) / s + b = (W / s) x + (b - (W / s) m))."""
    weights = {
        name: to_host(network.views[view_prefix + name]).copy() for name in _GRU_WEIGHT_NAMES
    }
    scaling = _input_scaling(target) if layer == 0 else None
    if scaling is not None:
        mean, scale = scaling
        folded = weights["w_ih"].astype(np.float64) / scale
        weights["b_ih"] = (weights["b_ih"] - folded @ mean).astype(network.dtype)
        weights["w_ih"] = folded.astype(network.dtype)
    return weights


def set_gru_weights(target, network, updates):
    """Write {view name: array} into the network, unfolding the input standardisation from
    the first layer's weights (the inverse of :func:`gru_weights`)."""
    scaling = _input_scaling(target)
    values = dict(updates)
    if scaling is not None:
        mean, scale = scaling
        for direction in network.directions:
            w_ih, b_ih = f"gru0.{direction}.w_ih", f"gru0.{direction}.b_ih"
            values[b_ih] = updates[b_ih] + updates[w_ih].astype(np.float64) @ mean
            values[w_ih] = updates[w_ih] * scale
    for view, value in values.items():
        network.views[view][...] = network.xp.asarray(value)


def _input_scaling(target):
    """(mean, scale) that a fitted estimator applies to the first layer's input, repeated
    for each step of a patch; None for a bare network or without standardisation."""
    from pygru._estimators import BaseGRU

    if not isinstance(target, BaseGRU) or not hasattr(target, "input_mean_"):
        return None
    repeats = getattr(target, "patch_size_", 1)
    return np.tile(target.input_mean_, repeats), np.tile(target.input_scale_, repeats)


def as_weight(value, shape, dtype, name):
    """``value`` (array-like or tensor) as a finite array of ``shape`` and ``dtype``."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        try:
            value = value.detach().cpu().numpy()
        except TypeError as error:
            raise TypeError(
                f"{name}: cannot convert the tensor to NumPy ({error}); "
                "convert it with .float() first"
            ) from None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers: {error}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.shape != tuple(shape):
        raise ValueError(f"{name} has shape {array.shape}, expected {tuple(shape)}")
    with np.errstate(over="ignore"):
        array = array.astype(dtype)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity (or values too large for {dtype})")
    return array
