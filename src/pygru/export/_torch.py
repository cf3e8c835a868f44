"""GRU weights to and from ``torch.nn.GRU`` state dicts (the same layout, other names)."""

from collections.abc import Mapping

from pygru.export._weights import as_weight, gru_slots, gru_weights, network_of, set_gru_weights

# pygru's name of each weight of a layer direction -> the stem of PyTorch's.
_TORCH_NAMES = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}


def to_torch_state_dict(estimator, *, prefix="", as_tensors=False):
    """GRU weights in the layout of ``torch.nn.GRU.state_dict()``.

    Parameters
    ----------
    estimator : fitted GRUClassifier or GRURegressor, or GRUNetwork
        With ``reset_after=True`` (PyTorch's only variant).
    prefix : str, default=""
        Put before every key, e.g. ``"gru."`` for a module that holds the GRU as ``self.gru``.
    as_tensors : bool, default=False
        Return ``torch.Tensor`` values (imports torch) instead of NumPy arrays.

    Returns
    -------
    state_dict : dict
        ``weight_ih_l{k}`` (3H, I), ``weight_hh_l{k}`` (3H, H), ``bias_ih_l{k}``,
        ``bias_hh_l{k}`` (3H,), and the same with ``_reverse`` for the backward direction of
        a bidirectional layer; gate order [r, z, n]; copies in the network's dtype. Load it
        with ``torch.nn.GRU(I, H, num_layers=k, bidirectional=..., batch_first=True,
        dtype=...).load_state_dict(...)`` (all layers of one ``nn.GRU`` share one H).

    Examples
    --------
    >>> import numpy as np
    >>> from pygru import GRUClassifier
    >>> from pygru.export import to_torch_state_dict
    >>> X = np.random.default_rng(0).standard_normal((8, 4, 3))
    >>> clf = GRUClassifier((5,), bidirectional=True, max_iter=1).fit(X, [0, 1] * 4)
    >>> sorted(to_torch_state_dict(clf))[:4]
    ['bias_hh_l0', 'bias_hh_l0_reverse', 'bias_ih_l0', 'bias_ih_l0_reverse']
    """
    network = network_of(estimator)
    _require_reset_after(network)
    state = {}
    for layer, direction, view_prefix in gru_slots(network):
        weights = gru_weights(estimator, network, layer, view_prefix)
        for name, torch_name in _TORCH_NAMES.items():
            state[prefix + torch_name + _torch_suffix(layer, direction)] = weights[name]
    if as_tensors:
        import torch

        state = {key: torch.from_numpy(value) for key, value in state.items()}
    return state


def from_torch_state_dict(estimator_or_params, state_dict, *, prefix="", strict=True):
    """Set GRU weights from a ``torch.nn.GRU`` state dict, in place.

    Parameters
    ----------
    estimator_or_params : fitted GRUClassifier or GRURegressor, or GRUNetwork
        The model to write into; its layer count, sizes and directions must match the state
        dict, and it must use ``reset_after=True``. Fit it first (e.g. one epoch) to create
        the network and the head.
    state_dict : mapping of str to array or torch.Tensor
        As ``nn.GRU(...).state_dict()``.
    prefix : str, default=""
        Prefix of the GRU's keys, e.g. ``"gru."`` for a whole model's state dict.
    strict : bool, default=True
        Refuse keys that are not GRU weights of this network (with ``prefix``). Missing
        weights are always an error.

    Returns
    -------
    estimator_or_params
        The same object, with new GRU weights (the head and embedding are unchanged).

    Raises
    ------
    ValueError
        Missing or unexpected keys, wrong shapes, non-finite values, reset_after=False.
    TypeError
        Values that are not real numbers.
    """
    network = network_of(estimator_or_params)
    _require_reset_after(network)
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
    expected = {}
    for layer, direction, view_prefix in gru_slots(network):
        for name, torch_name in _TORCH_NAMES.items():
            expected[prefix + torch_name + _torch_suffix(layer, direction)] = view_prefix + name
    missing = sorted(set(expected) - set(state_dict))
    if missing:
        raise ValueError(
            f"state_dict lacks {missing} (a torch GRU with bias=False has no "
            "bias keys: add zero biases)"
        )
    unexpected = sorted(str(key) for key in state_dict if key not in expected)
    if strict and unexpected:
        raise ValueError(
            f"state_dict has keys that are not GRU weights of this network: "
            f"{unexpected} (the network has {len(network.hidden_layer_sizes)} "
            f"layer(s), {'bi' if network.bidirectional else 'uni'}directional; "
            "pass strict=False to ignore them)"
        )
    values = {
        view: as_weight(state_dict[key], network.views[view].shape, network.dtype, key)
        for key, view in expected.items()
    }
    set_gru_weights(estimator_or_params, network, values)
    return estimator_or_params


def _torch_suffix(layer, direction):
    return f"_l{layer}" + ("_reverse" if direction == "backward" else "")


def _require_reset_after(network):
    if not network.reset_after:
        raise ValueError(
            "PyTorch's GRU computes the reset_after=True variant; a network "
            "with reset_after=False has no equivalent there"
        )
