"""Checked reading of the plain values that describe a fitted estimator.

An estimator lists its fitted state as JSON values and NumPy arrays
(``BaseGRU._get_fitted_state``) and restores it from them (``BaseGRU._set_fitted_state``);
:func:`pygru.save` and :func:`pygru.load` only store them. What an estimator restores may
come from a file written by anyone, so it takes every value through a reader here, which
checks the value's type and range and raises a ``ValueError`` that names the entry.
"""

import math

import numpy as np

from pygru._network import MAX_LINEAR_STEPS, POOLINGS, GRUNetwork, parameter_shapes
from pygru._numbers import is_integer, is_real

# Hyper-parameters added since the first release, with the value that reproduces what a model
# saved or pickled without them was (today's defaults differ: a version 1 regressor's targets
# were not standardised, a version 1 classifier read the last state, a regressor before
# format version 3 had no linear skip, a classifier saved before ema_momentum was added kept
# its last step's weights, and one saved before window_warp was trained on its sequences as
# they were). Parameters not listed here were added with a default that means what their
# absence meant (conv_layers=None: no branch).
VALUES_BEFORE_ADDED = {
    "standardize_target": False,
    "pooling": "last",
    "linear_skip": False,
    "ema_momentum": None,
    "window_warp": None,
}

# Marks ``default`` as not given (None cannot: an entry may hold None).
_REQUIRED = object()


def as_string_array(strings, what):
    """An object array of Python strings as the NumPy string array a file holds them in, or
    a TypeError naming ``what`` where one of them ends in NUL: a string array drops trailing
    NUL characters, and 'a\\x00' would load as 'a' (a class label; a feature name, whose
    step then refused the frame it was fitted on, audit39a)."""
    converted = strings.astype(str)
    if any(str(text) != item for text, item in zip(converted.flat, strings.flat)):
        raise TypeError(
            f"cannot save {what}: it holds strings that end in NUL characters, which a NumPy "
            "string array drops ('a\\x00' would load as 'a'): strip them before fitting, or "
            "use pickle"
        )
    return converted


def required(entries, name):
    """``entries[name]``, or a ValueError saying that it is missing."""
    if name not in entries:
        raise ValueError(f"fitted attribute {name} is missing")
    return entries[name]


def read_count(state, name, *, minimum=0, default=_REQUIRED):
    """A whole number of at least ``minimum``; ``default`` when the entry is absent, if given."""
    if default is not _REQUIRED and name not in state:
        return default
    value = required(state, name)
    if not is_integer(value):
        raise _wrong_type(name, value)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def read_choice(state, name, choices):
    """One of ``choices``."""
    value = required(state, name)
    if not any(value == choice and type(value) is type(choice) for choice in choices):
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}"[:300]
        )
    return value


def read_flag(state, name, *, default=_REQUIRED):
    """True or False; ``default`` when the entry is absent, if given."""
    if default is not _REQUIRED and name not in state:
        return default
    return read_choice(state, name, (False, True))


def read_float(state, name, *, allow_none=False):
    """A real number (infinite or NaN allowed), or None if ``allow_none``."""
    value = required(state, name)
    if value is None and allow_none:
        return None
    if not is_real(value):
        raise _wrong_type(name, value)
    return float(value)


def read_float_list(state, name, *, allow_none=False):
    """A list of real numbers, or None if ``allow_none``."""
    values = required(state, name)
    if values is None and allow_none:
        return None
    if not isinstance(values, list) or not all(is_real(value) for value in values):
        raise _wrong_type(name, values)
    return [float(value) for value in values]


def read_array(arrays, name, *, kinds, shape=None):
    """A NumPy array whose dtype kind is one of ``kinds`` (e.g. ``"f"`` for floating point)
    and, if given, of ``shape``."""
    array = required(arrays, name)
    if array.dtype.kind not in kinds:
        raise ValueError(f"dtype {array.dtype} is not allowed for {name}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")
    return array


def read_generator(state, name):
    """A PCG64 Generator in the state ``state[name]`` (``bit_generator.state``); a freshly
    seeded one if the entry is absent or None (the random stream then differs from the saved
    model's)."""
    value = state.get(name)
    if value is None:
        return np.random.default_rng()
    where = f"fitted.{name}"
    _expect_dict(value, where)
    if value.get("bit_generator") != "PCG64":
        raise ValueError(f"{where} must be a PCG64 state")
    inner = value.get("state")
    _expect_dict(inner, f"{where}.state")
    if (
        set(value) != {"bit_generator", "state", "has_uint32", "uinteger"}
        or set(inner) != {"state", "inc"}
        or not all(is_integer(number) and 0 <= number < 1 << 128 for number in inner.values())
        or value["has_uint32"] not in (0, 1)
        or not (is_integer(value["uinteger"]) and 0 <= value["uinteger"] < 1 << 32)
    ):
        raise ValueError(f"{where} is malformed")
    bit_generator = np.random.PCG64()
    bit_generator.state = value
    return np.random.Generator(bit_generator)


