"""A fitted estimator as one ONNX graph: the scaling of each sequence by itself,
standardisation, patches, GRU nodes, the convolutional branch, head (and the linear skip),
outputs.

ONNX's ``GRU`` operator computes pygru's equations: ``linear_before_reset=1`` is
``reset_after=True`` and ``0`` the Cho variant (the recurrent candidate bias then sits outside
the reset gate, as in pygru). It orders the gates [z, r, h] where pygru has [r, z, n], reads
time-major input (time, batch, features) and writes ``Y`` as (time, directions, batch,
hidden) and ``Y_h`` as (directions, batch, hidden): the state after each sequence's own last
step forwards and after its first step backwards, which is what pygru's head reads.
onnxruntime runs ``GRU`` in float32 only, so every graph computes in float32 (a float64 model
is exported with its weights rounded to float32).
"""

import numpy as np

from pygru._network import CONV_NORM_EPSILON, same_padding
from pygru._numbers import is_integer
from pygru._version import __version__
from pygru.export._weights import (
    GRU_WEIGHT_NAMES,
    check_float32_targets,
    fitted_on_host,
    input_statistics,
    scaler_statistics,
    sequence_scalers_and_estimator,
    split_in_two,
    statistics_of_x,
    to_zrn_order,
    warn_if_float32_input_blurs,
)

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax over the last axis only, and the ops' current input forms
_LOWEST = np.finfo(np.float32).min  # fills padding before a maximum or a softmax


def to_onnx(estimator, *, opset=None, input_dtype="float32"):
    """The whole fitted estimator as one ONNX model, for onnxruntime and other backends.

    The graph reads the sequences as pygru does: where the estimator scales each sequence
    by itself (``standardize="sequence"``, or "auto" that chose it), it first centres and
    scales each sequence by its own mean and spread over its valid steps (the spread no
    less than ``sequence_spread_floor_``) and appends that level and the log of that
    spread as channels (in float64 whatever ``input_dtype``, as ``predict`` computes
    them); it standardises the input with
    ``input_mean_`` and ``input_scale_``, reads ``patch_size_`` steps per GRU step
    (repeating each sequence's last step to fill its final patch), runs one ONNX ``GRU``
    node per layer (``direction="bidirectional"`` for a bidirectional layer) with the
    sequences' lengths as ``sequence_lens``, then the dense head (plus the linear skip's
    map of each sequence's last ``linear_steps`` network input steps, when the network has
    one) and softmax (classifier) or the undoing of the target scaling (regressor). It
    computes in float32. With ``output="sequence"`` the head reads every time step, and
    the outputs have a time axis.

    Parameters
    ----------
    estimator : fitted GRUClassifier or GRURegressor, or Pipeline
        Any configuration: both GRU variants, stacked and bidirectional layers, patches,
        each sequence scaled by itself, embedding models, ``output="last"`` or
        ``"sequence"`` (a classifier of every time step as well as a regressor), the linear
        skip. A fitted Pipeline of
        :class:`~pygru.preprocessing.SequenceScaler` steps (per feature or per sequence,
        computed in float64 over each sequence's observed steps, as ``transform``) before
        one of them is exported whole; other steps are refused with a TypeError
        (``to_onnx(pipeline[-1])`` exports the estimator alone).
    opset : int or None, default=None
        The ONNX opset of the graph, at least 13; None: 17. The model's IR version is the
        lowest that opset allows (8 for opset 17), not the installed onnx package's newest,
        so runtimes older than that package load it.
    input_dtype : {"float32", "float64"}, default="float32"
        The element type of the input ``"X"`` of a model that reads numbers (NumPy's
        ``np.float32`` and ``np.float64``, or their dtypes, are taken too, as the
        estimators' ``dtype`` takes them). With
        "float64" the graph standardises X in float64 and computes in float32 from there,
        as ``predict`` does: a feature whose mean is large beside its spread (a timestamp,
        a coordinate) loses that spread when X is rounded to float32 first, which
        ``to_onnx`` warns of from the fitted statistics of what reads X first (the
        estimator's, or a per-feature scaler's). Behind ``SequenceScaler(per="sequence")``,
        or for an estimator that scales each sequence by itself, whose statistics are each
        sequence's own, it cannot tell: pass "float64" there for series that sit far from
        zero beside their spread. Embedding models read int64
        token ids whatever this is.

    Returns
    -------
    model : onnx.ModelProto
        Inputs ``"X"``: ``input_dtype`` (batch, time, features), zero (or anything finite) past
        each sequence's length, or for an embedding model int64 token ids (batch, time) in
        ``[0, vocabulary_size_)`` (the graph does not check them, as ``predict`` does:
        onnxruntime refuses a larger id, but ONNX's ``Gather`` reads a negative id as
        counted from the table's end); ``"lengths"``: int64 (batch,), each sequence's
        number of time steps (at least 1: a sequence with a length under 1 gets NaN
        outputs; onnxruntime refuses lengths that are not one per sequence of X, naming the
        node ``lengths_must_hold_one_length_per_sequence_of_X``, or that pass X's time
        steps; where X has no time steps, every sequence gets NaN outputs). An empty batch
        gets empty outputs.
        Outputs of a classifier: ``"label"`` (batch,), the predicted class as int64
        (boolean classes as 0 and 1), string, or double where ``classes_`` are floats (as
        from pandas' nullable ``Int64``), and ``"probabilities"`` float32 (batch,
        n_classes), as ``predict_proba``; with ``output="sequence"``, the class of every
        step, ``"label"`` (batch, time), and ``"probabilities"`` (batch, time, n_classes)
        with NaN past each sequence's length, as ``predict_proba``. Past a sequence's
        length ``"label"`` holds ``classes_[0]`` (labels have no NaN): read each sequence's
        first ``lengths[i]`` labels, which are ``predict``'s. Of a regressor:
        ``"variable"`` float32 (batch, n_outputs), or (batch, time, n_outputs) for
        ``output="sequence"`` with NaN past each sequence's length, as ``predict`` with the
        target axis kept. A sequence with a NaN or infinite value within its length, which
        ``predict`` refuses, gets NaN probabilities or predictions (the graph cannot
        raise).

    Raises
    ------
    TypeError
        ``estimator`` is not a pygru estimator (or such a Pipeline), or ``opset`` not an
        int.
    ValueError
        ``opset`` is outside 13 .. the installed onnx package's newest opset,
        ``input_dtype`` is not "float32" or "float64", class labels have no exact ONNX
        type, or a regressor's ``target_scale_`` or ``target_mean_`` float32 cannot hold
        (a scale under 1.2e-38 or past 3.4e38: the float32 output would be constant, 0 or
        inf). Where the targets' mean is large beside their scale, so that the float32
        output carries them to worse than 1e-5 of the scale, a UserWarning says so.
    sklearn.exceptions.NotFittedError
        The estimator is not fitted.

    Examples
    --------
    >>> import numpy as np, onnxruntime
    >>> from pygru import GRUClassifier, to_onnx
    >>> X = np.random.default_rng(0).standard_normal((8, 5, 2)).astype(np.float32)
    >>> clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, [0, 1] * 4)
    >>> session = onnxruntime.InferenceSession(to_onnx(clf).SerializeToString())
    >>> label, proba = session.run(None, {"X": X, "lengths": np.full(8, 5)})
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True
    """
    onnx = _import_onnx()
    scalers, estimator = sequence_scalers_and_estimator(
        estimator,
        "to_onnx",
        "; or, for scikit-learn's 2-D transformers, convert the Pipeline with skl2onnx "
        "after pygru.export.register_skl2onnx_converters()",
    )
    opset = _check_opset(opset, onnx.defs.onnx_opset_version())
    x_type = _input_type(input_dtype)
    if x_type is None:
        raise ValueError(f'input_dtype must be "float32" or "float64", got {input_dtype!r}')
    check_float32_targets(estimator, _FLOAT32_TARGETS_REMEDY)
    graph = _Graph(onnx)
    network = estimator.network_
    if network.embedding_dim is None:
        x_shape = ["batch", "time", estimator.n_features_in_]
        if x_type == onnx.TensorProto.FLOAT:
            remedy = "to_onnx(estimator, input_dtype='float64')"
            warn_if_float32_input_blurs(*statistics_of_x(scalers, estimator), remedy)
    else:
        x_type, x_shape = onnx.TensorProto.INT64, ["batch", "time"]
    inputs = [
        onnx.helper.make_tensor_value_info("X", x_type, x_shape),
        onnx.helper.make_tensor_value_info("lengths", onnx.TensorProto.INT64, ["batch"]),
    ]
    output_names = _output_names(estimator)
    x_is_double = x_type == _INPUT_TYPES["float64"]
    lengths = _one_length_per_sequence(graph, "X", "lengths")
    x, lengths, n_steps = _one_step_if_timeless(graph, "X", lengths, x_type)
    for scaler in scalers:
        x = sequence_scaler_nodes(graph, scaler, x, x_is_double, lengths)
    estimator_nodes(graph, estimator, x, lengths, output_names, x_is_double, n_steps)
    outputs = [
        onnx.helper.make_tensor_value_info(name, elem_type, shape)
        for name, (elem_type, shape) in zip(output_names, _output_types(onnx, estimator))
    ]
    body = onnx.helper.make_graph(
        graph.nodes, type(estimator).__name__, inputs, outputs, graph.initializers
    )
    opset_imports = [onnx.helper.make_opsetid("", opset)]
    model = onnx.helper.make_model(
        body,
        opset_imports=opset_imports,
        # make_model writes the onnx package's own IR version, which runtimes released
        # before that package refuse ("Unsupported model IR version").
        ir_version=onnx.helper.find_min_ir_version_for(opset_imports),
        producer_name="pygru",
        producer_version=__version__,  # as skl2onnx and torch.onnx write theirs
        doc_string=f"pygru {type(estimator).__name__}",
    )
    onnx.checker.check_model(model, full_check=True)
    return model


