"""The GRU layer as functions, array in, array out, and the matrix product the network uses.

``gru_forward`` runs one GRU layer over a batch of sequences and ``gru_backward`` returns
the gradients of that run. NumPy arrays run on the CPU kernels; CuPy arrays run on the GPU
kernels (``pygru._cuda``, CuPy imported only then) and the results stay on the GPU. Weights
use the exact layout of ``torch.nn.GRU`` (gate order [r, z, n]), inputs are batch-first.
Every argument is checked (``pygru._layer_args``) before native code runs; ``matmul`` is a
product whose rows do not depend on each other or on thread counts (see there).

The two variants (``reset_after``)::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))     # reset_after=True
    n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)     # reset_after=False
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Texts that write ``h_t = z_t * n_t + (1 - z_t) * h_{t-1}`` describe the same model with the
update gate relabelled ``1 - z``.
"""

import functools
import math
import threading

import numpy as np

from pygru import _cpu, _fork
from pygru._arrays import is_cupy_array
from pygru._layer_args import (
    GRUCache,
    check_dtype_and_shape,
    check_layer_arguments,
    read_only,
    within_lengths,
)
from pygru._numbers import as_flag

__all__ = ["gru_forward", "gru_backward", "matmul", "release_workspace", "GRUCache"]


def gru_forward(
    x,
    w_ih,
    w_hh,
    b_ih,
    b_hh,
    h0=None,
    lengths=None,
    reset_after=True,
    reverse=False,
    recurrent_mask=None,
    keep_cache=True,
    check_finite=True,
):
    """Run one GRU layer over a batch of sequences.

    All arrays must share one floating dtype (float32 or float64); all but ``lengths`` are
    used as given when C-contiguous and copied otherwise.

    Parameters
    ----------
    x : ndarray of shape (B, T, I), float32 or float64
        Input sequences, batch first. Must be finite (pad short sequences with zeros).
    w_ih : ndarray of shape (3H, I)
        Input weights, gates stacked in the order [r, z, n] (as ``torch.nn.GRU``).
    w_hh : ndarray of shape (3H, H)
        Recurrent weights, same gate order.
    b_ih, b_hh : ndarray of shape (3H,)
        Input and recurrent biases.
    h0 : ndarray of shape (B, H), optional
        Initial state; zeros if None.
    lengths : array-like of int, shape (B,), optional
        Length of each sequence, in 1..T; all T if None. Past its length a sequence's state
        is carried unchanged and its outputs are zero.
    reset_after : bool, default=True
        True: the reset gate multiplies ``W_hn h + b_hn`` (PyTorch, cuDNN, Keras 2+).
        False: it multiplies ``h`` before ``W_hn`` (Cho et al. 2014).
    reverse : bool, default=False
        Read each sequence backwards within its own length (the backward half of a
        bidirectional layer). Outputs are stored at the time index they belong to.
    recurrent_mask : ndarray of shape (B, H), optional
        Recurrent dropout (Gal & Ghahramani 2016, as Keras' ``recurrent_dropout``): one
        (scaled) mask per sequence that multiplies h_{t-1} wherever it enters a product with
        ``w_hh``, at every step; the blend ``z * h_{t-1}`` uses the unmasked state.
    keep_cache : bool, default=True
        False for inference: no cache is returned (None), and the gate activations, which
        only the backward pass reads, go to scratch memory that the next call reuses
        instead of fresh buffers (whose page faults cost more than the arithmetic of a
        large batch). Scratch is kept up to 64 MiB a thread; larger gate arrays (4 times
        the output's size with ``reset_after``, 3 without) are allocated for the call and
        freed after it, so a very large call peaks at about 5 times its output: split it
        into batches (the estimators' predict does).
    check_finite : bool, default=True
        Check that the arrays hold only finite numbers, as ``scipy.linalg`` does. False
        saves a pass over every array and, on the GPU, a device synchronisation per call;
        NaN or infinity in the input then give NaN or meaningless output instead of an
        error. The estimators pass False: they check their input once, and the loss and
        gradients after every minibatch.

    Returns
    -------
    out : ndarray of shape (B, T, H)
        Hidden state after each time step (zero past each sequence's length).
    h_n : ndarray of shape (B, H)
        Final state of each sequence (for ``reverse``, the state after reading time 0).
    cache : GRUCache or None
        What ``gru_backward`` needs; None when ``keep_cache`` is False. It refers to, rather
        than copies, ``x``, the weights, ``recurrent_mask`` and ``out`` (a copy of ``h0``):
        change none of them in place before ``gru_backward``, or its gradients are wrong.
        On the CPU ``out`` is therefore returned read-only when a cache is kept (copy it
        to change it); CuPy arrays have no such flag.

    Raises
    ------
    TypeError
        Unsupported or mixed dtypes.
    ValueError
        Wrong shapes, lengths outside 1..T, non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru.functional import gru_forward
    >>> rng = np.random.default_rng(0)
    >>> B, T, I, H = 2, 5, 3, 4
    >>> x = rng.standard_normal((B, T, I))
    >>> w_ih, w_hh = rng.standard_normal((3 * H, I)), rng.standard_normal((3 * H, H))
    >>> b_ih, b_hh = np.zeros(3 * H), np.zeros(3 * H)
    >>> out, h_n, cache = gru_forward(x, w_ih, w_hh, b_ih, b_hh, lengths=[5, 3])
    >>> out.shape, h_n.shape
    ((2, 5, 4), (2, 4))
    >>> bool(np.all(out[1, 3:] == 0)), bool(np.allclose(h_n[1], out[1, 2]))
    (True, True)
    """
    keep_cache = as_flag("keep_cache", keep_cache)
    check_finite = as_flag("check_finite", check_finite)
    if is_cupy_array(x):
        from pygru._cuda._backend import gru_forward_gpu

        return gru_forward_gpu(
            x,
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            h0=h0,
            lengths=lengths,
            reset_after=reset_after,
            reverse=reverse,
            recurrent_mask=recurrent_mask,
            keep_cache=keep_cache,
            check_finite=check_finite,
        )
    args = check_layer_arguments(
        functools.partial(_as_float_array, check_finite=check_finite),
        x,
        w_ih,
        w_hh,
        b_ih,
        b_hh,
        h0,
        lengths,
        reset_after,
        reverse,
        recurrent_mask,
    )
    batch, steps, _, hidden = args.sizes
    dtype = args.x.dtype
    # The cache's own h0, which a caller carrying its state in h0 cannot overwrite.
    h0 = np.zeros((batch, hidden), dtype) if args.h0 is None else args.h0.copy()
    recurrent_mask = (
        np.empty((0, 0), dtype) if args.recurrent_mask is None else args.recurrent_mask
    )
    hidden_state = h0.copy()
    out = np.empty((batch, steps, hidden), dtype)
    gates, hn_proj = _gate_buffers(batch, steps, hidden, args.reset_after, dtype, keep_cache)
    _cpu.kernels.forward(
        args.x,
        args.w_ih,
        args.w_hh,
        args.b_ih,
        args.b_hh,
        hidden_state,
        args.lengths,
        args.reset_after,
        args.reverse,
        recurrent_mask,
        out,
        gates,
        hn_proj,
        _kernel_threads(batch),
        _workspace,
    )
    if not keep_cache:
        return out, hidden_state, None
    cache = GRUCache(
        args.x,
        args.w_ih,
        args.w_hh,
        args.b_ih,
        args.b_hh,
        h0,
        args.lengths,
        args.reset_after,
        args.reverse,
        recurrent_mask,
        out,
        gates,
        hn_proj,
    )
    return read_only(out), hidden_state, cache


