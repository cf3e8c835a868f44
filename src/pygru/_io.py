"""Saving fitted estimators without pickle, and moving GRU weights to and from PyTorch and Keras.

File format (``save``/``load``)
-------------------------------
One ``.npz`` file (a zip archive, readable by ``numpy.load(..., allow_pickle=False)``) holding

- ``metadata.json``: a JSON document with the format name and version, the pygru version that
  wrote it, the estimator class (one of a fixed list), its hyper-parameters
  (``get_params()``), its fitted attributes (``n_features_in_``, ``loss_curve_``, ...), the
  network layout, and for every array its dtype, shape and SHA-256 checksum;
- ``params.npy``: the network's flat parameter vector (``network_.params``);
- ``classes_.npy``: the class labels of a classifier.

Loading never executes code from the file: arrays are read with pickling disabled, the
estimator class is looked up in a fixed table, and every value is checked (types, shapes,
checksums, consistency) before an estimator is built; anything else is a ``ValueError``.
The optimizer state (Adam moments, ...) is not saved: a loaded estimator predicts exactly as
the saved one, and ``partial_fit``/``warm_start`` continue from its weights with a fresh
optimizer state. The checksums detect corruption, not tampering: they are stored in the same
file. Pickle (the scikit-learn convention) keeps working and keeps everything, optimizer
included, but must only be loaded from trusted sources.

Weight conversion
-----------------
pygru's GRU layers use PyTorch's layout exactly (gate order [r, z, n], ``w_ih`` (3H, I),
``w_hh`` (3H, H), two biases), so ``to_torch_state_dict``/``from_torch_state_dict`` only
rename (``gru{k}.forward.w_ih`` <-> ``weight_ih_l{k}``, ``gru{k}.backward.*`` <->
``*_l{k}_reverse``). Keras orders the gates [z, r, h] and stores transposed kernels:
``kernel`` (I, 3H), ``recurrent_kernel`` (H, 3H) and, with ``reset_after=True``, a bias of
shape (2, 3H) = [input bias; recurrent bias]. A Keras ``reset_after=False`` layer has a single
bias (3H,), which equals pygru's ``b_ih + b_hh`` (in that variant the two biases are only ever
added); importing it sets ``b_ih`` to the Keras bias and ``b_hh`` to zero, which gives the same
outputs. Both libraries' update gate means the same as pygru's:
``h_t = z * h_{t-1} + (1 - z) * n_t``. Only the GRU layers are converted; the embedding and
the dense head are in ``network_.views["embedding"]``, ``["head.weight"]``, ``["head.bias"]``.
An estimator's input standardisation (``standardize=True``) is folded into the first layer's
input weights and bias on export (and taken out again on import), exactly, so the exported
GRU reads the raw input; with ``patch_size_ = k > 1`` it reads patches, i.e. ``X`` of shape
``(n, T, F)`` reshaped to ``(n, T / k, k * F)`` (after padding T to a multiple of k by
repeating each sequence's last step).
"""
import hashlib
import json
import math
import numbers
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np

from pygru._arrays import to_host

FORMAT_NAME = "pygru-estimator"
FORMAT_VERSION = 1

__all__ = ["save", "load", "to_torch_state_dict", "from_torch_state_dict",
           "to_keras_weights", "from_keras_weights"]

_METADATA = "metadata.json"
_MAX_METADATA_BYTES = 64 << 20
# Compressed members may not expand more than this (a zip bomb would exhaust memory).
_MAX_COMPRESSION_RATIO = 100
_ARRAY_KINDS = {"params": "f", "classes_": "biufU", "input_mean_": "f", "input_scale_": "f"}
_SCALING_ARRAYS = ("input_mean_", "input_scale_")

# Fitted attributes saved in the JSON document, and the JSON types each may take.
_INT, _FLOAT, _FLOAT_LIST, _NONE = "int", "float", "float list", "none"
_FITTED_ATTRIBUTES = {
    "n_features_in_": (_INT,),
    "vocabulary_size_": (_INT,),
    "n_outputs_": (_INT,),
    "patch_size_": (_INT,),
    "_y_ndim": (_INT,),
    "n_iter_": (_INT,),
    "t_": (_INT,),
    "_no_improvement_count": (_INT,),
    "loss_curve_": (_FLOAT_LIST,),
    "best_loss_": (_FLOAT,),
    "validation_scores_": (_FLOAT_LIST, _NONE),
    "best_validation_score_": (_FLOAT, _NONE),
}
# Hyper-parameters that cannot be written as JSON and are left out (with a warning) rather
# than making the model unsavable: they only matter for further training.
_DROPPABLE_PARAMS = ("callbacks", "random_state")


def _estimator_classes():
    from pygru._estimators import GRUClassifier, GRURegressor

    return {"GRUClassifier": GRUClassifier, "GRURegressor": GRURegressor}