# onnx.TensorProto's element types of the inputs to_onnx declares (FLOAT, DOUBLE).
_INPUT_TYPES = {"float32": 1, "float64": 11}


# NumPy's forms of the two names, as the estimators' ``dtype`` takes them.
_NUMPY_INPUT_DTYPES = {
    form: name for name in _INPUT_TYPES for form in (getattr(np, name), np.dtype(name))
}


def _input_type(input_dtype):
    """The ONNX element type of X for ``input_dtype`` given as the estimators' ``dtype`` is:
    "float32" or "float64", NumPy's type or its dtype; None for anything else."""
    try:
        input_dtype = _NUMPY_INPUT_DTYPES.get(input_dtype, input_dtype)
    except TypeError:  # unhashable
        return None
    return _INPUT_TYPES.get(input_dtype if isinstance(input_dtype, str) else None)


_INT64 = 7  # onnx.TensorProto.INT64


def sequence_scaler_nodes(graph, scaler, x, x_is_double, lengths=None, past_lengths=0.0):
    """Nodes that compute ``scaler.transform`` (a fitted SequenceScaler) of ``x`` (batch,
    time, features), in float64 as it does, and give it back in x's element type. A value
    is observed where it is not NaN (and, given ``lengths``, within its sequence's length);
    the others stay NaN, or become ``past_lengths`` past a given length: 0 for the
    estimator's graph, which is given the lengths too, NaN for one that reads NaN as
    padding."""
    x64 = x if x_is_double else graph.add("Cast", [x], to=_INPUT_TYPES["float64"])
    valid = None if lengths is None else _valid_steps(graph, x64, lengths)
    observed = graph.add("Not", [graph.add("IsNaN", [x64])])
    if valid is not None:
        observed = graph.add("And", [observed, valid])
    if scaler.per == "feature":
        mean = graph.constant(scaler.mean_) if scaler.with_mean else None
        scale = graph.constant(scaler.scale_) if scaler.with_std else None
    else:
        mean, scale = _per_sequence_statistics(graph, x64, observed)
    scaled = graph.add("Sub", [x64, mean]) if scaler.with_mean else x64
    if scaler.with_std:
        scaled = graph.add("Div", [scaled, scale])
    if valid is not None:
        scaled = graph.add("Where", [valid, scaled, _float64(graph, past_lengths)])
    return scaled if x_is_double else graph.add("Cast", [scaled], to=_INPUT_TYPES["float32"])


def _per_sequence_statistics(graph, x64, observed):
    """Each sequence's mean and scale (batch, 1, features) over its observed values, as
    ``SequenceScaler(per="sequence")`` learns them: the spread of
    :func:`_per_sequence_moments`, 1 where that is 0."""
    mean, spread = _per_sequence_moments(graph, x64, observed)
    zero, one = _float64(graph, 0), _float64(graph, 1)
    return mean, graph.add("Where", [graph.add("Greater", [spread, zero]), spread, one])


def _per_sequence_moments(graph, x64, observed, rescaled=False):
    """Each sequence's mean and standard deviation (batch, 1, features) of float64 ``x64``
    (batch, time, features) over its ``observed`` values (bool, broadcast to x64; the
    others, NaN or anything past a length, enter no sum), as
    ``_sequences.sequence_moments`` computes them: the mean corrected by the mean of the
    deviations from it; a feature whose observed values are all one value has that value
    for its mean and spread 0, as has one whose spread is at the rounding level of its mean
    (``scale_of_spread``). With ``rescaled``, each sequence is divided by a power of two
    near its largest magnitude first, as there (exact: the bits change nowhere else);
    without, as ``SequenceScaler(per="sequence")``, StandardScaler's twin, squares values
    below 1e-154 to 0. The estimators' graph squared them so too: a varying sequence of
    1e-165 read as constant, and probabilities were up to 0.8 off (audit38b)."""
    zero = _float64(graph, 0)
    counts = _sum_over_time(graph, graph.add("Cast", [observed], to=_INPUT_TYPES["float64"]), 1)

    def mean_over_time(values):
        return graph.add(
            "Div", [_sum_over_time(graph, graph.add("Where", [observed, values, zero]), 1), counts]
        )

    unit = _power_of_two_near_the_largest(graph, x64, observed) if rescaled else None
    scaled = x64 if unit is None else graph.add("Div", [x64, unit])
    first = mean_over_time(scaled)
    mean = graph.add("Add", [first, mean_over_time(graph.add("Sub", [scaled, first]))])
    deviations = graph.add("Sub", [scaled, mean])
    variance = mean_over_time(graph.add("Mul", [deviations, deviations]))
    low = _extreme_over_time(
        graph, "ArgMin", graph.add("Where", [observed, x64, _float64(graph, np.inf)])
    )
    high = _extreme_over_time(
        graph, "ArgMax", graph.add("Where", [observed, x64, _float64(graph, -np.inf)])
    )
    constant = graph.add("Equal", [low, high])
    spread = graph.add("Sqrt", [graph.add("Where", [constant, zero, variance])])
    if unit is not None:
        mean, spread = graph.add("Mul", [mean, unit]), graph.add("Mul", [spread, unit])
    mean = graph.add("Where", [constant, low, mean])
    rounding = graph.add(
        "Mul", [graph.add("Abs", [mean]), _float64(graph, 10 * np.finfo(np.float64).eps)]
    )
    return mean, graph.add("Where", [graph.add("Greater", [spread, rounding]), spread, zero])


