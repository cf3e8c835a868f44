"""A fitted estimator as a ``torch.nn.Module``: the scaling of each sequence by itself, input
standardisation, patches, embedding, GRU layers (``torch.nn.GRU`` for ``reset_after=True``,
the same recurrence written out for the Cho variant, which torch lacks), pooling over time,
the convolutional branch, head (plus the linear skip), softmax or target scaling; and a
Pipeline of SequenceScaler steps before one.
This module imports torch; it is loaded only by :func:`pygru.to_torch_module`."""

import contextlib

import numpy as np
import torch
from torch import nn

from pygru._network import CONV_NORM_EPSILON, same_padding
from pygru._sequences import (
    _as_token_ids,
    _token_lengths,
    refuse_ids_past_vocabulary,
    refuse_padding_inside,
)
from pygru.export._weights import TORCH_GRU_NAMES


class _Float64Statistics(nn.Module):
    """A module whose float64 buffers, the statistics of the data that ``predict`` and
    ``transform`` apply in float64, stay float64 when the module is converted
    (``module.float()``, ``.half()``, ``.to(dtype)``) and only move with it between
    devices: converted, a float64 model's input mean rounded to float32 moved predictions by
    0.017, and half precision made it infinite."""

    def _apply(self, fn, recurse=True):
        names = [n for n, b in self._buffers.items() if b is not None and b.dtype == torch.float64]
        statistics = {name: self._buffers.pop(name) for name in names}
        try:
            super()._apply(fn, recurse)
            # Where fn puts a tensor from the statistics' device (a module on CUDA made
            # half stays on CUDA: a probe from the CPU would have moved them to the CPU).
            current = next(iter(statistics.values())).device if statistics else None
            device = fn(torch.zeros((), device=current)).device
        finally:
            self._buffers.update(statistics)  # as they were, where the conversion failed
        for name, buffer in statistics.items():
            # On a device without float64 (Apple's MPS) they stay where they were, and
            # forward moves what it reads of them.
            with contextlib.suppress(RuntimeError, TypeError):
                self._buffers[name] = buffer.to(device=device)
        return self


# What an EstimatorModule holds of the data as float64 buffers: the estimator's attributes
# of these names, with a trailing underscore, where they are not None.
ESTIMATOR_STATISTICS = (
    "sequence_spread_floor",
    "input_mean",
    "input_scale",
    "target_mean",
    "target_scale",
)


def estimator_statistics(estimator):
    """{buffer name: value} of the statistics of the data an :class:`EstimatorModule` of
    ``estimator`` holds (``ESTIMATOR_STATISTICS`` that the estimator has)."""
    values = {name: getattr(estimator, name + "_", None) for name in ESTIMATOR_STATISTICS}
    return {name: value for name, value in values.items() if value is not None}


def scaler_statistics(scaler):
    """{buffer name: value} of what a fitted SequenceScaler's module holds: the mean and
    scale per feature, none for a scaler of each sequence by itself."""
    return {} if scaler.per == "sequence" else {"mean": scaler.mean_, "scale": scaler.scale_}