# ---------------------------------------------------------------------------------- save


def save(estimator, path):
    """Save a pygru estimator to one ``.npz`` file that can be loaded without pickle.

    Parameters
    ----------
    estimator : GRUClassifier or GRURegressor
        Fitted or not (an unfitted estimator saves only its hyper-parameters).
    path : str, os.PathLike or writable binary file object
        Where to write. A path is written atomically (to a temporary file that then replaces
        ``path``); no suffix is added.

    Notes
    -----
    ``callbacks`` and a ``random_state`` that is a ``RandomState`` instance cannot be written
    as JSON: they are saved as None, with a warning. The optimizer state is not saved (see
    the module docstring).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from pygru import GRUClassifier
    >>> from pygru._io import save, load
    >>> X = np.random.default_rng(0).standard_normal((20, 5, 2))
    >>> y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    >>> clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> save(clf, path)
    >>> bool(np.array_equal(load(path).predict_proba(X), clf.predict_proba(X)))
    True
    """
    import pygru

    classes = _estimator_classes()
    name = type(estimator).__name__
    if classes.get(name) is not type(estimator):
        raise TypeError(f"save supports {' and '.join(classes)}, got {type(estimator).__name__}"
                        " (use pickle for other objects)")
    arrays = {}
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "pygru_version": pygru.__version__,
        "estimator": name,
        "params": _encode_params(estimator.get_params(deep=False)),
        "fitted": None,
    }
    if hasattr(estimator, "network_"):
        metadata["fitted"], arrays = _fitted_state(estimator)
    metadata["arrays"] = {key: _describe_array(array) for key, array in arrays.items()}
    document = json.dumps(metadata, allow_nan=False, indent=1).encode("utf-8")
    if isinstance(path, (str, os.PathLike)):
        _write_atomically(os.fspath(path), document, arrays)
    else:
        _write_zip(path, document, arrays)


def _fitted_state(estimator):
    network = estimator.network_
    _check_consistency(estimator, network)
    fitted = {}
    for attribute, kinds in _FITTED_ATTRIBUTES.items():
        if hasattr(estimator, attribute):
            fitted[attribute] = _encode_value(getattr(estimator, attribute), kinds, attribute)
    rng = getattr(estimator, "_rng", None)
    fitted["rng_state"] = rng.bit_generator.state if isinstance(rng, np.random.Generator) \
        else None
    fitted["network"] = {
        "n_inputs": int(network.n_inputs),
        "hidden_layer_sizes": [int(size) for size in network.hidden_layer_sizes],
        "n_outputs": int(network.n_outputs),
        "bidirectional": bool(network.bidirectional),
        "reset_after": bool(network.reset_after),
        "embedding_dim": None if network.embedding_dim is None else int(network.embedding_dim),
        "output": network.output,
        "dtype": network.dtype.name,
        "parameter_shapes": [[key, list(shape)] for key, shape in network.shapes.items()],
    }
    arrays = {"params": np.ascontiguousarray(to_host(network.params))}
    for attribute in _SCALING_ARRAYS:
        if hasattr(estimator, attribute):
            arrays[attribute] = np.ascontiguousarray(getattr(estimator, attribute))
    if hasattr(estimator, "classes_"):
        classes = np.asarray(estimator.classes_)
        fitted["classes_object"] = classes.dtype == object
        if classes.dtype == object:
            if not all(isinstance(label, str) for label in classes):
                raise ValueError("save can store class labels that are numbers, booleans or "
                                 "strings; classes_ holds other objects (use pickle)")
            classes = classes.astype(str)
        arrays["classes_"] = np.ascontiguousarray(classes)
    return fitted, arrays


def _encode_value(value, kinds, name):
    if value is None and _NONE in kinds:
        return None
    if _INT in kinds and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if _FLOAT in kinds and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _encode_float(float(value))
    if _FLOAT_LIST in kinds and isinstance(value, (list, tuple, np.ndarray)):
        return [_encode_float(float(item)) for item in value]
    raise ValueError(f"cannot save fitted attribute {name} = {value!r}")


def _encode_float(value):
    return value if math.isfinite(value) else {"float": repr(value)}


def _encode_params(params):
    encoded = {}
    dropped = []
    for name, value in params.items():
        try:
            encoded[name] = _encode_param(value)
        except TypeError:
            if name not in _DROPPABLE_PARAMS:
                raise TypeError(f"cannot save parameter {name}={value!r}: only numbers, "
                                "strings, None, and lists, tuples and dicts of these can be "
                                "saved (use pickle)") from None
            encoded[name] = None
            dropped.append(name)
    if dropped:
        import warnings

        warnings.warn(f"save: parameter(s) {', '.join(dropped)} cannot be written as JSON and "
                      "are saved as None; they matter only for further training",
                      UserWarning, stacklevel=3)
    return encoded


