"""Saving fitted estimators and pipelines to one file, and loading them, without pickle.

File format
-----------
One ``.npz`` file (a zip archive, readable by ``numpy.load(..., allow_pickle=False)``) holding
a JSON document ``metadata.json`` and NumPy arrays (``.npy`` members). The document names
its format (``"format"``, ``"format_version"``), the pygru version that wrote it, and for
every array its dtype, shape and SHA-256 checksum (``"arrays"``). There are two formats:

``pygru-estimator`` (version 12): one GRUClassifier or GRURegressor. The document holds the
estimator class (one of a fixed list), its hyper-parameters (``get_params()``) and its
fitted state (``"fitted"``: ``n_features_in_``, ``loss_curve_``, the network layout with its
``pooling``, ...); the arrays are ``params.npy`` (the network's flat parameter vector),
``input_mean_.npy`` and ``input_scale_.npy`` (the input standardisation, if any),
``target_mean_.npy`` and ``target_scale_.npy`` (a regressor's target standardisation, if
any) and ``classes_.npy`` (the class labels of a classifier). Version 1 (before target
standardisation and pooling) has none of these: its files load as the models they were, a
regressor with ``standardize_target=False``, a classifier with ``pooling="last"``. Version 3
added the regressor's linear skip (``linear_skip``, a ``linear.weight`` in the parameters);
files without it load with ``linear_skip=False``. Version 4 added ``ema_momentum`` (how the
weights were averaged while training); files without it load with ``ema_momentum=None``.
Version 5 added a regressor's ``linear_skip_alpha_`` (the ridge penalty its skip started
from, which training applies to the skip, and to the head where it is stronger than
``alpha``); files without it load with None,
which trains on with ``alpha`` alone, as they were trained. Version 6 added
``conv_layers`` (the convolutional branch, its layers in the network layout); files without
it load without a branch, as they were. Version 7 added ``window_warp`` (the classifier's
training-time augmentation); files without it load with ``window_warp=None``, so that further
training goes on as they were trained. Version 8 added a regressor's
``linear_skip_sequences`` (the number of sequences its skip's ridge penalty was chosen for,
which later ``partial_fit`` calls spread the penalty over; files without it train on
counting each call's sequences alone, as they were trained) and the ``vocabulary_size``
hyper-parameter (files without it load with None, which sized their embedding as they were
sized). Version 9 added ``standardize="sequence"`` and ``"auto"`` and, for a model that
scales each sequence by itself, ``sequence_spread_floor_.npy`` (``input_mean_`` and
``input_scale_`` then describe the scaled features, levels and log spreads); files without
it load as they were written. Version 10 added a regressor's ``correction_alpha_`` (the
penalty training keeps on its head's weights, which the linear skip's penalty held before);
files without it load with the skip's penalty there, as they were trained. Version 11
added a regressor's ``training_target_mean.npy`` and ``training_target_spread.npy`` (the
training targets' mean and spread, which a later fit's ``y_val`` is checked against for
missed transformations); files without them load without that check. Version 12 added
``rng_reseeds`` (whether the next training call draws a new generator, ``random_state``
having been set to another seed after the fit; files without it continue the saved
generator) and ``trained_on_one_step`` (a model trained on sequences of one step, which reads
a column of values as such sequences without a warning; files without it warn). An older pygru
refuses a newer
file with a message that says a newer pygru wrote it, instead of misreading it or naming an
unknown parameter.

``pygru-pipeline`` (version 11, as version 1 with estimators of the estimator format's
version 12; versions 2 to 10 held those of versions 3 to 11): a scikit-learn ``Pipeline``
(nested ones included), or one of its steps on its own. ``"root"`` is a tree of objects: a
pipeline is
``{"class": "sklearn.pipeline.Pipeline", "params": ..., "steps": [[name, step], ...]}`` (a
step may also be ``"passthrough"`` or null); any other object is
``{"class": ..., "params": ..., "fitted": ..., "arrays": {name: member}}``, where ``"arrays"``
maps the object's array names to archive members (``"<n>/<name>"``, ``n`` numbering the
objects). The classes are those of :func:`_step_classes`, looked up in that fixed table: the
pygru estimators (fitted state as in the estimator format), ``pygru.text.TokenSequencer``,
``pygru.preprocessing``'s transformers, and scikit-learn's ``StandardScaler`` and
``MinMaxScaler``. The fitted state of a transformer is its public trailing-underscore
attributes: arrays and NumPy scalars (0-d arrays) as members, other values in the document;
a string array comes back as an object array of strings (scikit-learn's
``feature_names_in_``).

The estimator says what its fitted state is (``_get_fitted_state``) and restores it, checking
every value (``_set_fitted_state``); this module stores those values, and checks the fitted
attributes of the transformers that do not describe themselves. What JSON cannot express is
tagged, so that it comes back exactly: an infinite or NaN float is written as
``{"float": "inf"}`` (``"-inf"``, ``"nan"``), and a hyper-parameter (or a transformer's
fitted value) that is a tuple, a dict or a NumPy array as ``{"tuple": [...]}``,
``{"dict": [[key, value], ...]}`` or ``{"array": [...], "dtype": ...}``.

Loading never executes code from the file: arrays are read with pickling disabled and must
hold numbers or strings, classes are looked up in fixed tables, and every value is checked
(types, shapes, checksums, consistency) before an object is returned; anything else is a
``ValueError`` that says the file is not a valid pygru file and why. Objects that would need
code to be stored (``FunctionTransformer``, anything else outside the tables) are refused by
``save`` with a ``TypeError`` that names the step. The optimizer state (Adam moments, ...) is
not saved: a loaded estimator predicts exactly as the saved one, and
``partial_fit``/``warm_start`` continue from its weights with a fresh optimizer state. The
checksums detect corruption, not tampering: they are stored in the same file. Pickle (the
scikit-learn convention) keeps working and keeps everything, optimizer included, but must
only be loaded from trusted sources.
"""

import collections
import contextlib
import errno
import hashlib
import io
import itertools
import json
import math
import numbers
import os
import secrets
import stat
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np

from pygru._fitted_state import VALUES_BEFORE_ADDED, as_string_array, read_count
from pygru._numbers import is_integer, is_real
from pygru._version import __version__
from pygru._warnings import warn

FORMAT_NAME = "pygru-estimator"
FORMAT_VERSION = 12
PIPELINE_FORMAT_NAME = "pygru-pipeline"
PIPELINE_FORMAT_VERSION = 11

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
_PIPELINE = "sklearn.pipeline.Pipeline"