def _power_of_two_near_the_largest(graph, x64, observed):
    """2 ** floor(log2 m) (batch, 1, features), m the largest magnitude of each sequence's
    observed values (1 where m is 0): a power of two, which divides exactly, whatever the
    logarithm's rounding makes of the floor."""
    magnitudes = graph.add("Where", [observed, graph.add("Abs", [x64]), _float64(graph, 0)])
    largest = _extreme_over_time(graph, "ArgMax", magnitudes)
    log2 = graph.add("Div", [graph.add("Log", [largest]), _float64(graph, np.log(2.0))])
    unit = graph.add("Pow", [_float64(graph, 2.0), graph.add("Floor", [log2])])
    present = graph.add("Greater", [largest, _float64(graph, 0)])
    return graph.add("Where", [present, unit, _float64(graph, 1)])


def _scaled_by_each_sequence(graph, x, x_is_double, lengths, floor):
    """float64 (batch, time, 3 * features): x scaled by each sequence's own mean and spread
    over its valid steps (the spread no less than ``floor``), then those levels and log
    spreads as channels constant over the sequence, zero past each length, as
    ``_sequences.scale_each_sequence`` computes them (in float64 also from float32 x: a
    faint sequence far from zero loses its shape to a float32 mean)."""
    x64 = x if x_is_double else graph.add("Cast", [x], to=_INPUT_TYPES["float64"])
    valid = _valid_steps(graph, x64, lengths)
    mean, spread = _per_sequence_moments(graph, x64, valid, rescaled=True)
    floor = graph.constant(np.asarray(floor, np.float64), "sequence_spread_floor")
    spread = graph.add("Max", [spread, floor])
    shape = graph.add("Shape", [x64])
    channels = [
        graph.add("Div", [graph.add("Sub", [x64, mean]), spread]),
        graph.add("Expand", [mean, shape]),
        graph.add("Expand", [graph.add("Log", [spread]), shape]),
    ]
    scaled = graph.add("Concat", channels, axis=2)
    return graph.add("Where", [valid, scaled, _float64(graph, 0)])


def _extreme_over_time(graph, arg_op, values):
    """The smallest ("ArgMin") or largest ("ArgMax") of ``values`` over time, (batch, 1,
    features): ArgMin and ArgMax take their axis as an attribute in every opset, where
    ReduceMin's moves to an input at opset 18."""
    index = graph.add(arg_op, [values], axis=1, keepdims=1)
    return graph.add("GatherElements", [values, index], axis=1)


def _float64(graph, value):
    return graph.constant(np.array(value, np.float64))


def _import_onnx():
    try:
        import onnx
    except ImportError as error:
        raise ImportError(
            "to_onnx needs the onnx package: pip install onnx onnxruntime (from pygru's "
            "source folder, pip install '.[onnx]')"
        ) from error
    return onnx


def _check_opset(opset, newest):
    if opset is None:
        return min(DEFAULT_OPSET, newest)
    if not is_integer(opset):
        raise TypeError(f"opset must be an int or None, got {type(opset).__name__}")
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"opset must be between {MIN_OPSET} and {newest} (the newest this onnx package "
            f"knows), got {opset}"
        )
    return int(opset)


def _is_classifier(estimator):
    return hasattr(estimator, "classes_")


def _output_names(estimator):
    return ["label", "probabilities"] if _is_classifier(estimator) else ["variable"]


def _output_types(onnx, estimator):
    """(element type, shape) of each graph output, in the order of :func:`_output_names`."""
    float_type = onnx.TensorProto.FLOAT
    steps = ["batch", "time"] if estimator.network_.output == "sequence" else ["batch"]
    if _is_classifier(estimator):
        label_type = onnx.helper.np_dtype_to_tensor_dtype(_label_array(estimator.classes_).dtype)
        return [(label_type, steps), (float_type, [*steps, len(estimator.classes_)])]
    return [(float_type, [*steps, estimator.n_outputs_])]


def _label_array(classes):
    """The class labels as an array ONNX holds: int64 for integers, str for strings,
    float64 (in native byte order) for other numbers."""
    classes = np.asarray(classes)
    if classes.dtype.kind == "f":
        as_double = classes.astype(np.float64)
        if np.any(as_double != classes):
            raise ValueError(
                f"class labels of dtype {classes.dtype} that float64 cannot hold exactly "
                "have no ONNX type; relabel the classes (e.g. with LabelEncoder) before "
                "fitting"
            )
        return as_double
    if classes.dtype.kind == "u" and classes.size and classes.max() > np.iinfo(np.int64).max:
        raise ValueError(
            f"class labels above 2**63 - 1 ({classes.max()}) do not fit the int64 'label' "
            "output; relabel the classes (e.g. with LabelEncoder) before fitting"
        )
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64)
    if classes.dtype.kind in "OU":
        as_strings = classes.astype(str)
        if any(str(text) != label for text, label in zip(as_strings, classes)):
            # NumPy's fixed-width strings drop trailing NUL characters: 'a\x00' would be 'a'
            raise ValueError(
                "class labels that differ from NumPy's str of them (a trailing NUL "
                "character) would merge in the 'label' output; relabel the classes (e.g. "
                "with LabelEncoder) before fitting"
            )
        return as_strings.astype(object)
    raise ValueError(
        f"class labels of dtype {classes.dtype} have no ONNX type; relabel the classes "
        "(e.g. dates as strings, or with LabelEncoder) before fitting"
    )


class _Graph:
    """The nodes and constants of a graph under construction; every name made here is new
    (``prefix`` keeps them apart from the names of a graph this one is part of)."""

    def __init__(self, onnx, prefix="pygru_"):
        self.onnx = onnx
        self.prefix = prefix
        self.nodes = []
        self.initializers = []

    def fresh_name(self, stem):
        return f"{self.prefix}{stem}_{len(self.nodes) + len(self.initializers)}"

    def constant(self, value, stem="constant"):
        name = self.fresh_name(stem)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(value), name))
        return name

    def add(self, op_type, inputs, *, outputs=1, **attributes):
        """Append a node; return its output name (or names, when ``outputs`` is not 1)."""
        if isinstance(outputs, int):
            names = [self.fresh_name(op_type.lower()) + f"_{i}" for i in range(outputs)]
        else:
            names = list(outputs)
        # Named after its output, so that onnxruntime's errors name the node.
        node = self.onnx.helper.make_node(op_type, inputs, names, name=names[0], **attributes)
        self.nodes.append(node)
        return names[0] if len(names) == 1 else names


def estimator_nodes(graph, estimator, x, lengths, output_names, x_is_double, n_steps):
    """Add the nodes that compute ``estimator``'s outputs, named ``output_names``, from the
    graph values ``x`` (float32, float64 where ``x_is_double``, or int64 token ids) and
    ``lengths`` (int64). Per-step outputs are cut to ``n_steps`` (1,): the time steps of
    the X the caller was given, before :func:`_one_step_if_timeless`."""
    network = estimator.network_
    element_type = (
        _INT64
        if network.embedding_dim is not None
        else _INPUT_TYPES["float64" if x_is_double else "float32"]
    )
    x, lengths, batch = _one_row_if_empty(graph, x, lengths, element_type)
    final_names, output_names = output_names, [graph.fresh_name(n) for n in output_names]
    read_lengths = graph.add("Max", [lengths, graph.constant(np.array(0, np.int64))])
    inputs, step_lengths = _network_input(graph, estimator, x, x_is_double, read_lengths)
    steps = graph.add("Transpose", [inputs], perm=[1, 0, 2])  # time-major, as GRU reads
    sequence, last = _gru_layers(graph, network, steps, graph.add("Cast", [step_lengths], to=6))
    sequence = graph.add("Transpose", [sequence], perm=[1, 0, 2])  # batch first again
    if network.output == "sequence":
        features = sequence
    else:
        features = _pooling(graph, network, sequence, last, step_lengths)
    if network.conv_layers:
        branch = _conv_branch(graph, network, inputs, step_lengths)
        features = graph.add("Concat", [features, branch], axis=1)
    output = _head(graph, network, features)
    if network.linear_steps:
        output = graph.add("Add", [output, _linear_skip(graph, network, inputs, step_lengths)])
    refused = graph.add("Less", [lengths, graph.constant(np.array(1, np.int64))])
    if network.embedding_dim is None:  # read where the GRU reads: a float64 x may overflow
        refused = graph.add("Or", [refused, _not_finite(graph, inputs, step_lengths)])
    output = graph.add("Add", [output, _nan_for(graph, refused, network.output == "sequence")])
    if _is_classifier(estimator):
        _classifier_outputs(graph, estimator, output, lengths, output_names)
    else:
        _regressor_outputs(graph, estimator, output, lengths, output_names[0])
    starts, ends, axes = [0], [batch], [0]
    if network.output == "sequence":
        starts, ends, axes = [0, 0], [batch, n_steps], [0, 1]
    ends = graph.add("Concat", ends, axis=0)
    starts, axes = (graph.constant(np.array(values, np.int64)) for values in (starts, axes))
    for name, final_name in zip(output_names, final_names):
        graph.add("Slice", [name, starts, ends, axes], outputs=[final_name])