class EstimatorModule(_Float64Statistics):
    """What a fitted GRUClassifier's ``predict_proba`` or a GRURegressor's ``predict``
    computes, as a torch module (built by :func:`pygru.to_torch_module`)."""

    def __init__(self, estimator):
        super().__init__()
        network = estimator.network_
        dtype = torch.float64 if network.dtype == np.float64 else torch.float32
        self.is_classifier = hasattr(estimator, "classes_")
        self.sequence_output = network.output == "sequence"
        self.tokens = network.embedding_dim is not None
        self.patch_size = getattr(estimator, "patch_size_", 1)
        self.n_features = None if self.tokens else estimator.n_features_in_
        self.embedding = (
            nn.Embedding.from_pretrained(_tensor(network.views["embedding"], dtype), freeze=False)
            if self.tokens
            else None
        )
        statistics = estimator_statistics(estimator)
        for name in ESTIMATOR_STATISTICS:
            statistic = statistics.get(name)
            if statistic is not None:
                statistic = _tensor(statistic, torch.float64)
            self._register_optional_buffer(name, statistic)
        self.layers = nn.ModuleList(
            _GRULayer(network, layer, dtype) for layer in range(len(network.hidden_layer_sizes))
        )
        self.pooling = None if self.sequence_output else _Pooling(network, dtype)
        self.conv_branch = _ConvBranch(network, dtype) if network.conv_layers else None
        self.head = _head(network, dtype)
        self.linear_steps = network.linear_steps
        self.linear = _linear(network, dtype) if self.linear_steps else None

    @property
    def compute_dtype(self):
        """What the layers compute in: the estimator's dtype, or the one the module was
        converted to since (``module.double()``, say), read from the first GRU layer (the
        head may be replaced, by ``nn.Identity()`` for features, say)."""
        return next(self.layers.parameters()).dtype

    def _register_optional_buffer(self, name, tensor):
        """``tensor`` as a buffer, or None as a plain attribute: torch.export failed on a
        module holding None buffers beside real ones (IndexError inside torch 2.13)."""
        if tensor is None:
            setattr(self, name, None)
        else:
            self.register_buffer(name, tensor)

    def forward(self, X, lengths=None):
        """Class probabilities (batch, n_classes), or predictions (batch, n_outputs) on the
        targets' scale; for ``output="sequence"`` those of every time step, (batch, time,
        n_classes) or (batch, time, n_outputs), NaN past each sequence's length.

        Parameters
        ----------
        X : torch.Tensor
            Float (batch, time, features), of the module's dtype or float64 (standardised
            in float64, then cast: a feature whose mean is large beside its spread keeps
            it), anything past each sequence's length; token ids (batch, time) for an
            embedding model. A sequence with NaN or infinity within its length gets NaN
            outputs (``predict`` refuses it).
        lengths : torch.Tensor or None, default=None
            Each sequence's number of time steps (integers, at least 1). None: each
            sequence up to its last step that is not NaN in every feature, as ``predict``
            reads NaN padding (token ids: up to its last non-zero id).

        Returns
        -------
        output : torch.Tensor

        Raises
        ------
        TypeError
            X is not a tensor, or neither of the module's float dtype nor float64 (integer
            ids for an embedding model).
        ValueError
            X or lengths is of the wrong shape, or a length is below 1 or above X's
            number of time steps; token ids that ``predict`` refuses (outside the
            vocabulary, a row without tokens, the padding id 0 inside a sequence). Checked
            when the module runs eagerly; a traced or exported program cannot branch on its
            inputs and skips the checks.
        """
        if not _traced():
            self._check_input(X, lengths)
        lengths = self._lengths(X, lengths)
        if not self.tokens:  # what lies past a length (NaN padding, say) is never read
            X = torch.where(_valid_steps(lengths, X.shape[1])[:, :, None], X, 0.0)
        network_input, step_lengths = self._network_input(X, lengths)
        if not self.tokens:
            # NaN or infinity within a sequence, or a value the cast to the model's dtype
            # overflowed (float64 input): predict refuses the sequence, and the GRU would
            # read infinity as a number.
            valid = _valid_steps(step_lengths, network_input.shape[1])[:, :, None]
            not_finite = (~torch.isfinite(network_input) & valid).flatten(1).any(dim=1)
        inputs = network_input
        for layer in self.layers:
            inputs, last = layer(inputs, step_lengths)
        features = inputs if self.sequence_output else self.pooling(inputs, last, step_lengths)
        if self.conv_branch is not None:
            features = torch.cat([features, self.conv_branch(network_input, step_lengths)], dim=1)
        output = self.head(features)
        if self.linear is not None:
            window = _last_steps_window(network_input, step_lengths, self.linear_steps)
            output = output + self.linear(window)
        if self.is_classifier:
            output = torch.softmax(output, dim=-1)
        elif self.target_scale is not None:  # at least in float32 (not every device has 64)
            wide = torch.promote_types(output.dtype, torch.float32)
            scale, mean = (
                s.to(output.device, wide) for s in (self.target_scale, self.target_mean)
            )
            output = (output.to(wide) * scale + mean).to(output.dtype)
        if not self.tokens:
            rows = not_finite.reshape(-1, *[1] * (output.dim() - 1))
            output = torch.where(rows, torch.full_like(output, float("nan")), output)
        if self.sequence_output:
            valid = _valid_steps(lengths, output.shape[1])[:, :, None]
            output = torch.where(valid, output, torch.full_like(output, float("nan")))
        return output

    def _check_input(self, X, lengths):
        """Errors that name the argument, as the estimator's own predict gives."""
        if not isinstance(X, torch.Tensor):
            raise TypeError(
                f"X must be a torch.Tensor (torch.from_numpy(X), say), got {type(X).__name__}"
            )
        if self.tokens and (X.is_floating_point() or X.is_complex() or X.dtype == torch.bool):
            raise TypeError(f"X must hold integer token ids, got {X.dtype}")
        if not self.tokens and X.dtype not in (self.compute_dtype, torch.float64):
            accepted = (
                "torch.float64 (the module's dtype)"
                if self.compute_dtype == torch.float64
                else f"{self.compute_dtype} (the module's dtype) or torch.float64"
            )
            raise TypeError(f"X must be {accepted}, got {X.dtype}")
        shape = "(batch, time) of token ids" if self.tokens else "(batch, time, features)"
        if X.dim() != (2 if self.tokens else 3):
            raise ValueError(f"X must be a tensor of shape {shape}, got {tuple(X.shape)}")
        for axis, what in enumerate(("sample(s)", "time step(s)")):
            if X.shape[axis] == 0:
                raise ValueError(
                    f"X has 0 {what} (shape={tuple(X.shape)}) while a minimum of 1 is required."
                )
        if not self.tokens and X.shape[2] != self.n_features:
            raise ValueError(
                f"X has {X.shape[2]} features per time step, the model was fitted with "
                f"{self.n_features}"
            )
        if lengths is not None:
            lengths = torch.as_tensor(lengths)
            integers = not (lengths.is_floating_point() or lengths.is_complex())
            if lengths.shape != (X.shape[0],) or not integers or lengths.dtype == torch.bool:
                raise ValueError(
                    f"lengths must be a 1-D integer tensor of X's batch size {X.shape[0]}, "
                    f"got shape {tuple(lengths.shape)} and dtype {lengths.dtype}"
                )
            if lengths.min() < 1 or lengths.max() > X.shape[1]:
                raise ValueError(
                    f"lengths must lie in [1, {X.shape[1]}] (X's time steps), got values from "
                    f"{int(lengths.min())} to {int(lengths.max())}"
                )
        if self.tokens:
            self._check_token_ids(X.detach().cpu().numpy(), lengths)

    def _check_token_ids(self, ids, lengths):
        """The estimator's errors for token ids: an id its embedding has no row for, a row
        without tokens, the padding id 0 inside a sequence."""
        ids = _as_token_ids(ids, "X", 2)  # non-negative, as predict reads them
        refuse_ids_past_vocabulary(ids, self.embedding.num_embeddings)
        if lengths is None:
            _token_lengths(ids, "X")
        else:
            refuse_padding_inside(ids, lengths.cpu().numpy(), "X", "within its length")

    def _lengths(self, X, lengths):
        """The given lengths, or each sequence's up to its last step that holds a value:
        not NaN in every feature (NaN padding, as ``predict`` reads it), or a token id
        other than 0."""
        if lengths is not None:
            return torch.as_tensor(lengths, dtype=torch.int64, device=X.device)
        positions = torch.arange(1, X.shape[1] + 1, device=X.device)
        present = (X != 0) if self.tokens else ~torch.isnan(X).all(dim=2)
        return torch.clamp((positions * present).amax(dim=1), min=1)

    def _network_input(self, X, lengths):
        """What the first GRU layer reads, and the lengths in its steps."""
        if self.tokens:
            return self.embedding(X), lengths
        if self.sequence_spread_floor is not None:
            X = _scaled_by_each_sequence(X, lengths, self.sequence_spread_floor)
        if self.patch_size > 1:
            X = _repeat_last_step_to_fill_patches(X, lengths, self.patch_size)
        if self.input_mean is not None:
            X = _standardised(X, self.input_mean, self.input_scale)
        X = X.to(self.compute_dtype)
        if self.patch_size > 1:
            X = X.reshape(X.shape[0], -1, self.patch_size * X.shape[2])
            lengths = (lengths + self.patch_size - 1) // self.patch_size
        return X, lengths


