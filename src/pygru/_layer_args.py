"""What a GRU layer call accepts, for both backends: the argument checks and the cache type.

``pygru.functional`` dispatches NumPy input to the CPU kernels and CuPy input to
``pygru._cuda._backend``; both check a call's arguments here, in one order, so that the same
mistake gets the same message on either device. Only the conversion of one array differs (a
host copy for NumPy, a device-side check for CuPy), and it is passed in as ``as_array``.
This module imports neither backend.
"""

import numbers
from dataclasses import dataclass

import numpy as np

from pygru._arrays import array_module, is_cupy_array, valid_steps
from pygru._numbers import as_flag, refuse_bools_in_a_list_of_counts

__all__ = [
    "GRUCache",
    "LayerArguments",
    "check_layer_arguments",
    "check_dtype_and_shape",
    "within_lengths",
]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True, eq=False)
class GRUCache:
    """What ``gru_backward`` needs from a ``gru_forward`` call, on the device of its input.

    ``gru_forward`` makes it; pass it to ``gru_backward`` as it is. ``activations`` gives the
    gate values for inspection.

    Parameters
    ----------
    x, w_ih, w_hh, b_ih, b_hh : ndarray
        The forward call's input and weights, as checked and made C-contiguous.
    h0 : ndarray of shape (B, H)
        A copy of the initial state (zeros when none was given): the caller may carry its
        state in the array it passed.
    lengths : ndarray of int64, shape (B,)
        Each sequence's length.
    reset_after, reverse : bool
        The forward call's flags.
    recurrent_mask : ndarray of shape (B, H) or (0, 0)
        The recurrent dropout mask; an empty (0, 0) array when there is none.
    out : ndarray of shape (B, T, H)
        The forward call's outputs.
    gates : ndarray of shape (B, T, 3H)
        The activations r, z, n at every step (zero past each sequence's length).
    hn_proj : ndarray of shape (B, T, H) or (0, 0, 0)
        ``W_hn h_{t-1} + b_hn`` at every step for ``reset_after=True`` (the candidate's
        recurrent term, which the reset gate multiplies); empty otherwise.
    """

    x: np.ndarray
    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray
    h0: np.ndarray
    lengths: np.ndarray
    reset_after: bool
    reverse: bool
    recurrent_mask: np.ndarray
    out: np.ndarray
    gates: np.ndarray
    hn_proj: np.ndarray

    @property
    def dtype(self):
        return self.x.dtype

    def activations(self):
        """The reset and update gates, the candidate and the state, each (B, T, H), zero past
        each sequence's length, on the cache's device: a dict with keys r, z, n, h. They are
        views of what ``gru_backward`` reads, so NumPy's are read-only, as the forward
        pass's ``out`` is (CuPy has no such flag: do not write to those)."""
        hidden = self.w_hh.shape[1]
        views = {
            "r": self.gates[:, :, :hidden],
            "z": self.gates[:, :, hidden : 2 * hidden],
            "n": self.gates[:, :, 2 * hidden :],
            "h": self.out,
        }
        return {name: read_only(view) for name, view in views.items()}


def read_only(array):
    """A read-only view of a NumPy ``array``; any other array as it is."""
    if not isinstance(array, np.ndarray):
        return array
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class LayerArguments:
    """The arguments of one layer call after ``check_layer_arguments``: arrays converted by
    the backend, ``h0`` and ``recurrent_mask`` None where not given, ``lengths`` a NumPy int64
    array of shape (B,)."""

    x: object
    w_ih: object
    w_hh: object
    b_ih: object
    b_hh: object
    h0: object
    lengths: np.ndarray
    reset_after: bool
    reverse: bool
    recurrent_mask: object

    @property
    def sizes(self):
        """(B, T, I, H)."""
        return (*self.x.shape, self.w_hh.shape[1])


def check_layer_arguments(
    as_array, x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reset_after, reverse, recurrent_mask
):
    """Check and convert a ``gru_forward`` call's arguments, or raise a TypeError/ValueError
    that names the argument.

    ``as_array(name, value, ndim=None, shape=None, dtype=None)`` converts one array for the
    backend and checks it with ``check_dtype_and_shape``.
    """
    x = as_array("x", x, ndim=3)
    dtype = x.dtype
    batch, steps, inputs = x.shape
    w_hh = as_array("w_hh", w_hh, ndim=2, dtype=dtype)
    hidden = w_hh.shape[1]
    _require_sizes_the_kernels_take(batch=batch, T=steps, I=inputs, H=hidden)
    if w_hh.shape != (3 * hidden, hidden):
        raise ValueError(f"w_hh has shape {w_hh.shape}, expected (3H, H) = {(3 * hidden, hidden)}")
    return LayerArguments(
        x=x,
        w_hh=w_hh,
        w_ih=as_array("w_ih", w_ih, shape=(3 * hidden, inputs), dtype=dtype),
        b_ih=as_array("b_ih", b_ih, shape=(3 * hidden,), dtype=dtype),
        b_hh=as_array("b_hh", b_hh, shape=(3 * hidden,), dtype=dtype),
        h0=None if h0 is None else as_array("h0", h0, shape=(batch, hidden), dtype=dtype),
        lengths=_as_lengths(lengths, batch, steps),
        reset_after=as_flag("reset_after", reset_after),
        reverse=as_flag("reverse", reverse),
        recurrent_mask=None
        if recurrent_mask is None
        else as_array("recurrent_mask", recurrent_mask, shape=(batch, hidden), dtype=dtype),
    )