def _one_length_per_sequence(graph, x, lengths):
    """``lengths`` as given, checked to hold one length per sequence of ``x``: a Reshape to
    x's batch size, which onnxruntime refuses otherwise, naming this node (the patches'
    GatherElements took its batch from the lengths, and three sequences with two lengths
    gave two outputs)."""
    checked = graph.fresh_name("lengths_must_hold_one_length_per_sequence_of_X")
    return graph.add("Reshape", [lengths, _batch_size(graph, x)], outputs=[checked])


def _one_row_if_empty(graph, x, lengths, element_type):
    """x and lengths with one row appended (zeros, length 1) where the batch is empty, and
    the batch's size (1,), to cut the outputs back to: onnxruntime's GRU node ends the
    process (a segmentation fault) on a batch of 0, where an empty request should get
    empty outputs."""
    batch = _batch_size(graph, x)
    zero = graph.constant(np.array([0], np.int64))
    missing = graph.add("Cast", [graph.add("Equal", [batch, zero])], to=_INT64)  # (1,) 0 or 1
    other_axes = _axis_sizes(graph, x, 1, 3)
    row_shape = graph.add("Concat", [missing, other_axes], axis=0)
    value = graph.onnx.helper.make_tensor("zero", element_type, [1], [0])
    row = graph.add("ConstantOfShape", [row_shape], value=value)
    one = graph.onnx.helper.make_tensor("one", _INT64, [1], [1])
    length = graph.add("ConstantOfShape", [missing], value=one)
    x = graph.add("Concat", [x, row], axis=0)
    return x, graph.add("Concat", [lengths, length], axis=0), batch


def _one_step_if_timeless(graph, x, lengths, element_type, fill=0):
    """x with one step of ``fill`` appended where its time axis is empty, the lengths
    (None, or as given) then all 0, and x's number of steps before that, (1,).
    onnxruntime's GRU node and ArgMax refuse a time axis of 0, which a batch padded to its
    own longest sequence has where every length is 0 (or the batch is empty); a sequence
    of X without steps gets NaN outputs, as one of a length under 1."""
    n_steps = _axis_sizes(graph, x, 1, 2)
    missing = graph.add(
        "Cast", [graph.add("Equal", [n_steps, graph.constant(np.array([0], np.int64))])], to=_INT64
    )
    features = _axis_sizes(graph, x, 2, 3)  # (F,), or () for token ids (batch, time)
    step_shape = graph.add("Concat", [_batch_size(graph, x), missing, features], axis=0)
    value = graph.onnx.helper.make_tensor("fill", element_type, [1], [fill])
    x = graph.add("Concat", [x, graph.add("ConstantOfShape", [step_shape], value=value)], axis=1)
    if lengths is not None:
        kept = graph.add("Sub", [graph.constant(np.array([1], np.int64)), missing])
        lengths = graph.add("Mul", [lengths, kept])
    return x, lengths, n_steps


def _not_finite(graph, x, lengths):
    """bool (batch,): whether a sequence has a NaN or infinite value of ``x`` (what the GRU
    reads: standardised, cast to float32, in patches) within its ``lengths``. predict
    refuses such a sequence (NaN, infinity, or a value too large for float32);
    onnxruntime's GRU reads NaN as a number (the probabilities came out finite)."""
    not_finite = graph.add("Or", [graph.add("IsNaN", [x]), graph.add("IsInf", [x])])
    inside = graph.add("And", [not_finite, _valid_steps(graph, x, lengths)])
    count = graph.add(
        "ReduceSum",
        [graph.add("Cast", [inside], to=1), graph.constant(np.array([1, 2]))],
        keepdims=0,
    )
    return graph.add("Greater", [count, graph.constant(np.array(0, np.float32))])


def _nan_for(graph, refused, per_step):
    """float32 NaN for each ``refused`` sequence (bool (batch,)), else 0, shaped to be added
    to the output: (batch, 1), or (batch, 1, 1) ``per_step``. The graph cannot raise where
    predict refuses a sequence (a value it cannot read, a length under 1): it gives that
    sequence NaN outputs."""
    nan, zero = (
        graph.constant(np.array(np.nan, np.float32)),
        graph.constant(np.array(0, np.float32)),
    )
    flags = graph.add("Where", [refused, nan, zero])
    return _reshape(graph, flags, [-1, 1, 1] if per_step else [-1, 1])


def _network_input(graph, estimator, x, x_is_double, lengths):
    """What the first GRU layer reads, batch first (batch, time, features), float32, and its
    lengths in those steps; float64 ``x`` is standardised in float64, as ``predict`` does,
    and so is what the scaling of each sequence by itself gives (``sequence_spread_floor_``)."""
    network = estimator.network_
    if network.embedding_dim is not None:
        table = graph.constant(network.views["embedding"].astype(np.float32), "embedding")
        return graph.add("Gather", [table, x], axis=0), lengths
    if hasattr(estimator, "sequence_spread_floor_"):
        floor = estimator.sequence_spread_floor_
        x, x_is_double = _scaled_by_each_sequence(graph, x, x_is_double, lengths, floor), True
    patch_size = getattr(estimator, "patch_size_", 1)
    if patch_size > 1:
        features = network.n_inputs // patch_size  # X's, or 3 times as many scaled as above
        x = _repeat_last_step_to_fill_patches(graph, x, lengths, patch_size, features)
    if x_is_double and hasattr(estimator, "input_mean_"):
        mean = graph.constant(estimator.input_mean_.astype(np.float64), "input_mean")
        scale = graph.constant(estimator.input_scale_.astype(np.float64), "input_scale")
        x = graph.add("Div", [graph.add("Sub", [x, mean]), scale])
    elif hasattr(estimator, "input_mean_"):
        high, low = split_in_two(estimator.input_mean_, np.float32)
        mean, mean_low = graph.constant(high, "input_mean"), graph.constant(low, "input_mean_low")
        scale = graph.constant(estimator.input_scale_.astype(np.float32), "input_scale")
        centred = graph.add("Sub", [graph.add("Sub", [x, mean]), mean_low])
        x = graph.add("Div", [centred, scale])
    if x_is_double:
        x = graph.add("Cast", [x], to=_INPUT_TYPES["float32"])
    if patch_size > 1:
        x = _reshape(graph, x, [0, -1, network.n_inputs])
        lengths = _ceil_div(graph, lengths, patch_size)
    return x, lengths