class PipelineModule(nn.Module):
    """What a fitted Pipeline of SequenceScaler steps before a GRUClassifier or GRURegressor
    computes (``predict_proba`` or ``predict``), as a torch module (built by
    :func:`pygru.to_torch_module`): the scalers, in float64 as ``transform``, then the
    estimator's module, ``self.estimator``."""

    def __init__(self, scalers, estimator):
        super().__init__()
        self.scalers = nn.ModuleList(_SequenceScaler(scaler) for scaler in scalers)
        self.estimator = EstimatorModule(estimator)

    def forward(self, X, lengths=None):
        """As ``EstimatorModule.forward``, on the sequences before the scalers: the same
        arguments, outputs and errors."""
        if not _traced():
            self.estimator._check_input(X, lengths)
        if lengths is not None:
            lengths = torch.as_tensor(lengths, dtype=torch.int64, device=X.device)
        for scaler in self.scalers:
            X = scaler(X, lengths)
        return self.estimator(X, lengths)


class _SequenceScaler(_Float64Statistics):
    """A fitted :class:`~pygru.preprocessing.SequenceScaler`'s ``transform`` of float X
    (batch, time, features), in float64: a value counts where it is not NaN and (given
    lengths) within its sequence's length; NaN stays NaN, and other values past a given
    length become 0 (the estimator's module reads neither past a length)."""

    def __init__(self, scaler):
        super().__init__()
        self.with_mean, self.with_std = scaler.with_mean, scaler.with_std
        self.per_sequence = scaler.per == "sequence"
        for name, statistic in scaler_statistics(scaler).items():
            self.register_buffer(name, _tensor(statistic, torch.float64))

    def forward(self, X, lengths):
        X = X.to(torch.float64)
        missing = torch.isnan(X)
        observed = ~missing
        if lengths is not None:
            observed = observed & _valid_steps(lengths, X.shape[1])[:, :, None]
        # Only observed values enter the arithmetic: a NaN that a later torch.where drops
        # still makes its gradient NaN (0 * NaN), and with it every input gradient.
        values = torch.where(observed, X, 0.0)
        if self.per_sequence:
            mean, scale = _per_sequence_statistics(values, observed)
        else:
            mean, scale = self.mean, self.scale
        if self.with_mean:
            values = values - mean
        if self.with_std:
            values = values / scale
        return torch.where(observed, values, torch.where(missing, float("nan"), 0.0))


