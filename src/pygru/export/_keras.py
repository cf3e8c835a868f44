"""GRU weights to and from Keras ``GRU`` and ``Bidirectional(GRU)`` layers: gates in the
order [z, r, h], transposed kernels, and one bias array per layer direction."""

import numpy as np

from pygru.export._weights import (
    as_weight,
    from_zrn_order,
    gru_slots,
    gru_weights,
    network_of,
    set_gru_weights,
    to_zrn_order,
    warn_if_folding_blurs,
)


def to_keras_weights(estimator, *, fold_standardization=False):
    """GRU weights as Keras ``GRU`` / ``Bidirectional(GRU)`` layers' ``get_weights()`` lists.

    Layer-level interop: only the GRU layers, not the embedding, the head or what the
    estimator does to its input. For the whole model use :func:`pygru.to_onnx` or
    :func:`pygru.to_torch_module`.

    Parameters
    ----------
    estimator : fitted GRUClassifier or GRURegressor, or GRUNetwork
        An estimator that reads patches (``patch_size_ > 1``) is refused: a Keras GRU would
        read the raw steps and disagree with it; so is one that scales each sequence by
        itself (``sequence_spread_floor_``, from ``standardize="sequence"`` or "auto"),
        whose GRU reads each sequence's scaled values, level and log spread, which no
        weights of a GRU layer compute, even with ``fold_standardization``: export it with
        :func:`pygru.to_onnx` or :func:`pygru.to_torch_module` (or fit with
        ``standardize=True``).
    fold_standardization : bool, default=False
        Required for an estimator that standardises its input (``standardize=True``, or "auto"
        where it did not scale each sequence by itself): fold ``input_mean_`` and ``input_scale_``
        into the first layer's kernel and bias (exact in real arithmetic; a float32 model with a
        mean of more than about 100 times its scale loses precision, with a warning), so that the
        Keras layer reads the raw input. Without it such an estimator is refused. A GRUNetwork
        holds no input statistics and is refused with it.

    Returns
    -------
    weights : list of list of ndarray
        One entry per GRU layer, to pass to that Keras layer's ``set_weights``:
        ``[kernel, recurrent_kernel, bias]`` for a ``GRU``, the forward layer's three then the
        backward layer's three for a ``Bidirectional(GRU)``. ``kernel`` is (I, 3H),
        ``recurrent_kernel`` (H, 3H), gates in Keras' order [z, r, h]; ``bias`` is (2, 3H)
        [input bias; recurrent bias] for ``reset_after=True`` and (3H,) = b_ih + b_hh for
        ``reset_after=False``. Build the Keras layers with the same ``reset_after`` (and,
        for a bidirectional layer, the default ``merge_mode="concat"``).

    Raises
    ------
    ValueError
        The estimator reads patches, scales each sequence by itself, or standardises its
        input without ``fold_standardization=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru import GRUClassifier, to_keras_weights
    >>> X = np.random.default_rng(0).standard_normal((8, 4, 3))
    >>> clf = GRUClassifier((5,), max_iter=1).fit(X, [0, 1] * 4)
    >>> [w.shape for w in to_keras_weights(clf, fold_standardization=True)[0]]
    [(3, 15), (5, 15), (2, 15), (3, 15), (5, 15), (2, 15)]
    """
    network = network_of(estimator, fold_standardization)
    warn_if_folding_blurs(estimator, network)
    layers = [[] for _ in network.hidden_layer_sizes]
    for layer, _, view_prefix in gru_slots(network):
        weights = gru_weights(estimator, network, layer, view_prefix)
        kernel = to_zrn_order(weights["w_ih"]).T.copy()
        recurrent_kernel = to_zrn_order(weights["w_hh"]).T.copy()
        b_ih = to_zrn_order(weights["b_ih"])
        b_hh = to_zrn_order(weights["b_hh"])
        bias = np.stack([b_ih, b_hh]) if network.reset_after else b_ih + b_hh
        layers[layer] += [kernel, recurrent_kernel, bias]
    return layers