def _repeat_last_step_to_fill_patches(graph, x, lengths, patch_size, n_features):
    """x (batch, T, F) padded to a multiple of ``patch_size`` steps, each step past a
    sequence's length holding its last step, as ``_sequences.to_patches`` fills the final
    patch (the GRU never reads the steps past it)."""
    one = graph.constant(np.array(1, np.int64))
    n_steps = graph.add("Gather", [graph.add("Shape", [x]), one], axis=0)
    padded_steps = graph.add(
        "Mul",
        [_ceil_div(graph, n_steps, patch_size), graph.constant(np.array(patch_size, np.int64))],
    )
    positions = graph.add("Range", [graph.constant(np.array(0, np.int64)), padded_steps, one])
    last_steps = graph.add("Sub", [lengths, one])
    source = graph.add(
        "Min", [_reshape(graph, positions, [1, -1, 1]), _reshape(graph, last_steps, [-1, 1, 1])]
    )
    all_features = graph.constant(np.array([1, 1, n_features]))
    return graph.add("GatherElements", [x, graph.add("Expand", [source, all_features])], axis=1)


def _ceil_div(graph, value, divisor):
    """ceil(value / divisor) of a non-negative int64 value."""
    divisor_less_one = graph.constant(np.array(divisor - 1, np.int64))
    divisor = graph.constant(np.array(divisor, np.int64))
    return graph.add("Div", [graph.add("Add", [value, divisor_less_one]), divisor])


def _reshape(graph, value, shape):
    return graph.add("Reshape", [value, graph.constant(np.array(shape, np.int64))])


def _gru_layers(graph, network, steps, lengths):
    """One ``GRU`` node per layer. Returns the top layer's outputs (time, batch, D * H) and
    its final states (batch, D * H), forward then backward, as pygru's head reads them."""
    direction = "bidirectional" if network.bidirectional else "forward"
    for layer, hidden in enumerate(network.hidden_layer_sizes):
        weights = _onnx_gru_weights(network, layer)
        sequence, last = graph.add(
            "GRU",
            [steps, *(graph.constant(w, f"gru{layer}_{k}") for k, w in weights.items()), lengths],
            outputs=2,
            hidden_size=hidden,
            direction=direction,
            linear_before_reset=int(network.reset_after),
        )
        # Y (time, D, batch, H) -> (time, batch, D * H): the next layer's input
        sequence = graph.add("Transpose", [sequence], perm=[0, 2, 1, 3])
        steps = graph.add("Reshape", [sequence, graph.constant(np.array([0, 0, -1]))])
    last = graph.add("Transpose", [last], perm=[1, 0, 2])
    return steps, graph.add("Reshape", [last, graph.constant(np.array([0, -1]))])


def _onnx_gru_weights(network, layer):
    """ONNX GRU's W (D, 3H, I), R (D, 3H, H) and B (D, 6H) of one layer, gates [z, r, h]."""
    per_direction = [
        {name: network.views[f"gru{layer}.{direction}.{name}"] for name in GRU_WEIGHT_NAMES}
        for direction in network.directions
    ]

    def stacked(parts):
        return np.stack([to_zrn_order(part) for part in parts]).astype(np.float32)

    return {
        "W": stacked([weights["w_ih"] for weights in per_direction]),
        "R": stacked([weights["w_hh"] for weights in per_direction]),
        "B": np.stack(
            [
                np.concatenate([to_zrn_order(w["b_ih"]), to_zrn_order(w["b_hh"])])
                for w in per_direction
            ]
        ).astype(np.float32),
    }


def _pooling(graph, network, sequence, last, lengths):
    """What the head reads of each sequence (batch, features), as the network's ``pooling``,
    from the top layer's outputs ``sequence`` (batch, time, features; zero past each length,
    as ONNX's GRU writes them), its final states ``last`` and the int64 ``lengths``."""
    if network.pooling == "last":
        return last
    valid = _valid_steps(graph, sequence, lengths)
    if network.pooling == "attention":
        weight = network.views["attention.weight"].T.astype(np.float32)
        scores = graph.add("MatMul", [sequence, graph.constant(weight, "attention_weight")])
        scores = graph.add("Where", [valid, scores, graph.constant(_LOWEST, "padding")])
        weights = graph.add("Softmax", [scores], axis=1)
        return _sum_over_time(graph, graph.add("Mul", [weights, sequence]))
    mean = _mean_over_time(graph, sequence, lengths)
    if network.pooling == "mean":
        return mean
    padded = graph.add("Where", [valid, sequence, graph.constant(_LOWEST, "padding")])
    # ArgMax and GatherElements: the same nodes in every opset (ReduceMax's axes move)
    steps_of_maximum = graph.add("ArgMax", [padded], axis=1, keepdims=1)
    maximum = _reshape(
        graph, graph.add("GatherElements", [padded, steps_of_maximum], axis=1), [0, -1]
    )
    if network.pooling == "max":
        return maximum
    return graph.add("Concat", [last, mean, maximum], axis=1)


def _conv_branch(graph, network, inputs, lengths):
    """The convolutional branch (batch, filters) on the network input (batch, time,
    channels): per layer a ``Conv`` ("same" padding) over the valid steps (zero past each
    length), the norm over each sequence's valid steps and filters, written out, and a
    ``Relu``; then each sequence's mean over its valid steps."""
    valid = _valid_steps(graph, inputs, lengths)
    zero = graph.constant(np.float32(0.0), "zero")
    channels = network.n_inputs
    for layer, (filters, kernel_size) in enumerate(network.conv_layers):
        weight = network.views[f"conv{layer}.weight"].reshape(filters, kernel_size, channels)
        masked = graph.add("Where", [valid, inputs, zero])
        convolved = graph.add(
            "Conv",
            [
                graph.add("Transpose", [masked], perm=[0, 2, 1]),  # (batch, channels, time)
                graph.constant(weight.transpose(0, 2, 1).astype(np.float32), f"conv{layer}_w"),
                graph.constant(network.views[f"conv{layer}.bias"].astype(np.float32)),
            ],
            pads=list(same_padding(kernel_size)),
        )
        convolved = graph.add("Transpose", [convolved], perm=[0, 2, 1])
        inputs = graph.add(
            "Relu", [_sequence_norm(graph, network, layer, convolved, valid, lengths)]
        )
        channels = filters
    return _mean_over_time(graph, graph.add("Where", [valid, inputs, zero]), lengths)


def _sequence_norm(graph, network, layer, values, valid, lengths):
    """``values`` (batch, time, filters) normalised over each sequence's valid steps and
    filters, then scaled and shifted per filter, as the network's branch does (sums over the
    filters as products with a column of ones: the same nodes in every opset)."""
    filters = network.conv_layers[layer][0]
    zero = graph.constant(np.float32(0.0), "zero")
    ones = graph.constant(np.ones((filters, 1), np.float32), "ones")
    counts = graph.add(
        "Cast",
        [
            _reshape(
                graph, graph.add("Mul", [lengths, graph.constant(np.int64(filters))]), [-1, 1, 1]
            )
        ],
        to=1,
    )

    def mean_over_sequence(masked):  # (batch, 1, 1)
        per_step = graph.add("MatMul", [masked, ones])
        axis = graph.constant(np.array([1], np.int64))
        return graph.add("Div", [graph.add("ReduceSum", [per_step, axis], keepdims=1), counts])

    mean = mean_over_sequence(graph.add("Where", [valid, values, zero]))
    centred = graph.add("Where", [valid, graph.add("Sub", [values, mean]), zero])
    variance = mean_over_sequence(graph.add("Mul", [centred, centred]))
    epsilon = graph.constant(np.float32(CONV_NORM_EPSILON), "epsilon")
    std = graph.add("Sqrt", [graph.add("Add", [variance, epsilon])])
    scale = graph.constant(network.views[f"conv{layer}.norm_scale"].astype(np.float32))
    shift = graph.constant(network.views[f"conv{layer}.norm_bias"].astype(np.float32))
    return graph.add("Add", [graph.add("Mul", [graph.add("Div", [centred, std]), scale]), shift])