def _per_sequence_statistics(X, observed):
    """Each sequence's mean and scale (batch, 1, features) over its observed values (X is 0
    elsewhere), as ``SequenceScaler(per="sequence")`` learns them: the standard deviation
    of :func:`_per_sequence_moments`, 1 where it is 0."""
    mean, spread = _per_sequence_moments(X, observed)
    return mean, torch.where(spread > 0, spread, 1.0)


def _per_sequence_moments(X, observed, rescaled=False):
    """Each sequence's mean and standard deviation (batch, 1, features) over its observed
    values (X is 0 elsewhere), as ``_sequences.sequence_moments`` computes them: the mean
    corrected by the mean of the deviations from it; a feature whose observed values are
    all one value has that value for its mean and spread 0, as has one whose spread is at
    the rounding level of its mean (``scale_of_spread``). With ``rescaled``, each sequence
    is divided by a power of two near its largest magnitude first, as there (exact: the
    bits change nowhere else); without, as ``SequenceScaler(per="sequence")``,
    StandardScaler's twin, squares values below 1e-154 to 0. The estimators' module
    squared them so too, and its floor: a varying sequence of 1e-165 gave NaN (audit38b).
    The root is taken of 1 where the spread is 0, so that no gradient goes through the
    root of 0."""
    unit = 1.0
    if rescaled:
        exponent = torch.frexp(X.abs().amax(dim=1, keepdim=True).detach()).exponent
        unit = torch.ldexp(torch.ones_like(X[:, :1]), exponent - 1)
    scaled = X / unit
    counts = observed.sum(dim=1, keepdim=True)
    first = scaled.sum(dim=1, keepdim=True) / counts
    mean = first + torch.where(observed, scaled - first, 0.0).sum(dim=1, keepdim=True) / counts
    variance = torch.where(observed, scaled - mean, 0.0).square().sum(dim=1, keepdim=True) / counts
    low = torch.where(observed, X, float("inf")).amin(dim=1, keepdim=True)
    high = torch.where(observed, X, float("-inf")).amax(dim=1, keepdim=True)
    constant = low == high
    rounding = 10 * torch.finfo(torch.float64).eps * mean.abs()
    zero = constant | (variance <= rounding.square())
    spread = torch.where(zero, 0.0, torch.where(zero, 1.0, variance).sqrt() * unit)
    return torch.where(constant, low, mean * unit), spread