def gru_backward(d_out, d_h_n, cache, check_finite=True):
    """Gradients of a ``gru_forward`` call.

    Both gradients, when given, must have the forward pass's dtype. On the CPU the pass
    keeps, in scratch memory the next call reuses, the gradients of every step's gates on
    both sides and the states the recurrent weights multiplied: up to about twice the forward
    pass's cache more (1.9 times for one 1e6-step sequence of 1 unit).

    Parameters
    ----------
    d_out : ndarray of shape (B, T, H) or None
        Gradient of the loss with respect to ``out``; None for no gradient. Entries past a
        sequence's length are ignored (NaN there too).
    d_h_n : ndarray of shape (B, H) or None
        Gradient of the loss with respect to ``h_n``; None for no gradient.
    cache : GRUCache
        The third value returned by ``gru_forward``.
    check_finite : bool, default=True
        Check that the gradients hold only finite numbers; see ``gru_forward``.

    Returns
    -------
    dx : ndarray of shape (B, T, I)
    dh0 : ndarray of shape (B, H)
    dw_ih : ndarray of shape (3H, I)
    dw_hh : ndarray of shape (3H, H)
    db_ih : ndarray of shape (3H,)
    db_hh : ndarray of shape (3H,)

    Examples
    --------
    >>> import numpy as np
    >>> from pygru.functional import gru_forward, gru_backward
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((2, 5, 3))
    >>> w_ih, w_hh = rng.standard_normal((12, 3)), rng.standard_normal((12, 4))
    >>> b_ih, b_hh = np.zeros(12), np.zeros(12)
    >>> out, h_n, cache = gru_forward(x, w_ih, w_hh, b_ih, b_hh)
    >>> # gradients of loss = out.sum()
    >>> dx, dh0, dw_ih, dw_hh, db_ih, db_hh = gru_backward(np.ones_like(out), None, cache)
    >>> dx.shape, dw_hh.shape
    ((2, 5, 3), (12, 4))
    """
    if not isinstance(cache, GRUCache):
        raise TypeError(
            f"cache must be the GRUCache returned by gru_forward, got {type(cache).__name__}"
        )
    check_finite = as_flag("check_finite", check_finite)
    if is_cupy_array(cache.x):
        from pygru._cuda._backend import gru_backward_gpu

        return gru_backward_gpu(d_out, d_h_n, cache, check_finite)

    dtype = cache.dtype
    batch, steps, _ = cache.x.shape
    hidden = cache.w_hh.shape[1]
    has_d_out = d_out is not None
    if has_d_out:
        d_out = _as_float_array(
            "d_out", d_out, shape=(batch, steps, hidden), dtype=dtype, check_finite=False
        )
        if check_finite and not np.isfinite(within_lengths(d_out, cache.lengths)).all():
            raise ValueError("d_out contains NaN or infinity")
    else:
        d_out = np.empty((0, 0, 0), dtype)
    if d_h_n is None:
        d_hidden = np.zeros((batch, hidden), dtype)
    else:
        d_hidden = _as_float_array(
            "d_h_n", d_h_n, shape=(batch, hidden), dtype=dtype, check_finite=check_finite
        ).copy()

    dx = np.empty(cache.x.shape, dtype)
    dw_ih, dw_hh = np.empty_like(cache.w_ih), np.empty_like(cache.w_hh)
    db_ih_rows = np.zeros((batch, 3 * hidden), dtype)
    db_hh_rows = np.zeros((batch, 3 * hidden), dtype)
    _cpu.kernels.backward(
        d_out,
        has_d_out,
        d_hidden,
        cache.x,
        cache.w_ih,
        cache.w_hh,
        cache.b_ih,
        cache.b_hh,
        cache.h0,
        cache.lengths,
        cache.reset_after,
        cache.reverse,
        cache.recurrent_mask,
        cache.out,
        cache.gates,
        cache.hn_proj,
        dx,
        dw_ih,
        dw_hh,
        db_ih_rows,
        db_hh_rows,
        _kernel_threads(batch),
        _workspace,
    )
    return dx, d_hidden, dw_ih, dw_hh, db_ih_rows.sum(axis=0), db_hh_rows.sum(axis=0)