def _estimator_classes():
    from pygru._estimators import GRUClassifier, GRURegressor

    return {"GRUClassifier": GRUClassifier, "GRURegressor": GRURegressor}


def _step_classes():
    """Class name in a pipeline file -> class, for every object it may hold but Pipeline."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    from pygru.text import TokenSequencer

    classes = {f"pygru.{name}": cls for name, cls in _estimator_classes().items()}
    classes["pygru.text.TokenSequencer"] = TokenSequencer
    classes["sklearn.preprocessing.StandardScaler"] = StandardScaler
    classes["sklearn.preprocessing.MinMaxScaler"] = MinMaxScaler
    classes.update(_preprocessing_classes())
    return classes


def _preprocessing_classes():
    """The transformers of ``pygru.preprocessing``, by their name in a pipeline file."""
    from sklearn.base import BaseEstimator

    from pygru import preprocessing

    return {
        f"pygru.preprocessing.{name}": cls
        for name in preprocessing.__all__
        if isinstance(cls := getattr(preprocessing, name), type) and issubclass(cls, BaseEstimator)
    }


# ---------------------------------------------------------------------------------- save


def save(obj, path):
    """Save a pygru estimator or a pipeline to one ``.npz`` file that loads without pickle.

    Parameters
    ----------
    obj : GRUClassifier, GRURegressor, Pipeline or a supported transformer
        Fitted or not (an unfitted object saves only its hyper-parameters). A
        ``sklearn.pipeline.Pipeline`` (e.g. from ``make_pipeline``, nested ones included) may
        hold pygru's estimators, ``pygru.text.TokenSequencer``, ``pygru.preprocessing``'s
        transformers, scikit-learn's ``StandardScaler`` and ``MinMaxScaler``, and
        ``"passthrough"``; these may also be saved on their own.
    path : str, bytes, os.PathLike or writable binary file object
        Where to write. A path is written atomically (to a temporary file that is synced to
        the disk and then replaces ``path``, with the mode of the file it replaces, else the
        umask's): the new file is owned by whoever saves, and hard links to the old one keep
        the old content. A device or a FIFO is written to, not replaced. No suffix is added.
        A file object (an ``io.BytesIO`` too) gets the archive through an anonymous
        temporary file (``tempfile.TemporaryFile``), where it is read back first: that
        needs a writable temporary folder (``TMPDIR``).

    Raises
    ------
    TypeError
        ``obj`` or one of its steps is of another type (``FunctionTransformer``, a
        subclass, ...), or holds a value that cannot be stored without pickle; the message
        names the step. Also when ``path`` is neither a path nor a writable file, or is a
        file opened in text mode.
    ValueError
        :func:`load` would refuse the file, which is then not written: a parameter set out
        of range after fit (scikit-learn checks parameters in ``fit``), a fitted
        transformer whose settings changed since, weights edited to NaN. Every file is read
        back before it replaces ``path`` (or reaches the file object). Also when the
        description of the model (``metadata.json``, which holds a ``TokenSequencer``'s
        vocabulary) is over the 64 MiB load reads: about 1.5 million tokens.
    IsADirectoryError, FileNotFoundError
        ``path`` is a directory (or ends with a separator), is empty, or names a directory
        that does not exist.
    PermissionError
        ``path`` is a file that may not be written, or its folder may not be written (the
        atomic write creates a file there), or the folder does not let this user replace
        the file (a sticky folder, as /tmp, and another user's file).
    FileNotFoundError
        For a file object: no temporary folder may be written (set ``TMPDIR``).

    Notes
    -----
    ``callbacks`` and a ``random_state`` that is a ``RandomState`` instance cannot be written
    as JSON: they are saved as None, with a warning. So are settings kept outside the
    parameters (``set_fit_request``'s metadata requests, ``set_output``): they are left out,
    with a warning. The optimizer state is not saved (see
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

    A pipeline that classifies raw text:

    >>> from sklearn.pipeline import make_pipeline
    >>> from pygru.text import TokenSequencer
    >>> docs, labels = ["good film", "bad film", "very good", "very bad"], [1, 0, 1, 0]
    >>> pipe = make_pipeline(
    ...     TokenSequencer(),
    ...     GRUClassifier(embedding_dim=4, hidden_layer_sizes=(4,), max_iter=2, random_state=0),
    ... ).fit(docs, labels)
    >>> save(pipe, path)
    >>> bool(np.array_equal(load(path).predict_proba(docs), pipe.predict_proba(docs)))
    True
    """
    metadata, arrays = _document(obj)
    document = json.dumps(metadata, allow_nan=False, indent=1).encode("utf-8")
    what = type(obj).__name__
    if len(document) > _MAX_METADATA_BYTES:
        raise ValueError(_too_long_a_description(what, obj, len(document)))
    if isinstance(path, (str, bytes, os.PathLike)):
        path = os.fsdecode(path)
        if _is_special_file(path):
            # A device or a FIFO (os.devnull, /dev/stdout) is written to, never replaced.
            with open(path, "wb") as file:
                _write_checked(file, document, arrays, what)
        else:
            _write_atomically(path, document, arrays, what)
    elif callable(getattr(path, "write", None)):
        _refuse_text_mode(path, "wb")
        writable = getattr(path, "writable", None)
        if callable(writable) and not writable():
            raise TypeError(
                f"path is a file not open for writing ({_name(path)}): open it with 'wb'"
            )
        _write_checked(path, document, arrays, what)
    else:
        raise TypeError(
            f"path must be a file path or a writable binary file, got {type(path).__name__}"
        )


def _document(obj):
    """The JSON document and the arrays that describe ``obj``: the estimator format for a
    lone pygru estimator (the format ``load`` has always read), else the pipeline format."""
    if _estimator_classes().get(type(obj).__name__) is type(obj):
        return _estimator_document(obj)
    arrays = {}
    root = _describe(obj, None, arrays, itertools.count())
    metadata = {
        "format": PIPELINE_FORMAT_NAME,
        "format_version": PIPELINE_FORMAT_VERSION,
        "pygru_version": __version__,
        "root": root,
        "arrays": {key: _describe_array(array) for key, array in arrays.items()},
    }
    return metadata, arrays


def _estimator_document(estimator):
    _warn_of_unsaved_settings(estimator, type(estimator).__name__)
    arrays = {}
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "pygru_version": __version__,
        "estimator": type(estimator).__name__,
        "params": _encode_params(estimator.get_params(deep=False)),
        "fitted": None,
    }
    if hasattr(estimator, "network_"):
        state, arrays = estimator._get_fitted_state()
        metadata["fitted"] = _encode_non_finite_floats(state)
    metadata["arrays"] = {key: _describe_array(array) for key, array in arrays.items()}
    return metadata, arrays


def _describe(obj, where, arrays, counter):
    """The JSON node of ``obj``; its arrays are added to ``arrays`` under member names
    numbered by ``counter``. ``where`` names the step in messages (None for the root)."""
    from sklearn.pipeline import Pipeline

    if type(obj) is Pipeline:
        return _describe_pipeline(obj, where, arrays, counter)
    names = {cls: name for name, cls in _step_classes().items()}
    if type(obj) not in names:
        raise TypeError(_unsupported_message(obj, where))
    where = where or type(obj).__name__
    _warn_of_unsaved_settings(obj, where)
    node = {
        "class": names[type(obj)],
        "params": _encode_params(obj.get_params(deep=False)),
        "fitted": None,
        "arrays": {},
    }
    if _is_fitted(obj):
        if hasattr(obj, "_get_fitted_state"):
            state, own_arrays = obj._get_fitted_state()
            node["fitted"] = _encode_non_finite_floats(state)
        else:
            node["fitted"], own_arrays = _attribute_state(obj, where)
        number = next(counter)
        for name, array in own_arrays.items():
            node["arrays"][name] = f"{number}/{name}"
            arrays[f"{number}/{name}"] = array
    return node


def _describe_pipeline(pipeline, where, arrays, counter):
    params = pipeline.get_params(deep=False)
    steps = params.pop("steps")
    if params.get("memory") is not None:
        warn(
            f"save: {where or 'the Pipeline'}'s memory={params['memory']!r} is saved as "
            "None: a cache folder belongs to this machine (and joblib's cache holds "
            "pickles); set it again after loading",
            UserWarning,
        )
        params["memory"] = None
    if not isinstance(steps, list):
        raise TypeError(
            f"cannot save {where or 'Pipeline'}: steps must be a list, got {type(steps).__name__}"
        )
    return {
        "class": _PIPELINE,
        "params": _encode_params(params),
        "steps": [
            [
                name,
                step
                if _is_passthrough(step)
                else _describe(step, _step_where(where, name), arrays, counter),
            ]
            for name, step in steps
        ],
    }


def _step_where(where, name):
    """How messages name step ``name`` of the pipeline at ``where`` (None: the root)."""
    return f"step {name!r}" if where is None else f"{where} > {name!r}"


def _is_passthrough(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def _unsupported_message(obj, where):
    supported = ", ".join(sorted({_short_name(name) for name in _step_classes()}))
    kind = type(obj).__name__
    what = kind if where is None else f"{where}, a {kind}"
    reason = (
        " (its functions are code, which cannot be stored without pickle)"
        if kind == "FunctionTransformer"
        else " (use pickle for other objects, and unpickle only files you trust)"
    )
    return f"save supports {supported} and Pipelines of these; got {what}{reason}"


def _short_name(name):
    """``StandardScaler`` for ``sklearn.preprocessing.StandardScaler``."""
    return name.rsplit(".", 1)[-1]


def _is_fitted(obj):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(obj)
    except NotFittedError:
        return False
    return True


def _is_fitted_name(name):
    """Whether ``name`` is a public fitted attribute's name (``mean_``, not ``_x`` or
    ``__class__``)."""
    return name.isidentifier() and name.endswith("_") and not name.startswith("_")


# Settings scikit-learn keeps outside get_params: set_{method}_request's metadata requests
# and set_output's container. The file has no place for them.
_UNSAVED_SETTINGS = {
    "_metadata_request": "its metadata requests (set_fit_request and the like)",
    "_sklearn_output_config": "its output container (set_output)",
}


def _warn_of_unsaved_settings(obj, where):
    unsaved = [what for name, what in _UNSAVED_SETTINGS.items() if vars(obj).get(name)]
    if unsaved:
        warn(
            f"save: {where} is saved without {' and '.join(unsaved)}; set them again after load",
            UserWarning,
        )


def _attribute_state(transformer, where):
    """``(state, arrays)``: the fitted attributes of a transformer that keeps them in public
    trailing-underscore attributes, arrays and NumPy scalars apart, the rest as JSON."""
    params = transformer.get_params(deep=False)
    state, arrays = {}, {}
    for name, value in vars(transformer).items():
        if name in params or name in _UNSAVED_SETTINGS:
            continue
        if not _is_fitted_name(name):
            raise TypeError(
                f"cannot save {where}: attribute {name} is neither a parameter nor a "
                "fitted attribute"
            )
        if isinstance(value, (np.ndarray, np.generic)):
            arrays[name] = _storable_array(np.asarray(value), where, name)
            continue
        try:
            state[name] = _encode_param(value)
        except TypeError:
            raise TypeError(
                f"cannot save {where}: fitted attribute {name} is a {type(value).__name__}"
            ) from None
    return state, arrays


def _storable_array(array, where, name):
    """``array`` as it is written: numbers and strings as they are, an object array of
    strings as a string array (it is read back as an object array)."""
    if array.dtype.kind in _ARRAY_KINDS and array.dtype.fields is None:
        return array
    if array.dtype == object and all(isinstance(item, str) for item in array.flat):
        return as_string_array(array, f"{where} (fitted attribute {name})")
    raise TypeError(
        f"cannot save {where}: fitted attribute {name} is an array of {array.dtype}, "
        "not of numbers or strings"
    )


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
        warn(
            f"save: parameter(s) {', '.join(dropped)} cannot be written as JSON and "
            "are saved as None; they matter only for further training",
            UserWarning,
        )
    return encoded


def _encode_param(value):
    """A JSON form of a hyper-parameter value that ``_decode_param`` turns back exactly,
    except a NumPy type or dtype (``dtype=np.float32``), written as its name ("float32"),
    which the estimators read the same way."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
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


def _write_atomically(path, document, arrays, what):
    """Write to a new file beside ``path``, then rename it over ``path``: a failure never
    leaves a half-written file or loses the one that was there, and a file that would not
    load back (``what`` names the object) never replaces it. The new file's bytes reach
    the disk (``fsync``) before the rename, and the rename itself after it, so that a power
    cut leaves the old file or the new one, never an empty one. The file gets the mode
    that ``open(path, "wb")`` would give it (that of the file it replaces, else the
    umask's), not mkstemp's private 0600. A symbolic link is written through: the file it
    points to is replaced, and the link stays."""
    if os.path.islink(path):
        resolved = os.path.realpath(path)
        if os.path.islink(resolved):  # a loop of links, which open() refuses too
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
        path = resolved
    directory = _folder_of(path)
    _check_writable_path(path, directory)
    temporary = os.path.join(directory, f".pygru-{secrets.token_hex(8)}.tmp")
    # From before the file exists to after it is renamed, any error or Ctrl-C removes it
    # (a file object owns its descriptor from the moment it is created, so none leaks).
    try:
        with _create_temporary_beside(path, temporary) as file:
            if os.path.exists(path):
                os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
            _write_zip(file, document, arrays)
            file.flush()
            os.fsync(file.fileno())
        _check_loads_back(temporary, what)
        try:
            os.replace(temporary, path)
        except OSError as error:  # it named the temporary file first, then the path
            why = error.strerror
            if error.errno in (errno.EPERM, errno.EACCES):  # the file and folder were writable
                why += (
                    ": save renames a new file over the path, which this folder does not "
                    "allow here (in a sticky folder, as /tmp, only the file's owner may "
                    "replace or remove it); save under another name, or ask the owner to "
                    "remove the file"
                )
            raise type(error)(error.errno, why, path) from None
    except BaseException:
        # Best effort, the error goes on: the file may not exist (not created yet, or Ctrl-C
        # just after the rename, when the save is done), or its path may be refused.
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _folder_of(path):
    """The folder the kernel writes ``path``'s file into, its symbolic links resolved
    (after one, ".." leaves the link's target, not the folder that holds the link:
    os.path.abspath reads it as text); as given where the resolved path is too long for
    the system (a working directory deeper than PATH_MAX, which exists all the same)."""
    given = os.path.dirname(path) or os.curdir
    resolved = os.path.realpath(given)
    try:
        os.stat(resolved)
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            return given
    return resolved


def _is_special_file(path):
    """Whether ``path`` names something that is neither a regular file nor a folder (a
    device, a FIFO, a socket), following symbolic links."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _too_long_a_description(what, obj, size):
    """Why ``obj`` cannot be saved where its metadata document is past what load reads,
    and for a TokenSequencer's vocabulary (the one part of a model that grows so large),
    the ``max_features`` that fits."""
    message = (
        f"cannot save {what}: its {_METADATA} would be {size:,} bytes, more than the "
        f"{_MAX_METADATA_BYTES >> 20} MiB load reads"
    )
    sizes = [len(part.vocabulary_) for part in _parts(obj) if hasattr(part, "vocabulary_")]
    if sizes:
        fits = int(max(sizes) * _MAX_METADATA_BYTES / size * 0.9)
        message += (
            f"; a TokenSequencer's vocabulary of {max(sizes):,} tokens takes it: fit it "
            f"with max_features={fits:,} or fewer"
        )
    return message + " (pickle has no such limit, but runs code when loaded)"


def _parts(obj):
    """``obj`` and, for a Pipeline, every step of it and of the pipelines within."""
    for _, step in getattr(obj, "steps", ()):
        yield from _parts(step)
    yield obj


def _write_checked(file, document, arrays, what):
    """Write the archive to ``file`` once it has been read back with load's checks: it is
    written to a temporary file first (no second copy in memory), then copied in chunks,
    each written whole (an unbuffered file may take part of a large write)."""
    with tempfile.TemporaryFile() as written:
        _write_zip(written, document, arrays)
        written.seek(0)
        _check_loads_back(written, what)
        written.seek(0)
        while chunk := written.read(_CHUNK_BYTES):
            view = memoryview(chunk)
            while view:
                view = view[_bytes_taken(file, view) :]


def _bytes_taken(file, view):
    """How many bytes of ``view`` one ``file.write`` took: all where it returns nothing
    (np.save and pickle accept such writers), but for a raw stream None means that it took
    none (not blocking). A write that takes none is an OSError: the copy loop spun on a
    full stream forever, and skipped what a raw stream had not taken (audit39a)."""
    count = file.write(view)
    if count is None and not isinstance(file, io.RawIOBase):
        return len(view)
    if (
        isinstance(count, numbers.Integral)
        and not isinstance(count, bool)
        and 0 < count <= len(view)
    ):
        return int(count)
    raise OSError(
        errno.EIO,
        f"save: the file object's write() took {count!r} of {len(view)} bytes (it takes "
        "none when its stream is full, or does not block); the file is incomplete",
    )


def _check_loads_back(file, what):
    """Refuse to write a file that ``load`` would refuse: a state that only save's checks
    let through (a parameter set out of range after fit, weights edited to NaN) would
    otherwise be lost at the next load, the old file replaced."""
    try:
        _load_named(file, "the file")
    except ValueError as error:
        raise ValueError(
            f"cannot save {what}: load would refuse it ({error}); set its parameters back "
            "to valid values or fit it again"
        ) from None


def _sync_directory(directory):
    """Make a rename in ``directory`` durable (POSIX); where a folder cannot be opened for
    that (Windows) or synced (some network file systems), the rename stands as it is."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _check_writable_path(path, directory):
    """Raise the error ``open(path, "wb")`` would, naming ``path`` rather than the temporary
    file that the atomic write creates beside it."""
    if not path:
        raise FileNotFoundError(errno.ENOENT, "save needs a file path, got an empty one", path)
    if os.path.isdir(path) or path.endswith(tuple(filter(None, (os.sep, os.altsep)))):
        raise IsADirectoryError(errno.EISDIR, "save needs a file path, got a directory", path)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(errno.ENOTDIR, "the folder to save into is a file", path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "the directory to save into does not exist", path)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, "the file to save over is not writable", path)
    name = os.fsdecode(os.path.basename(path))
    # In bytes or, where a system counts them, UTF-16 units: refused only if too long in
    # both, for a valid name is never to be refused (the rename would report the rest).
    size = min(len(os.fsencode(name)), len(name.encode("utf-16-le", "surrogatepass")) // 2)
    most = _longest_name(directory)
    if size > most:  # else the model is written in full before the rename fails
        raise OSError(
            errno.ENAMETOOLONG, f"the file name is too long here (at most {most} bytes)", path
        )


def _longest_name(directory):
    """How many bytes a file name may have in ``directory``, as far as the system says
    (Windows has no pathconf: there the rename reports it)."""
    try:
        limit = os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        return sys.maxsize
    return limit if limit > 0 else sys.maxsize  # -1: no limit


def _create_temporary_beside(path, temporary):
    """The new file ``temporary`` for the atomic write, created (never an existing one) and
    opened for writing with the mode ``open`` gives; an error names ``path`` and says why a
    folder that cannot be written is one that cannot be saved in."""
    try:
        return open(temporary, "xb")  # noqa: SIM115 (the caller's with statement closes it)
    except OSError as error:
        unwritable = "so the folder must be writable"
        why = {
            errno.EACCES: unwritable,
            errno.EPERM: unwritable,
            errno.EROFS: unwritable,
            errno.ENAMETOOLONG: f"its path ({len(temporary)} characters) is too long here, so "
            "save to a shorter path",
        }.get(error.errno)
        raise type(error)(
            error.errno,
            f"{error.strerror}: save writes a new file ({os.path.basename(temporary)}) in the "
            "folder of the path and then renames it over the path" + (f"; {why}" if why else ""),
            path,
        ) from None


def _write_zip(file, document, arrays):
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        # A ZipInfo of its own, dated 1980 as the arrays are: a name alone would stamp the
        # clock, and the same model would give other bytes at every save.
        archive.writestr(zipfile.ZipInfo(_METADATA), document)
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
    """Load an estimator or a pipeline written by :func:`save`.

    Parameters
    ----------
    path : str, os.PathLike or readable binary file object
        The file, as :func:`save` wrote it. A stream that cannot seek (a pipe, a socket)
        is read into memory first.

    Returns
    -------
    obj : GRUClassifier, GRURegressor, Pipeline or a supported transformer
        Predicts and transforms exactly as the saved object.

    Raises
    ------
    ValueError
        The file is not a pygru file (empty, not a zip archive, a plain NumPy ``.npz``, a
        file of another program), holds none from where a file object stands (one just
        saved to or already loaded from: ``seek(0)`` first), is truncated or corrupted
        (checksum mismatch), was written by a newer format version, or holds values of the
        wrong type or shape.
    FileNotFoundError
        There is no file at ``path``.
    TypeError
        ``path`` is a file opened in text mode.

    Notes
    -----
    Loading runs no code from the file and gives exactly the model it describes, every
    value checked; it does not bound what that model costs to run. The file chooses the
    network's size, a text step's ``max_len_`` (ids per document) and ``token_pattern`` (a
    regular expression: a crafted one can take exponential time on some texts). Read them
    before serving a model from an untrusted source.

    Examples
    --------
    >>> import io
    >>> from pygru import load
    >>> load(io.BytesIO(b"hello"))
    Traceback (most recent call last):
    ...
    ValueError: <file> is not a pygru file: it is not a zip archive (pygru files are .npz archives)
    """
    if callable(getattr(path, "read", None)):
        _refuse_text_mode(path, "rb")
        readable = getattr(path, "readable", None)
        if callable(readable) and not readable():
            raise TypeError(
                f"path is a file not open for reading ({_name(path)}): open it with 'rb'"
            )
    elif isinstance(path, (bytearray, memoryview)) or (isinstance(path, bytes) and b"\0" in path):
        # A file's contents, which no path is (a path has no NUL byte).
        raise TypeError(
            f"path must be a file path or a readable binary file, got {type(path).__name__} "
            "holding data: for a file's contents in memory, pass io.BytesIO(data)"
        )
    elif not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(
            f"path must be a file path or a readable binary file, got {type(path).__name__}"
        )
    return _load_named(path, _name(path))


def _read_stream(file):
    """What a stream that cannot seek holds, in memory; only the first bytes where they are
    not those of a zip archive, which pygru files are (an endless stream is not read)."""
    head = file.read(len(_ZIP_MAGIC))
    return io.BytesIO(head + file.read() if head == _ZIP_MAGIC else head)


_ZIP_MAGIC = b"PK\x03\x04"


def _load_named(path, name):
    """:func:`load` of a path or a binary file, its errors naming it ``name``."""
    if isinstance(path, (str, bytes, os.PathLike)):
        # Opened here: NumPy leaves a file it opened itself open when its archive is broken.
        with open(path, "rb") as file:
            return _load_named(file, name)
    seekable = getattr(path, "seekable", None)
    stream = not (callable(seekable) and seekable())
    if stream:  # a pipe, a socket, a FIFO: NumPy must seek
        path = _read_stream(path)
    start = path.tell()
    try:
        npz = np.load(path, allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except _BROKEN_ARCHIVE as error:
        raise ValueError(f"{name} {_why_unreadable(error, start, stream)}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{name} is not a pygru file: it holds a single NumPy array, not a zip archive"
        )
    _refuse_data_before_the_archive(npz, start, name)
    try:
        with npz:
            return _load(npz)
    except _BROKEN_ARCHIVE + (TypeError, KeyError, OverflowError) as error:
        detail = (
            str(error) if isinstance(error, _FormatError) else f"{type(error).__name__}: {error}"
        )
        raise ValueError(f"{name} is not a valid pygru file: {detail}") from None


def _refuse_data_before_the_archive(npz, start, name):
    """Refuse an archive that does not begin where reading began: zipfile reads the
    archive that ends the file, so of two models saved into one stream the second was
    loaded, without a word, where pickle gives the first."""
    offsets = [info.header_offset for info in npz.zip.infolist()]
    if offsets and min(offsets) != start:
        npz.close()
        raise ValueError(
            f"{name} is not a valid pygru file: the archive load reads (the one that ends the "
            f"file) starts at byte {min(offsets)}, not at byte {start} where reading began; "
            "several models saved into one file or stream? Save each to its own"
        )


def _refuse_text_mode(file, mode):
    if isinstance(file, io.TextIOBase):
        raise TypeError(
            f"path is a file opened in text mode ({getattr(file, 'name', '<file>')!r}); "
            f"pygru files are binary: open it with mode {mode!r}"
        )


def _why_unreadable(error, start, stream):
    """Why ``numpy.load`` could not open a file read from byte ``start`` (of a ``stream``
    that cannot seek: from where it was), in words that do not point to pickle (NumPy
    suggests it for any file that is neither a zip archive nor a ``.npy`` array). A file
    read from past its start, or a stream, may hold a pygru file before that point: saved
    and then loaded without ``seek(0)``, or loaded twice."""
    if isinstance(error, EOFError) and start > 0:
        return (
            f"has nothing left to read from byte {start}, where reading began (a file just "
            "written or already read? seek(0) to read it from its start)"
        )
    if isinstance(error, EOFError) and stream:
        return "has nothing left to read: the stream is empty or was already read to its end"
    if isinstance(error, EOFError):
        return "is not a pygru file: it is empty"
    if isinstance(error, ValueError) and start > 0:
        return (
            f"holds no zip archive from byte {start}, where reading began (pygru files are "
            ".npz archives; a file already read? seek(0) to read it from its start)"
        )
    if isinstance(error, ValueError):
        return "is not a pygru file: it is not a zip archive (pygru files are .npz archives)"
    return (
        "is not a valid pygru file: its zip archive is truncated or damaged "
        f"({type(error).__name__}: {error})"
    )


class _FormatError(ValueError):
    """A problem found by the checks below, with a message meant for the user."""


def _name(path):
    """How messages name ``path``: a path quoted, a file object by its name (an unnamed
    one, a temporary file or a pipe, has a descriptor number for a name)."""
    if isinstance(path, (str, bytes, os.PathLike)):
        return repr(os.fsdecode(path))
    name = getattr(path, "name", None)
    if isinstance(name, int):
        return f"file descriptor {name}"
    return "<file>" if name is None else name


def _load(npz):
    names = npz.zip.namelist()
    if len(set(names)) != len(names):  # zipfile reads the last of a name, a reviewer the first
        twice = sorted(name for name, count in collections.Counter(names).items() if count > 1)
        raise _FormatError(f"the archive holds {_first_few(twice)} more than once")
    members = set(names)
    if _METADATA not in members:
        raise _FormatError(_missing_metadata_message(members))
    metadata = _read_metadata(npz.zip)
    _expect(metadata, dict, "the metadata document")
    described = metadata.get("arrays")
    if metadata.get("format") == PIPELINE_FORMAT_NAME:
        _check_version(metadata, PIPELINE_FORMAT_VERSION)
        _check_members(members, described)
        return _load_pipeline_document(npz, metadata.get("root"), described)
    if metadata.get("format") != FORMAT_NAME:
        raise _FormatError(
            f"format is {metadata.get('format')!r}, expected {FORMAT_NAME!r} or "
            f"{PIPELINE_FORMAT_NAME!r}"
        )
    _check_version(metadata, FORMAT_VERSION)
    return _load_estimator_document(npz, metadata, members)


def _missing_metadata_message(members):
    if "schema.json" in members:
        return "it looks like a skops file (load it with skops.io.load), not one of pygru.save"
    return f"the archive has no {_METADATA} (a plain NumPy .npz, or another program's zip file?)"


def _load_estimator_document(npz, metadata, members):
    classes = _estimator_classes()
    name = metadata.get("estimator")
    if not isinstance(name, str) or name not in classes:
        raise _FormatError(f"estimator must be one of {sorted(classes)}, got {name!r}")
    estimator = _build_estimator(classes[name], metadata.get("params"))
    fitted = metadata.get("fitted")
    described = metadata.get("arrays")
    _check_members(members, described)
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


def _check_members(members, described):
    """The archive holds the metadata and exactly the arrays it describes."""
    _expect(described, dict, "arrays")
    expected_members = {_METADATA} | {key + ".npy" for key in described}
    if members != expected_members:
        unexpected = sorted(members - expected_members)
        missing = sorted(expected_members - members)
        raise _FormatError(
            f"the archive holds {len(members)} members where its metadata describes "
            f"{len(expected_members)}: unexpected {_first_few(unexpected)}, missing "
            f"{_first_few(missing)}"
        )


def _first_few(names, shown=5):
    """Up to ``shown`` of ``names`` and how many more, for a message of bounded length (an
    archive of 100,000 members made a message of 20 MB)."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{[name[:60] for name in names[:shown]]}{more}"


def _check_version(metadata, supported):
    version = metadata.get("format_version")
    if not is_integer(version) or version < 1:
        raise _FormatError(f"format_version must be a positive integer, got {version!r}")
    if version > supported:
        raise _FormatError(
            f"format version {version} was written by a newer pygru "
            f"({metadata.get('pygru_version')!r}); this pygru reads versions "
            f"up to {supported}"
        )


# ------------------------------------------------------------------- load: pipeline format


def _load_pipeline_document(npz, root, described):
    """The object that ``root`` describes; each described array belongs to one object."""
    unclaimed = set(described)
    obj = _load_node(root, None, _ArraySource(npz, described, unclaimed))
    if unclaimed:
        raise _FormatError(f"arrays {sorted(unclaimed)} belong to no step")
    return obj


class _ArraySource:
    """Reads the described arrays of an archive, each one for one object only."""

    def __init__(self, npz, described, unclaimed):
        self.npz, self.described, self.unclaimed = npz, described, unclaimed

    def claim(self, member, where):
        if not isinstance(member, str) or member not in self.unclaimed:
            raise _FormatError(
                f"{where}: array {member!r} is not in the archive or belongs to another step"
            )
        self.unclaimed.remove(member)
        return _read_array(self.npz, member, self.described[member])


def _load_node(node, where, source):
    _expect(node, dict, where or "root")
    if node.get("class") == _PIPELINE:
        return _load_pipeline(node, where, source)
    classes = _step_classes()
    name = node.get("class")
    if not isinstance(name, str) or name not in classes:
        raise _FormatError(
            f"{where or 'root'}: class must be one of {sorted([_PIPELINE, *classes])}, "
            f"got {name!r}"[:500]
        )
    where = where or _short_name(name)
    _expect_keys(node, {"class", "params", "fitted", "arrays"}, where)
    try:
        obj = _build_estimator(classes[name], node["params"])
    except ValueError as error:
        raise _FormatError(f"{where}: {error}") from None
    fitted, members = node["fitted"], node["arrays"]
    _expect(members, dict, f"{where}: arrays")
    if fitted is None:
        if members:
            raise _FormatError(f"{where}: an unfitted step has no arrays")
        return obj
    _expect(fitted, dict, f"{where}: fitted")
    arrays = {key: source.claim(member, where) for key, member in members.items()}
    try:
        if hasattr(obj, "_set_fitted_state"):
            obj._set_fitted_state(_decode_non_finite_floats(fitted, "fitted"), arrays)
        else:
            _set_fitted_attributes(obj, fitted, arrays, _FITTED_CHECKS.get(name))
    except ValueError as error:  # the checks say what is wrong
        raise _FormatError(f"{where}: {error}") from None
    return obj


def _load_pipeline(node, where, source):
    from sklearn.pipeline import Pipeline

    _expect_keys(node, {"class", "params", "steps"}, where or "the pipeline")
    steps = node["steps"]
    _expect(steps, list, f"{where or 'the pipeline'}: steps")
    loaded = []
    for entry in steps:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise _FormatError(f"pipeline steps must be [name, step] pairs, got {entry!r}"[:300])
        name, step = entry
        if not _is_passthrough(step):
            step = _load_node(step, _step_where(where, name), source)
        loaded.append((name, step))
    _check_steps(loaded, where)
    params = node["params"]
    if isinstance(params, dict) and isinstance(params.get("memory"), str):
        # A file must not choose where fit caches: joblib's cache is pickles, which fit
        # would then load from a folder the file named.
        warn(
            f"load: {where or 'the pipeline'} had memory={params['memory']!r}, loaded as "
            "None (a cache folder is not read from files); set it after loading if wanted",
            UserWarning,
        )
        params = {**params, "memory": None}
    try:
        return _build_estimator(Pipeline, params, steps=loaded)
    except ValueError as error:
        raise _FormatError(f"{where or 'the pipeline'}: {error}") from None


def _check_steps(steps, where):
    """What scikit-learn checks when a pipeline is fitted, for a pipeline that will not be."""
    names = [name for name, _ in steps]
    problems = []
    if not steps:
        problems.append("it has no steps")
    if len(set(names)) != len(names) or any("__" in name or not name for name in names):
        problems.append(f"step names must be unique, non-empty and without '__': {names}")
    if any(not (_is_passthrough(step) or hasattr(step, "transform")) for _, step in steps[:-1]):
        problems.append("every step but the last must be a transformer")
    if problems:
        raise _FormatError(f"{where or 'the pipeline'}: {'; '.join(problems)}"[:500])


def _expect_keys(node, keys, where):
    if set(node) != keys:
        raise _FormatError(f"{where} must have the keys {sorted(keys)}, got {sorted(node)}")


def _read_metadata(archive):
    info = archive.getinfo(_METADATA)
    _check_member_size(info, archive)
    if info.file_size > _MAX_METADATA_BYTES:
        raise _FormatError(f"{_METADATA} is {info.file_size} bytes, more than a model needs")
    try:
        with archive.open(info) as member:
            raw = _read_at_most(member, _MAX_METADATA_BYTES + 1)
        if len(raw) > _MAX_METADATA_BYTES:
            raise _FormatError(f"{_METADATA} is more than {_MAX_METADATA_BYTES} bytes")
        text = raw.decode("utf-8")
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


def _check_member_size(info, archive):
    """Refuse a member whose declared sizes a reader could not trust: larger than the whole
    file (compressed, or stored), or expanding more than ``_MAX_COMPRESSION_RATIO``-fold, so
    that reading it, which zipfile stops at the declared size, stays bounded by the file."""
    file_bytes = _archive_bytes(archive)
    stored = info.compress_type == zipfile.ZIP_STORED
    if info.compress_size > file_bytes or stored and info.file_size > file_bytes:
        raise _FormatError(
            f"member {info.filename} claims {max(info.compress_size, info.file_size)} bytes, "
            f"more than the whole file ({file_bytes}): the archive is damaged"
        )
    if (
        info.compress_type != zipfile.ZIP_STORED
        and info.file_size > _MAX_COMPRESSION_RATIO * max(info.compress_size, 1) + 4096
    ):
        raise _FormatError(
            f"member {info.filename} expands {info.compress_size} bytes to "
            f"{info.file_size}: refusing a possible zip bomb"
        )


def _archive_bytes(archive):
    """The size of the open zip ``archive``'s file."""
    position = archive.fp.tell()
    size = archive.fp.seek(0, io.SEEK_END)
    archive.fp.seek(position)
    return size


# Members are read in chunks of at most this many bytes: the sizes a zip archive declares
# are the writer's word, and reading a declared 4 TB at once allocates it first. save copies
# a checked archive to a file object in chunks of the same size.
_CHUNK_BYTES = 16 << 20


def _read_at_most(member, size):
    """Up to ``size`` bytes of the open zip ``member``, fewer where it ends sooner, without
    allocating more than what is there (plus one chunk)."""
    data = bytearray()
    while len(data) < size:
        chunk = member.read(min(size - len(data), _CHUNK_BYTES))
        if not chunk:
            break
        data += chunk
    return data


def _read_array(npz, key, description):
    """Array ``key``, after checking that its header matches ``description`` (so that no
    object array is unpickled and no claimed size is allocated) and then its checksum."""
    _expect(description, dict, f"arrays.{key}")
    if set(description) != {"dtype", "shape", "sha256"}:
        raise _FormatError(f"arrays.{key} must have the keys dtype, shape and sha256")
    shape = description["shape"]
    if not isinstance(shape, list) or not all(is_integer(size) and size >= 0 for size in shape):
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
    _check_member_size(info, npz.zip)
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
        n_bytes = math.prod(shape) * dtype.itemsize
        data = _read_at_most(member, n_bytes)
    if len(data) < n_bytes:
        raise _FormatError(f"{key}.npy is truncated")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    if fortran_order:
        array = np.ascontiguousarray(array)
    if hashlib.sha256(array.tobytes()).hexdigest() != description["sha256"]:
        raise _FormatError(f"checksum mismatch for {key}: the file is corrupted")
    return array


def _build_estimator(cls, encoded, **given):
    """``cls(**given, **params)`` for the encoded ``params``, its parameters validated."""
    _expect(encoded, dict, "params")
    valid = cls(**given).get_params(deep=False)
    unknown = sorted(set(encoded) - set(valid) | set(encoded) & set(given))
    if unknown:
        raise _FormatError(f"unknown parameter(s) for {cls.__name__}: {unknown}")
    params = {name: _decode_param(value, name) for name, value in encoded.items()}
    for name, value in VALUES_BEFORE_ADDED.items():
        if name in valid and name not in encoded and name not in given:
            params[name] = value
    estimator = cls(**given, **params)
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


def _set_fitted_attributes(transformer, state, arrays, check):
    """Give ``transformer`` the fitted attributes that :func:`_attribute_state` described,
    after checking their names and, with ``check`` (from ``_FITTED_CHECKS``), their values."""
    values = _fitted_values(state, arrays)
    for name in values:
        if not _is_fitted_name(name) or hasattr(type(transformer), name):
            raise ValueError(
                f"{name!r} is not a fitted attribute of {type(transformer).__name__}"[:300]
            )
    if check is not None:
        check(values, transformer)
    for name, value in values.items():
        setattr(transformer, name, value)


def _fitted_values(state, arrays):
    """{name: value} of the fitted attributes that :func:`_attribute_state` described as
    ``(state, arrays)``."""
    values = {name: _decode_param(value, name) for name, value in state.items()}
    for name, array in arrays.items():
        if name in values:
            raise ValueError(f"fitted attribute {name} is given twice")
        values[name] = _restored_array(array)
    return values


def _restored_array(array):
    """The attribute that :func:`_storable_array` wrote as ``array``: a 0-d array was a NumPy
    scalar, a string array an object array of strings."""
    if array.ndim == 0:
        return array[()]
    return array.astype(object) if array.dtype.kind == "U" else array


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


# ------------------------------------------------------ fitted attributes of foreign classes


def _check_standard_scaler(values, transformer):
    n_features = _check_attribute_names(
        values, {"n_features_in_", "n_samples_seen_", "mean_", "var_", "scale_"}
    )
    for name in ("mean_", "var_", "scale_"):
        if values[name] is not None:
            _check_vector(values, name, "f", n_features)
    seen = values["n_samples_seen_"]
    if isinstance(seen, np.ndarray) and seen.ndim == 1:  # with NaNs: a count per feature
        _check_vector(values, "n_samples_seen_", "iuf", n_features)
    elif not is_real(seen):
        raise ValueError(f"fitted attribute n_samples_seen_ must be a number, got {seen!r}"[:300])
    unobserved = np.asarray(seen) == 0 if np.ndim(seen) == 1 else np.zeros(n_features, bool)
    present = [name for name in ("mean_", "var_", "scale_") if values[name] is not None]
    _check_statistics(values, present, unobserved, "n_samples_seen_ is 0")


def _check_statistics(values, names, unobserved, why):
    """A scaler's statistics ``names`` are finite, with var_ and data_range_ >= 0 and scale_
    > 0, except at the features never observed in fit (``unobserved``), where each is NaN,
    as scikit-learn leaves them. A NaN elsewhere turned a whole time step into padding: the
    model read every sequence without it, silently. (var_ may fall below 0 by rounding:
    weighted fits of a constant leave -2e-50, with scale_ 1.)"""
    for name in names:
        value = values[name]
        observed = value[~unobserved]
        if name == "scale_":
            in_range, bound = observed > 0, ", > 0"
        elif name == "data_range_":
            in_range, bound = observed >= 0, ", >= 0"
        elif name == "var_":
            mean = values.get("mean_")
            mean = np.zeros_like(value) if mean is None else mean
            rounding = 8 * np.finfo(np.float64).eps * (1 + mean[~unobserved] ** 2)
            in_range, bound = observed >= -rounding, ", >= 0"
        else:
            in_range, bound = True, ""
        if not (
            np.isnan(value[unobserved]).all() and np.isfinite(observed).all() and np.all(in_range)
        ):
            raise ValueError(
                f"fitted attribute {name} must be finite{bound} where a feature was observed, "
                f"NaN only where {why}"
            )


def _check_min_max_scaler(values, transformer):
    vectors = ("min_", "scale_", "data_min_", "data_max_", "data_range_")
    n_features = _check_attribute_names(values, {"n_features_in_", "n_samples_seen_", *vectors})
    for name in vectors:
        _check_vector(values, name, "f", n_features)
    read_count(values, "n_samples_seen_", minimum=1)
    unobserved = np.isnan(values["data_min_"])
    _check_statistics(values, vectors, unobserved, "data_min_ is NaN (a feature never observed)")


def _check_token_sequencer(values, transformer):
    _check_attribute_names(values, {"vocabulary_", "vocabulary_size_", "max_len_"}, optional=())
    size = read_count(values, "vocabulary_size_", minimum=2)
    max_len = read_count(values, "max_len_", minimum=1)
    if transformer.max_len is not None and max_len != transformer.max_len:
        raise ValueError(f"fitted attribute max_len_ must be max_len={transformer.max_len}")
    vocabulary = values["vocabulary_"]
    if (
        not isinstance(vocabulary, dict)
        or not all(
            isinstance(token, str) and is_integer(index) for token, index in vocabulary.items()
        )
        or sorted(vocabulary.values()) != list(range(2, size))
    ):
        raise ValueError(
            "fitted attribute vocabulary_ must map tokens to the ids 2, 3, ..., "
            f"vocabulary_size_ - 1 = {size - 1}, each once"
        )


def _check_sequence_scaler(values, transformer):
    # per="sequence" keeps no statistics, unless fitted with per="feature" before set_params
    # changed it: then all three, as fit left them.
    statistics = {"mean_", "var_", "scale_"}
    learnt = statistics if transformer.per == "feature" or statistics & set(values) else set()
    n_features = _check_attribute_names(values, {"n_features_in_"} | learnt)
    for name in sorted(learnt):
        _check_vector(values, name, "f", n_features)
    if learnt and not (
        np.isfinite(values["mean_"]).all()
        and (values["var_"] >= 0).all()
        and (values["scale_"] > 0).all()
        and np.isfinite(values["scale_"]).all()
    ):
        raise ValueError(
            "fitted attributes mean_, var_ and scale_ must be finite, with var_ >= 0 and "
            "scale_ > 0"
        )


def _check_sequence_imputer(values, transformer):
    n_features = _check_attribute_names(values, {"n_features_in_", "statistics_"})
    _check_vector(values, "statistics_", "f", n_features)
    if not np.isfinite(values["statistics_"]).all():
        raise ValueError("fitted attribute statistics_ must be finite")


def _check_attribute_names(values, required, optional=("feature_names_in_",)):
    """``n_features_in_`` (when required), after checking that ``values`` holds the
    ``required`` attributes and no others than the ``optional`` ones."""
    missing = sorted(required - set(values))
    unknown = sorted(set(values) - required - set(optional))
    if missing or unknown:
        raise ValueError(f"fitted attributes missing: {missing}, unknown: {unknown}"[:300])
    if "n_features_in_" not in required:
        return None
    n_features = read_count(values, "n_features_in_", minimum=1)
    if "feature_names_in_" in values:
        _check_vector(values, "feature_names_in_", "O", n_features)
    return n_features


def _check_vector(values, name, kinds, length):
    value = values[name]
    if not (
        isinstance(value, np.ndarray) and value.dtype.kind in kinds and value.shape == (length,)
    ):
        got = f"{value.dtype} {value.shape}" if isinstance(value, np.ndarray) else repr(value)
        raise ValueError(
            f"fitted attribute {name} must be an array of shape ({length},) and dtype kind "
            f"{kinds!r}, got {got}"[:300]
        )


# The classes whose fitted attributes this module checks on loading, by their file names; the
# estimators check their own (``_set_fitted_state``).
_FITTED_CHECKS = {
    "sklearn.preprocessing.StandardScaler": _check_standard_scaler,
    "sklearn.preprocessing.MinMaxScaler": _check_min_max_scaler,
    "pygru.text.TokenSequencer": _check_token_sequencer,
    "pygru.preprocessing.SequenceScaler": _check_sequence_scaler,
    "pygru.preprocessing.SequenceImputer": _check_sequence_imputer,
}