def parameter_views(network):
    """{the module's parameter name: (the network's view name, the map from the parameter's
    layout to the view's)}, the inverse of how :class:`EstimatorModule` copies each view."""
    views = {"head.weight": ("head.weight", None), "head.bias": ("head.bias", None)}
    if network.embedding_dim is not None:
        views["embedding.weight"] = ("embedding", None)
    suffix = "_l0" if network.reset_after else ""  # nn.GRU's names, or _ChoGRUDirection's
    for layer in range(len(network.hidden_layer_sizes)):
        for k, direction in enumerate(network.directions):
            for name, torch_name in TORCH_GRU_NAMES.items():
                key = f"layers.{layer}.directions.{k}.{torch_name}{suffix}"
                views[key] = (f"gru{layer}.{direction}.{name}", None)
    if network.output != "sequence" and network.pooling == "attention":
        views["pooling.attention"] = ("attention.weight", lambda weight: weight[np.newaxis])
    for layer, (filters, _) in enumerate(network.conv_layers):
        branch = "conv_branch."
        views[f"{branch}convolutions.{layer}.weight"] = (
            f"conv{layer}.weight",
            lambda weight, filters=filters: weight.transpose(0, 2, 1).reshape(filters, -1),
        )
        views[f"{branch}convolutions.{layer}.bias"] = (f"conv{layer}.bias", None)
        views[f"{branch}norms.{layer}.weight"] = (f"conv{layer}.norm_scale", None)
        views[f"{branch}norms.{layer}.bias"] = (f"conv{layer}.norm_bias", None)
    if network.linear_steps:
        views["linear.weight"] = ("linear.weight", None)
    return views


def _scaled_by_each_sequence(X, lengths, floor):
    """float64 (batch, time, 3 * features): X scaled by each sequence's own mean and spread
    over its valid steps (the spread no less than ``floor``), then those levels and log
    spreads as channels constant over the sequence, zero past each length, as
    ``_sequences.scale_each_sequence`` computes them (in float64 also from float32 X: a
    faint sequence far from zero loses its shape to a float32 mean). The floor applies to
    the spread, not its square to the variance: the square of a floor below 1e-162 is 0."""
    X, floor = X.to(torch.float64), floor.to(X.device)
    valid = _valid_steps(lengths, X.shape[1])[:, :, None]
    X = torch.where(valid, X, 0.0)
    mean, spread = _per_sequence_moments(X, valid.expand_as(X), rescaled=True)
    deviations = torch.where(valid, X - mean, 0.0)
    spread = torch.maximum(spread, floor)
    levels, log_spreads = mean.expand_as(X), spread.log().expand_as(X)
    return torch.where(valid, torch.cat([deviations / spread, levels, log_spreads], dim=2), 0.0)