def _valid_steps(graph, values, lengths):
    """bool (batch, time, 1): True at each sequence's steps before its length, for per-step
    ``values`` (batch, time, ...)."""
    positions = graph.add(
        "Range",
        [
            graph.constant(np.array(0, np.int64)),
            _n_steps(graph, values),
            graph.constant(np.array(1, np.int64)),
        ],
    )
    return graph.add(
        "Less", [_reshape(graph, positions, [1, -1, 1]), _reshape(graph, lengths, [-1, 1, 1])]
    )


def _batch_size(graph, values):
    """int64 (1,): the batch size of ``values`` (batch, ...)."""
    return _axis_sizes(graph, values, 0, 1)


def _axis_sizes(graph, values, start, stop):
    """int64 (stop - start,) or fewer: the sizes of the axes ``start:stop`` of ``values``
    (fewer where it has fewer axes, as Python's slices)."""
    start, stop = (graph.constant(np.array([k], np.int64)) for k in (start, stop))
    return graph.add("Slice", [graph.add("Shape", [values]), start, stop])


def _n_steps(graph, values):
    """int64 scalar: the length of the time axis (1) of ``values``."""
    shape = graph.add("Shape", [values])
    return graph.add("Gather", [shape, graph.constant(np.array(1, np.int64))], axis=0)


def _mean_over_time(graph, values, lengths):
    """Each sequence's mean (batch, features) of ``values`` (batch, time, features), which
    are zero past its length."""
    counts = graph.add("Cast", [_reshape(graph, lengths, [-1, 1])], to=1)  # float
    return graph.add("Div", [_sum_over_time(graph, values), counts])


def _sum_over_time(graph, values, keepdims=0):
    axis = graph.constant(np.array([1], np.int64))
    return graph.add("ReduceSum", [values, axis], keepdims=keepdims)


def _head(graph, network, features):
    """The dense head on the features' last axis."""
    weight = graph.constant(network.views["head.weight"].T.astype(np.float32), "head_weight")
    bias = graph.constant(network.views["head.bias"].astype(np.float32), "head_bias")
    return graph.add("Add", [graph.add("MatMul", [features, weight]), bias])


def _linear_skip(graph, network, inputs, lengths):
    """The linear skip's term (batch, n_outputs): each sequence's last ``linear_steps``
    network input steps (``inputs`` batch first, after standardisation and patches; zeros
    before a shorter sequence's first step), flattened step-major, times ``linear.weight``.
    Step t of ``inputs`` is step t + q of the input zero-padded with q steps in front, so
    the window of a sequence of ``length`` steps is steps length .. length + q - 1 there."""
    q = network.linear_steps
    n_features = network.n_inputs
    front = graph.constant(np.array([0, q, 0, 0, 0, 0], np.int64), "linear_pads")
    padded = graph.add("Pad", [inputs, front])
    offsets = graph.constant(np.arange(q, dtype=np.int64).reshape(1, q, 1), "linear_offsets")
    steps = graph.add("Add", [_reshape(graph, lengths, [-1, 1, 1]), offsets])
    all_features = graph.constant(np.array([1, 1, n_features], np.int64))
    window = graph.add(
        "GatherElements", [padded, graph.add("Expand", [steps, all_features])], axis=1
    )
    weight = network.views["linear.weight"].T.astype(np.float32)
    return graph.add(
        "MatMul",
        [_reshape(graph, window, [0, q * n_features]), graph.constant(weight, "linear_weight")],
    )


def _classifier_outputs(graph, estimator, logits, lengths, output_names):
    """The class probabilities and the most probable class, of each sequence from logits
    (batch, n_classes), or of each step from logits (batch, time, n_classes): then the
    probabilities are NaN and the label ``classes_[0]`` past each sequence's length."""
    label, probabilities = output_names
    classes = graph.constant(_label_array(estimator.classes_), "classes")
    if estimator.network_.output != "sequence":
        graph.add("Softmax", [logits], outputs=[probabilities], axis=-1)
        best = graph.add("ArgMax", [logits], axis=-1, keepdims=0)
        graph.add("Gather", [classes, best], outputs=[label], axis=0)
        return
    valid = _valid_steps(graph, logits, lengths)
    _nan_past_lengths(graph, graph.add("Softmax", [logits], axis=-1), valid, probabilities)
    best = graph.add("ArgMax", [logits], axis=-1, keepdims=1)  # (batch, time, 1)
    best = graph.add("Where", [valid, best, graph.constant(np.array(0, np.int64), "first")])
    best = graph.add("Squeeze", [best, graph.constant(np.array([2], np.int64))])
    graph.add("Gather", [classes, best], outputs=[label], axis=0)


# The ONNX graph's outputs are float32 whatever the estimator's dtype.
_FLOAT32_TARGETS_REMEDY = (
    "the ONNX output is float32, so fit on targets shifted and scaled into its range and "
    "undo that on the output"
)


def _regressor_outputs(graph, estimator, output, lengths, name):
    """The prediction on the targets' scale; NaN past each sequence's length."""
    scale = getattr(estimator, "target_scale_", None)
    if scale is not None:
        output = graph.add(
            "Add",
            [
                graph.add("Mul", [output, graph.constant(np.float32(scale), "target_scale")]),
                graph.constant(np.float32(estimator.target_mean_), "target_mean"),
            ],
        )
    if estimator.network_.output != "sequence":
        graph.add("Identity", [output], outputs=[name])
        return
    _nan_past_lengths(graph, output, _valid_steps(graph, output, lengths), name)


def _nan_past_lengths(graph, values, valid, name):
    """Per-step float ``values`` (batch, time, k) as the output ``name``, NaN where
    ``valid`` (:func:`_valid_steps`) is False, as ``predict`` pads them."""
    graph.add("Where", [valid, values, graph.constant(np.float32(np.nan), "nan")], outputs=[name])