def matmul(a, b):
    """``a @ b`` for 2-D float arrays of one dtype, each row of the result computed the same
    way whatever the other rows of ``a`` are and however many threads run.

    NumPy's ``@`` goes through BLAS, whose rounding of a row can depend on how many rows the
    call has: a model's prediction for one sequence would then depend on its batch. CuPy
    arrays use CuPy's ``@``. Transposed views are read as they are, without a copy.

    Parameters
    ----------
    a : ndarray of shape (M, K), float32 or float64
        Left operand; any strides (e.g. a transposed view).
    b : ndarray of shape (K, N)
        Right operand, of ``a``'s dtype.

    Returns
    -------
    ndarray of shape (M, N)
        The product, C-contiguous, of ``a``'s dtype.

    Raises
    ------
    TypeError
        Not float32/float64, or different dtypes.
    ValueError
        Not 2-D, or ``a``'s columns do not match ``b``'s rows.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru.functional import matmul
    >>> a, b = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    >>> matmul(a, b)
    array([[ 3.,  3.],
           [12., 12.]])
    """
    if is_cupy_array(a):
        return a @ b
    check_dtype_and_shape("a", a, ndim=2)
    check_dtype_and_shape("b", b, ndim=2)
    if a.dtype != b.dtype:
        raise TypeError(f"matmul: a has dtype {a.dtype} and b {b.dtype}; they must match")
    if a.shape[1] != b.shape[0]:
        raise ValueError(
            f"matmul: a has shape {a.shape} and b {b.shape}; a's columns must match b's rows"
        )
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    _cpu.kernels.matmul(_strided_view(a), _strided_view(b), out)
    return out