def _standardised(X, mean, scale):
    """X standardised with float64 statistics in X's own dtype (float64 X keeps a spread
    that is small beside its mean, as ``predict`` standardises it), the mean subtracted in
    two parts, so that float32 X whose mean is large beside its spread (air pressure in hPa,
    say) is not moved by the mean's rounding (``split_in_two``)."""
    high = mean.to(X.dtype)
    low = (mean - high.to(torch.float64)).to(X.dtype)
    return (X - high.to(X.device) - low.to(X.device)) / scale.to(X.device, X.dtype)


def _traced():
    """Whether the module is being traced, compiled or exported rather than run."""
    is_exporting = getattr(torch.compiler, "is_exporting", lambda: False)
    return torch.jit.is_tracing() or torch.compiler.is_compiling() or is_exporting()


def _tensor(array, dtype):
    return torch.as_tensor(np.array(array), dtype=dtype)


def _head(network, dtype):
    """The dense head as an ``nn.Linear``."""
    weight = network.views["head.weight"]
    head = nn.Linear(weight.shape[1], weight.shape[0], dtype=dtype)
    with torch.no_grad():
        head.weight.copy_(_tensor(weight, dtype))
        head.bias.copy_(_tensor(network.views["head.bias"], dtype))
    return head


def _linear(network, dtype):
    """The linear skip's ``linear.weight`` (n_outputs, linear_steps * n_inputs) as an
    ``nn.Linear`` without bias (the head has one)."""
    weight = network.views["linear.weight"]
    linear = nn.Linear(weight.shape[1], weight.shape[0], bias=False, dtype=dtype)
    with torch.no_grad():
        linear.weight.copy_(_tensor(weight, dtype))
    return linear


def _last_steps_window(X, lengths, n_window):
    """Each sequence's last ``n_window`` steps of the network input X (batch, time, F),
    zeros before a shorter sequence's first step, flattened step-major to
    (batch, n_window * F): step t of X is step t + n_window of X zero-padded in front, so a
    sequence's window is steps length .. length + n_window - 1 there."""
    padded = nn.functional.pad(X, (0, 0, n_window, 0))
    steps = lengths[:, None] + torch.arange(n_window, device=X.device)[None, :]
    window = torch.gather(padded, 1, steps[:, :, None].expand(-1, -1, X.shape[2]))
    return window.reshape(X.shape[0], -1)


class _Pooling(nn.Module):
    """What the head reads of each sequence (batch, features) from the top layer's outputs
    (batch, time, features; zero past each length) and final states, as the network's
    ``pooling``: "last", "mean", "max", "attention" (softmax over the valid steps of the
    scores ``attention @ h_t``, a trainable parameter) or "concat" ([last, mean, max])."""

    def __init__(self, network, dtype):
        super().__init__()
        self.kind = network.pooling
        self.attention = (
            nn.Parameter(_tensor(network.views["attention.weight"][0], dtype))
            if self.kind == "attention"
            else None
        )

    def forward(self, outputs, last, lengths):
        if self.kind == "last":
            return last
        valid = _valid_steps(lengths, outputs.shape[1])[:, :, None]
        if self.kind == "attention":
            scores = torch.where(valid, outputs @ self.attention[:, None], -torch.inf)
            return (torch.softmax(scores, dim=1) * outputs).sum(dim=1)
        mean = outputs.sum(dim=1) / lengths[:, None].to(outputs.dtype)
        if self.kind == "mean":
            return mean
        maximum = torch.where(valid, outputs, -torch.inf).amax(dim=1)
        if self.kind == "max":
            return maximum
        return torch.cat([last, mean, maximum], dim=1)


