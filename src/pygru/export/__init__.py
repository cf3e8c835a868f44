"""Export: the whole fitted estimator as an ONNX graph or a torch module; GRU weights to and
from PyTorch and Keras for layer-level interop.

:func:`~pygru.to_onnx` and :func:`~pygru.to_torch_module` reproduce
``predict_proba``/``predict``: the scaling of each sequence by itself, the input
standardisation, patches, embedding, GRU layers,
head and output; :func:`~pygru.from_torch_module` writes a module fine-tuned in torch back.
:func:`~pygru.to_torch_state_dict`, :func:`~pygru.to_keras_weights` and
their inverses move only the GRU layers' weights. pygru's layers use PyTorch's layout
exactly (gate order [r, z, n], ``w_ih`` (3H, I), ``w_hh`` (3H, H), two biases), so the torch
converters only rename (``gru{k}.forward.w_ih`` <-> ``weight_ih_l{k}``,
``gru{k}.backward.*`` <-> ``*_l{k}_reverse``). Keras orders the gates [z, r, h] and stores
transposed kernels: ``kernel`` (I, 3H), ``recurrent_kernel`` (H, 3H) and, with
``reset_after=True``, a bias of shape (2, 3H) = [input bias; recurrent bias]. A Keras
``reset_after=False`` layer has a single bias (3H,), which equals pygru's ``b_ih + b_hh``
(in that variant the two biases are only ever added); importing it sets ``b_ih`` to the
Keras bias and ``b_hh`` to zero, which gives the same outputs. Both libraries' update gate
means the same as pygru's: ``h_t = z * h_{t-1} + (1 - z) * n_t``.

The layer converters refuse what a plain GRU layer cannot represent: a model that reads
patches (``patch_size_ > 1``), one that scales each sequence by itself and reads its level
and log spread as channels (``standardize="sequence"``, or "auto" that chose it; no folding
expresses it), and one that standardises its input unless
``fold_standardization=True``, which folds ``input_mean_`` and ``input_scale_`` into the
first layer's input weights and bias (exact in real arithmetic, with a warning where a
float32 model's rounding would show; the import takes them out again). The
embedding, the dense head and the linear skip are ``network_.views["embedding"]``,
``["head.weight"]``, ``["head.bias"]`` and ``["linear.weight"]``.
"""

from pygru.export._keras import from_keras_weights, to_keras_weights
from pygru.export._onnx import register_skl2onnx_converters, to_onnx
from pygru.export._torch import (
    from_torch_module,
    from_torch_state_dict,
    to_torch_module,
    to_torch_state_dict,
)

__all__ = [
    "to_onnx",
    "to_torch_module",
    "from_torch_module",
    "register_skl2onnx_converters",
    "to_torch_state_dict",
    "from_torch_state_dict",
    "to_keras_weights",
    "from_keras_weights",
]
