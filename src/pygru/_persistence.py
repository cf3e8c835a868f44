"""Saving fitted estimators to one file, and loading them, without pickle.

File format
-----------
One ``.npz`` file (a zip archive, readable by ``numpy.load(..., allow_pickle=False)``) holding

- ``metadata.json``: a JSON document with the format name and version, the pygru version that
  wrote it, the estimator class (one of a fixed list), its hyper-parameters
  (``get_params()``), its fitted state (``"fitted"``: ``n_features_in_``, ``loss_curve_``,
  the network layout, ...), and for every array its dtype, shape and SHA-256 checksum;
- ``params.npy``: the network's flat parameter vector (``network_.params``);
- ``input_mean_.npy`` and ``input_scale_.npy``: the input standardisation, if any;
- ``classes_.npy``: the class labels of a classifier.

The estimator says what its fitted state is (``_get_fitted_state``) and restores it, checking
every value (``_set_fitted_state``); this module stores those values. What JSON cannot
express is tagged, so that it comes back exactly: an infinite or NaN float is written as
``{"float": "inf"}`` (``"-inf"``, ``"nan"``), and a hyper-parameter that is a tuple, a dict or
a NumPy array as ``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}`` or
``{"array": [...], "dtype": ...}``.

Loading never executes code from the file: arrays are read with pickling disabled and must
hold numbers or strings, the estimator class is looked up in a fixed table, and every value is
checked (types, shapes, checksums, consistency) before an estimator is returned; anything else
is a ``ValueError``. The optimizer state (Adam moments, ...) is not saved: a loaded estimator
predicts exactly as the saved one, and ``partial_fit``/``warm_start`` continue from its
weights with a fresh optimizer state. The checksums detect corruption, not tampering: they
are stored in the same file. Pickle (the scikit-learn convention) keeps working and keeps
everything, optimizer included, but must only be loaded from trusted sources.
"""

import hashlib
import json
import math
import numbers
import os
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np

from pygru._version import __version__

FORMAT_NAME = "pygru-estimator"
FORMAT_VERSION = 1

__all__ = ["save", "load"]

