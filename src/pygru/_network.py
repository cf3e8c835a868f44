"""A stack of GRU layers with a dense head, and its gradient.

Layout: [embedding] → GRU layer 1 (forward [+ reversed]) → ... → GRU layer L → dense head.
With ``output="last"`` the head reads each sequence's final state (for a bidirectional layer,
the forward direction's state at the sequence's end concatenated with the reversed
direction's state after reading time 0, as Keras' ``Bidirectional``); with
``output="sequence"`` it reads every time step. ``pooling`` (with ``output="last"``) chooses
what the head reads of each sequence instead of its final state: the mean or the maximum of
the last layer's outputs over the sequence's valid steps, a learned softmax weighting of them
(attention), or the final state, mean and maximum side by side (concat pooling, as ULMFiT).
``conv_layers`` (with ``output="last"`` and numeric input) adds a convolutional branch beside
the GRU layers, as GRU-FCN (Elsayed et al. 2018): 1-D convolutions over the same input steps,
each normalised over the sequence's valid steps and filters (as GroupNorm with one group),
scaled and shifted per filter and passed through a ReLU; the last layer's mean over each
sequence's valid steps joins what the head reads. Steps past a sequence's length are zero at
every convolution's input, as its own "same" padding, so they never enter.
``linear_steps`` > 0 (with ``output="last"`` and numeric input) adds a linear function of each
sequence's last ``linear_steps`` input steps to the head's output: a skip connection past the
GRU layers, as the autoregressive part of LSTNet (Lai et al. 2018), which lets a forecaster
extrapolate a trend the saturating GRU cannot. Padding never enters, and a sequence's result
does not depend on the others in its batch: every sum over time is taken in time order up to
the sequence's own length.

All parameters live in ONE flat vector, ``params``; ``views`` maps each name to a reshaped
view into it, so the optimizer updates one array and gradients come back as one array of the
same layout. The network calls only ``pygru.functional`` (estimator → network → functional →
backend).

``params`` is a NumPy array on the CPU or a CuPy array on the GPU (:meth:`GRUNetwork.move_to`);
the computations use the array module of ``params`` and the functional layer dispatches on
the array type, so the same code trains on either. A network always pickles with NumPy
parameters, so a model trained on a GPU loads where there is no CuPy.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from pygru._arrays import array_module, to_host, valid_steps
from pygru.functional import _kernel_max_over_valid_steps, gru_backward, gru_forward, matmul

DIRECTIONS = {False: ("forward",), True: ("forward", "backward")}
POOLINGS = ("last", "mean", "max", "attention", "concat")
# The linear skip reads at most this many final steps (after patching), and of wide steps
# (many features, long patches) fewer, down to one, to hold its window to MAX_LINEAR_VALUES:
# its ridge fit (QR and SVD, cubic in the window's size: 35 s before the first epoch for 3,000
# series of 3,000 steps) and its weights stay small however long and wide the sequences are.
MAX_LINEAR_STEPS = 64
MAX_LINEAR_VALUES = 512
# The convolutional branch's normalisation epsilon, as torch's norms' (the exports use it).
CONV_NORM_EPSILON = 1e-5


def glorot_uniform(shape, fan_in, fan_out, rng):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def glorot_normal(shape, fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), shape)


def torch_uniform(shape, fan_in, fan_out, rng):
    """U(-1/sqrt(k), 1/sqrt(k)), k the number of columns of the matrix (a vector's length):
    PyTorch's GRU default for the recurrent weights, where k is the hidden size H. PyTorch
    draws every weight and bias with H; as the estimators document, input weights here use
    the inputs per unit and biases the 3H gates they feed."""
    limit = 1.0 / np.sqrt(shape[-1] if len(shape) > 1 else fan_out)
    return rng.uniform(-limit, limit, shape)


def orthogonal(shape, fan_in, fan_out, rng):
    """An orthogonal matrix per (H, H) gate block (Saxe et al. 2014), as stacked (3H, H):
    the Q factor of a Gaussian matrix, as Keras' and PyTorch's initialisers take it."""
    rows, cols = shape
    blocks = []
    for start in range(0, rows, cols):
        blocks.append(q_factor(rng.standard_normal((cols, cols)))[: rows - start])
    return np.concatenate(blocks, axis=0)


def q_factor(matrix):
    """Q of the square ``matrix`` = QR with R's diagonal positive, by Householder
    reflections written as elementwise products and sums. ``np.linalg.qr`` would give the
    same Q to about 1e-15, but through LAPACK on OpenBLAS, whose kernels (chosen per CPU, or
    by ``OPENBLAS_CORETYPE``) change its last bits, and with them a whole float64 fit."""
    n = len(matrix)
    r = np.array(matrix, dtype=np.float64)
    reflections = []
    for k in range(n - 1):
        v = r[k:, k].copy()
        v[0] += np.copysign(np.sqrt(np.sum(v * v)), v[0])
        norm_squared = np.sum(v * v)
        scale = 0.0 if norm_squared == 0 else 2.0 / norm_squared  # 0: the column is zero
        r[k:, k:] -= v[:, None] * (np.sum(v[:, None] * r[k:, k:], axis=0) * scale)
        reflections.append((v, scale))
    q = np.eye(n)
    for k in reversed(range(n - 1)):  # Q = H_0 H_1 ... H_{n-2}, applied to I from the right end
        v, scale = reflections[k]
        q[k:, k:] -= v[:, None] * (np.sum(v[:, None] * q[k:, k:], axis=0) * scale)
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def zeros(shape, fan_in, fan_out, rng):
    return np.zeros(shape)


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "uniform": torch_uniform,
    "orthogonal": orthogonal,
    "zeros": zeros,
}


@dataclass
class LayerCache:
    """What one GRU layer's backward pass needs."""

    directions: dict = field(default_factory=dict)  # direction name → GRUCache
    dropout_mask: np.ndarray = None  # (n, 1, F) scaled keep-mask or None


@dataclass
class ConvCache:
    """What one convolution's backward pass needs."""

    columns: np.ndarray  # (n, T, kernel_size * channels): the input windows (im2col)
    normalized: np.ndarray  # (n, T, filters): the normalised convolution, before its scale
    inverse_std: np.ndarray  # (n, 1, 1)
    active: np.ndarray  # (n, T, filters): True where the ReLU passes (and the step is valid)


@dataclass
class ForwardCache:
    lengths: np.ndarray
    tokens: np.ndarray = None
    layers: list = field(default_factory=list)
    head_input: np.ndarray = None
    last_states: list = None  # final states of the top layer, per direction
    top_outputs: np.ndarray = None  # the top layer's outputs (n, T, D * H)
    attention: np.ndarray = None  # attention weights (n, T), zero past each length
    pooled_lengths: np.ndarray = None  # ``lengths`` where the network is (pooling heads)
    max_steps: np.ndarray = None  # (n, features): the step holding each maximum ("max")
    conv_layers: list = field(default_factory=list)  # ConvCache per convolution
    linear_window: np.ndarray = None  # (n, linear_steps * features) read by the linear skip


def parameter_shapes(
    n_inputs,
    hidden_layer_sizes,
    n_outputs,
    *,
    bidirectional=False,
    embedding_dim=None,
    pooling="last",
    linear_steps=0,
    conv_layers=(),
):
    """The name and shape of every parameter of a network with this layout, in the order
    they lie in ``params``.

    A plain function of the layout, so that a layout read from a file can be checked, and
    its size computed, before anything is allocated.

    Parameters
    ----------
    n_inputs : int
        Features per time step, or vocabulary size when ``embedding_dim`` is set.
    hidden_layer_sizes : sequence of int
    n_outputs : int
    bidirectional : bool, default=False
    embedding_dim : int or None, default=None
    pooling : {"last", "mean", "max", "attention", "concat"}, default="last"
    linear_steps : int, default=0
    conv_layers : sequence of (filters, kernel_size), default=()

    Returns
    -------
    shapes : dict of str to tuple of int
    """
    shapes = {}
    features = n_inputs
    if embedding_dim is not None:
        shapes["embedding"] = (n_inputs, embedding_dim)
        features = embedding_dim
    directions = DIRECTIONS[bidirectional]
    for layer, hidden in enumerate(hidden_layer_sizes):
        for direction in directions:
            prefix = f"gru{layer}.{direction}."
            shapes[prefix + "w_ih"] = (3 * hidden, features)
            shapes[prefix + "w_hh"] = (3 * hidden, hidden)
            shapes[prefix + "b_ih"] = (3 * hidden,)
            shapes[prefix + "b_hh"] = (3 * hidden,)
        features = hidden * len(directions)
    if pooling == "attention":
        shapes["attention.weight"] = (1, features)
    if pooling == "concat":
        features *= 3
    channels = n_inputs
    for layer, (filters, kernel_size) in enumerate(conv_layers):
        shapes[f"conv{layer}.weight"] = (filters, kernel_size * channels)
        shapes[f"conv{layer}.bias"] = (filters,)
        shapes[f"conv{layer}.norm_scale"] = (filters,)
        shapes[f"conv{layer}.norm_bias"] = (filters,)
        channels = filters
    if conv_layers:
        features += channels
    shapes["head.weight"] = (n_outputs, features)
    shapes["head.bias"] = (n_outputs,)
    if linear_steps:
        shapes["linear.weight"] = (n_outputs, linear_steps * n_inputs)
    return shapes


class GRUNetwork:
    """Stacked (optionally bidirectional) GRU layers, optional embedding, dense head.

    Parameters
    ----------
    n_inputs : int
        Features per time step, or vocabulary size when ``embedding_dim`` is set.
    hidden_layer_sizes : tuple of int
    n_outputs : int
    bidirectional, reset_after : bool
    embedding_dim : int or None
        Read integer token ids (``n_inputs`` distinct values) through an embedding table.
    output : {"last", "sequence"}
    pooling : {"last", "mean", "max", "attention", "concat"}
        What the head reads of each sequence with ``output="last"``: the final state, the
        mean or maximum of the top layer's outputs over the valid steps, their softmax
        weighting by the learned scores ``attention.weight @ h_t``, or [final state, mean,
        maximum]. Must be "last" with ``output="sequence"``.
    linear_steps : int
        0, or the number of final input steps of each sequence that a linear map
        ``linear.weight`` adds to the output (needs ``output="last"`` and numeric input);
        a sequence shorter than that reads zeros before its first step.
    conv_layers : sequence of (filters, kernel_size)
        The convolutional branch, one pair per convolution ("same" padding, stride 1); empty
        for none. Needs ``output="last"`` and numeric input.
    dtype : numpy floating dtype
    """

    def __init__(
        self,
        n_inputs,
        hidden_layer_sizes,
        n_outputs,
        *,
        bidirectional=False,
        reset_after=True,
        embedding_dim=None,
        output="last",
        pooling="last",
        linear_steps=0,
        conv_layers=(),
        dtype=np.float32,
    ):
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        if output == "sequence" and pooling != "last":
            raise ValueError(
                f"pooling={pooling!r} needs output='last'; output='sequence' reads every step"
            )
        if linear_steps and (output == "sequence" or embedding_dim is not None):
            raise ValueError(
                f"linear_steps={linear_steps!r} needs output='last' and numeric input"
            )
        conv_layers = tuple((int(filters), int(size)) for filters, size in conv_layers)
        if conv_layers and (output == "sequence" or embedding_dim is not None):
            raise ValueError(f"conv_layers={conv_layers!r} needs output='last' and numeric input")
        # Sizes as Python ints (a search over np.array([2, 4]) gives NumPy ones), which the
        # saved file's JSON and every shape take.
        self.n_inputs = int(n_inputs)
        self.hidden_layer_sizes = tuple(int(size) for size in hidden_layer_sizes)
        self.n_outputs = int(n_outputs)
        self.bidirectional = bidirectional
        self.reset_after = reset_after
        self.embedding_dim = None if embedding_dim is None else int(embedding_dim)
        self.output = output
        self.pooling = pooling
        self.linear_steps = int(linear_steps)
        self.conv_layers = conv_layers
        self.dtype = np.dtype(dtype)
        self.shapes = parameter_shapes(
            self.n_inputs,
            self.hidden_layer_sizes,
            self.n_outputs,
            bidirectional=bidirectional,
            embedding_dim=self.embedding_dim,
            pooling=pooling,
            linear_steps=self.linear_steps,
            conv_layers=conv_layers,
        )
        self._hold(self._allocate_params())

    @property
    def params(self):
        """Every weight of the network as one flat vector, which :attr:`views` name.

        Assigning to it writes into that vector (``params[...] = values``, of its shape):
        the views, an optimizer and a weight average hold the vector itself, so a new
        array in its place would be read by none of them (a callback's
        ``network_.params = ...copy()`` froze the saved weights while training went on)."""
        return self._params

    @params.setter
    def params(self, values):
        if np.shape(values) != self._params.shape:
            raise ValueError(
                f"params has shape {self._params.shape}; got values of shape "
                f"{np.shape(values)} (assigning writes into the vector the network holds)"
            )
        self._params[...] = values

    def _hold(self, params):
        """Make ``params`` the network's vector (a new one: on another device, or a
        writable copy), with the views into it."""
        self._params = params
        self.views = self.unflatten(params)

    def _allocate_params(self):
        """The flat parameter vector, zeros; a MemoryError naming the sizes that made it too
        large (NumPy's own named neither, and beyond the address space said only "array is
        too big")."""
        n_params = sum(math.prod(shape) for shape in self.shapes.values())
        try:
            return np.zeros(n_params, self.dtype)
        except (MemoryError, ValueError) as error:
            largest = max(self.shapes, key=lambda name: math.prod(self.shapes[name]))
            gibibytes = n_params * self.dtype.itemsize / 2**30
            raise MemoryError(
                f"The network's {n_params:,} parameters ({gibibytes:.3g} GiB of "
                f"{self.dtype.name}; the largest, {largest}, of shape {self.shapes[largest]}) "
                "cannot be allocated: choose smaller hidden_layer_sizes (now "
                f"{self.hidden_layer_sizes}), embedding_dim, vocabulary_size or conv_layers"
            ) from error

    def __getstate__(self):
        # The views are rebuilt on unpickling: pickled separately they would become copies
        # that no longer follow params (and double the pickle's size). Parameters on a GPU
        # are stored as NumPy, so that the pickle loads without CuPy.
        state = self.__dict__.copy()
        del state["views"]
        state["params"] = to_host(state.pop("_params"))  # the name pickles have always had
        return state

    def __setstate__(self, state):
        state.setdefault("pooling", "last")  # pickled before pooling existed
        state.setdefault("linear_steps", 0)  # ... or the linear skip
        state.setdefault("conv_layers", ())  # ... or the convolutional branch
        state = dict(state)
        params = state.pop("params")
        self.__dict__.update(state)
        self._hold(params)

    @property
    def directions(self):
        return DIRECTIONS[self.bidirectional]

    @property
    def xp(self):
        """The array module of ``params``: ``numpy``, or ``cupy`` on the GPU."""
        return array_module(self.params)

    def make_writable(self):
        """Copy ``params`` if they are read-only (a memory-mapped model's), so that training
        can change them."""
        if self.xp is np and not self.params.flags.writeable:
            self._hold(self.params.copy())

    def move_to(self, xp):
        """Put ``params`` (and so every view) on the device of array module ``xp``."""
        if xp is not self.xp:
            self._hold(xp.asarray(self.params) if xp is not np else to_host(self.params))

    def unflatten(self, flat):
        """Named views, shaped as ``self.shapes``, into the flat vector ``flat``."""
        views, offset = {}, 0
        for name, shape in self.shapes.items():
            size = math.prod(shape)
            views[name] = flat[offset : offset + size].reshape(shape)
            offset += size
        return views

    def weight_mask(self):
        """True on weights, False on biases and norm scales (the L2 penalty applies to
        weights only)."""
        mask = np.zeros(self.params.shape, bool)
        for name, view in self.unflatten(mask).items():
            view[...] = not name.endswith(("b_ih", "b_hh", "bias", "norm_scale"))
        return mask

    def initialize(
        self,
        rng,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
    ):
        """Fill ``params`` in place; ``rng`` is a numpy Generator."""
        for name, shape in self.shapes.items():
            kind = name.rsplit(".", 1)[-1]
            if name == "embedding":
                values = rng.uniform(-0.05, 0.05, shape)  # Keras' Embedding default
            elif kind in ("w_ih", "weight"):
                values = INITIALIZERS[kernel_initializer](shape, shape[1], shape[0], rng)
            elif kind in ("norm_scale", "norm_bias"):  # the norm's affine map starts as identity
                values = np.full(shape, 1.0 if kind == "norm_scale" else 0.0)
            elif kind == "w_hh":
                values = INITIALIZERS[recurrent_initializer](shape, shape[1], shape[0], rng)
            else:
                values = INITIALIZERS[bias_initializer](shape, shape[0], shape[0], rng)
            self.views[name][...] = values

    def forward(
        self, X, lengths, *, dropout=0.0, recurrent_dropout=0.0, rng=None, keep_cache=True
    ):
        """Outputs for padded ``X`` (n, T, F) or token ids (n, T) and ``lengths``.

        Returns ``(output, cache)``: ``output`` is (n, n_outputs) for ``output="last"`` and
        (n, T, n_outputs) for ``"sequence"``. ``dropout`` > 0 (training) drops each GRU
        layer's input features with one mask per sequence, shared by all time steps
        (Keras semantics) and by both directions; ``recurrent_dropout`` > 0 likewise drops
        units of h_{t-1} where it meets the recurrent weights (one mask per sequence and
        direction). Both need ``rng`` (a NumPy Generator, or CuPy's on the GPU). ``X``
        lives where ``params`` do; ``lengths`` is always a NumPy array.
        """
        xp = self.xp
        # Python floats: a NumPy scalar would set the masks' precision (np.float32(0.3) made
        # a float64 model's masks in float32).
        dropout, recurrent_dropout = float(dropout), float(recurrent_dropout)
        cache = ForwardCache(lengths=lengths)
        if self.embedding_dim is not None:
            cache.tokens = X
            X = self.views["embedding"][X]
        inputs = X
        for layer in range(len(self.hidden_layer_sizes)):
            layer_cache = LayerCache()
            if dropout > 0:
                keep = rng.random((inputs.shape[0], 1, inputs.shape[2])) >= dropout
                layer_cache.dropout_mask = (keep / (1.0 - dropout)).astype(self.dtype)
                inputs = inputs * layer_cache.dropout_mask
            outputs, states = [], []
            for direction in self.directions:
                weights = self._layer_weights(layer, direction)
                mask = None
                if recurrent_dropout > 0:
                    shape = (inputs.shape[0], self.hidden_layer_sizes[layer])
                    keep = rng.random(shape) >= recurrent_dropout
                    mask = (keep / (1.0 - recurrent_dropout)).astype(self.dtype)
                out, h_n, gru_cache = gru_forward(
                    inputs,
                    *weights,
                    lengths=lengths,
                    reset_after=self.reset_after,
                    reverse=direction == "backward",
                    recurrent_mask=mask,
                    keep_cache=keep_cache,
                    check_finite=False,
                )
                outputs.append(out)
                states.append(h_n)
                layer_cache.directions[direction] = gru_cache
            if keep_cache:
                cache.layers.append(layer_cache)
            inputs = outputs[0] if len(outputs) == 1 else xp.concatenate(outputs, axis=2)
        cache.last_states = states
        cache.top_outputs = inputs
        head_input = inputs if self.output == "sequence" else self._pool(cache)
        if self.conv_layers:
            branch = self._conv_forward(X, cache, keep_cache)
            head_input = xp.concatenate([head_input, branch], axis=1)
        cache.head_input = head_input
        output = (
            _matmul_last_axis(head_input, self.views["head.weight"].T) + self.views["head.bias"]
        )
        if self.linear_steps:
            cache.linear_window = last_steps_window(xp, X, lengths, self.linear_steps)
            output = output + matmul(cache.linear_window, self.views["linear.weight"].T)
        return output, cache

    def backward(self, d_output, cache):
        """Gradient of the loss with respect to ``params``, as one flat vector.

        ``d_output`` is the loss gradient with respect to ``forward``'s output (zero at
        padded time steps for ``output="sequence"``).
        """
        xp = self.xp
        grad = xp.zeros_like(self.params)
        grads = self.unflatten(grad)
        head_input = cache.head_input
        grads["head.weight"][...] = matmul(
            d_output.reshape(-1, self.n_outputs).T, head_input.reshape(-1, head_input.shape[-1])
        )
        grads["head.bias"][...] = d_output.reshape(-1, self.n_outputs).sum(axis=0)
        if self.linear_steps:
            grads["linear.weight"][...] = matmul(d_output.T, cache.linear_window)
        d_head_input = _matmul_last_axis(d_output, self.views["head.weight"])
        if self.conv_layers:
            filters = self.conv_layers[-1][0]
            self._conv_backward(d_head_input[:, -filters:], cache, grads)
            d_head_input = d_head_input[:, :-filters]
        if self.output == "sequence":
            d_outputs, d_states = d_head_input, None
        else:
            d_outputs, d_last = self._pool_backward(d_head_input, cache, grads)
            d_states = None if d_last is None else _even_parts(d_last, len(self.directions))
        for layer in reversed(range(len(self.hidden_layer_sizes))):
            layer_cache = cache.layers[layer]
            d_inputs = None
            per_direction = (
                _even_parts(d_outputs, len(self.directions))
                if d_outputs is not None
                else [None] * len(self.directions)
            )
            for index, direction in enumerate(self.directions):
                d_h_n = d_states[index] if d_states is not None else None
                dx, _, dw_ih, dw_hh, db_ih, db_hh = gru_backward(
                    _contiguous(xp, per_direction[index]),
                    _contiguous(xp, d_h_n),
                    layer_cache.directions[direction],
                    check_finite=False,
                )
                prefix = f"gru{layer}.{direction}."
                grads[prefix + "w_ih"][...] = dw_ih
                grads[prefix + "w_hh"][...] = dw_hh
                grads[prefix + "b_ih"][...] = db_ih
                grads[prefix + "b_hh"][...] = db_hh
                d_inputs = dx if d_inputs is None else d_inputs + dx
            if layer_cache.dropout_mask is not None:
                d_inputs = d_inputs * layer_cache.dropout_mask
            d_outputs, d_states = d_inputs, None
        if self.embedding_dim is not None:
            # Repeated token ids accumulate (np.add.at; cupy.add.at from CuPy 12, which
            # replaces the deprecated cupyx.scatter_add).
            xp.add.at(grads["embedding"], cache.tokens, d_outputs)
        return grad

    def _pool(self, cache):
        """What the head reads of each sequence (n, features), for ``output="last"``."""
        xp = self.xp
        last = xp.concatenate(cache.last_states, axis=1)
        if self.pooling == "last":
            return last
        # The lengths cross to the device once per batch; masks and counts are made there.
        cache.pooled_lengths = xp.asarray(cache.lengths)
        outputs, lengths = cache.top_outputs, cache.pooled_lengths
        if self.pooling == "attention":
            cache.attention = _attention_weights(
                xp, outputs, lengths, self.views["attention.weight"][0]
            )
            return _sum_valid_steps(xp, cache.attention[:, :, None] * outputs, lengths)
        mean = _mean_over_valid_steps(xp, outputs, lengths)
        if self.pooling == "mean":
            return mean
        maximum, cache.max_steps = _max_over_valid_steps(xp, outputs, lengths)
        if self.pooling == "max":
            return maximum
        return xp.concatenate([last, mean, maximum], axis=1)

    def _pool_backward(self, d_pooled, cache, grads):
        """(gradient for the top layer's outputs or None, for its final states or None)
        from the gradient of what :meth:`_pool` returned; fills the attention gradient."""
        xp = self.xp
        if self.pooling == "last":
            return None, d_pooled
        outputs, lengths = cache.top_outputs, cache.pooled_lengths
        if self.pooling == "attention":
            return self._attention_backward(d_pooled, cache, grads), None
        if self.pooling == "mean":
            return _mean_backward(xp, d_pooled, outputs, lengths), None
        if self.pooling == "max":
            d_outputs = xp.zeros_like(outputs)
            _add_max_backward(xp, d_outputs, d_pooled, cache.max_steps)
            return d_outputs, None
        d_last, d_mean, d_max = _even_parts(d_pooled, 3)
        d_outputs = _mean_backward(xp, d_mean, outputs, lengths)
        _add_max_backward(xp, d_outputs, d_max, cache.max_steps)
        return d_outputs, d_last

    def _attention_backward(self, d_pooled, cache, grads):
        """Gradient for the top layer's outputs through ``sum_t a_t h_t``, with
        ``a = softmax(w @ h_t)`` over the valid steps; fills ``attention.weight``'s."""
        outputs, weights = cache.top_outputs, cache.attention
        d_weights = (outputs * d_pooled[:, None, :]).sum(axis=2)  # dL/da_t = h_t . dL/dp
        d_scores = weights * (d_weights - (weights * d_weights).sum(axis=1, keepdims=True))
        grads["attention.weight"][0] = (d_scores[:, :, None] * outputs).sum(axis=(0, 1))
        return (
            weights[:, :, None] * d_pooled[:, None, :]
            + d_scores[:, :, None] * self.views["attention.weight"][0]
        )

    def _conv_forward(self, X, cache, keep_cache):
        """The convolutional branch: each sequence's mean over its valid steps of the last
        convolution's output (n, filters); with ``keep_cache``, what the backward pass needs
        is kept in ``cache``."""
        xp = self.xp
        lengths = xp.asarray(cache.lengths)
        valid = valid_steps(xp, lengths, X.shape[1])[:, :, None]
        inputs = xp.where(valid, X, xp.zeros((), X.dtype))
        for layer, (_, kernel_size) in enumerate(self.conv_layers):
            prefix = f"conv{layer}."
            columns = _im2col(xp, inputs, kernel_size)
            convolved = _matmul_last_axis(columns, self.views[prefix + "weight"].T)
            convolved += self.views[prefix + "bias"]
            normalized, inverse_std = _sequence_norm(xp, convolved, valid, lengths)
            inputs = normalized * self.views[prefix + "norm_scale"]
            inputs += self.views[prefix + "norm_bias"]
            xp.maximum(inputs, 0, out=inputs)  # the ReLU,
            inputs *= valid  # and zeros past each length
            if keep_cache:
                cache.conv_layers.append(ConvCache(columns, normalized, inverse_std, inputs > 0))
        return _mean_over_valid_steps(xp, inputs, lengths)

    def _conv_backward(self, d_pooled, cache, grads):
        """Fill the convolutional branch's gradients from that of its pooled output."""
        xp = self.xp
        lengths = xp.asarray(cache.lengths)
        d_inputs = _mean_backward(xp, d_pooled, cache.conv_layers[-1].normalized, lengths)
        valid = valid_steps(xp, lengths, d_inputs.shape[1])[:, :, None]
        for layer in reversed(range(len(self.conv_layers))):
            prefix = f"conv{layer}."
            conv_cache = cache.conv_layers[layer]
            d_scaled = d_inputs * conv_cache.active
            normalized = conv_cache.normalized
            grads[prefix + "norm_scale"][...] = (d_scaled * normalized).sum(axis=(0, 1))
            grads[prefix + "norm_bias"][...] = d_scaled.sum(axis=(0, 1))
            d_scaled *= self.views[prefix + "norm_scale"]
            d_convolved = _sequence_norm_backward(
                xp, d_scaled, normalized, conv_cache.inverse_std, valid, lengths
            )
            rows = d_convolved.reshape(-1, d_convolved.shape[-1])
            columns = conv_cache.columns
            grads[prefix + "weight"][...] = matmul(rows.T, columns.reshape(-1, columns.shape[-1]))
            grads[prefix + "bias"][...] = rows.sum(axis=0)
            if layer > 0:  # (the input of the first layer is the data)
                d_columns = _matmul_last_axis(d_convolved, self.views[prefix + "weight"])
                d_inputs = _col2im(xp, d_columns, self.conv_layers[layer][1])

    def gate_activations(self, X, lengths):
        """Per layer, per direction: r, z, n and h over time, each a NumPy array (n, T, H),
        NaN past a sequence's length."""
        _, cache = self.forward(X, lengths)
        steps = np.arange(cache.layers[0].directions["forward"].x.shape[1])
        padding = steps[None, :] >= lengths[:, None]
        activations = []
        for layer_cache in cache.layers:
            layer = {}
            for direction, gru_cache in layer_cache.directions.items():
                layer[direction] = {
                    name: np.where(padding[:, :, None], np.nan, to_host(value))
                    for name, value in gru_cache.activations().items()
                }
            activations.append(layer)
        return activations

    def _layer_weights(self, layer, direction):
        prefix = f"gru{layer}.{direction}."
        return [self.views[prefix + name] for name in ("w_ih", "w_hh", "b_ih", "b_hh")]


def _even_parts(array, n_parts):
    """``array`` cut along its last axis into ``n_parts`` views of equal width (as
    ``xp.split``, whose Python took about 8 us a call, three calls per minibatch)."""
    width = array.shape[-1] // n_parts
    return [array[..., part * width : (part + 1) * width] for part in range(n_parts)]


def _matmul_last_axis(array, matrix):
    """``array @ matrix`` for an array of 2 or more dimensions, through ``matmul``."""
    rows = array.reshape(-1, array.shape[-1])
    return matmul(rows, matrix).reshape(*array.shape[:-1], matrix.shape[1])


def last_steps_window(xp, X, lengths, n_window):
    """Each sequence's last ``n_window`` steps of ``X`` (n, T, F), zeros before a shorter
    sequence's first step, flattened step-major to (n, n_window * F).

    ``lengths`` is a NumPy array; the gather happens where ``X`` is, and copies only the
    window, never X."""
    steps = xp.asarray(lengths)[:, None] - n_window + xp.arange(n_window)[None, :]
    window = xp.take_along_axis(X, xp.maximum(steps, 0)[:, :, None], axis=1)
    window = xp.where((steps >= 0)[:, :, None], window, xp.zeros((), X.dtype))
    return window.reshape(len(X), -1)


def _sum_valid_steps(xp, values, lengths):
    """Sum over axis 1 of ``values`` (n, T, ...), which are zero past each sequence's
    length, added in time order in float64 and rounded once to ``values``' dtype: float32
    added in float32 loses up to a rounding per step (3e-5 in a classifier's probabilities
    at 20,000 unpatched steps), float64's roundings are 2^29 times smaller. In time order,
    the result does not depend on how far the batch is padded (adding the padding's zeros
    changes no bit). On the CPU, with two or more values per step, NumPy's sum over axis 1
    adds the steps in order, one (T, width) slice's rows after another; with one value per
    step (or 2-D ``values``) it would add them pairwise, so those, and every array on the
    GPU, take a cumsum read at each length, which gives the same bits (NumPy's float64
    cumsum over axis 1 is 2-3x slower than the sum at (16, 30, 128))."""
    if xp is np and values.ndim == 3 and values.shape[2] >= 2:
        totals = values.sum(axis=1, dtype=np.float64)
    else:
        totals = xp.cumsum(values, axis=1, dtype=xp.float64)
        totals = totals[xp.arange(values.shape[0]), lengths - 1]
    return totals.astype(values.dtype, copy=False)


def _mean_over_valid_steps(xp, outputs, lengths):
    counts = lengths.astype(outputs.dtype)[:, None]
    return _sum_valid_steps(xp, outputs, lengths) / counts


def _mean_backward(xp, d_mean, outputs, lengths):
    """The gradient for ``outputs`` (n, T, features) of their mean over each sequence's
    valid steps, from that of the mean (n, features): zero past each length."""
    valid = valid_steps(xp, lengths, outputs.shape[1])
    d_step = d_mean / lengths.astype(outputs.dtype)[:, None]
    if xp is not np:
        return valid[:, :, None] * d_step[:, None, :]
    # Each sequence's row repeated over its valid steps: half the time of the broadcast
    # product above, which multiplies every padded step too.
    d_outputs = np.zeros(outputs.shape, outputs.dtype)
    d_outputs[valid] = np.repeat(d_step, lengths, axis=0)
    return d_outputs


def _max_over_valid_steps(xp, outputs, lengths):
    """(each feature's maximum over the valid steps (n, features), the (first) step that
    holds it (n, features)), for the backward pass not to search again. On the CPU a kernel
    reads each sequence's valid steps once (NumPy's argmax over axis 1 copies the batch
    transposed: 2-5x slower, and at (64, 100, 128) the masked copy alone faulted in fresh
    pages on every call)."""
    if xp is np:
        return _kernel_max_over_valid_steps(outputs, lengths)
    valid = valid_steps(xp, lengths, outputs.shape[1])
    steps = xp.where(valid[:, :, None], outputs, -xp.inf).argmax(axis=1)
    return xp.take_along_axis(outputs, steps[:, None, :], axis=1)[:, 0], steps


def _add_max_backward(xp, d_outputs, d_max, steps):
    """Add the gradient of the maximum to ``d_outputs`` (n, T, features), in place, at the
    step ``steps`` (n, features) that holds each feature's maximum: one value per sequence
    and feature (building the (n, T, features) mask for it took 4% of a fit). The indices
    (i, steps[i, f], f) are distinct, so the indexed ``+=`` adds every value. ``d_outputs``
    is C-contiguous (both callers make it so), for its flat view."""
    n, n_steps, n_features = d_outputs.shape
    flat = (steps + xp.arange(n)[:, None] * n_steps) * n_features + xp.arange(n_features)
    d_outputs.reshape(-1)[flat] += d_max  # (one flat index: 40% faster than three)


def _attention_weights(xp, outputs, lengths, weight):
    """Softmax over each sequence's valid steps of the scores ``weight @ h_t``; (n, T),
    zero past each length."""
    valid = valid_steps(xp, lengths, outputs.shape[1])
    scores = xp.where(valid, (outputs * weight).sum(axis=2), -xp.inf)
    exponentials = xp.exp(scores - scores.max(axis=1, keepdims=True))
    return exponentials / _sum_valid_steps(xp, exponentials, lengths)[:, None]


def same_padding(kernel_size):
    """(steps before, steps after) a sequence that a "same" convolution reads as zeros: as
    PyTorch's ``padding="same"`` and Keras', the odd one of an even kernel goes after."""
    before = (kernel_size - 1) // 2
    return before, kernel_size - 1 - before


def _im2col(xp, inputs, kernel_size):
    """(n, T, C) → (n, T, kernel_size * C): at step t, the inputs of steps t - before ...
    t + after side by side, step-major (zeros outside 0 ... T - 1)."""
    n_steps = inputs.shape[1]
    padded = xp.pad(inputs, ((0, 0), same_padding(kernel_size), (0, 0)))
    return xp.concatenate([padded[:, k : k + n_steps] for k in range(kernel_size)], axis=2)


def _col2im(xp, d_columns, kernel_size):
    """The gradient for :func:`_im2col`'s input from that of its output: each window's
    slices added back to the steps they came from."""
    n, n_steps, width = d_columns.shape
    channels = width // kernel_size
    before, after = same_padding(kernel_size)
    d_padded = xp.zeros((n, n_steps + before + after, channels), d_columns.dtype)
    for k in range(kernel_size):
        d_padded[:, k : k + n_steps] += d_columns[:, :, k * channels : (k + 1) * channels]
    return d_padded[:, before : before + n_steps]


def _mean_over_valid_entries(xp, values, lengths):
    """The mean of ``values`` (n, T, C) over each sequence's valid steps and all C, as
    (n, 1, 1); summed over C, then in time order, so that the padding never matters."""
    totals = _sum_valid_steps(xp, values.sum(axis=-1, keepdims=True), lengths)
    return (totals / (lengths.astype(values.dtype)[:, None] * values.shape[-1]))[:, :, None]


def _sequence_norm(xp, values, valid, lengths):
    """``values`` (n, T, C) normalised over each sequence's valid steps and all C (zero past
    each length), as GroupNorm with one group but blind to the padding; and 1 / std
    (n, 1, 1). Overwrites ``values`` (a temporary), which it returns normalised."""
    values *= valid
    values -= _mean_over_valid_entries(xp, values, lengths)
    values *= valid
    variance = _mean_over_valid_entries(xp, values * values, lengths)
    inverse_std = 1.0 / xp.sqrt(variance + CONV_NORM_EPSILON)
    values *= inverse_std
    return values, inverse_std


def _sequence_norm_backward(xp, d_normalized, normalized, inverse_std, valid, lengths):
    """The gradient for :func:`_sequence_norm`'s input from that of its output, written
    over ``d_normalized`` (a temporary)."""
    mean = _mean_over_valid_entries(xp, d_normalized, lengths)
    projection = _mean_over_valid_entries(xp, d_normalized * normalized, lengths)
    d_normalized -= mean
    d_normalized -= normalized * projection
    d_normalized *= inverse_std
    d_normalized *= valid
    return d_normalized


def _contiguous(xp, array):
    return None if array is None else xp.ascontiguousarray(array)