class _ConvBranch(nn.Module):
    """The convolutional branch: per layer an ``nn.Conv1d`` over the valid steps (zero
    past each length) with "same" padding (written out, the odd step of an even kernel after
    the sequence: torch warns on ``padding="same"`` with an even kernel), a
    :class:`_SequenceNorm` and a ReLU; then each sequence's mean over its valid steps
    (batch, filters)."""

    def __init__(self, network, dtype):
        super().__init__()
        self.convolutions, self.norms = nn.ModuleList(), nn.ModuleList()
        self.paddings = [same_padding(kernel_size) for _, kernel_size in network.conv_layers]
        channels = network.n_inputs
        for layer, (filters, kernel_size) in enumerate(network.conv_layers):
            convolution = nn.Conv1d(channels, filters, kernel_size, dtype=dtype)
            weight = network.views[f"conv{layer}.weight"].reshape(filters, kernel_size, channels)
            with torch.no_grad():  # pygru's (filters, kernel * channels) is step-major
                convolution.weight.copy_(_tensor(weight.transpose(0, 2, 1), dtype))
                convolution.bias.copy_(_tensor(network.views[f"conv{layer}.bias"], dtype))
            self.convolutions.append(convolution)
            self.norms.append(_SequenceNorm(network, layer, dtype))
            channels = filters

    def forward(self, X, lengths):
        valid = _valid_steps(lengths, X.shape[1])[:, :, None]
        for convolution, norm, padding in zip(self.convolutions, self.norms, self.paddings):
            X = torch.where(valid, X, torch.zeros_like(X))
            X = nn.functional.pad(X.transpose(1, 2), padding)  # (batch, channels, time)
            X = torch.relu(norm(convolution(X).transpose(1, 2), valid, lengths))
        X = torch.where(valid, X, torch.zeros_like(X))
        return X.sum(dim=1) / lengths[:, None].to(X.dtype)


class _SequenceNorm(nn.Module):
    """Each sequence (batch, time, channels) normalised over its valid steps and all
    channels (``nn.GroupNorm`` with one group would read the padding too), then scaled and
    shifted per channel (``weight``, ``bias``)."""

    def __init__(self, network, layer, dtype):
        super().__init__()
        self.weight = nn.Parameter(_tensor(network.views[f"conv{layer}.norm_scale"], dtype))
        self.bias = nn.Parameter(_tensor(network.views[f"conv{layer}.norm_bias"], dtype))

    def forward(self, X, valid, lengths):
        counts = (lengths * X.shape[2]).to(X.dtype)[:, None, None]
        mean = torch.where(valid, X, torch.zeros_like(X)).sum(dim=(1, 2), keepdim=True) / counts
        centred = torch.where(valid, X - mean, torch.zeros_like(X))
        variance = (centred * centred).sum(dim=(1, 2), keepdim=True) / counts
        return centred / torch.sqrt(variance + CONV_NORM_EPSILON) * self.weight + self.bias


def _valid_steps(lengths, n_steps):
    return torch.arange(n_steps, device=lengths.device)[None, :] < lengths[:, None]