def register_skl2onnx_converters():
    """Teach skl2onnx to convert GRUClassifier and GRURegressor, alone or as the last step
    of a Pipeline.

    After this call ``skl2onnx.to_onnx(model, initial_types=...)`` converts a pygru
    estimator with the graph of :func:`pygru.to_onnx`. Its input is the float tensor the
    estimator reads (``FloatTensorType``, or ``DoubleTensorType``, standardised in float64
    as with ``to_onnx``'s ``input_dtype="float64"``; another element type is refused):
    (batch, time, features), or (batch, time) for a univariate model, which
    lets 2-D scikit-learn transformers (e.g. ``StandardScaler``) come before it in a
    Pipeline. Each sequence is read up to its last step that is not NaN in every feature,
    as ``predict`` reads trailing NaN steps as padding (a table of series of different
    lengths with empty trailing cells), unless the model has a second input, an int64
    tensor of lengths (batch,). Embedding models take int64 token ids (batch, time),
    each row read up to its last non-zero id as ``predict`` reads it (0 is padding) unless
    the lengths are given. A classifier's
    probabilities go through skl2onnx's ZipMap unless ``options={id(model): {"zipmap":
    False}}``; its labels are int64 where ``classes_`` are numbers (float ones are whole
    numbers), as skl2onnx gives scikit-learn's classifiers' labels. Probabilities and
    predictions are float32 (ZipMap reads float32 alone), except with ``{"zipmap":
    "columns"}`` and a ``DoubleTensorType`` X, whose float64 columns skl2onnx declares.
    The graph needs
    ``target_opset`` 13 or newer. :class:`~pygru.preprocessing.SequenceScaler` is
    registered too, so that a Pipeline that scales sequences before the estimator converts
    (NaN in its input is padding or a missing value, as for ``transform``).

    skl2onnx gives each step of a Pipeline the previous step's output alone. A lengths
    input declared for a Pipeline reaches its first step: SequenceScaler steps there take
    it and write NaN past each length, which the estimator reads as padding. Other steps
    do not pass the lengths on: scikit-learn's converters fail inside skl2onnx on a second
    input, and where a step of one's own gives X alone to the estimator, the conversion is
    refused with a ValueError (pad with NaN and declare X alone, or use
    :func:`pygru.to_onnx`). As for ``to_onnx``, a
    sequence whose length is under 1 gets NaN outputs, lengths must hold one value per
    sequence of X, and an empty batch gets empty outputs.

    A classifier of every time step (``GRUClassifier(output="sequence")``) is refused with
    a ValueError: skl2onnx's classifiers give one label and one row of probabilities per
    sample, not per step; export it with :func:`pygru.to_onnx`. A regressor with
    ``output="sequence"`` converts (its output is (batch, time, n_outputs)).

    Returns
    -------
    None

    Examples
    --------
    >>> import numpy as np, onnxruntime, skl2onnx
    >>> from skl2onnx.common.data_types import FloatTensorType
    >>> from pygru import GRURegressor
    >>> from pygru.export import register_skl2onnx_converters
    >>> register_skl2onnx_converters()
    >>> X = np.random.default_rng(0).standard_normal((8, 5, 2)).astype(np.float32)
    >>> reg = GRURegressor((4,), max_iter=2, random_state=0).fit(X, X[:, -1, 0])
    >>> onx = skl2onnx.to_onnx(reg, initial_types=[("X", FloatTensorType([None, 5, 2]))])
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())
    >>> bool(np.allclose(session.run(None, {"X": X})[0][:, 0], reg.predict(X), atol=1e-5))
    True
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as error:
        raise ImportError(
            "register_skl2onnx_converters needs skl2onnx: pip install skl2onnx (from pygru's "
            "source folder, pip install '.[onnx]')"
        ) from error

    from pygru._estimators import GRUClassifier, GRURegressor
    from pygru.preprocessing import SequenceScaler

    update_registered_converter(
        SequenceScaler, "PygruSequenceScaler", _skl2onnx_scaler_shapes, _skl2onnx_scaler_convert
    )
    for estimator_class in (GRUClassifier, GRURegressor):
        update_registered_converter(
            estimator_class,
            f"Pygru{estimator_class.__name__}",
            _skl2onnx_shapes,
            _skl2onnx_convert,
            options={"zipmap": [True, False, "columns"], "nocl": [False]}
            if estimator_class is GRUClassifier
            else None,
        )


def _skl2onnx_scaler_shapes(operator):
    """skl2onnx's shape calculator for a SequenceScaler: its output is its input's type and
    shape."""
    declared = operator.inputs[0].type
    if type(declared).__name__ not in ("FloatTensorType", "DoubleTensorType"):
        raise ValueError(
            f"initial_types declares X as {type(declared).__name__}; a SequenceScaler "
            "reads FloatTensorType or DoubleTensorType"
        )
    operator.outputs[0].type = type(declared)(declared.shape)


def _skl2onnx_scaler_convert(scope, operator, container):
    """skl2onnx's converter for a SequenceScaler: :func:`sequence_scaler_nodes` on its
    input, (batch, time) univariate or (batch, time, features), NaN as padding or missing
    values, as ``transform`` reads them."""
    import onnx

    _check_target_opset(container)
    scaler = operator.raw_operator
    scaler._check_fitted_for_per()
    if not _declares_double(operator):
        remedy = "initial_types with a DoubleTensorType X"
        warn_if_float32_input_blurs(*scaler_statistics(scaler), remedy)
    graph = _Graph(onnx, prefix=scope.get_unique_variable_name("pygru") + "_")
    x = operator.inputs[0].full_name
    univariate = len(operator.inputs[0].type.shape) == 2  # (batch, time)
    feature_axis = graph.constant(np.array([2], np.int64))
    steps = graph.add("Unsqueeze", [x, feature_axis]) if univariate else x
    lengths = None
    if len(operator.inputs) > 1:  # NaN past them: the steps after it read NaN as padding
        lengths = _one_length_per_sequence(graph, steps, operator.inputs[1].full_name)
    steps, lengths, n_steps = _one_step_if_timeless(
        graph, steps, lengths, _declared_type(operator), np.nan
    )
    scaled = sequence_scaler_nodes(
        graph, scaler, steps, _declares_double(operator), lengths, past_lengths=np.nan
    )
    scaled = graph.add(
        "Slice",
        [
            scaled,
            graph.constant(np.array([0], np.int64)),
            n_steps,
            graph.constant(np.array([1], np.int64)),
        ],
    )
    output = operator.outputs[0].full_name
    if univariate:
        graph.add("Squeeze", [scaled, feature_axis], outputs=[output])
    else:
        graph.add("Identity", [scaled], outputs=[output])
    _add_to_container(graph, container)


def _skl2onnx_shapes(operator):
    """skl2onnx's shape calculator: the outputs' element types and shapes."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    estimator = operator.raw_operator
    _refuse_sequence_classifier(estimator)
    _check_declared_input(estimator, operator.inputs[0].type)
    _refuse_lengths_that_do_not_reach(operator.scope_inst, operator)
    batch = operator.inputs[0].get_first_dimension()
    if _is_classifier(estimator):
        labels = _label_array(estimator.classes_)
        label_type = StringTensorType if labels.dtype == object else Int64TensorType
        operator.outputs[0].type = label_type([batch])
        float_type = DoubleTensorType if _double_probabilities(operator) else FloatTensorType
        operator.outputs[1].type = float_type([batch, len(labels)])
    elif estimator.network_.output == "sequence":
        operator.outputs[0].type = FloatTensorType([batch, None, estimator.n_outputs_])
    else:
        operator.outputs[0].type = FloatTensorType([batch, estimator.n_outputs_])


def _double_probabilities(operator):
    """Whether a classifier's probabilities are float64: with ZipMap's "columns" option
    and a DoubleTensorType X, whose type skl2onnx gives those columns (float32 ones made a
    model onnxruntime refused to load). ZipMap itself reads float32 alone, and the other
    outputs stay float32 as they were."""
    zipmap = operator.scope_inst.get_options(operator.raw_operator, {"zipmap": True})["zipmap"]
    return _declares_double(operator) and isinstance(zipmap, str) and zipmap == "columns"