def describe_network(network):
    """The arguments that rebuild ``network``, and its parameter layout, as JSON values."""
    return {
        "n_inputs": int(network.n_inputs),
        "hidden_layer_sizes": [int(size) for size in network.hidden_layer_sizes],
        "n_outputs": int(network.n_outputs),
        "bidirectional": bool(network.bidirectional),
        "reset_after": bool(network.reset_after),
        "embedding_dim": None if network.embedding_dim is None else int(network.embedding_dim),
        "output": network.output,
        "pooling": network.pooling,
        "linear_steps": int(network.linear_steps),
        "conv_layers": [[filters, size] for filters, size in network.conv_layers],
        "dtype": network.dtype.name,
        "parameter_shapes": [[key, list(shape)] for key, shape in network.shapes.items()],
    }


def read_network(state, name, params):
    """The GRUNetwork that ``state[name]`` describes (as :func:`describe_network` wrote it),
    holding the flat parameter vector ``params``.

    The layout is checked against ``params`` before the network allocates anything: the
    sizes come from the file, the size of ``params`` from data that is really there.
    """
    description = required(state, name)
    where = f"fitted.{name}"
    _expect_dict(description, where)
    _check_network_description(description, where)
    pooling = description.get("pooling", "last")  # files from before pooling: "last"
    linear_steps = description.get("linear_steps", 0)  # ... or the linear skip: none
    conv_layers = description.get("conv_layers", [])  # ... or the convolutional branch
    shapes = parameter_shapes(
        description["n_inputs"],
        description["hidden_layer_sizes"],
        description["n_outputs"],
        bidirectional=description["bidirectional"],
        embedding_dim=description["embedding_dim"],
        pooling=pooling,
        linear_steps=linear_steps,
        conv_layers=conv_layers,
    )
    if description["parameter_shapes"] != [[key, list(shape)] for key, shape in shapes.items()]:
        raise ValueError(
            "the parameter layout in the file differs from this pygru's network layout"
        )
    n_params = sum(math.prod(shape) for shape in shapes.values())
    if params.shape != (n_params,) or params.dtype != np.dtype(description["dtype"]):
        raise ValueError(
            f"params is {params.dtype} {params.shape}, the network needs "
            f"{description['dtype']} ({n_params},)"
        )
    if not np.all(np.isfinite(params)):
        raise ValueError("params contains NaN or infinity")
    network = GRUNetwork(
        description["n_inputs"],
        tuple(description["hidden_layer_sizes"]),
        description["n_outputs"],
        bidirectional=description["bidirectional"],
        reset_after=description["reset_after"],
        embedding_dim=description["embedding_dim"],
        output=description["output"],
        pooling=pooling,
        linear_steps=linear_steps,
        conv_layers=conv_layers,
        dtype=description["dtype"],
    )
    network.params[...] = params
    return network


def _check_network_description(description, where):
    keys = {
        "n_inputs",
        "hidden_layer_sizes",
        "n_outputs",
        "bidirectional",
        "reset_after",
        "embedding_dim",
        "output",
        "dtype",
        "parameter_shapes",
    }
    optional = {"pooling", "linear_steps", "conv_layers"}
    if not keys <= set(description) <= keys | optional:
        raise ValueError(
            f"{where} must have the keys {sorted(keys)} (and optionally {sorted(optional)})"
        )
    sizes = description["hidden_layer_sizes"]
    embedding_dim = description["embedding_dim"]
    well_formed = (
        isinstance(sizes, list)
        and len(sizes) > 0
        and all(
            is_integer(size) and size >= 1
            for size in [description["n_inputs"], description["n_outputs"], *sizes]
        )
        and (embedding_dim is None or is_integer(embedding_dim) and embedding_dim >= 1)
        and isinstance(description["bidirectional"], bool)
        and isinstance(description["reset_after"], bool)
        and description["output"] in ("last", "sequence")
        and description.get("pooling", "last") in POOLINGS
        and (description["output"] == "last" or description.get("pooling", "last") == "last")
        and is_integer(linear_steps := description.get("linear_steps", 0))
        and 0 <= linear_steps <= MAX_LINEAR_STEPS
        and (linear_steps == 0 or description["output"] == "last" and embedding_dim is None)
        and isinstance(conv_layers := description.get("conv_layers", []), list)
        and all(
            isinstance(pair, list)
            and len(pair) == 2
            and all(is_integer(v) and v >= 1 for v in pair)
            for pair in conv_layers
        )
        and (not conv_layers or description["output"] == "last" and embedding_dim is None)
        and description["dtype"] in ("float32", "float64")
    )
    if not well_formed:
        raise ValueError(f"{where} is malformed: {description!r}"[:500])


def _expect_dict(value, where):
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a dict, got {type(value).__name__}")


def _wrong_type(name, value):
    return ValueError(f"fitted attribute {name} has a value of the wrong type: {value!r}"[:300])
