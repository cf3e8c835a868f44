"""GRU weights to and from PyTorch and Keras.

pygru's GRU layers use PyTorch's layout exactly (gate order [r, z, n], ``w_ih`` (3H, I),
``w_hh`` (3H, H), two biases), so :func:`to_torch_state_dict` and
:func:`from_torch_state_dict` only rename (``gru{k}.forward.w_ih`` <-> ``weight_ih_l{k}``,
``gru{k}.backward.*`` <-> ``*_l{k}_reverse``). Keras orders the gates [z, r, h] and stores
transposed kernels: ``kernel`` (I, 3H), ``recurrent_kernel`` (H, 3H) and, with
``reset_after=True``, a bias of shape (2, 3H) = [input bias; recurrent bias]. A Keras
``reset_after=False`` layer has a single bias (3H,), which equals pygru's ``b_ih + b_hh`` (in
that variant the two biases are only ever added); importing it sets ``b_ih`` to the Keras bias
and ``b_hh`` to zero, which gives the same outputs. Both libraries' update gate means the same
as pygru's: ``h_t = z * h_{t-1} + (1 - z) * n_t``.

Only the GRU layers are converted; the embedding and the dense head are in
``network_.views["embedding"]``, ``["head.weight"]``, ``["head.bias"]``. An estimator's input
standardisation (``standardize=True``) is folded into the first layer's input weights and
bias on export (and taken out again on import), exactly, so the exported GRU reads the raw
input; with ``patch_size_ = k > 1`` it reads patches, i.e. ``X`` of shape ``(n, T, F)``
reshaped to ``(n, T / k, k * F)`` (after padding T to a multiple of k by repeating each
sequence's last step).
"""

from pygru.export._keras import from_keras_weights, to_keras_weights
from pygru.export._torch import from_torch_state_dict, to_torch_state_dict

__all__ = [
    "to_torch_state_dict",
    "from_torch_state_dict",
    "to_keras_weights",
    "from_keras_weights",
]
