"""PyTorch: the whole estimator as a module; GRU weights to and from ``torch.nn.GRU`` state
dicts (the same layout, other names)."""

from collections.abc import Mapping

import numpy as np

from pygru._numbers import as_flag
from pygru.export._weights import (
    TORCH_GRU_NAMES,
    as_weight,
    check_float32_targets,
    fitted_estimator,
    gru_slots,
    gru_weights,
    network_of,
    replace_weights,
    sequence_scalers_and_estimator,
    set_gru_weights,
    statistics_of_x,
    warn_if_float32_input_blurs,
    warn_if_folding_blurs,
)


def _check_prefix(prefix):
    if not isinstance(prefix, str):
        raise TypeError(f'prefix must be a str ("" for none), got {type(prefix).__name__}')


def _import_torch(feature):
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            f"{feature} needs PyTorch: pip install torch (or a build from pytorch.org)"
        ) from error
    return torch


def to_torch_state_dict(estimator, *, prefix="", as_tensors=False, fold_standardization=False):
    """GRU weights in the layout of ``torch.nn.GRU.state_dict()``.

    Layer-level interop: only the GRU layers, not the embedding, the head or what the
    estimator does to its input. For the whole model use :func:`pygru.to_torch_module`
    (or :func:`pygru.to_onnx`).

    Parameters
    ----------
    estimator : fitted GRUClassifier or GRURegressor, or GRUNetwork
        With ``reset_after=True`` (PyTorch's only variant). An estimator that reads patches
        (``patch_size_ > 1``) is refused: ``torch.nn.GRU`` would read the raw steps and
        disagree with it; so is one that scales each sequence by itself
        (``sequence_spread_floor_``, from ``standardize="sequence"`` or "auto"), whose GRU
        reads each sequence's scaled values, level and log spread, which no weights of a
        GRU layer compute, even with ``fold_standardization``: export it with
        :func:`pygru.to_torch_module` or :func:`pygru.to_onnx` (or fit with
        ``standardize=True``).
    prefix : str, default=""
        Put before every key, e.g. ``"gru."`` for a module that holds the GRU as ``self.gru``.
    as_tensors : bool, default=False
        Return ``torch.Tensor`` values (imports torch) instead of NumPy arrays.
    fold_standardization : bool, default=False
        Required for an estimator that standardises its input (``standardize=True``, or "auto"
        where it did not scale each sequence by itself): fold ``input_mean_`` and ``input_scale_``
        into the first layer's input weights and bias (exact in real arithmetic; a float32 model
        with a mean of more than about 100 times its scale loses precision, with a warning), so
        that the torch GRU reads the raw input. Without it such an estimator is refused. A
        GRUNetwork holds no input statistics and is refused with it.

    Returns
    -------
    state_dict : dict
        ``weight_ih_l{k}`` (3H, I), ``weight_hh_l{k}`` (3H, H), ``bias_ih_l{k}``,
        ``bias_hh_l{k}`` (3H,), and the same with ``_reverse`` for the backward direction of
        a bidirectional layer; gate order [r, z, n]; copies in the network's dtype. Load it
        with ``torch.nn.GRU(I, H, num_layers=k, bidirectional=..., batch_first=True,
        dtype=...).load_state_dict(...)``. All layers of one ``nn.GRU`` share one H: layers
        of different widths (``hidden_layer_sizes=(6, 4)``) go into an ``nn.GRU`` each,
        layer k's entries renamed to ``_l0``.

    Raises
    ------
    ValueError
        ``reset_after=False``, patches, each sequence scaled by itself, or input
        standardisation without ``fold_standardization=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru import GRUClassifier
    >>> from pygru.export import to_torch_state_dict
    >>> X = np.random.default_rng(0).standard_normal((8, 4, 3))
    >>> clf = GRUClassifier((5,), bidirectional=True, max_iter=1).fit(X, [0, 1] * 4)
    >>> sorted(to_torch_state_dict(clf, fold_standardization=True))[:4]
    ['bias_hh_l0', 'bias_hh_l0_reverse', 'bias_ih_l0', 'bias_ih_l0_reverse']
    """
    _check_prefix(prefix)
    as_tensors = as_flag("as_tensors", as_tensors)
    network = network_of(estimator, fold_standardization)
    _require_reset_after(network)
    warn_if_folding_blurs(estimator, network)
    state = {}
    for layer, direction, view_prefix in gru_slots(network):
        weights = gru_weights(estimator, network, layer, view_prefix)
        for name, torch_name in TORCH_GRU_NAMES.items():
            state[prefix + torch_name + _torch_suffix(layer, direction)] = weights[name]
    if as_tensors:
        torch = _import_torch("to_torch_state_dict(as_tensors=True)")
        state = {key: torch.from_numpy(value) for key, value in state.items()}
    return state