def _encode_param(value):
    """A JSON form of a hyper-parameter value that ``_decode_param`` turns back exactly."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return _encode_float(float(value))
    if isinstance(value, tuple):
        return {"tuple": [_encode_param(item) for item in value]}
    if isinstance(value, list):
        return [_encode_param(item) for item in value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.ndim == 1:
        return {"array": [_encode_param(item) for item in value.tolist()],
                "dtype": value.dtype.str}
    if isinstance(value, Mapping):
        return {"dict": [[_encode_param(key), _encode_param(item)]
                         for key, item in value.items()]}
    raise TypeError(type(value).__name__)


def _describe_array(array):
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "sha256": hashlib.sha256(array.tobytes()).hexdigest()}


def _write_atomically(path, document, arrays):
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".pygru-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            _write_zip(file, document, arrays)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _write_zip(file, document, arrays):
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_METADATA, document)
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _check_consistency(estimator, network):
    """The parameters that prediction reads must describe the fitted network."""
    problems = []
    if np.dtype(estimator.dtype) != network.dtype:
        problems.append(f"dtype={estimator.dtype!r} but the network is {network.dtype.name}")
    if estimator.embedding_dim != network.embedding_dim:
        problems.append(f"embedding_dim={estimator.embedding_dim!r} but the network has "
                        f"{network.embedding_dim!r}")
    if getattr(estimator, "output", "last") != network.output:
        problems.append(f"output={estimator.output!r} but the network has {network.output!r}")
    if network.embedding_dim is not None:
        if getattr(estimator, "vocabulary_size_", None) != network.n_inputs:
            problems.append(f"vocabulary_size_={getattr(estimator, 'vocabulary_size_', None)!r}"
                            f" but the network has {network.n_inputs} inputs")
    else:
        features = getattr(estimator, "n_features_in_", None)
        patch_size = getattr(estimator, "patch_size_", 1)
        if not (_is_int(features) and _is_int(patch_size) and patch_size >= 1
                and features * patch_size == network.n_inputs):
            problems.append(f"n_features_in_={features!r} and patch_size_={patch_size!r} but "
                            f"the network has {network.n_inputs} inputs")
        for attribute in _SCALING_ARRAYS:
            values = getattr(estimator, attribute, None)
            if values is not None and np.shape(values) != (features,):
                problems.append(f"{attribute} has shape {np.shape(values)}, expected "
                                f"({features},)")
    outputs = len(estimator.classes_) if hasattr(estimator, "classes_") \
        else getattr(estimator, "n_outputs_", None)
    if outputs != network.n_outputs:
        problems.append(f"{outputs!r} outputs expected but the network has "
                        f"{network.n_outputs}")
    if problems:
        raise ValueError("the estimator's parameters do not match its fitted network: "
                         + "; ".join(problems))


# ---------------------------------------------------------------------------------- load

# What zipfile, zlib and numpy raise on damaged or hostile archives: besides BadZipFile,
# RuntimeError for members flagged as encrypted and NotImplementedError for unknown zip
# versions or compression methods (RecursionError, from deeply nested JSON, is a
# RuntimeError too).
_BROKEN_ARCHIVE = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error,
                   RuntimeError, NotImplementedError, UnicodeDecodeError)


def load(path):
    """Load an estimator written by :func:`save`.

    Parameters
    ----------
    path : str, os.PathLike or readable binary file object

    Returns
    -------
    estimator : GRUClassifier or GRURegressor
        Predicts exactly as the saved estimator.

    Raises
    ------
    ValueError
        The file is not a pygru estimator file, is truncated or corrupted (checksum
        mismatch), was written by a newer format version, or holds values of the wrong type
        or shape.
    FileNotFoundError
        There is no file at ``path``.
    """
    try:
        npz = np.load(path, allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except _BROKEN_ARCHIVE as error:
        raise ValueError(f"{_name(path)} is not a pygru estimator file: {error}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"{_name(path)} is not a pygru estimator file: it holds a single "
                         "array, not a zip archive")
    try:
        with npz:
            return _load(npz)
    except _BROKEN_ARCHIVE + (TypeError, KeyError, OverflowError) as error:
        if isinstance(error, _FormatError):
            raise ValueError(f"{_name(path)}: {error}") from None
        raise ValueError(f"{_name(path)} is not a valid pygru estimator file: "
                         f"{type(error).__name__}: {error}") from None


class _FormatError(ValueError):
    """A problem found by the checks below, with a message meant for the user."""


def _name(path):
    return repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) \
        else getattr(path, "name", "<file>")


def _load(npz):
    archive = npz.zip
    members = set(archive.namelist())
    if _METADATA not in members:
        raise _FormatError(f"no {_METADATA} inside: not a file written by pygru's save")
    metadata = _read_metadata(archive)
    _expect(metadata, dict, "the metadata document")
    if metadata.get("format") != FORMAT_NAME:
        raise _FormatError(f"format is {metadata.get('format')!r}, expected {FORMAT_NAME!r}")
    version = metadata.get("format_version")
    if not _is_int(version) or version < 1:
        raise _FormatError(f"format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise _FormatError(f"format version {version} was written by a newer pygru "
                           f"({metadata.get('pygru_version')!r}); this pygru reads versions "
                           f"up to {FORMAT_VERSION}")
    classes = _estimator_classes()
    name = metadata.get("estimator")
    if not isinstance(name, str) or name not in classes:
        raise _FormatError(f"estimator must be one of {sorted(classes)}, got {name!r}")
    estimator = _build_estimator(classes[name], metadata.get("params"))
    fitted = metadata.get("fitted")
    described = metadata.get("arrays")
    _expect(described, dict, "arrays")
    expected_members = {_METADATA} | {key + ".npy" for key in described}
    if members != expected_members:
        raise _FormatError(f"the archive holds {sorted(members)}, expected "
                           f"{sorted(expected_members)}")
    if fitted is None:
        if described:
            raise _FormatError("an unfitted estimator has no arrays")
        return estimator
    _expect(fitted, dict, "fitted")
    expected_arrays = {"params", "classes_"} if name == "GRUClassifier" else {"params"}
    if set(described) - set(_SCALING_ARRAYS) != expected_arrays \
            or len(set(described) & set(_SCALING_ARRAYS)) == 1:
        raise _FormatError(f"arrays {sorted(described)} do not fit a {name}")
    arrays = {key: _read_array(npz, key, description)
              for key, description in described.items()}
    _restore_fitted(estimator, fitted, arrays)
    return estimator


def _read_metadata(archive):
    info = archive.getinfo(_METADATA)
    _check_member_size(info)
    if info.file_size > _MAX_METADATA_BYTES:
        raise _FormatError(f"{_METADATA} is {info.file_size} bytes, more than a model needs")
    try:
        text = archive.read(_METADATA).decode("utf-8")
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                          parse_float=_finite_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _FormatError(f"{_METADATA} is not valid JSON: {error}") from None
    except RecursionError:
        raise _FormatError(f"{_METADATA} is nested too deeply") from None


def _unique_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise _FormatError(f"key {key!r} appears twice in {_METADATA}")
        result[key] = value
    return result


def _no_constant(name):
    raise _FormatError(f"{_METADATA} contains {name}, which JSON does not allow")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise _FormatError(f"number {text} in {_METADATA} is out of range")
    return value


def _check_member_size(info):
    if info.compress_type != zipfile.ZIP_STORED \
            and info.file_size > _MAX_COMPRESSION_RATIO * max(info.compress_size, 1) + 4096:
        raise _FormatError(f"member {info.filename} expands {info.compress_size} bytes to "
                           f"{info.file_size}: refusing a possible zip bomb")


def _read_array(npz, key, description):
    _expect(description, dict, f"arrays.{key}")
    if set(description) != {"dtype", "shape", "sha256"}:
        raise _FormatError(f"arrays.{key} must have the keys dtype, shape and sha256")
    shape = description["shape"]
    if not isinstance(shape, list) or not all(_is_int(size) and size >= 0 for size in shape):
        raise _FormatError(f"arrays.{key}.shape must be a list of sizes, got {shape!r}")
    try:
        dtype = np.dtype(description["dtype"]) if isinstance(description["dtype"], str) \
            else None
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.hasobject or dtype.kind not in _ARRAY_KINDS[key] \
            or dtype.fields is not None or dtype.subdtype is not None:
        raise _FormatError(f"arrays.{key}.dtype {description['dtype']!r} is not allowed for "
                           f"{key}")
    info = npz.zip.getinfo(key + ".npy")
    _check_member_size(info)
    with npz.zip.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(member)
        else:
            raise _FormatError(f"{key}.npy has unsupported .npy version {version}")
        stored_shape, fortran_order, stored_dtype = header
        if stored_dtype != dtype or list(stored_shape) != shape:
            raise _FormatError(f"{key}.npy holds {stored_dtype} {stored_shape}, the metadata "
                               f"says {dtype} {tuple(shape)}")
        if math.prod(shape) * dtype.itemsize > info.file_size:
            raise _FormatError(f"{key}.npy is truncated")
    array = npz[key]
    if fortran_order:
        array = np.ascontiguousarray(array)
    if hashlib.sha256(array.tobytes()).hexdigest() != description["sha256"]:
        raise _FormatError(f"checksum mismatch for {key}: the file is corrupted")
    return array


def _build_estimator(cls, encoded):
    _expect(encoded, dict, "params")
    valid = cls().get_params(deep=False)
    unknown = sorted(set(encoded) - set(valid))
    if unknown:
        raise _FormatError(f"unknown parameter(s) for {cls.__name__}: {unknown}")
    params = {name: _decode_param(value, name) for name, value in encoded.items()}
    estimator = cls(**params)
    estimator._validate_params()
    return estimator


def _decode_param(value, name):
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list):
        return [_decode_param(item, name) for item in value]
    if isinstance(value, dict):
        if set(value) == {"float"}:
            return _decode_float(value, name)
        if set(value) == {"tuple"} and isinstance(value["tuple"], list):
            return tuple(_decode_param(item, name) for item in value["tuple"])
        if set(value) == {"array", "dtype"} and isinstance(value["array"], list) \
                and value["dtype"] in {np.dtype(t).str for t in "?bhilqBHILQefd"}:
            items = [_decode_param(item, name) for item in value["array"]]
            if not all(isinstance(item, (bool, int, float)) for item in items):
                raise _FormatError(f"parameter {name}: array items must be numbers")
            return np.asarray(items, dtype=value["dtype"])
        if set(value) == {"dict"} and isinstance(value["dict"], list):
            pairs = value["dict"]
            if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
                raise _FormatError(f"parameter {name}: dict items must be [key, value] pairs")
            keys = [_decode_param(key, name) for key, _ in pairs]
            if not all(isinstance(key, (bool, int, float, str, tuple)) or key is None
                       for key in keys):
                raise _FormatError(f"parameter {name}: dict keys must be numbers or strings")
            return {key: _decode_param(item, name) for key, (_, item) in zip(keys, pairs)}
    raise _FormatError(f"parameter {name} has an unreadable value {value!r}")


def _decode_float(value, name):
    if set(value) != {"float"} or value["float"] not in ("inf", "-inf", "nan"):
        raise _FormatError(f"{name}: expected a number, got {value!r}")
    return float(value["float"])


def _restore_fitted(estimator, fitted, arrays):
    from sklearn.preprocessing import LabelEncoder

    from pygru._network import GRUNetwork

    known = set(_FITTED_ATTRIBUTES) | {"rng_state", "network", "classes_object"}
    unknown = sorted(set(fitted) - known)
    if unknown:
        raise _FormatError(f"unknown fitted attribute(s) {unknown}")
    for attribute, kinds in _FITTED_ATTRIBUTES.items():
        if attribute in fitted:
            setattr(estimator, attribute, _decode_value(fitted[attribute], kinds, attribute))
    for attribute in ("n_iter_", "t_", "n_outputs_", "n_features_in_", "vocabulary_size_"):
        if getattr(estimator, attribute, 0) < 0:
            raise _FormatError(f"{attribute} must not be negative")
    if getattr(estimator, "_y_ndim", 1) not in (1, 2, 3):
        raise _FormatError("_y_ndim must be 1, 2 or 3")
    spec = fitted.get("network")
    _expect(spec, dict, "fitted.network")
    params = arrays["params"]
    network = _build_network(GRUNetwork, spec, params)
    estimator.network_ = network
    estimator._weight_mask = network.weight_mask()
    if "input_mean_" in arrays:
        mean, scale = arrays["input_mean_"], arrays["input_scale_"]
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise _FormatError("input_mean_ and input_scale_ must be finite, the scale "
                               "positive")
        estimator.input_mean_, estimator.input_scale_ = mean, scale
    if "classes_" in arrays:
        classes = arrays["classes_"]
        object_labels = fitted.get("classes_object", False)
        _expect(object_labels, bool, "fitted.classes_object")
        if classes.ndim != 1 or len(classes) < 1 \
                or not np.array_equal(np.unique(classes), classes):
            raise _FormatError("classes_ must be a 1-D array of sorted, distinct labels")
        if object_labels:
            classes = classes.astype(object)
        estimator.classes_ = classes
        encoder = LabelEncoder()
        encoder.classes_ = classes
        estimator._label_encoder = encoder
    elif "classes_object" in fitted:
        raise _FormatError("classes_object given without classes_")
    estimator._rng = _decode_rng(fitted.get("rng_state"))
    required = ["n_iter_", "t_", "loss_curve_", "best_loss_",
                "vocabulary_size_" if network.embedding_dim is not None else "n_features_in_"]
    if not hasattr(estimator, "classes_"):
        required += ["n_outputs_", "_y_ndim"]
    missing = [attribute for attribute in required if not hasattr(estimator, attribute)]
    if missing:
        raise _FormatError(f"fitted attribute(s) {missing} missing")
    try:
        _check_consistency(estimator, network)
    except ValueError as error:
        raise _FormatError(str(error)) from None


def _build_network(network_class, spec, params):
    keys = {"n_inputs", "hidden_layer_sizes", "n_outputs", "bidirectional", "reset_after",
            "embedding_dim", "output", "dtype", "parameter_shapes"}
    if set(spec) != keys:
        raise _FormatError(f"fitted.network must have the keys {sorted(keys)}")
    sizes = spec["hidden_layer_sizes"]
    counts = [spec["n_inputs"], spec["n_outputs"]] + (sizes if isinstance(sizes, list) else [])
    if not isinstance(sizes, list) or not sizes or not all(
            _is_int(size) and size >= 1 for size in counts) \
            or not (spec["embedding_dim"] is None or _is_int(spec["embedding_dim"])
                    and spec["embedding_dim"] >= 1) \
            or not isinstance(spec["bidirectional"], bool) \
            or not isinstance(spec["reset_after"], bool) \
            or spec["output"] not in ("last", "sequence") \
            or spec["dtype"] not in ("float32", "float64"):
        raise _FormatError(f"fitted.network is malformed: {spec!r}"[:500])
    shapes = _network_shapes(network_class, spec)
    if spec["parameter_shapes"] != [[key, list(shape)] for key, shape in shapes.items()]:
        raise _FormatError("the parameter layout in the file differs from this pygru's "
                           "network layout")
    # Checked before the network allocates anything: the sizes come from the file, the
    # params array's size from data that is really there.
    n_params = sum(math.prod(shape) for shape in shapes.values())
    if params.shape != (n_params,) or params.dtype != np.dtype(spec["dtype"]):
        raise _FormatError(f"params is {params.dtype} {params.shape}, the network needs "
                           f"{spec['dtype']} ({n_params},)")
    if not np.all(np.isfinite(params)):
        raise _FormatError("params contains NaN or infinity")
    network = network_class(spec["n_inputs"], tuple(sizes), spec["n_outputs"],
                            bidirectional=spec["bidirectional"],
                            reset_after=spec["reset_after"],
                            embedding_dim=spec["embedding_dim"], output=spec["output"],
                            dtype=spec["dtype"])
    network.params[...] = params
    return network


def _network_shapes(network_class, spec):
    """The parameter shapes a network of ``spec`` has, without allocating its parameters."""
    shell = network_class.__new__(network_class)
    shell.n_inputs = spec["n_inputs"]
    shell.hidden_layer_sizes = tuple(spec["hidden_layer_sizes"])
    shell.n_outputs = spec["n_outputs"]
    shell.bidirectional = spec["bidirectional"]
    shell.reset_after = spec["reset_after"]
    shell.embedding_dim = spec["embedding_dim"]
    shell.output = spec["output"]
    shell.dtype = np.dtype(spec["dtype"])
    return shell._parameter_shapes()


def _decode_value(value, kinds, name):
    if value is None and _NONE in kinds:
        return None
    if _INT in kinds and _is_int(value):
        return value
    if _FLOAT in kinds and (_is_number(value) or isinstance(value, dict)):
        return _decode_float(value, name) if isinstance(value, dict) else float(value)
    if _FLOAT_LIST in kinds and isinstance(value, list):
        return [_decode_value(item, (_FLOAT,), name) for item in value]
    raise _FormatError(f"fitted attribute {name} has a value of the wrong type: "
                       f"{value!r}"[:300])


def _decode_rng(state):
    if state is None:
        return np.random.default_rng()
    _expect(state, dict, "fitted.rng_state")
    if state.get("bit_generator") != "PCG64":
        raise _FormatError("fitted.rng_state must be a PCG64 state")
    inner = state.get("state")
    _expect(inner, dict, "fitted.rng_state.state")
    if set(state) != {"bit_generator", "state", "has_uint32", "uinteger"} \
            or set(inner) != {"state", "inc"} \
            or not all(_is_int(value) and 0 <= value < 1 << 128 for value in inner.values()) \
            or state["has_uint32"] not in (0, 1) \
            or not (_is_int(state["uinteger"]) and 0 <= state["uinteger"] < 1 << 32):
        raise _FormatError("fitted.rng_state is malformed")
    bit_generator = np.random.PCG64()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _expect(value, kind, where):
    if not isinstance(value, kind):
        raise _FormatError(f"{where} must be a {kind.__name__}, got {type(value).__name__}")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---------------------------------------------------------------------- weight conversion


def _network_of(target):
    """The GRUNetwork behind a fitted estimator, or ``target`` itself if it is one."""
    from sklearn.utils.validation import check_is_fitted

    from pygru._estimators import BaseGRU
    from pygru._network import GRUNetwork

    if isinstance(target, GRUNetwork):
        return target
    if isinstance(target, BaseGRU):
        check_is_fitted(target, "network_")
        return target.network_
    raise TypeError("expected a fitted GRUClassifier/GRURegressor or a GRUNetwork "
                    f"(estimator.network_), got {type(target).__name__}")


def _gru_slots(network):
    """(layer, direction, view prefix) of every GRU layer direction, in torch/Keras order."""
    return [(layer, direction, f"gru{layer}.{direction}.")
            for layer in range(len(network.hidden_layer_sizes))
            for direction in network.directions]


def _torch_suffix(layer, direction):
    return f"_l{layer}" + ("_reverse" if direction == "backward" else "")


_TORCH_NAMES = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}


def _require_reset_after(network, library):
    if not network.reset_after:
        raise ValueError(f"{library}'s GRU computes the reset_after=True variant; a network "
                         "with reset_after=False has no equivalent there")


def _input_scaling(target):
    """(mean, scale) that a fitted estimator applies to the first layer's input, repeated
    for each step of a patch; None for a bare network or without standardisation."""
    from pygru._estimators import BaseGRU

    if not isinstance(target, BaseGRU) or not hasattr(target, "input_mean_"):
        return None
    repeats = getattr(target, "patch_size_", 1)
    return np.tile(target.input_mean_, repeats), np.tile(target.input_scale_, repeats)


def _gru_weights(target, network, layer, view_prefix):
    """One layer direction's (w_ih, w_hh, b_ih, b_hh), acting on the estimator's raw input:
    the input standardisation is folded into the first layer's w_ih and b_ih, exactly
    (W (x - m) / s + b = (W / s) x + (b - (W / s) m))."""
    views = network.views
    w_ih, w_hh, b_ih, b_hh = (to_host(views[view_prefix + name]).copy()
                              for name in ("w_ih", "w_hh", "b_ih", "b_hh"))
    scaling = _input_scaling(target) if layer == 0 else None
    if scaling is not None:
        mean, scale = scaling
        folded = w_ih.astype(np.float64) / scale
        b_ih = (b_ih - folded @ mean).astype(network.dtype)
        w_ih = folded.astype(network.dtype)
    return {"w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}


def _set_gru_weights(target, network, updates):
    """Write {view name: array} into the network, unfolding the input standardisation from
    the first layer's weights (the inverse of :func:`_gru_weights`)."""
    scaling = _input_scaling(target)
    values = dict(updates)
    if scaling is not None:
        mean, scale = scaling
        for direction in network.directions:
            w_ih, b_ih = f"gru0.{direction}.w_ih", f"gru0.{direction}.b_ih"
            values[b_ih] = updates[b_ih] + updates[w_ih].astype(np.float64) @ mean
            values[w_ih] = updates[w_ih] * scale
    for view, value in values.items():
        network.views[view][...] = network.xp.asarray(value)


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
    >>> from pygru._io import to_torch_state_dict
    >>> X = np.random.default_rng(0).standard_normal((8, 4, 3))
    >>> clf = GRUClassifier((5,), bidirectional=True, max_iter=1).fit(X, [0, 1] * 4)
    >>> sorted(to_torch_state_dict(clf))[:4]
    ['bias_hh_l0', 'bias_hh_l0_reverse', 'bias_ih_l0', 'bias_ih_l0_reverse']
    """
    network = _network_of(estimator)
    _require_reset_after(network, "PyTorch")
    state = {}
    for layer, direction, view_prefix in _gru_slots(network):
        weights = _gru_weights(estimator, network, layer, view_prefix)
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
    network = _network_of(estimator_or_params)
    _require_reset_after(network, "PyTorch")
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
    expected = {}
    for layer, direction, view_prefix in _gru_slots(network):
        for name, torch_name in _TORCH_NAMES.items():
            expected[prefix + torch_name + _torch_suffix(layer, direction)] = view_prefix + name
    missing = sorted(set(expected) - set(state_dict))
    if missing:
        raise ValueError(f"state_dict lacks {missing} (a torch GRU with bias=False has no "
                         "bias keys: add zero biases)")
    unexpected = sorted(str(key) for key in state_dict if key not in expected)
    if strict and unexpected:
        raise ValueError(f"state_dict has keys that are not GRU weights of this network: "
                         f"{unexpected} (the network has {len(network.hidden_layer_sizes)} "
                         f"layer(s), {'bi' if network.bidirectional else 'uni'}directional; "
                         "pass strict=False to ignore them)")
    values = {view: _as_weight(state_dict[key], network.views[view].shape, network.dtype, key)
              for key, view in expected.items()}
    _set_gru_weights(estimator_or_params, network, values)
    return estimator_or_params


def _as_weight(value, shape, dtype, name):
    """``value`` (array-like or tensor) as a finite array of ``shape`` and ``dtype``."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        try:
            value = value.detach().cpu().numpy()
        except TypeError as error:
            raise TypeError(f"{name}: cannot convert the tensor to NumPy ({error}); "
                            "convert it with .float() first") from None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers: {error}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.shape != tuple(shape):
        raise ValueError(f"{name} has shape {array.shape}, expected {tuple(shape)}")
    with np.errstate(over="ignore"):
        array = array.astype(dtype)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity (or values too large for {dtype})")
    return array


