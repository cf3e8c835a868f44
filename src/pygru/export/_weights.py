"""What the exporters share: finding the fitted estimator or network, the gate order of ONNX
and Keras, reading and writing one GRU layer direction's weights (on the estimator's raw input
when asked to fold the standardisation), and checking imported arrays."""

import copy

import numpy as np

from pygru._arrays import to_host
from pygru._numbers import as_flag
from pygru._sequences import scale_of_spread
from pygru._warnings import warn

GRU_WEIGHT_NAMES = ("w_ih", "w_hh", "b_ih", "b_hh")
# pygru's name of each weight of a layer direction -> the stem of torch.nn.GRU's.
TORCH_GRU_NAMES = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}


def split_in_two(values, dtype):
    """``(high, low)`` in ``dtype`` with ``high + low`` equal to float64 ``values`` to twice
    ``dtype``'s precision. An export subtracts a mean as ``(x - high) - low``: in float32, a
    mean large beside its feature's spread (air pressure in hPa, say) rounds to a value
    several spreads away, and one subtraction would shift every standardised input."""
    values = np.asarray(values, np.float64)
    high = values.astype(dtype)
    return high, (values - high.astype(np.float64)).astype(dtype)


def fitted_estimator(target):
    """``target``, checked to be a fitted GRUClassifier or GRURegressor."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from pygru._estimators import BaseGRU

    if not isinstance(target, BaseGRU):
        raise TypeError(
            f"expected a fitted GRUClassifier or GRURegressor, got {type(target).__name__}"
            + (
                ": export its last step, pipeline[-1], and apply pipeline[:-1].transform to "
                "X before it (to_onnx and to_torch_module export a Pipeline of SequenceScaler "
                "steps whole)"
                if isinstance(target, Pipeline)
                else ""
            )
        )
    check_is_fitted(target, "network_")
    return target


def fitted_on_host(target):
    """``target``, checked to be fitted, with its parameters in NumPy arrays: a model
    trained on a GPU is exported from a shallow copy whose network is on the host (the
    copy that pickling makes), so that the exporters never read device arrays."""
    estimator = fitted_estimator(target)
    if estimator.network_.xp is np:
        return estimator
    return copy.copy(estimator)


def sequence_scalers_and_estimator(model, exporter, more_advice=""):
    """The SequenceScaler steps of a fitted Pipeline and its final pygru estimator (on the
    host), or no steps and ``model`` itself. Other steps are refused by name, with the way
    out ``exporter`` (the exporting function's name) leaves and ``more_advice``."""
    from sklearn.pipeline import Pipeline

    from pygru.preprocessing import SequenceScaler

    if not isinstance(model, Pipeline):
        return [], _as_computed_by_pygru(fitted_on_host(model), exporter)
    scalers = []
    for name, step in model.steps[:-1]:
        if step is None or step == "passthrough":
            continue
        if not isinstance(step, SequenceScaler):
            raise TypeError(
                f"{exporter} exports a Pipeline of SequenceScaler steps before a pygru "
                f"estimator; its step {name!r} is a {type(step).__name__}, which it cannot "
                f"export. Export the estimator, {exporter}(pipeline[-1]), and apply "
                f"pipeline[:-1].transform to X before it{more_advice}"
            )
        step._check_fitted_for_per()
        scalers.append(_as_computed_by_pygru(step, exporter))
    return scalers, _as_computed_by_pygru(fitted_on_host(model.steps[-1][1]), exporter)


# What each whole-model export computes, by class: a subclass may override the rest.
_EXPORTED_METHODS = {
    "to_onnx": {"GRUClassifier": ("predict", "predict_proba"), "GRURegressor": ("predict",)},
    "to_torch_module": {"GRUClassifier": ("predict_proba",), "GRURegressor": ("predict",)},
}


def _as_computed_by_pygru(model, exporter):
    """``model``, refused where it is a subclass that overrides what ``exporter`` computes
    (the predictions it outputs, or a scaler's transform): the export is built from pygru's
    own computation, so it would silently differ from the subclass's."""
    from pygru._estimators import GRUClassifier, GRURegressor
    from pygru.preprocessing import SequenceScaler

    exported = _EXPORTED_METHODS[exporter]
    on_the_outputs = "apply the subclass's change to the exported outputs yourself"
    on_the_input = (
        f"export the estimator, {exporter}(pipeline[-1]), and apply pipeline[:-1].transform "
        "to X before it"
    )
    for base, methods, remedy in (
        (GRUClassifier, exported["GRUClassifier"], on_the_outputs),
        (GRURegressor, exported["GRURegressor"], on_the_outputs),
        (SequenceScaler, ("transform",), on_the_input),
    ):
        if isinstance(model, base):
            overridden = [
                name for name in methods if getattr(type(model), name) is not getattr(base, name)
            ]
            if overridden:
                raise TypeError(
                    f"{exporter} exports what {base.__name__} computes, but "
                    f"{type(model).__name__} overrides {', '.join(overridden)}, so the "
                    f"export would not reproduce it: {remedy}, or keep the model in Python "
                    "(pickle)"
                )
    return model


def statistics_of_x(scalers, estimator):
    """(mean, scale) of the features of the X an export reads: the first scaler's (per
    feature), else the estimator's; (None, None) where a per-sequence scaler reads X
    first, whose statistics are each sequence's own."""
    if not scalers:
        return input_statistics(estimator)
    return scaler_statistics(scalers[0])


def scaler_statistics(scaler):
    """(mean, scale) of the features a SequenceScaler was fitted on (per feature), else
    (None, None)."""
    if scaler.per != "feature":
        return None, None
    return scaler.mean_, scale_of_spread(scaler.mean_, np.sqrt(scaler.var_))


def network_of(target, fold_standardization=False):
    """The GRUNetwork behind a fitted estimator, or ``target`` itself if it is one, after
    checking that its GRU layers read what the estimator is given (see
    :func:`require_layer_level`). The head, the pooling over time it reads and the linear
    skip (``linear.weight``) are not the converters' business: they carry the GRU layers,
    exactly, and look up no other parameter."""
    from pygru._network import GRUNetwork

    fold_standardization = as_flag("fold_standardization", fold_standardization)
    if isinstance(target, GRUNetwork):
        if fold_standardization:
            # A network holds no input statistics: there would be nothing to fold, silently.
            raise ValueError(
                "fold_standardization=True needs the fitted estimator, whose input_mean_ "
                "and input_scale_ are folded; a GRUNetwork has none: pass the estimator"
            )
        network = target
    elif _is_estimator(target):
        require_layer_level(fitted_estimator(target), fold_standardization)
        network = target.network_
    else:
        raise TypeError(
            "expected a fitted GRUClassifier/GRURegressor or a GRUNetwork, got "
            f"{type(target).__name__}"
        )
    return network


def _is_estimator(target):
    from pygru._estimators import BaseGRU

    return isinstance(target, BaseGRU)


def require_layer_level(estimator, fold_standardization):
    """Refuse an estimator whose GRU weights alone would disagree with it: one that scales
    each sequence by itself, reads patches, or (unless ``fold_standardization``)
    standardises its input."""
    name = type(estimator).__name__
    if hasattr(estimator, "sequence_spread_floor_"):
        raise ValueError(
            f"this {name} scales each sequence by itself and reads its level and log spread "
            "as input channels of their own (standardize='sequence', or 'auto' that chose "
            "it; sequence_spread_floor_), which a plain GRU layer does not do and no "
            "folding of weights can express; export the whole model with "
            "pygru.to_torch_module or pygru.to_onnx (or fit with standardize=True)"
        )
    if getattr(estimator, "patch_size_", 1) > 1:
        raise ValueError(
            f"this {name} reads its input in patches of patch_size_={estimator.patch_size_} "
            "time steps, which a plain GRU layer does not do; export the whole model with "
            "pygru.to_torch_module or pygru.to_onnx (or fit with patch_size=None)"
        )
    if hasattr(estimator, "input_mean_") and not fold_standardization:
        raise ValueError(
            f"this {name} standardises its input (input_mean_, input_scale_), which a plain "
            "GRU layer does not do; pass fold_standardization=True to fold it into the first "
            "layer's input weights (the GRU then reads raw input, exactly), or export the "
            "whole model with pygru.to_torch_module or pygru.to_onnx"
        )


def to_zrn_order(rows):
    """pygru's gate blocks [r, z, n] along axis 0 -> [z, r, n] (Keras' and ONNX's order)."""
    r, z, n = np.split(rows, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def from_zrn_order(rows):
    """Gate blocks [z, r, n] along axis 0 -> pygru's [r, z, n]."""
    z, r, n = np.split(rows, 3, axis=0)
    return np.concatenate([r, z, n], axis=0)


def gru_slots(network):
    """(layer, direction, view prefix) of every GRU layer direction, in torch/Keras order."""
    return [
        (layer, direction, f"gru{layer}.{direction}.")
        for layer in range(len(network.hidden_layer_sizes))
        for direction in network.directions
    ]


def gru_weights(target, network, layer, view_prefix):
    """One layer direction's {name: array} (``w_ih``, ``w_hh``, ``b_ih``, ``b_hh``) as host
    copies, acting on the estimator's raw input: an input standardisation is folded into
    the first layer's w_ih and b_ih (W (x - m) / s + b = (W / s) x + (b - (W / s) m));
    :func:`network_of` has refused it unless the caller asked for that."""
    weights = {
        name: to_host(network.views[view_prefix + name]).copy() for name in GRU_WEIGHT_NAMES
    }
    scaling = _input_scaling(target) if layer == 0 else None
    if scaling is not None:
        mean, scale = scaling
        folded = weights["w_ih"].astype(np.float64) / scale
        weights["b_ih"] = (weights["b_ih"] - folded @ mean).astype(network.dtype)
        weights["w_ih"] = folded.astype(network.dtype)
    return weights


# What the exports promise: predictions to 1e-5.
_FOLDING_TOLERANCE = 1e-5


def _standardised_rounding(mean, scale, dtype):
    """``(ratio, blur)``: the largest |mean| / scale of the features, and what rounding a
    value near the mean to ``dtype`` costs at most in standardised units: half a unit in
    the last place, ratio times eps / 2."""
    ratio = float(np.max(np.abs(mean) / scale))
    return ratio, ratio * np.finfo(dtype).eps / 2


def warn_if_folding_blurs(target, network):
    """Warn, once per export, where the folded first layer's rounding is large in
    standardised units: its bias cancels (W / s) m, which is |m| / s times the size of W,
    to the dtype's precision (:func:`gru_weights` folds each direction)."""
    scaling = _input_scaling(target)
    if scaling is None:
        return
    ratio, blur = _standardised_rounding(*scaling, network.dtype)
    if blur > _FOLDING_TOLERANCE:
        warn(
            f"fold_standardization: a feature's mean is up to {ratio:.3g} "
            f"times its scale, so the folded {np.dtype(network.dtype).name} layer reads the "
            f"standardised input to about {blur:.1e} only; fit with dtype='float64', or "
            "standardise the input yourself and fit with standardize=False",
            UserWarning,
        )


def input_statistics(estimator):
    """(``input_mean_``, ``input_scale_``) of the estimator, or (None, None) where it does
    not standardise its input, or scales each sequence by itself first: its statistics are
    then those of the scaled values, levels and log spreads, not of X's features, and what
    float32 X loses depends on each sequence's own level and spread."""
    if hasattr(estimator, "sequence_spread_floor_"):
        return None, None
    return getattr(estimator, "input_mean_", None), getattr(estimator, "input_scale_", None)


def warn_if_float32_input_blurs(mean, scale, remedy):
    """Warn where float32 input cannot carry a feature's spread: rounding x to float32
    moves it by up to |x| eps / 2, which is |mean| / scale eps / 2 once standardised, where
    ``predict`` standardises float64 X before any rounding. ``mean`` and ``scale`` are X's
    features' (None: not known); ``remedy`` names the float64 way in."""
    if mean is None:
        return
    ratio, blur = _standardised_rounding(mean, scale, np.float32)
    if blur > _FOLDING_TOLERANCE:
        warn(
            f"a feature's mean is up to {ratio:.3g} times its scale, so X rounded to float32 "
            f"carries the standardised input to about {blur:.1e} only (predict standardises "
            f"float64 X before rounding; float32 data lose nothing): for float64 X, use "
            f"{remedy}",
            UserWarning,
        )


def check_float32_targets(estimator, remedy):
    """Refuse a regressor whose target scaling float32 cannot hold, and warn where float32
    outputs cannot carry the targets' spread: ``predict`` undoes the scaling in float64, a
    float32 export in float32, where a scale below float32's smallest normal number gives
    every prediction as the mean (0 under 1e-45), a mean or scale past its largest gives
    inf, and rounding a prediction near the mean moves it by up to |mean| eps / 2, which is
    |mean| / scale eps / 2 in units of the scale (a constant target, whose scale is 1,
    is not warned of). ``remedy`` names a way out."""
    scale = getattr(estimator, "target_scale_", None)
    if scale is None:
        return
    scale = np.asarray(scale, np.float64)
    mean = np.asarray(estimator.target_mean_, np.float64)
    limits = np.finfo(np.float32)
    if np.any(scale < limits.tiny) or np.any(np.abs(mean) + scale > limits.max):
        raise ValueError(
            f"the targets' scale (target_scale_ from {scale.min():.3g} to {scale.max():.3g}, "
            f"|target_mean_| up to {np.abs(mean).max():.3g}) is outside float32's normal "
            f"range ({limits.tiny:.3g} to {limits.max:.3g}): float32 predictions would be "
            f"constant, 0 or inf; {remedy}"
        )
    varies = scale != 1.0  # a constant target's scale is 1 and says nothing of its spread
    if not varies.any():
        return
    ratio, blur = _standardised_rounding(mean[varies], scale[varies], np.float32)
    if blur > _FOLDING_TOLERANCE:
        warn(
            f"a target's mean is up to {ratio:.3g} times its scale, so float32 predictions "
            f"carry the targets to about {blur:.1e} of target_scale_ only (predict undoes "
            f"the scaling in float64): {remedy}",
            UserWarning,
        )


def set_gru_weights(target, network, updates):
    """Write {view name: array} into the network, unfolding the input standardisation from
    the first layer's weights (the inverse of :func:`gru_weights`) in the arrays' own
    precision: a float64 peer's bias b - (W / s) m is large where the mean m is, and
    rounding it to float32 before the unfolding cancels it lost 3e-3 of it."""
    scaling = _input_scaling(target)
    values = dict(updates)
    if scaling is not None:
        mean, scale = scaling
        for direction in network.directions:
            w_ih, b_ih = f"gru0.{direction}.w_ih", f"gru0.{direction}.b_ih"
            values[b_ih] = updates[b_ih] + updates[w_ih].astype(np.float64) @ mean
            values[w_ih] = updates[w_ih] * scale
    replace_weights(target, network, values)


def replace_weights(target, network, values):
    """Write {view name: array} into ``network`` (``target``'s, or ``target`` itself), and
    reset an estimator's optimizer: its moments belonged to the weights that are gone, and
    the next partial_fit would start with their momentum (as the estimator resets it when
    its weights go back to an earlier epoch)."""
    for view, value in values.items():
        network.views[view][...] = network.xp.asarray(value)
    optimizer = getattr(target, "_optimizer", None)
    if optimizer is not None:
        optimizer.reset_state()


def _input_scaling(target):
    """(mean, scale) that a fitted estimator applies to the first layer's input; None for a
    bare network or without standardisation."""
    if not _is_estimator(target) or not hasattr(target, "input_mean_"):
        return None
    return target.input_mean_, target.input_scale_


def as_weight(value, shape, dtype, name, keep_precision=False):
    """``value`` (array-like or tensor) as a finite array of ``shape`` and ``dtype``; with
    ``keep_precision``, in the wider of its own type and ``dtype`` (finite in ``dtype``
    still), for weights that are computed on before they are written (the input
    standardisation unfolded from a float64 peer's first layer), so that they round once."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        if getattr(value, "is_meta", False):
            raise ValueError(
                f"{name} is a tensor on torch's meta device, which holds no data (as in a "
                "module built under torch.device('meta')): give it its weights first"
            )
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
    if array.dtype.kind == "V" and "float" in array.dtype.name:
        # ml_dtypes' bfloat16 and float8 (Keras' bfloat16 layers give them): exact in float32
        array = array.astype(np.float32)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.shape != tuple(shape):
        raise ValueError(f"{name} has shape {array.shape}, expected {tuple(shape)}")
    with np.errstate(over="ignore"):
        rounded = array.astype(dtype)
    if not np.all(np.isfinite(rounded)):
        raise ValueError(f"{name} contains NaN or infinity (or values too large for {dtype})")
    return array.astype(np.promote_types(array.dtype, dtype)) if keep_precision else rounded