def _repeat_last_step_to_fill_patches(X, lengths, patch_size):
    """X padded to a multiple of ``patch_size`` steps, each step past a sequence's length
    holding its last step (as ``_sequences.to_patches``; the GRU reads no step past the
    final patch)."""
    n_steps = -(-X.shape[1] // patch_size) * patch_size
    positions = torch.arange(n_steps, device=X.device)
    source = torch.minimum(positions[None, :], (lengths - 1)[:, None])
    return torch.gather(X, 1, source[:, :, None].expand(-1, -1, X.shape[2]))


def _reverse_within_lengths(X, lengths):
    """Each sequence's steps in reverse order within its length; the padding stays put."""
    positions = torch.arange(X.shape[1], device=X.device)[None, :]
    source = torch.where(positions < lengths[:, None], lengths[:, None] - 1 - positions, positions)
    return torch.gather(X, 1, source[:, :, None].expand(-1, -1, X.shape[2]))


def _layer_parameters(network, layer, direction, dtype):
    """One layer direction's weights as torch tensors, torch's names and layout."""
    prefix = f"gru{layer}.{direction}."
    return {
        torch_name: _tensor(network.views[prefix + name], dtype)
        for name, torch_name in TORCH_GRU_NAMES.items()
    }


class _GRULayer(nn.Module):
    """One GRU layer over zero-padded sequences: outputs (batch, time, D * H), zero past each
    length, and the final states (batch, D * H), forward then backward. Each direction
    reads its sequences from their first step, the backward one each sequence reversed
    within its length, so the padding always comes after a sequence's steps and changes
    none of them, and a sequence's final state is its output at its last step. No packed
    sequences, whose sizes depend on the lengths' values: ``torch.export`` traces this
    (with a dynamic batch; ``nn.GRU`` fixes the number of steps)."""

    def __init__(self, network, layer, dtype):
        super().__init__()
        self.backward = [direction == "backward" for direction in network.directions]
        self.directions = nn.ModuleList(
            _direction(network, layer, direction, dtype) for direction in network.directions
        )

    def forward(self, X, lengths):
        valid = _valid_steps(lengths, X.shape[1])[:, :, None]
        last_step = (lengths - 1)[:, None, None]
        outputs, states = [], []
        for direction, backward in zip(self.directions, self.backward):
            output = direction(_reverse_within_lengths(X, lengths) if backward else X)
            final = torch.gather(output, 1, last_step.expand(-1, 1, output.shape[2]))
            states.append(final[:, 0])
            output = torch.where(valid, output, torch.zeros_like(output))
            outputs.append(_reverse_within_lengths(output, lengths) if backward else output)
        return torch.cat(outputs, dim=2), torch.cat(states, dim=1)


def _direction(network, layer, direction, dtype):
    """One direction of a layer as a module mapping (batch, time, inputs) to the outputs of
    every step from a zero state: ``nn.GRU`` for ``reset_after=True``, else written out."""
    parameters = _layer_parameters(network, layer, direction, dtype)
    if not network.reset_after:
        return _ChoGRUDirection(parameters)
    hidden, inputs = parameters["weight_hh"].shape[1], parameters["weight_ih"].shape[1]
    gru = _GRUDirection(inputs, hidden, batch_first=True, dtype=dtype)
    gru.load_state_dict({name + "_l0": value for name, value in parameters.items()})
    return gru


class _GRUDirection(nn.GRU):
    """An ``nn.GRU`` that returns its outputs alone."""

    def forward(self, X):
        return super().forward(X)[0]


class _ChoGRUDirection(nn.Module):
    """The ``reset_after=False`` recurrence, step by step (torch has no such variant):
    ``n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)``; parameters named as
    ``nn.GRU``'s."""

    def __init__(self, parameters):
        super().__init__()
        for name, value in parameters.items():
            self.register_parameter(name, nn.Parameter(value))

    def forward(self, X):
        hidden = self.weight_hh.shape[1]
        projected = X @ self.weight_ih.T + self.bias_ih
        w_hrz, w_hn = self.weight_hh[: 2 * hidden], self.weight_hh[2 * hidden :]
        b_hrz, b_hn = self.bias_hh[: 2 * hidden], self.bias_hh[2 * hidden :]
        h = X.new_zeros(X.shape[0], hidden)
        outputs = []
        for t in range(X.shape[1]):
            x_r, x_z, x_n = projected[:, t].split(hidden, dim=1)
            h_r, h_z = (h @ w_hrz.T + b_hrz).split(hidden, dim=1)
            r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + (r * h) @ w_hn.T + b_hn)
            h = (1 - z) * n + z * h
            outputs.append(h)
        return torch.stack(outputs, dim=1)