def from_torch_state_dict(
    estimator_or_params, state_dict, *, prefix="", strict=True, fold_standardization=False
):
    """Set GRU weights from a ``torch.nn.GRU`` state dict, in place.

    Parameters
    ----------
    estimator_or_params : fitted GRUClassifier or GRURegressor, or GRUNetwork
        The model to write into; its layer count, sizes and directions must match the state
        dict, and it must use ``reset_after=True``. Fit it first (e.g. one epoch) to create
        the network and the head. An estimator that reads patches, or that scales each
        sequence by itself (``sequence_spread_floor_``), is refused: a torch GRU's weights
        read what it does not.
    state_dict : mapping of str to array or torch.Tensor
        As ``nn.GRU(...).state_dict()``.
    prefix : str, default=""
        Prefix of the GRU's keys, e.g. ``"gru."`` for a whole model's state dict (whose
        other keys, a ``fc.weight`` say, need ``strict=False``).
    strict : bool, default=True
        Refuse keys that are not GRU weights of this network (with ``prefix``). Missing
        weights are always an error.
    fold_standardization : bool, default=False
        Required for an estimator that standardises its input: the state dict's weights
        read the raw input, and the standardisation is taken out of them (the inverse of
        :func:`to_torch_state_dict` with ``fold_standardization=True``). A GRUNetwork is
        refused with it.

    Returns
    -------
    estimator_or_params
        The same object, with new GRU weights (the head and embedding are unchanged; an
        estimator's optimizer starts afresh, its moments being those of the weights replaced).

    Raises
    ------
    ValueError
        Missing or unexpected keys, wrong shapes, non-finite values, reset_after=False,
        patches, each sequence scaled by itself, or input standardisation without
        ``fold_standardization=True``.
    TypeError
        Values that are not real numbers.
    """
    _check_prefix(prefix)
    strict = as_flag("strict", strict)
    network = network_of(estimator_or_params, fold_standardization)
    _require_reset_after(network)
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
    expected = {}
    for layer, direction, view_prefix in gru_slots(network):
        for name, torch_name in TORCH_GRU_NAMES.items():
            expected[prefix + torch_name + _torch_suffix(layer, direction)] = view_prefix + name
    layout = (
        f"the network has {len(network.hidden_layer_sizes)} layer(s), "
        f"{'bi' if network.bidirectional else 'uni'}directional"
    )
    missing = sorted(set(expected) - set(state_dict))
    if missing:
        only_biases = all(key.rsplit(".", 1)[-1].startswith("bias_") for key in missing)
        hint = (
            "a torch GRU with bias=False has no bias keys: add zero biases"
            if only_biases
            else layout
        )
        raise ValueError(f"state_dict lacks {missing} ({hint})")
    unexpected = sorted(str(key) for key in state_dict if key not in expected)
    if strict and unexpected:
        raise ValueError(
            f"state_dict has keys that are not GRU weights of this network: "
            f"{unexpected} ({layout}; pass strict=False to ignore them)"
        )
    values = {
        view: as_weight(
            state_dict[key], network.views[view].shape, network.dtype, key, keep_precision=True
        )
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


def from_torch_module(estimator, module):
    """Write the weights of a module from :func:`to_torch_module`, fine-tuned in torch say,
    back into the estimator it was exported from, in place.

    The inverse of :func:`to_torch_module` for the trainable parameters: the GRU layers,
    the embedding, the pooling's attention, the convolutional branch, the head and the
    linear skip, each in the layout ``to_torch_module`` gave it. The statistics of the data
    (input standardisation, target scaling, a pipeline's scalers) stay the estimator's, and
    must be the module's: one exported before the estimator was refitted on other data is
    refused, as its weights were trained for data scaled otherwise.
    Afterwards ``predict_proba`` or ``predict`` computes what the module does (to float32
    rounding, for a float32 estimator), and the estimator saves and exports as any other.

    Parameters
    ----------
    estimator : fitted GRUClassifier or GRURegressor, or Pipeline
        What the module was exported from (for a Pipeline of SequenceScaler steps, its
        last step's weights are written).
    module : torch.nn.Module
        ``to_torch_module(estimator)``, with its parameters changed; of any dtype or
        device, compiled (``torch.compile``) or not. Parameters are matched by name and
        shape, as ``load_state_dict`` does: a part replaced by one of the same shape (a
        re-initialised head) is written back; one of other names or shapes (a head for
        another number of classes, a head wrapped in ``nn.Sequential``) is refused. The
        estimator's optimizer state (its moments) is reset, as the weights it belonged to
        are gone.

    Returns
    -------
    estimator
        The same object, with the module's weights.

    Raises
    ------
    TypeError
        ``module`` is not a module from :func:`to_torch_module`.
    ValueError
        The module's parameters are not those of this estimator's network (other names or
        shapes), or hold NaN or infinity; its statistics of the data are not the estimator's.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from pygru import GRUClassifier, from_torch_module, to_torch_module
    >>> X = np.random.default_rng(0).standard_normal((8, 5, 2)).astype(np.float32)
    >>> clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, [0, 1] * 4)
    >>> module = to_torch_module(clf)
    >>> with torch.no_grad():
    ...     module.head.bias += 1.0  # fine-tuning, say
    >>> with torch.no_grad():
    ...     proba = module(torch.from_numpy(X)).numpy()
    >>> bool(np.allclose(from_torch_module(clf, module).predict_proba(X), proba, atol=1e-5))
    True
    """
    from sklearn.pipeline import Pipeline

    last = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    network = fitted_estimator(last).network_
    _import_torch("from_torch_module")
    from pygru.export._torch_module import EstimatorModule, PipelineModule, parameter_views

    module = getattr(module, "_orig_mod", module)  # torch.compile's wrapper
    inner = module.estimator if isinstance(module, PipelineModule) else module
    if not isinstance(inner, EstimatorModule):
        raise TypeError(
            f"module must be a module from pygru.to_torch_module, got {type(module).__name__}"
        )
    _refuse_other_statistics(estimator, last, module)
    views = parameter_views(network)
    parameters = dict(inner.named_parameters())
    if set(parameters) != set(views):
        raise ValueError(
            "module's parameters are not those of this estimator's network: "
            f"{sorted(set(views) - set(parameters))} missing, "
            f"{sorted(set(parameters) - set(views))} not the estimator's (a module exported "
            "from another estimator, or with a part replaced)"
        )
    values = {}
    for key, (view, to_view) in views.items():
        value = parameters[key].detach().cpu().double().numpy()
        value = value if to_view is None else to_view(value)
        values[view] = as_weight(value, network.views[view].shape, network.dtype, key)
    replace_weights(last, network, values)
    return estimator


def _refuse_other_statistics(estimator, last, module):
    """ValueError where ``module``'s statistics of the data (its float64 buffers: the input
    standardisation, the target scaling, a pipeline's scalers) are not those ``estimator``
    (``last``: its estimator) holds now. The module's weights were trained for data scaled
    as its statistics scale it; written back into an estimator refitted since on other
    data, predict and the module differed by 3,000 on targets refitted at 100 times their
    scale, without a word (audit32). A pipeline's module written into its last step alone
    is compared on that step's statistics."""
    from sklearn.pipeline import Pipeline

    from pygru.export._torch_module import (
        PipelineModule,
        estimator_statistics,
        scaler_statistics,
    )

    inner = module.estimator if isinstance(module, PipelineModule) else module
    parts = [("", inner, estimator_statistics(last))]
    if isinstance(module, PipelineModule) and isinstance(estimator, Pipeline):
        scalers, _ = sequence_scalers_and_estimator(estimator, "to_torch_module")
        if len(scalers) != len(module.scalers):
            raise ValueError(
                f"module has {len(module.scalers)} SequenceScaler steps, the pipeline "
                f"{len(scalers)}: it was exported from another pipeline"
            )
        parts += [
            (f"scalers.{index}.", part, scaler_statistics(scaler))
            for index, (part, scaler) in enumerate(zip(module.scalers, scalers))
        ]
    for prefix, part, expected in parts:
        kept = {name: b.detach().cpu().numpy() for name, b in part.named_buffers(recurse=False)}
        for name in sorted(set(expected) | set(kept)):
            differs = _how_statistics_differ(prefix + name, kept.get(name), expected.get(name))
            if differs:
                raise ValueError(
                    "module's statistics of the data are not this estimator's "
                    f"({differs}): the module comes from the estimator before it was "
                    "refitted on other data, or from another estimator, and its weights are "
                    "right only with its own statistics. Write it back into the estimator it "
                    "was exported from (or a saved copy of that one)."
                )


def _how_statistics_differ(name, kept, expected):
    """How the module's statistic ``name`` (``kept``) differs from the estimator's
    (``expected``; either None where it has none), or "" where they are the same."""
    if kept is None or expected is None:
        return f"only {'the module' if expected is None else 'the estimator'} holds {name}"
    expected = np.asarray(expected, dtype=np.float64)
    if kept.shape != expected.shape:
        return f"{name} has shape {kept.shape} there, {expected.shape} here"
    if np.array_equal(kept, expected, equal_nan=True):
        return ""
    return f"{name} differs by up to {float(np.nanmax(np.abs(kept - expected))):.3g}"


def to_torch_module(estimator):
    """The whole fitted estimator as a ``torch.nn.Module`` (imports torch).

    ``forward(X, lengths=None)`` computes what ``predict_proba`` (classifier) or
    ``predict`` (regressor) computes, for every configuration: the scaling of each sequence
    by itself (``standardize="sequence"``, or "auto" that chose it: each sequence centred
    and scaled by its own mean and spread over its valid steps, its level and log spread
    appended as channels, in float64 as ``predict`` computes them), the input
    standardisation, the patches (``patch_size_``), the embedding, stacked and
    bidirectional GRU layers (``torch.nn.GRU`` for ``reset_after=True``; for
    ``reset_after=False``, which torch lacks, the same recurrence step by step), the head
    (plus the linear skip's map of each sequence's last network input steps,
    ``linear.weight``, when the network has one), then softmax or the target scaling undone.
    The module holds copies of the weights in the estimator's dtype, as trainable
    parameters; the statistics of the data (input means and scales, the floor of each
    sequence's spread, target scaling, a pipeline's scalers) stay float64 buffers, also
    when the module is converted (``module.float()``, ``.half()``), and on a device without
    float64 (Apple's MPS) they stay on the CPU; a pipeline's scalers and the scaling of
    each sequence by itself compute in float64, which such a device cannot run (use the
    CPU there). Its GRU layers read the standardised input (the weights of
    ``to_torch_state_dict(fold_standardization=True)`` read the raw one):
    :func:`pygru.from_torch_module` writes a fine-tuned module back into the
    estimator. It has no dropout: trained in torch, it applies none of the estimator's
    ``dropout`` or ``recurrent_dropout`` (``module.train()`` computes what
    ``module.eval()`` does). It goes through ``torch.export.export`` (for AOTInductor,
    ExecuTorch or the dynamo ONNX exporter) with a dynamic batch axis; the number of time
    steps is fixed at export, as it is for ``torch.nn.GRU`` itself. ``torch.compile`` takes
    it too; TorchScript (``torch.jit``), which torch deprecates for those two, is not
    supported.

    Parameters
    ----------
    estimator : fitted GRUClassifier or GRURegressor, or Pipeline
        A fitted Pipeline of :class:`~pygru.preprocessing.SequenceScaler` steps (per feature
        or per sequence, computed in float64 over each sequence's observed steps, as
        ``transform``) before one of them is exported whole, its module's ``forward`` taking
        the sequences before the scalers; other steps are refused with a TypeError
        (``to_torch_module(pipeline[-1])`` exports the estimator alone).

    Returns
    -------
    module : torch.nn.Module
        ``forward(X, lengths=None)``: ``X`` a float tensor (batch, time, features),
        anything past each sequence's length, of the module's dtype (the estimator's,
        unless converted since: ``module.double()`` computes in float64) or float64
        (standardised in float64, as ``predict`` does, then cast: a feature whose mean is
        large beside its spread, such as a timestamp, keeps that spread only so, which
        ``to_torch_module`` warns of for a float32 model, judged from the fitted statistics
        of what reads X first: behind ``SequenceScaler(per="sequence")``, whose statistics
        are each sequence's own, or for an estimator that scales each sequence by itself,
        it cannot tell), or int64 token ids (batch, time)
        for an embedding model; ``lengths`` each sequence's number of time steps (None:
        each sequence up to its last step that is not NaN in every feature, as ``predict``
        reads NaN padding; for token ids, up to each sequence's last non-zero id). Returns
        the class probabilities (batch, n_classes), as ``predict_proba``, or the predictions
        (batch, n_outputs), as ``predict`` with the target axis kept; for
        ``output="sequence"`` those of every step, (batch, time, n_classes) or (batch, time,
        n_outputs), with NaN past each sequence's length. A sequence with NaN or infinity
        within its length (or, in float64 X, a value the model's float32 cannot hold),
        which ``predict`` refuses, gets NaN outputs.

    Raises
    ------
    TypeError
        ``estimator`` is not a pygru estimator (or such a Pipeline).
    ValueError
        A float32 regressor whose ``target_scale_`` or ``target_mean_`` float32 cannot
        hold (a scale under 1.2e-38 or past 3.4e38): its predictions would be constant, 0
        or inf; a float64 one converts. Where the targets' mean is large beside their
        scale, so that float32 predictions carry them to worse than 1e-5 of the scale, a
        UserWarning says so.
    sklearn.exceptions.NotFittedError
        The estimator is not fitted.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from pygru import GRUClassifier, to_torch_module
    >>> X = np.random.default_rng(0).standard_normal((8, 5, 2)).astype(np.float32)
    >>> clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, [0, 1] * 4)
    >>> module = to_torch_module(clf).eval()
    >>> with torch.no_grad():
    ...     proba = module(torch.from_numpy(X)).numpy()
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True
    """
    scalers, estimator = sequence_scalers_and_estimator(estimator, "to_torch_module")
    _import_torch("to_torch_module")
    from pygru.export._torch_module import EstimatorModule, PipelineModule

    if estimator.network_.dtype == np.float32:
        check_float32_targets(estimator, "fit with dtype='float64' for a float64 module")
        remedy = "float64 X (X.to(torch.float64))"
        warn_if_float32_input_blurs(*statistics_of_x(scalers, estimator), remedy)
    if scalers:
        return PipelineModule(scalers, estimator)
    return EstimatorModule(estimator)