def check_dtype_and_shape(name, array, ndim=None, shape=None, dtype=None):
    """Refuse an array (NumPy or CuPy) that is not float32/float64 of ``dtype`` (if given)
    with ``ndim`` dimensions or exactly ``shape``; the errors name the argument."""
    # CuPy's arrays have NumPy's dtypes; torch's tensors, say, have their own.
    if not isinstance(getattr(array, "dtype", None), np.dtype) or not hasattr(array, "ndim"):
        raise TypeError(
            f"{name} must be a NumPy or CuPy array of float32 or float64, got "
            f"{type(array).__name__}"
        )
    if array.dtype not in _FLOAT_DTYPES:
        native = " in native byte order" if array.dtype.byteorder not in "=|" else ""
        raise TypeError(f"{name} must have dtype float32 or float64{native}, got {array.dtype}")
    expected_ndim = len(shape) if shape is not None else ndim
    if array.ndim != expected_ndim:
        raise ValueError(
            f"{name} must be {expected_ndim}-dimensional"
            f"{' with shape ' + str(shape) if shape else ''}, "
            f"got shape {array.shape}"
        )
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")
    # After the shapes: a scalar d_out was blamed on its dtype instead of its missing axes.
    if dtype is not None and array.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {array.dtype} but x has dtype {dtype}: all arrays of a GRU "
            "call must share one dtype (NumPy reads a list or a Python float as float64)"
        )


# The kernels count a step's features (I) and gate rows (3H) in C ints.
_MAX_KERNEL_WIDTH = 2**31 - 1


def _require_sizes_the_kernels_take(**sizes):
    for name, size in sizes.items():
        if size < 1:
            raise ValueError(
                f"{name} must be at least 1, got {size} (x is (B, T, I), w_hh is (3H, H))"
            )
    if max(sizes["I"], 3 * sizes["H"]) > _MAX_KERNEL_WIDTH:
        raise ValueError(
            f"I = {sizes['I']} features per step and 3H = {3 * sizes['H']} gate rows must "
            f"each be at most 2**31 - 1 (x is (B, T, I), w_hh is (3H, H))"
        )


def _as_lengths(lengths, batch, steps):
    """``lengths`` as a C-contiguous int64 NumPy array of shape (batch,) in 1..steps; all
    ``steps`` if None. Always a copy (a forward pass's cache keeps it for the backward
    pass, which must not see a buffer the caller refills); a CuPy array is copied to the
    host (one small transfer)."""
    if lengths is None:
        return np.full(batch, steps, dtype=np.int64)
    if is_cupy_array(lengths):
        lengths = lengths.get()
    if np.ma.is_masked(lengths):  # np.array would read the values behind the mask
        raise ValueError(
            "lengths has masked entries (a masked array's, or a pandas array's NA); give "
            "every sequence's length (1..T)"
        )
    # (np.array([5, True]) is [5, 1]; a bool array is refused below: audit40c)
    refuse_bools_in_a_list_of_counts("lengths", lengths)
    array = np.array(lengths)  # checked and kept as it is now
    # Whole floats stay floats until the range check below, so that a huge one is refused
    # by it rather than wrapped around by the cast to int64.
    if array.dtype.kind == "f":
        fractional = array[~(np.isfinite(array) & (array == np.round(array)))]
        if fractional.size:
            raise ValueError(f"lengths must be whole numbers, got {fractional[0]}")
    elif array.dtype == object and _all_python_integers(array):
        pass  # e.g. from a pandas object column, or beyond int64: the range check decides
    elif array.dtype.kind not in "iu":
        raise TypeError(f"lengths must be integers, got dtype {array.dtype}")
    if array.shape != (batch,):
        raise ValueError(
            f"lengths must have shape ({batch},) (one per sequence), got {array.shape}"
        )
    outside = (array < 1) | (array > steps)
    if outside.any():
        index = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"lengths must be in 1..{steps} (T), got lengths[{index}] = {array[index]}"
        )
    return np.ascontiguousarray(array, dtype=np.int64)


def _all_python_integers(array):
    return all(
        isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
        for value in array.ravel()
    )


def within_lengths(d_out, lengths):
    """``d_out`` (B, T, H) with zeros past each sequence's length (a copy, on the device of
    ``d_out``): what a finiteness check of a gradient looks at, since the backward kernels
    never read those entries (NaN there is the padding of a NaN-padded target, say)."""
    xp = array_module(d_out)
    valid = valid_steps(xp, xp.asarray(lengths), d_out.shape[1])
    return xp.where(valid[:, :, None], d_out, 0)