def _kernel_max_over_valid_steps(values, lengths):
    """(the largest value, the first step holding it), each (n, F), of ``values`` (n, T, F)
    over each sequence's valid steps: the max pooling of pygru's network on the CPU."""
    values = np.ascontiguousarray(values)
    best = np.empty((values.shape[0], values.shape[2]), values.dtype)
    steps = np.empty(best.shape, np.int64)
    lengths = np.ascontiguousarray(lengths, np.int64)
    _cpu.kernels.max_over_valid_steps(values, lengths, best, steps, _kernel_threads(len(best)))
    return best, steps


def _strided_view(array):
    """``array`` itself when it is aligned and its strides are whole elements (any view of
    an array), else a contiguous copy: the kernels read elements as C floats."""
    if array.flags.aligned and all(stride % array.itemsize == 0 for stride in array.strides):
        return array
    return np.require(array, requirements=["C", "A", "E"])


def _as_float_array(name, value, ndim=None, shape=None, dtype=None, check_finite=True):
    """``value`` as a C-contiguous float32/float64 array (finite, if ``check_finite``), or
    a clear error."""
    try:
        # A plain ndarray: a masked array's mask would hide from the check below values that
        # the kernels read.
        array = np.asarray(value)
    except (ValueError, TypeError, RuntimeError) as error:  # torch raises RuntimeError
        raise TypeError(
            f"{name} must be an array of floats, got {type(value).__name__}: {error}"
        ) from None
    check_dtype_and_shape(name, array, ndim, shape, dtype)
    if check_finite and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return _c_floats(array)


def _c_floats(array):
    """``array`` itself where the kernels can read it as C floats (a C-contiguous, aligned
    ndarray of native byte order), else such a copy. Checked by hand first: np.require
    costs microseconds per call even where it copies nothing, which streaming single
    steps through gru_forward pay six times a call."""
    flags = array.flags
    if type(array) is np.ndarray and flags.c_contiguous and flags.aligned:
        if array.dtype.isnative:
            return array
    return np.require(array, requirements=["C", "A", "E"])


def _kernel_threads(batch):
    # One thread in a forked process: OpenMP's threads do not survive fork() (see _fork)
    return 1 if _fork.forked else max(1, min(batch, _cpu.kernels.max_threads()))


_ALIGNMENT = 64