def _to_keras_order(rows):
    """pygru's gate blocks [r, z, n] along axis 0 -> Keras' [z, r, h]."""
    r, z, n = np.split(rows, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def _from_keras_order(rows):
    """Keras' gate blocks [z, r, h] along axis 0 -> pygru's [r, z, n]."""
    z, r, h = np.split(rows, 3, axis=0)
    return np.concatenate([r, z, h], axis=0)


def to_keras_weights(estimator):
    """GRU weights as Keras ``GRU`` / ``Bidirectional(GRU)`` layers' ``get_weights()`` lists.

    Parameters
    ----------
    estimator : fitted GRUClassifier or GRURegressor, or GRUNetwork

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
    """
    network = _network_of(estimator)
    layers = [[] for _ in network.hidden_layer_sizes]
    for layer, _, view_prefix in _gru_slots(network):
        weights = _gru_weights(estimator, network, layer, view_prefix)
        kernel = _to_keras_order(weights["w_ih"]).T.copy()
        recurrent_kernel = _to_keras_order(weights["w_hh"]).T.copy()
        b_ih = _to_keras_order(weights["b_ih"])
        b_hh = _to_keras_order(weights["b_hh"])
        bias = np.stack([b_ih, b_hh]) if network.reset_after else b_ih + b_hh
        layers[layer] += [kernel, recurrent_kernel, bias]
    return layers


def from_keras_weights(estimator_or_params, weights):
    """Set GRU weights from Keras ``GRU`` / ``Bidirectional(GRU)`` weights, in place.

    Parameters
    ----------
    estimator_or_params : fitted GRUClassifier or GRURegressor, or GRUNetwork
        Its layer count, sizes, directions and ``reset_after`` must match the Keras layers.
    weights : list
        One ``layer.get_weights()`` list per GRU layer (as :func:`to_keras_weights` returns),
        or all those arrays in one flat list.

    A ``reset_after=False`` Keras layer has one bias (3H,), the sum of pygru's two; it is
    imported as ``b_ih`` with ``b_hh = 0``, which computes the same function.

    Returns
    -------
    estimator_or_params
        The same object, with new GRU weights (the head and embedding are unchanged).
    """
    network = _network_of(estimator_or_params)
    slots = _gru_slots(network)
    n_directions = len(network.directions)
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights must be a list, got {type(weights).__name__}")
    if weights and all(isinstance(entry, (list, tuple)) for entry in weights):
        if len(weights) != len(network.hidden_layer_sizes):
            raise ValueError(f"weights has {len(weights)} layer(s), the network has "
                             f"{len(network.hidden_layer_sizes)}")
        for layer, entry in enumerate(weights):
            if len(entry) != 3 * n_directions:
                raise ValueError(f"weights[{layer}] has {len(entry)} arrays, expected "
                                 f"{3 * n_directions} (kernel, recurrent_kernel, bias"
                                 f"{' per direction' if n_directions == 2 else ''})")
        flat = [array for entry in weights for array in entry]
    else:
        flat = list(weights)
        if len(flat) != 3 * len(slots):
            raise ValueError(f"weights has {len(flat)} arrays, expected {3 * len(slots)} "
                             "(kernel, recurrent_kernel, bias per layer and direction)")
    updates = {}
    for index, (layer, direction, view_prefix) in enumerate(slots):
        where = f"layer {layer} ({direction})"
        hidden = network.hidden_layer_sizes[layer]
        inputs = network.views[view_prefix + "w_ih"].shape[1]
        kernel, recurrent_kernel, bias = flat[3 * index:3 * index + 3]
        kernel = _as_weight(kernel, (inputs, 3 * hidden), network.dtype, f"{where} kernel")
        recurrent_kernel = _as_weight(recurrent_kernel, (hidden, 3 * hidden), network.dtype,
                                      f"{where} recurrent_kernel")
        bias_shape = (2, 3 * hidden) if network.reset_after else (3 * hidden,)
        if np.shape(bias) != bias_shape and np.shape(bias) in ((2, 3 * hidden), (3 * hidden,)):
            raise ValueError(f"{where} bias has shape {np.shape(bias)}: a Keras layer with "
                             f"reset_after={not network.reset_after}, but the network uses "
                             f"reset_after={network.reset_after} (the two variants compute "
                             "different functions)")
        bias = _as_weight(bias, bias_shape, network.dtype, f"{where} bias")
        input_bias, recurrent_bias = (bias[0], bias[1]) if network.reset_after \
            else (bias, np.zeros_like(bias))
        updates[view_prefix + "w_ih"] = _from_keras_order(kernel.T)
        updates[view_prefix + "w_hh"] = _from_keras_order(recurrent_kernel.T)
        updates[view_prefix + "b_ih"] = _from_keras_order(input_bias)
        updates[view_prefix + "b_hh"] = _from_keras_order(recurrent_bias)
    _set_gru_weights(estimator_or_params, network, updates)
    return estimator_or_params