_METADATA = "metadata.json"
_MAX_METADATA_BYTES = 64 << 20
# Compressed members may not expand more than this (a zip bomb would exhaust memory).
_MAX_COMPRESSION_RATIO = 100
# Arrays hold numbers or strings (dtype kinds), never objects, which would need pickle.
_ARRAY_KINDS = "biufU"
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
    >>> from pygru import GRUClassifier, save, load
    >>> X = np.random.default_rng(0).standard_normal((20, 5, 2))
    >>> y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    >>> clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> save(clf, path)
    >>> bool(np.array_equal(load(path).predict_proba(X), clf.predict_proba(X)))
    True
    """
    classes = _estimator_classes()
    name = type(estimator).__name__
    if classes.get(name) is not type(estimator):
        raise TypeError(
            f"save supports {' and '.join(classes)}, got {type(estimator).__name__}"
            " (use pickle for other objects)"
        )
    arrays = {}
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "pygru_version": __version__,
        "estimator": name,
        "params": _encode_params(estimator.get_params(deep=False)),
        "fitted": None,
    }
    if hasattr(estimator, "network_"):
        state, arrays = estimator._get_fitted_state()
        metadata["fitted"] = _encode_non_finite_floats(state)
    metadata["arrays"] = {key: _describe_array(array) for key, array in arrays.items()}
    document = json.dumps(metadata, allow_nan=False, indent=1).encode("utf-8")
    if isinstance(path, (str, os.PathLike)):
        _write_atomically(os.fspath(path), document, arrays)
    else:
        _write_zip(path, document, arrays)


def _encode_params(params):
    encoded = {}
    dropped = []
    for name, value in params.items():
        try:
            encoded[name] = _encode_param(value)
        except TypeError:
            if name not in _DROPPABLE_PARAMS:
                raise TypeError(
                    f"cannot save parameter {name}={value!r}: only numbers, "
                    "strings, None, and lists, tuples and dicts of these can be "
                    "saved (use pickle)"
                ) from None
            encoded[name] = None
            dropped.append(name)
    if dropped:
        warnings.warn(
            f"save: parameter(s) {', '.join(dropped)} cannot be written as JSON and "
            "are saved as None; they matter only for further training",
            UserWarning,
            stacklevel=3,
        )
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
        return {
            "array": [_encode_param(item) for item in value.tolist()],
            "dtype": value.dtype.str,
        }
    if isinstance(value, Mapping):
        return {"dict": [[_encode_param(key), _encode_param(item)] for key, item in value.items()]}
    raise TypeError(type(value).__name__)


def _encode_non_finite_floats(value):
    """``value`` (JSON values) with every infinite or NaN float in its JSON-able form."""
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, list):
        return [_encode_non_finite_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode_non_finite_floats(item) for key, item in value.items()}
    return value


def _encode_float(value):
    return value if math.isfinite(value) else {"float": repr(value)}


def _describe_array(array):
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "sha256": hashlib.sha256(array.tobytes()).hexdigest(),
    }


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


# ---------------------------------------------------------------------------------- load

# What zipfile, zlib and numpy raise on damaged or hostile archives: besides BadZipFile,
# RuntimeError for members flagged as encrypted and NotImplementedError for unknown zip
# versions or compression methods (RecursionError, from deeply nested JSON, is a
# RuntimeError too).
_BROKEN_ARCHIVE = (
    ValueError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    RuntimeError,
    NotImplementedError,
    UnicodeDecodeError,
)


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
        raise ValueError(
            f"{_name(path)} is not a pygru estimator file: it holds a single "
            "array, not a zip archive"
        )
    try:
        with npz:
            return _load(npz)
    except _BROKEN_ARCHIVE + (TypeError, KeyError, OverflowError) as error:
        if isinstance(error, _FormatError):
            raise ValueError(f"{_name(path)}: {error}") from None
        raise ValueError(
            f"{_name(path)} is not a valid pygru estimator file: {type(error).__name__}: {error}"
        ) from None


class _FormatError(ValueError):
    """A problem found by the checks below, with a message meant for the user."""


def _name(path):
    return (
        repr(os.fspath(path))
        if isinstance(path, (str, os.PathLike))
        else getattr(path, "name", "<file>")
    )


def _load(npz):
    archive = npz.zip
    members = set(archive.namelist())
    if _METADATA not in members:
        raise _FormatError(f"no {_METADATA} inside: not a file written by pygru's save")
    metadata = _read_metadata(archive)
    _expect(metadata, dict, "the metadata document")
    _check_format(metadata)
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
        raise _FormatError(
            f"the archive holds {sorted(members)}, expected {sorted(expected_members)}"
        )
    if fitted is None:
        if described:
            raise _FormatError("an unfitted estimator has no arrays")
        return estimator
    _expect(fitted, dict, "fitted")
    state = _decode_non_finite_floats(fitted, "fitted")
    arrays = {key: _read_array(npz, key, description) for key, description in described.items()}
    try:
        estimator._set_fitted_state(state, arrays)
    except ValueError as error:  # the estimator's checks say what is wrong
        raise _FormatError(str(error)) from None
    return estimator


def _check_format(metadata):
    if metadata.get("format") != FORMAT_NAME:
        raise _FormatError(f"format is {metadata.get('format')!r}, expected {FORMAT_NAME!r}")
    version = metadata.get("format_version")
    if not _is_int(version) or version < 1:
        raise _FormatError(f"format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise _FormatError(
            f"format version {version} was written by a newer pygru "
            f"({metadata.get('pygru_version')!r}); this pygru reads versions "
            f"up to {FORMAT_VERSION}"
        )


def _read_metadata(archive):
    info = archive.getinfo(_METADATA)
    _check_member_size(info)
    if info.file_size > _MAX_METADATA_BYTES:
        raise _FormatError(f"{_METADATA} is {info.file_size} bytes, more than a model needs")
    try:
        text = archive.read(_METADATA).decode("utf-8")
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
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
    if (
        info.compress_type != zipfile.ZIP_STORED
        and info.file_size > _MAX_COMPRESSION_RATIO * max(info.compress_size, 1) + 4096
    ):
        raise _FormatError(
            f"member {info.filename} expands {info.compress_size} bytes to "
            f"{info.file_size}: refusing a possible zip bomb"
        )


def _read_array(npz, key, description):
    """Array ``key``, after checking that its header matches ``description`` (so that no
    object array is unpickled and no claimed size is allocated) and then its checksum."""
    _expect(description, dict, f"arrays.{key}")
    if set(description) != {"dtype", "shape", "sha256"}:
        raise _FormatError(f"arrays.{key} must have the keys dtype, shape and sha256")
    shape = description["shape"]
    if not isinstance(shape, list) or not all(_is_int(size) and size >= 0 for size in shape):
        raise _FormatError(f"arrays.{key}.shape must be a list of sizes, got {shape!r}")
    try:
        dtype = np.dtype(description["dtype"]) if isinstance(description["dtype"], str) else None
    except (TypeError, ValueError):
        dtype = None
    if (
        dtype is None
        or dtype.hasobject
        or dtype.kind not in _ARRAY_KINDS
        or dtype.fields is not None
        or dtype.subdtype is not None
    ):
        raise _FormatError(f"arrays.{key}.dtype {description['dtype']!r} is not allowed for {key}")
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
            raise _FormatError(
                f"{key}.npy holds {stored_dtype} {stored_shape}, the metadata "
                f"says {dtype} {tuple(shape)}"
            )
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
        if (
            set(value) == {"array", "dtype"}
            and isinstance(value["array"], list)
            and value["dtype"] in {np.dtype(t).str for t in "?bhilqBHILQefd"}
        ):
            items = [_decode_param(item, name) for item in value["array"]]
            if not all(isinstance(item, (bool, int, float)) for item in items):
                raise _FormatError(f"parameter {name}: array items must be numbers")
            return np.asarray(items, dtype=value["dtype"])
        if set(value) == {"dict"} and isinstance(value["dict"], list):
            pairs = value["dict"]
            if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
                raise _FormatError(f"parameter {name}: dict items must be [key, value] pairs")
            keys = [_decode_param(key, name) for key, _ in pairs]
            if not all(
                isinstance(key, (bool, int, float, str, tuple)) or key is None for key in keys
            ):
                raise _FormatError(f"parameter {name}: dict keys must be numbers or strings")
            return {key: _decode_param(item, name) for key, (_, item) in zip(keys, pairs)}
    raise _FormatError(f"parameter {name} has an unreadable value {value!r}")


def _decode_non_finite_floats(value, where):
    """``value`` (JSON values) with every ``{"float": ...}`` turned back into a float."""
    if isinstance(value, list):
        return [_decode_non_finite_floats(item, where) for item in value]
    if isinstance(value, dict):
        if set(value) == {"float"}:
            return _decode_float(value, where)
        return {
            key: _decode_non_finite_floats(item, f"{where}.{key}") for key, item in value.items()
        }
    return value


def _decode_float(value, name):
    if value["float"] not in ("inf", "-inf", "nan"):
        raise _FormatError(f"{name}: expected a number, got {value!r}")
    return float(value["float"])


def _expect(value, kind, where):
    if not isinstance(value, kind):
        raise _FormatError(f"{where} must be a {kind.__name__}, got {type(value).__name__}")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)