def _aligned_empty(size, dtype):
    """np.empty(size), starting on a 64-byte boundary (NumPy only promises 16), for the
    reused workspaces: the packed panels' vector loads then never straddle cache lines."""
    dtype = np.dtype(dtype)
    raw = np.empty(size * dtype.itemsize + _ALIGNMENT, np.uint8)
    offset = -raw.ctypes.data % _ALIGNMENT
    return raw[offset : offset + size * dtype.itemsize].view(dtype)


# A thread keeps its workspace buffers for its next call while together they take at most
# this many bytes; the others are new arrays each call, so that training on long sequences,
# or a pool of many threads, does not hold their memory for the life of the process (their
# page faults are small beside their arithmetic).
_RETAINED_WORKSPACE_BYTES = 64 << 20


class _Workspace(threading.local):
    """Scratch arrays reused across calls of one thread: fresh large buffers per backward
    pass cost more in page faults than the arithmetic at small sizes."""

    def __init__(self):
        self.buffers = {}
        # A running count of the bytes in self.buffers: summing them on each call cost 5% of
        # a small fit.
        self.retained_bytes = 0

    def array(self, name, shape, dtype):
        size, key = math.prod(shape), (name, np.dtype(dtype))
        buffers = self.buffers  # (each attribute of a thread-local costs a lookup)
        buffer = buffers.get(key)
        if buffer is None or buffer.size < size:
            if buffer is not None:  # too small: replaced
                del buffers[key]
                self.retained_bytes -= buffer.nbytes
            buffer = _aligned_empty(size, key[1])
            if buffer.nbytes + self.retained_bytes <= _RETAINED_WORKSPACE_BYTES:
                buffers[key] = buffer
                self.retained_bytes += buffer.nbytes
        return buffer[:size].reshape(shape)

    def release(self):
        """Drop every buffer and return the bytes they held."""
        released, self.retained_bytes = self.retained_bytes, 0
        self.buffers.clear()
        return released


_workspace = _Workspace()


def release_workspace():
    """Free the scratch memory that the calling thread keeps between GRU calls.

    Each thread that runs the CPU kernels keeps up to 64 MiB of scratch arrays for its next
    call, which saves the page faults of fresh arrays on small and medium batches; a thread's
    is freed when the thread ends. A server whose pool threads stay alive between requests
    can call this in a thread (after its last request, say) to give that memory back; the
    next call there allocates again. Results do not depend on it.

    Returns
    -------
    int
        The number of bytes released.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru.functional import gru_forward, release_workspace
    >>> x = np.zeros((2, 3, 4), np.float32)
    >>> w_ih, w_hh = np.zeros((6, 4), np.float32), np.zeros((6, 2), np.float32)
    >>> b = np.zeros(6, np.float32)
    >>> _ = gru_forward(x, w_ih, w_hh, b, b, keep_cache=False)
    >>> release_workspace() > 0
    True
    >>> release_workspace()
    0
    """
    return _workspace.release()


# Gate activations up to this size go to reused scratch when no cache is kept; larger ones
# are new arrays, so that one long prediction does not hold its memory afterwards (their
# page faults are small beside their arithmetic).
_INFERENCE_SCRATCH_BYTES = 64 << 20


def _gate_buffers(batch, steps, hidden, reset_after, dtype, keep_cache):
    """(gates, hn_proj) for the forward kernel to fill: new arrays for the cache, or,
    when no cache is kept, this thread's scratch arrays, reused by the next such call."""
    shapes = {
        "gates": (batch, steps, 3 * hidden),
        "hn_proj": (batch, steps, hidden) if reset_after else (0, 0, 0),
    }
    n_bytes = sum(math.prod(shape) for shape in shapes.values()) * np.dtype(dtype).itemsize
    if keep_cache or n_bytes > _INFERENCE_SCRATCH_BYTES:
        return tuple(np.empty(shape, dtype) for shape in shapes.values())
    return tuple(
        _workspace.array(f"inference.{name}", shape, dtype) for name, shape in shapes.items()
    )