def from_keras_weights(estimator_or_params, weights, *, fold_standardization=False):
    """Set GRU weights from Keras ``GRU`` / ``Bidirectional(GRU)`` weights, in place.

    A ``reset_after=False`` Keras layer has one bias (3H,), the sum of pygru's two; it is
    imported as ``b_ih`` with ``b_hh = 0``, which computes the same function.

    Parameters
    ----------
    estimator_or_params : fitted GRUClassifier or GRURegressor, or GRUNetwork
        Its layer count, sizes, directions and ``reset_after`` must match the Keras layers.
        An estimator that reads patches (``patch_size_ > 1``), or that scales each sequence
        by itself (``sequence_spread_floor_``), is refused: a Keras GRU's weights read what
        it does not.
    weights : list
        One ``layer.get_weights()`` list per GRU layer (as :func:`to_keras_weights` returns),
        or all those arrays in one flat list (``model.get_weights()``). Prefer the first: a
        flat list does not say where one layer ends, so a stack of two one-direction layers
        whose input width equals their size has the arrays of one bidirectional layer, and
        only the per-layer form can refuse the one for the other.
    fold_standardization : bool, default=False
        Required for an estimator that standardises its input: the Keras weights read the
        raw input, and the standardisation is taken out of them (the inverse of
        :func:`to_keras_weights` with ``fold_standardization=True``). A GRUNetwork is
        refused with it.

    Returns
    -------
    estimator_or_params
        The same object, with new GRU weights (the head and embedding are unchanged; an
        estimator's optimizer starts afresh, its moments being those of the weights replaced).
    """
    network = network_of(estimator_or_params, fold_standardization)
    flat = _flat_weights(weights, network)
    updates = {}
    for index, (layer, direction, view_prefix) in enumerate(gru_slots(network)):
        kernel, recurrent_kernel, bias = flat[3 * index : 3 * index + 3]
        updates.update(
            _slot_from_keras(
                network, layer, direction, view_prefix, kernel, recurrent_kernel, bias
            )
        )
    set_gru_weights(estimator_or_params, network, updates)
    return estimator_or_params


def _flat_weights(weights, network):
    """The arrays of ``weights`` (per layer, or already flat) in one list, three per layer
    direction, after checking their count."""
    n_directions = len(network.directions)
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights must be a list, got {type(weights).__name__}")
    if weights and all(isinstance(entry, (list, tuple)) for entry in weights):
        if len(weights) != len(network.hidden_layer_sizes):
            raise ValueError(
                f"weights has {len(weights)} layer(s), the network has "
                f"{len(network.hidden_layer_sizes)}"
            )
        for layer, entry in enumerate(weights):
            if len(entry) != 3 * n_directions:
                raise ValueError(
                    f"weights[{layer}] has {len(entry)} arrays, expected "
                    f"{3 * n_directions} (kernel, recurrent_kernel, bias"
                    f"{' per direction' if n_directions == 2 else ''})"
                )
        return [array for entry in weights for array in entry]
    n_slots = len(network.hidden_layer_sizes) * n_directions
    if len(weights) != 3 * n_slots:
        raise ValueError(
            f"weights has {len(weights)} arrays, expected {3 * n_slots} "
            "(kernel, recurrent_kernel, bias per layer and direction)"
        )
    return list(weights)


def _slot_from_keras(network, layer, direction, view_prefix, kernel, recurrent_kernel, bias):
    """One Keras layer direction's arrays as pygru's {view name: array}, checked."""
    where = f"layer {layer} ({direction})"
    hidden = network.hidden_layer_sizes[layer]
    inputs = network.views[view_prefix + "w_ih"].shape[1]
    kernel = as_weight(
        kernel, (inputs, 3 * hidden), network.dtype, f"{where} kernel", keep_precision=True
    )
    recurrent_kernel = as_weight(
        recurrent_kernel,
        (hidden, 3 * hidden),
        network.dtype,
        f"{where} recurrent_kernel",
        keep_precision=True,
    )
    bias_shape = (2, 3 * hidden) if network.reset_after else (3 * hidden,)
    if np.shape(bias) != bias_shape and np.shape(bias) in ((2, 3 * hidden), (3 * hidden,)):
        raise ValueError(
            f"{where} bias has shape {np.shape(bias)}: a Keras layer with "
            f"reset_after={not network.reset_after}, but the network uses "
            f"reset_after={network.reset_after} (the two variants compute "
            "different functions)"
        )
    bias = as_weight(bias, bias_shape, network.dtype, f"{where} bias", keep_precision=True)
    input_bias, recurrent_bias = (
        (bias[0], bias[1]) if network.reset_after else (bias, np.zeros_like(bias))
    )
    return {
        view_prefix + "w_ih": from_zrn_order(kernel.T),
        view_prefix + "w_hh": from_zrn_order(recurrent_kernel.T),
        view_prefix + "b_ih": from_zrn_order(input_bias),
        view_prefix + "b_hh": from_zrn_order(recurrent_bias),
    }