def _skl2onnx_convert(scope, operator, container):
    """skl2onnx's converter: the nodes of :func:`pygru.to_onnx`, added to skl2onnx's graph."""
    import onnx

    _check_target_opset(container)
    estimator = fitted_on_host(operator.raw_operator)
    _refuse_sequence_classifier(estimator)
    graph = _Graph(onnx, prefix=scope.get_unique_variable_name("pygru") + "_")
    x = operator.inputs[0].full_name
    reads_ids = estimator.network_.embedding_dim is not None
    if not reads_ids:
        # (batch, time) univariate to (batch, time, 1); a width left undeclared (None) is
        # then checked by the runtime, instead of broadcast against the input's mean.
        shape = np.array([0, 0, estimator.n_features_in_])
        x = graph.add("Reshape", [x, graph.constant(shape)])
    lengths = None
    if len(operator.inputs) > 1:
        lengths = _one_length_per_sequence(graph, x, operator.inputs[1].full_name)
    # A step appended to a time axis of 0 is padding: NaN, or token id 0.
    x, lengths, n_steps = _one_step_if_timeless(
        graph, x, lengths, *((_INT64, 0) if reads_ids else (_declared_type(operator), np.nan))
    )
    if lengths is None and reads_ids:
        lengths = _token_lengths(graph, x)
    elif lengths is None:
        lengths = _observed_lengths(graph, x, estimator.n_features_in_)
        zero = np.array(0, np.float64 if _declares_double(operator) else np.float32)
        x = graph.add("Where", [_valid_steps(graph, x, lengths), x, graph.constant(zero)])
    check_float32_targets(estimator, _FLOAT32_TARGETS_REMEDY)
    x_is_double = _declares_double(operator)
    if estimator.network_.embedding_dim is None and not x_is_double:
        remedy = "initial_types with a DoubleTensorType X"
        warn_if_float32_input_blurs(*input_statistics(estimator), remedy)
    outputs = [output.full_name for output in operator.outputs]
    computed, casts = list(outputs), []
    if _is_classifier(estimator) and _label_array(estimator.classes_).dtype.kind == "f":
        # As skl2onnx gives scikit-learn's classifiers' labels (whole numbers): int64
        computed[0] = graph.fresh_name("float_label")
        casts.append((computed[0], outputs[0], onnx.TensorProto.INT64))
    if _is_classifier(estimator) and _double_probabilities(operator):
        computed[-1] = graph.fresh_name("float32_probabilities")
        casts.append((computed[-1], outputs[-1], onnx.TensorProto.DOUBLE))
    estimator_nodes(graph, estimator, x, lengths, computed, x_is_double, n_steps)
    for given, wanted, element_type in casts:
        graph.add("Cast", [given], outputs=[wanted], to=element_type)
    _add_to_container(graph, container)


def _refuse_lengths_that_do_not_reach(scope, operator):
    """Refuse a model whose declared lengths input the estimator would not read: skl2onnx
    gives each step of a Pipeline the previous step's output alone, so zero padding past
    the lengths was read as values. SequenceScaler steps that come first take the lengths
    and write NaN past them, which the estimator reads as padding."""
    if len(operator.inputs) > 1 or len(scope.input_variables) < 2:
        return
    from pygru.preprocessing import SequenceScaler

    variable = operator.inputs[0]
    while True:
        producer = next(
            (
                step
                for step in scope.operators.values()
                if any(out.onnx_name == variable.onnx_name for out in step.outputs)
            ),
            None,
        )
        if producer is None or not isinstance(producer.raw_operator, SequenceScaler):
            break
        if len(producer.inputs) > 1:
            return
        variable = producer.inputs[0]
    declared = [variable.onnx_name for variable in scope.input_variables]
    raise ValueError(
        f"initial_types declares the inputs {declared}, but the steps before this "
        f"{type(operator.raw_operator).__name__} pass it X alone: the lengths would not be "
        "read, and zero padding past them would be read as values. Pad with NaN instead "
        "and declare X alone (each sequence is read up to its last step that is not NaN "
        "in every feature, as predict reads it), put the SequenceScaler steps first (they "
        "take the lengths and write NaN past them), or export with pygru.to_onnx(pipeline)"
    )


def _check_target_opset(container):
    if container.target_opset < MIN_OPSET:
        raise ValueError(
            f"pygru's converters need target_opset {MIN_OPSET} or newer, got "
            f"{container.target_opset}"
        )


def _add_to_container(graph, container):
    """The nodes and constants of ``graph`` added to skl2onnx's ``container``."""
    import onnx

    for tensor in graph.initializers:
        # skl2onnx copies a tensor's raw bytes; a list of the values (all that strings
        # have) would make the model's weights Python objects, 24 times their size.
        strings = tensor.data_type == onnx.TensorProto.STRING
        values = onnx.numpy_helper.to_array(tensor).ravel().tolist() if strings else tensor
        container.add_initializer(tensor.name, tensor.data_type, list(tensor.dims), values)
    for node in graph.nodes:
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type, list(node.input), list(node.output), name=node.output[0], **attributes
        )


def _declares_double(operator):
    return type(operator.inputs[0].type).__name__ == "DoubleTensorType"


def _declared_type(operator):
    """The onnx element type of the X that skl2onnx's initial_types declare (float32 or
    float64)."""
    return _INPUT_TYPES["float64" if _declares_double(operator) else "float32"]


def _check_declared_input(estimator, declared):
    """Refuse an input declaration the estimator cannot read: the element type (float or
    double numbers, int64 token ids), the rank, and the number of features per step where
    it is declared."""
    tokens = estimator.network_.embedding_dim is not None
    element_type = type(declared).__name__
    allowed = ("Int64TensorType",) if tokens else ("FloatTensorType", "DoubleTensorType")
    if element_type not in allowed:
        raise ValueError(
            f"initial_types declares X as {element_type}; this {type(estimator).__name__} "
            f"reads {' or '.join(allowed)}"
        )
    shape = declared.shape
    expected = (
        "(batch, time) int64 token ids"
        if tokens
        else (
            f"(batch, time, {estimator.n_features_in_}) or, for a univariate model, (batch, time)"
        )
    )
    univariate = not tokens and estimator.n_features_in_ == 1
    if len(shape) == 3 and not tokens:
        readable = shape[2] in (None, estimator.n_features_in_)
    else:
        readable = len(shape) == 2 and (tokens or univariate)
    if not readable:
        raise ValueError(
            f"initial_types declares X as {list(shape)}; this {type(estimator).__name__} "
            f"reads {expected}"
        )


def _refuse_sequence_classifier(estimator):
    """skl2onnx's classifier convention is a label (batch,) and probabilities (batch,
    n_classes), which ZipMap turns into one dict per sample: it has no place for a class
    per time step."""
    if _is_classifier(estimator) and getattr(estimator, "output", "last") == "sequence":
        raise ValueError(
            "skl2onnx cannot convert a GRUClassifier with output='sequence': its classifiers "
            "give one label and one row of probabilities per sample, not one per time step. "
            "Export it with pygru.to_onnx(estimator), whose outputs 'label' (batch, time) and "
            "'probabilities' (batch, time, n_classes) hold every step's class"
        )


def _token_lengths(graph, ids):
    """int64 (batch,): each row of token ids (batch, time) up to its last non-zero id, at
    least 1, as ``predict`` and the torch module read them (0 is padding)."""
    padding = graph.constant(np.array(0, np.int64))
    return _up_to_the_last(graph, graph.add("Not", [graph.add("Equal", [ids, padding])]))


def _observed_lengths(graph, x, n_features):
    """int64 (batch,): each sequence of x (batch, time, n_features) up to its last step that
    is not NaN in every feature, at least 1, as ``predict`` reads trailing NaN steps as
    padding (a table of univariate series with empty trailing cells, say)."""
    nan_count = graph.add(
        "ReduceSum",  # axes an input from opset 13, as ReduceMin's only from 18
        [graph.add("Cast", [graph.add("IsNaN", [x])], to=1), graph.constant(np.array([2]))],
        keepdims=0,
    )
    n_features = graph.constant(np.array(n_features, np.float32))
    return _up_to_the_last(graph, graph.add("Less", [nan_count, n_features]))


def _up_to_the_last(graph, present):
    """int64 (batch,): the number of steps of each row of the bool ``present`` (batch,
    time) up to its last True, at least 1 (a row without one gives 1)."""
    one = graph.constant(np.array(1, np.int64))
    positions = graph.add("Range", [one, graph.add("Add", [_n_steps(graph, present), one]), one])
    # The position of the last True is the largest of positions * present (ArgMax: the same
    # node in every opset, where ReduceMax's axes move). ArgMax in int32: onnxruntime 1.18,
    # the lowest pyproject allows, has no int64 ArgMax.
    flags = graph.add("Cast", [present], to=7)  # int64
    scores = graph.add("Cast", [graph.add("Mul", [flags, positions])], to=6)  # int32
    return graph.add("Add", [graph.add("ArgMax", [scores], axis=1, keepdims=0), one])
