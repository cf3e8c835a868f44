"""pygru.to_onnx and the skl2onnx converters: onnxruntime against predict_proba / predict."""

import contextlib
import functools
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from pygru import GRUClassifier, GRURegressor, __version__, to_onnx
from pygru.preprocessing import SequenceImputer, SequenceScaler

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N, STEPS, LONG = 10, 6, 70  # LONG > 64 steps: patch_size="auto" reads 3 steps per GRU step


def ragged(steps, features=2, seed=0):
    """Zero-padded float32 sequences of ragged lengths (some not a multiple of 3), the same
    with NaN padding (pygru's own form) and the lengths."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, steps + 1, size=N)
    lengths[:2] = [steps, steps - 1]
    X = (rng.standard_normal((N, steps, features)) * [3.0, 0.5][:features] + 1).astype(np.float32)
    padding = np.arange(steps)[None, :] >= lengths[:, None]
    X[padding] = 0
    X_nan = X.copy()
    X_nan[padding] = np.nan
    return X, X_nan, lengths


def loud_and_faint(steps, features=2, seed=0):
    """As :func:`ragged`, each sequence scaled by an amplitude of its own, 1e-3 to 1e3 (its
    level with it), for models that scale each sequence by itself; sequences of one step
    have no spread, which their floor stands in for."""
    _, X_nan, lengths = ragged(steps, features, seed)
    amplitudes = 10.0 ** np.random.default_rng(seed + 1).uniform(-3, 3, size=(N, 1, features))
    X_nan = (X_nan * amplitudes).astype(np.float32)
    return np.nan_to_num(X_nan, nan=0.0), X_nan, lengths


def tokens(seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, STEPS + 1, size=N)
    lengths[0] = STEPS
    ids = rng.integers(1, 9, size=(N, STEPS))
    ids[np.arange(STEPS)[None, :] >= lengths[:, None]] = 0
    return ids, ids, lengths


SMALL = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)

# name -> (estimator class, settings, input kind, target kind)
CASES = {
    "classifier": (GRUClassifier, {}, "short", "int"),
    "cho-bidirectional-stacked-strings": (
        GRUClassifier,
        dict(reset_after=False, bidirectional=True, hidden_layer_sizes=(3, 2)),
        "short",
        "str",
    ),
    "patched-bidirectional": (GRUClassifier, dict(bidirectional=True), "long", "int"),
    "patched-cho-unstandardised": (
        GRUClassifier,
        dict(reset_after=False, standardize=False),
        "long",
        "str",
    ),
    "embedding-bidirectional": (
        GRUClassifier,
        dict(embedding_dim=3, bidirectional=True),
        "tokens",
        "int",
    ),
    "float64-classifier": (GRUClassifier, dict(dtype="float64"), "short", "int"),
    "regressor-last-1": (GRURegressor, dict(reset_after=False), "short", "last-1"),
    "regressor-unstandardised": (GRURegressor, dict(standardize=False), "short", "last-1"),
    "regressor-last-3-patched": (GRURegressor, dict(bidirectional=True), "long", "last-3"),
    "regressor-sequence-1": (GRURegressor, dict(output="sequence"), "short", "sequence-1"),
    "regressor-sequence-2-cho-bidirectional": (
        GRURegressor,
        dict(output="sequence", reset_after=False, bidirectional=True, hidden_layer_sizes=(3, 3)),
        "short",
        "sequence-2",
    ),
    "mean-pooling-bidirectional": (
        GRUClassifier,
        dict(pooling="mean", bidirectional=True),
        "short",
        "int",
    ),
    "max-pooling-patched-cho": (
        GRUClassifier,
        dict(pooling="max", reset_after=False),
        "long",
        "str",
    ),
    "attention-pooling-bidirectional-regressor": (
        GRURegressor,
        dict(pooling="attention", bidirectional=True),
        "short",
        "last-3",
    ),
    "concat-pooling-embedding-bidirectional": (
        GRUClassifier,
        dict(pooling="concat", embedding_dim=3, bidirectional=True),
        "tokens",
        "int",
    ),
    "float64-attention-pooling-cho-bidirectional": (
        GRUClassifier,
        dict(pooling="attention", reset_after=False, bidirectional=True, dtype="float64"),
        "short",
        "int",
    ),
    # The linear skip reads the longest training sequence's network steps: a window longer
    # than most sequences (zero-filled in front), and of patched steps for "long" input.
    "linear-skip-regressor": (GRURegressor, dict(linear_skip=True), "short", "last-value"),
    "linear-skip-patched-cho-bidirectional": (
        GRURegressor,
        dict(linear_skip=True, reset_after=False, bidirectional=True, hidden_layer_sizes=(3, 3)),
        "long",
        "last-3",
    ),
    "float64-linear-skip-patched-max-pooling": (
        GRURegressor,
        dict(linear_skip=True, pooling="max", dtype="float64"),
        "long",
        "last-value",
    ),
    "regressor-without-linear-skip": (GRURegressor, dict(linear_skip=False), "short", "last-1"),
    # Sequence labelling: a class per time step (patch_size_ is 1; pooling is ignored).
    "sequence-classifier": (GRUClassifier, dict(output="sequence"), "short", "steps-int"),
    "sequence-classifier-cho-bidirectional-stacked-strings": (
        GRUClassifier,
        dict(
            output="sequence",
            reset_after=False,
            bidirectional=True,
            hidden_layer_sizes=(3, 2),
            pooling="mean",
        ),
        "short",
        "steps-str",
    ),
    "sequence-classifier-embedding-bidirectional": (
        GRUClassifier,
        dict(output="sequence", embedding_dim=3, bidirectional=True),
        "tokens",
        "steps-str",
    ),
    "float64-sequence-classifier-cho-bidirectional": (
        GRUClassifier,
        dict(output="sequence", reset_after=False, bidirectional=True, dtype="float64"),
        "short",
        "steps-int",
    ),
    # The convolutional branch: windows that reach past some sequences' ends (kernels up to
    # 8 over 1-6 steps), even and odd kernels, patches, beside every head.
    "conv-branch-classifier": (GRUClassifier, dict(conv_layers=((3, 3), (4, 2))), "short", "int"),
    "conv-branch-patched-concat-bidirectional": (
        GRUClassifier,
        dict(conv_layers=((5, 8), (4, 5), (3, 3)), pooling="concat", bidirectional=True),
        "long",
        "str",
    ),
    "float64-conv-branch-linear-skip-regressor": (
        GRURegressor,
        dict(conv_layers=((3, 4),), linear_skip=True, dtype="float64"),
        "long",
        "last-3",
    ),
    # Each sequence scaled by itself, its level and log spread appended (3 values per
    # feature and step), before the standardisation, patches and the linear skip.
    "self-scaled-classifier": (
        GRUClassifier,
        dict(standardize="sequence"),
        "short-loud-and-faint",
        "int",
    ),
    "self-scaled-univariate-patched-bidirectional": (
        GRUClassifier,
        dict(standardize="sequence", bidirectional=True),
        "long-univariate-loud-and-faint",
        "str",
    ),
    "float64-self-scaled-sequence-classifier-bidirectional": (
        GRUClassifier,
        dict(standardize="sequence", output="sequence", bidirectional=True, dtype="float64"),
        "short-loud-and-faint",
        "steps-int",
    ),
    "self-scaled-linear-skip-regressor-patch-3": (
        GRURegressor,
        dict(standardize="sequence", linear_skip=True, patch_size=3),
        "short-loud-and-faint",
        "last-value",
    ),
    "float64-self-scaled-regressor-sequence-2": (
        GRURegressor,
        dict(standardize="sequence", output="sequence", dtype="float64"),
        "short-loud-and-faint",
        "sequence-2",
    ),
}
CONV_BRANCH_CASES = [name for name in CASES if "conv_layers" in CASES[name][1]]
LINEAR_SKIP_CASES = [name for name in CASES if CASES[name][1].get("linear_skip")]
SEQUENCE_CLASSIFIER_CASES = [
    name for name in CASES if CASES[name][0] is GRUClassifier and "output" in CASES[name][1]
]
SELF_SCALED_CASES = [name for name in CASES if CASES[name][1].get("standardize") == "sequence"]


def targets(kind, X_nan, lengths, seed=1):
    rng = np.random.default_rng(seed)
    if kind == "steps-int":  # 2-D, anything past each length (ignored)
        labels = rng.choice([3, 7, 9], size=(N, int(lengths.max())))
        labels[np.arange(labels.shape[1])[None, :] >= lengths[:, None]] = -1
        return labels
    if kind == "steps-str":  # a list of each sequence's labels
        return [rng.choice(["cat", "dog", "emu"], size=length) for length in lengths]
    if kind == "int":
        return np.array([3, 7, 9, 3, 7] * 2)
    if kind == "str":
        return np.array(["cat", "dog"] * 5)
    if kind == "last-1":
        return rng.standard_normal(N) * 10 + 5
    if kind == "last-3":
        return rng.standard_normal((N, 3))
    if kind == "last-value":  # what a linear skip explains: each sequence's last step
        last_steps = np.sum(~np.isnan(X_nan[:, :, 0]), axis=1) - 1
        return 3 * X_nan[np.arange(N), last_steps, 0] + 1 + 0.1 * rng.standard_normal(N)
    values = rng.standard_normal(X_nan.shape[:2] + ((2,) if kind == "sequence-2" else ()))
    values[np.isnan(X_nan[:, :, 0])] = np.nan
    return values


@functools.cache
def fitted(name):
    """(fitted estimator, zero-padded X, NaN-padded X or ids, lengths) of a case."""
    estimator_class, settings, inputs, target_kind = CASES[name]
    if inputs == "tokens":
        X, X_nan, lengths = tokens()
    else:
        make = loud_and_faint if inputs.endswith("loud-and-faint") else ragged
        features = 1 if "univariate" in inputs else 2
        X, X_nan, lengths = make(LONG if inputs.startswith("long") else STEPS, features)
    estimator = estimator_class(**{**SMALL, **settings})
    estimator.fit(X_nan, targets(target_kind, X_nan, lengths))
    return estimator, X, X_nan, lengths


def expected_output(estimator, X_nan):
    """predict_proba, or predict with the target axis kept (the exports' shape)."""
    if isinstance(estimator, GRUClassifier):
        return estimator.predict_proba(X_nan)
    prediction = estimator.predict(X_nan)
    if estimator.output == "last":
        return prediction.reshape(len(X_nan), -1)
    return prediction if prediction.ndim == 3 else prediction[..., None]


def run_onnx(model, X, lengths):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X, "lengths": lengths.astype(np.int64)})


@pytest.mark.parametrize("name", CASES)
def test_onnxruntime_reproduces_the_estimator(name):
    estimator, X, X_nan, lengths = fitted(name)
    if CASES[name][2] == "long":
        assert estimator.patch_size_ == 3
    if name in LINEAR_SKIP_CASES:
        assert estimator.network_.linear_steps > 0
    outputs = run_onnx(to_onnx(estimator), X, lengths)
    expected = expected_output(estimator, X_nan)
    np.testing.assert_allclose(outputs[-1], expected, rtol=1e-5, atol=1e-5)
    if isinstance(estimator, GRUClassifier):
        label, _ = outputs
        assert label.dtype == (object if CASES[name][3].endswith("str") else np.int64)
        if name in SEQUENCE_CLASSIFIER_CASES:
            assert_step_labels(label, estimator, X_nan, lengths)
        else:
            np.testing.assert_array_equal(label, estimator.predict(X_nan))


def assert_step_labels(label, estimator, X_nan, lengths):
    """ONNX's "label" (batch, time) of a sequence classifier: predict's labels within each
    length, classes_[0] past it."""
    assert label.shape == X_nan.shape[:2]
    predicted = estimator.predict(X_nan)
    assert isinstance(predicted, list)  # ragged lengths
    for row, expected, length in zip(label, predicted, lengths):
        np.testing.assert_array_equal(row[:length], expected)
        assert np.all(row[length:] == estimator.classes_[0])


def gru_nodes(model):
    """The attributes of each GRU node, and its input count."""
    return [
        ({a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}, len(node.input))
        for node in model.graph.node
        if node.op_type == "GRU"
    ]


def test_graph_layout():
    """One GRU node per layer with the variant's linear_before_reset, named inputs/outputs."""
    estimator, *_ = fitted("cho-bidirectional-stacked-strings")
    model = to_onnx(estimator, opset=15)
    assert gru_nodes(model) == [
        ({"hidden_size": size, "direction": b"bidirectional", "linear_before_reset": 0}, 5)
        for size in (3, 2)  # inputs X, W, R, B, sequence_lens
    ]
    assert [i.name for i in model.graph.input] == ["X", "lengths"]
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    assert model.opset_import[0].version == 15
    default, *_ = fitted("regressor-last-3-patched")
    model = to_onnx(default)
    assert gru_nodes(model) == [
        ({"hidden_size": 4, "direction": b"bidirectional", "linear_before_reset": 1}, 5)
    ]
    assert [o.name for o in model.graph.output] == ["variable"]
    assert model.opset_import[0].version == 17


def test_the_model_declares_the_lowest_ir_version_its_opset_allows():
    # Runtimes check the IR version first: onnxruntime 1.18 (the onnx extra's floor) refused
    # every model while it carried the onnx package's own (IR 14 with onnx 1.23), though
    # it runs opset 17. ONNX's versioning table: opset 13 came with IR 7, 15-17 with IR 8,
    # 21 with IR 10.
    estimator, *_ = fitted("cho-bidirectional-stacked-strings")
    for opset, ir_version in ((13, 7), (15, 8), (17, 8), (21, 10), (None, 8)):
        assert to_onnx(estimator, opset=opset).ir_version == ir_version


def test_the_model_names_the_pygru_that_wrote_it():
    # Without producer_version a model could not say which pygru wrote it, as those of
    # skl2onnx and torch.onnx do.
    estimator, *_ = fitted("cho-bidirectional-stacked-strings")
    model = to_onnx(estimator)
    assert (model.producer_name, model.producer_version) == ("pygru", __version__)


def output_shapes(model):
    return {
        o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
        for o in model.graph.output
    }


def test_sequence_classifier_outputs_have_a_time_axis():
    estimator, *_ = fitted("sequence-classifier-cho-bidirectional-stacked-strings")
    assert estimator.network_.output == "sequence" and estimator.network_.pooling == "last"
    model = to_onnx(estimator)
    assert output_shapes(model) == {
        "label": ["batch", "time"],
        "probabilities": ["batch", "time", 3],
    }
    assert model.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.STRING
    estimator, *_ = fitted("classifier")
    assert output_shapes(to_onnx(estimator)) == {
        "label": ["batch"],
        "probabilities": ["batch", 3],
    }


@pytest.mark.parametrize(
    "name",
    [
        "sequence-classifier",
        "float64-sequence-classifier-cho-bidirectional",
        "float64-self-scaled-sequence-classifier-bidirectional",
    ],
)
def test_sequence_classifier_ignores_the_padding_and_the_batch(name):
    """Whatever the padding holds, the probabilities are NaN and the label classes_[0] past
    each length; a sequence alone gets the same steps as in the batch."""
    estimator, X, X_nan, lengths = fitted(name)
    noisy = X.copy()
    noisy[np.arange(STEPS)[None, :] >= lengths[:, None]] = 123.0
    model = to_onnx(estimator)
    label, probabilities = run_onnx(model, noisy, lengths)
    expected = estimator.predict_proba(X_nan)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-5)
    assert_step_labels(label, estimator, X_nan, lengths)
    padding = np.arange(STEPS)[None, :] >= lengths[:, None]
    assert padding.any() and np.isnan(probabilities[padding]).all()
    for i in [0, 5, 7]:
        one_label, one = run_onnx(model, X[i : i + 1, : lengths[i]], lengths[i : i + 1])
        np.testing.assert_allclose(one[0], expected[i, : lengths[i]], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(one_label[0], label[i, : lengths[i]])


def test_results_do_not_depend_on_the_padding_or_the_batch():
    estimator, X, X_nan, lengths = fitted("patched-bidirectional")
    noisy = X.copy()
    noisy[np.arange(LONG)[None, :] >= lengths[:, None]] = 123.0
    model = to_onnx(estimator)
    full = run_onnx(model, noisy, lengths)[1]
    np.testing.assert_allclose(full, estimator.predict_proba(X_nan), rtol=1e-5, atol=1e-5)
    one = run_onnx(model, X[3:4, : lengths[3]], lengths[3:4])[1]
    np.testing.assert_allclose(one, full[3:4], rtol=1e-5, atol=1e-6)


def test_target_scaling_is_undone():
    estimator, X, X_nan, lengths = fitted("regressor-last-3-patched")
    landed = hasattr(estimator, "target_scale_")  # GRURegressor standardises targets itself
    raw = estimator.predict(X_nan)
    mean, scale = np.array([100.0, -5.0, 0.0]), np.array([20.0, 0.5, 3.0])
    estimator.target_mean_, estimator.target_scale_ = mean, scale
    try:
        expected = estimator.predict(X_nan) if landed else raw * scale + mean
        variable = run_onnx(to_onnx(estimator), X, lengths)[0]
    finally:
        del estimator.target_mean_, estimator.target_scale_
    np.testing.assert_allclose(variable, expected, rtol=1e-5, atol=1e-4)


def test_regressors_of_large_targets_are_reproduced_to_the_documented_resolution():
    # The float32 network's rounding reaches the targets' units times target_scale_, and the
    # float32 output rounds at the predictions' size (the README's promise).
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 20, 3)).astype(np.float32)
    y = 1e6 + 1e5 * (X[:, -1, 0] + 0.5 * np.sin(X[:, :, 1].sum(axis=1)))
    estimator = GRURegressor((8,), bidirectional=True, max_iter=20, random_state=0).fit(X, y)
    (variable,) = run_onnx(to_onnx(estimator), X, np.full(len(X), 20))
    expected = estimator.predict(X)
    resolution = np.spacing(np.abs(expected).astype(np.float32)).astype(np.float64)
    bound = 2e-6 * estimator.target_scale_[0] + resolution
    assert np.all(np.abs(variable[:, 0] - expected) <= bound)


# The data are float32 already: rounding them loses nothing, whatever the warning fears.
@pytest.mark.filterwarnings("ignore:a feature's mean is up to:UserWarning")
def test_inputs_far_from_zero_are_standardised_as_predict_does():
    # A float32 mean of 1e4 is 4e-4 off, here 4 % of the spread: the graph subtracts it in
    # two parts.
    rng = np.random.default_rng(0)
    X = (1e4 + 0.01 * rng.standard_normal((40, 10, 1))).astype(np.float32)
    y = (X[:, -3:, 0].mean(axis=1) > 1e4).astype(int)
    clf = GRUClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    proba = run_onnx(to_onnx(clf), X, np.full(len(X), 10))[1]
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-5)


def timestamps(seed=0):
    """Float64 timestamps around 1.7e9 s with a spread of a minute: float32 rounds them to
    128 s, and the class is in the spread."""
    rng = np.random.default_rng(seed)
    spread = 60.0 * rng.standard_normal((60, 12, 1))
    return 1.7e9 + spread, (spread[:, -1, 0] > 0).astype(int)


@pytest.mark.parametrize("settings", [{}, dict(patch_size=3, bidirectional=False)])
@pytest.mark.parametrize("make", [GRUClassifier, GRURegressor])
def test_float64_input_keeps_a_spread_that_float32_input_loses(make, settings):
    # predict standardises float64 X; a graph that reads float32 X cannot (labels of 64 of
    # 200 such series flipped, silently). input_dtype="float64" standardises in float64,
    # and the float32 export says what it loses.
    X, y = timestamps()
    estimator = make((8,), max_iter=20, random_state=0, **settings).fit(X, y)
    lengths = np.full(len(X), X.shape[1])
    outputs = run_onnx(to_onnx(estimator, input_dtype="float64"), X, lengths)
    expected = expected_output(estimator, X)
    np.testing.assert_allclose(outputs[-1], expected, rtol=1e-5, atol=1e-5)
    with pytest.warns(UserWarning, match=r"mean is up to 2\.8.e\+07 times its scale.*float64"):
        float32_model = to_onnx(estimator)
    blurred = run_onnx(float32_model, X.astype(np.float32), lengths)[-1]
    assert np.abs(blurred - expected).max() > 1e-2  # what the warning is about


def check_each_sequence_is_scaled_by_itself(name, run, tolerance):
    """``run(estimator, X, lengths)``, an export's output for X of the network's dtype, is
    predict's for the list of the sequences, whatever the padding holds and whichever
    sequences share the batch: each is scaled by the mean and spread of its own steps."""
    estimator, X, X_nan, lengths = fitted(name)
    assert estimator.input_mean_.shape == (3 * estimator.n_features_in_,)  # X, levels, spreads
    per_step = estimator.output == "sequence"  # whose predictions of a list are a list
    sequences = [row[:length] for row, length in zip(X_nan, lengths)]
    expected = expected_output(estimator, X_nan if per_step else sequences)
    noisy = X.astype(estimator.network_.dtype)
    noisy[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 123.0
    output = run(estimator, noisy, lengths)
    np.testing.assert_allclose(output, expected, rtol=tolerance, atol=tolerance)
    for i, length in enumerate(lengths):
        one = run(estimator, noisy[i : i + 1, :length], lengths[i : i + 1])
        alone = expected[i : i + 1, :length] if per_step else expected[i : i + 1]
        np.testing.assert_allclose(one, alone, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", SELF_SCALED_CASES)
def test_each_sequence_is_scaled_by_itself_whatever_the_padding_and_the_batch(name):
    def run(estimator, X, lengths):  # float32 X: the data's own values
        return run_onnx(to_onnx(estimator), X.astype(np.float32), lengths)[-1]

    check_each_sequence_is_scaled_by_itself(name, run, 1e-5)


def faint_sequences_far_from_zero(seed=0):
    """float32 sequences at 1e3 to 2e3 with spreads of 1e-2 to 1 and labels from their
    shape: a mean or spread of float32 arithmetic is off by a share of a faint one's
    spread, where predict computes them in float64."""
    rng = np.random.default_rng(seed)
    levels = rng.uniform(1e3, 2e3, size=(40, 1, 1))
    spreads = 10.0 ** rng.uniform(-2, 0, size=(40, 1, 1))
    X = (levels + spreads * rng.standard_normal((40, 12, 1))).astype(np.float32)
    return X, (X[:, -1, 0] > X[:, :, 0].mean(axis=1)).astype(int)


@pytest.mark.parametrize("input_dtype", ["float32", "float64"])
def test_faint_sequences_far_from_zero_are_scaled_in_float64_as_predict_does(input_dtype):
    X, y = faint_sequences_far_from_zero()
    clf = GRUClassifier((8,), standardize="sequence", max_iter=20, random_state=0).fit(X, y)
    model = to_onnx(clf, input_dtype=input_dtype)
    proba = run_onnx(model, X.astype(input_dtype), np.full(len(X), X.shape[1]))[1]
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-5, atol=1e-5)


def sequences_at_their_rounding_level():
    """A float64 classifier scaling each sequence by itself, its floor 7e-13 (faint training
    series at level 0), and sequences whose spread is rounding: constants, a value and its
    neighbour alternating for 3,000 steps (which a plain sum makes a spread of 1e-14), and
    a spread of 1.5e-12 at level 1e3, below the rounding level of its mean (2.2e-12)."""
    rng = np.random.default_rng(1)
    loud = np.arange(60) % 2 == 1
    level = np.where(loud, 1e3, 0.0) + rng.uniform(-1, 1, 60)
    X = level[:, None, None] + np.where(loud, 1.0, 1e-12)[:, None, None] * rng.standard_normal(
        (60, 30, 1)
    )
    y = (X[:, -1, 0] > X[:, :, 0].mean(axis=1)).astype(int)
    clf = GRUClassifier((8,), standardize="sequence", dtype="float64", max_iter=20, random_state=0)
    clf.fit(X, y)
    steps = 3000
    X_test = np.empty((5, steps, 1))
    X_test[0], X_test[1] = -7.3, 300.1
    X_test[2, :, 0] = np.where(np.arange(steps) % 2, 0.1, np.nextafter(0.1, 1))
    X_test[3:, :, 0] = 1e3 + 1.5e-12 * np.where(rng.random((2, steps)) < 0.5, -1, 1)
    return clf, X_test, np.full(5, steps)


def models_of_tiny_sequences():
    """Sequences of about 1e-170 (squares below float64's smallest normal number) and
    float64 models that scale each one by itself: the estimator's ``standardize="sequence"``,
    which divides each sequence by a power of two near its largest value before squaring
    it, and ``SequenceScaler(per="sequence")`` before one, StandardScaler's twin, which
    reads such a sequence as constant (audit35a)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 8, 1)) * rng.uniform(0.5, 2, (12, 1, 1)) * 1e-170
    y = np.arange(12) % 2
    settings = dict(hidden_layer_sizes=(4,), dtype="float64", max_iter=2, random_state=0)
    models = [
        GRUClassifier(standardize="sequence", **settings),
        make_pipeline(SequenceScaler(per="sequence"), GRUClassifier(**settings)),
    ]
    return [model.fit(X, y) for model in models], X


def test_tiny_sequences_are_scaled_in_the_graph_as_predict_scales_them():
    # The graph squared the raw deviations: at 1e-165 every square rounded to 0, each
    # sequence read as constant, and probabilities were up to 0.8 off (audit38b).
    models, X = models_of_tiny_sequences()
    for model in models:
        proba = run_onnx(to_onnx(model, input_dtype="float64"), X, np.full(len(X), 8))[1]
        np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_sequences_at_their_rounding_level_are_constant_in_the_graph_too():
    # predict reads such a sequence as constant (its spread 0, the floor in its place); the
    # graph took the rounding for its spread and divided by it: 0.1-0.25 apart.
    clf, X, lengths = sequences_at_their_rounding_level()
    assert clf.sequence_spread_floor_[0] < 1e-12
    proba = run_onnx(to_onnx(clf, input_dtype="float64"), X, lengths)[1]
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [GRUClassifier, GRURegressor])
def test_float64_input_keeps_the_shape_of_each_sequence_that_float32_input_loses(make):
    # Timestamps: a minute's spread about 1.7e9 s, which float32 rounds to 128 s.
    X, y = timestamps()
    estimator = make((8,), standardize="sequence", patch_size=3, max_iter=20, random_state=0)
    estimator.fit(X, y)
    lengths = np.full(len(X), X.shape[1])
    outputs = run_onnx(to_onnx(estimator, input_dtype="float64"), X, lengths)
    expected = expected_output(estimator, X)
    np.testing.assert_allclose(outputs[-1], expected, rtol=1e-5, atol=1e-5)
    blurred = run_onnx(to_onnx(estimator), X.astype(np.float32), lengths)[-1]
    assert np.abs(blurred - expected).max() > 1e-2


def test_float32_input_is_not_judged_from_the_statistics_of_the_scaled_channels():
    # input_mean_ and input_scale_ describe the scaled values, levels and log spreads,
    # not X: levels all at 1e4 with spreads of 100, which float32 X carries well, read as
    # "a feature's mean is up to 1e+04 times its scale".
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((20, 10, 1))
    X = (1e4 + 100 * (noise - noise.mean(axis=1, keepdims=True))).astype(np.float32)
    clf = GRUClassifier((4,), standardize="sequence", max_iter=2, random_state=0)
    clf.fit(X, np.arange(len(X)) % 2)
    assert np.max(np.abs(clf.input_mean_) / clf.input_scale_) > 1e3
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = to_onnx(clf)
    proba = run_onnx(model, X, np.full(len(X), X.shape[1]))[1]
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-5, atol=1e-5)


def test_input_dtype_is_checked_and_leaves_token_ids_alone():
    estimator, *_ = fitted("classifier")
    for bad in ("double", np.int64, np.dtype("float16"), object, None):
        with pytest.raises(ValueError, match='input_dtype must be "float32" or "float64"'):
            to_onnx(estimator, input_dtype=bad)
    # NumPy's forms, as the estimators' dtype takes them (they were refused: audit37a).
    for name in ("float32", "float64"):
        named = to_onnx(estimator, input_dtype=name).SerializeToString()
        for form in (getattr(np, name), np.dtype(name)):
            assert to_onnx(estimator, input_dtype=form).SerializeToString() == named
    embedding, X, X_nan, lengths = fitted("embedding-bidirectional")
    outputs = run_onnx(to_onnx(embedding, input_dtype="float64"), X, lengths)
    np.testing.assert_allclose(outputs[-1], expected_output(embedding, X_nan), atol=1e-5)


@contextlib.contextmanager
def random_linear_skip(estimator, seed=0):
    """The estimator with a large random ``linear.weight`` (restored afterwards), so that the
    skip's term dominates the output: an export that misplaced or dropped a step of its
    window could not agree with predict by chance."""
    weight = estimator.network_.views["linear.weight"]
    before = weight.copy()
    weight[...] = np.random.default_rng(seed).standard_normal(weight.shape)
    try:
        yield
    finally:
        weight[...] = before


def skip_window_is_exercised(estimator, X_nan, lengths):
    """Check that the case reads a window longer than some sequences (zero fill) and that
    the skip's term moves the predictions far beyond the tolerances."""
    network = estimator.network_
    patch_size = estimator.patch_size_
    step_lengths = -(-lengths // patch_size)
    assert network.linear_steps == min(step_lengths.max(), 64)
    assert np.any(step_lengths < network.linear_steps)
    with_skip = expected_output(estimator, X_nan)
    weight = network.views["linear.weight"]
    before = weight.copy()
    weight[...] = 0
    try:
        without_skip = expected_output(estimator, X_nan)
    finally:
        weight[...] = before
    assert np.abs(with_skip - without_skip).min() > 1e-2


@pytest.mark.parametrize("name", LINEAR_SKIP_CASES)
def test_linear_skip_reads_each_sequences_last_network_steps(name):
    """The window of standardised (and patched) steps, zero before a short sequence's first
    step, whatever the padding holds and whichever sequences share the batch."""
    estimator, X, X_nan, lengths = fitted(name)
    with random_linear_skip(estimator):
        skip_window_is_exercised(estimator, X_nan, lengths)
        expected = expected_output(estimator, X_nan)
        noisy = X.copy()
        noisy[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 123.0
        model = to_onnx(estimator)
        variable = run_onnx(model, noisy, lengths)[0]
        np.testing.assert_allclose(variable, expected, rtol=1e-5, atol=1e-5)
        for i in [0, 5, 7]:  # the longest sequence, and short ones, alone
            one = run_onnx(model, X[i : i + 1, : lengths[i]], lengths[i : i + 1])[0]
            np.testing.assert_allclose(one, expected[i : i + 1], rtol=1e-5, atol=1e-5)


@contextlib.contextmanager
def random_conv_branch(estimator, seed=0):
    """The estimator with random convolutional branch weights, layer norm scales and shifts
    away from 1 and 0, and large head weights on the branch's features (all restored
    afterwards): an export that swapped a layout, a padding side or a norm parameter could
    not agree with predict by chance."""
    network = estimator.network_
    before = network.params.copy()
    rng = np.random.default_rng(seed)
    for name, view in network.views.items():
        if name.startswith("conv"):
            view[...] = rng.normal(0.5 if name.endswith("norm_scale") else 0.0, 0.5, view.shape)
    filters = network.conv_layers[-1][0]
    network.views["head.weight"][:, -filters:] = 3 * rng.standard_normal(
        (network.n_outputs, filters)
    )
    try:
        yield
    finally:
        network.params[...] = before


def conv_branch_is_exercised(estimator, X_nan):
    """Check that the branch's features move the predictions far beyond the tolerances."""
    with_branch = expected_output(estimator, X_nan)
    filters = estimator.network_.conv_layers[-1][0]
    head = estimator.network_.views["head.weight"]
    before = head.copy()
    head[:, -filters:] = 0
    try:
        assert np.abs(expected_output(estimator, X_nan) - with_branch).max() > 0.05
    finally:
        head[...] = before


@pytest.mark.parametrize("name", CONV_BRANCH_CASES)
def test_conv_branch_reads_each_sequences_valid_steps(name):
    """The convolutions (patched steps where the case has patches) see zeros past each
    sequence's length, whatever the padding holds and whichever sequences share the batch."""
    estimator, X, X_nan, lengths = fitted(name)
    with random_conv_branch(estimator):
        conv_branch_is_exercised(estimator, X_nan)
        expected = expected_output(estimator, X_nan)
        noisy = X.copy()
        noisy[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 123.0
        model = to_onnx(estimator)
        output = run_onnx(model, noisy, lengths)[-1]
        np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-5)
        for i in [0, 5, 7]:  # the longest sequence, and short ones, alone
            one = run_onnx(model, X[i : i + 1, : lengths[i]], lengths[i : i + 1])[-1]
            np.testing.assert_allclose(one, expected[i : i + 1], rtol=1e-4, atol=1e-5)


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(NotFittedError):
        to_onnx(GRUClassifier())
    with pytest.raises(TypeError, match="GRUClassifier or GRURegressor, got LogisticRegression"):
        to_onnx(LogisticRegression())
    with pytest.raises(TypeError, match="got str"):
        to_onnx("model.npz")
    estimator, *_ = fitted("classifier")
    with pytest.raises(ValueError, match="opset must be between 13 and"):
        to_onnx(estimator, opset=12)
    with pytest.raises(TypeError, match="opset must be an int"):
        to_onnx(estimator, opset="17")


def test_unsigned_labels_are_exported_or_refused_never_wrapped():
    X = np.random.default_rng(0).standard_normal((20, 5, 2)).astype(np.float32)
    lengths = np.full(4, 5)
    for top, fits in [(2**63 - 1, True), (2**63 + 5, False)]:
        y = np.array([0, top], dtype=np.uint64)[[0, 1] * 10]
        clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, y)
        if fits:
            label, _ = run_onnx(to_onnx(clf), X[:4], lengths)
            np.testing.assert_array_equal(label, clf.predict(X[:4]).astype(np.int64))
        else:
            with pytest.raises(ValueError, match=r"class labels above 2\*\*63 - 1"):
                to_onnx(clf)


FLOAT_LABEL_DTYPES = [np.float16, np.float32, np.float64, ">f8", np.longdouble]


@pytest.mark.parametrize("dtype", FLOAT_LABEL_DTYPES)
def test_float_labels_of_every_dtype_and_byte_order_are_exported(dtype):
    X = np.random.default_rng(0).standard_normal((20, 5, 2)).astype(np.float32)
    y = np.array([-1.0, 0.0, 2.0, 4.0], dtype=dtype)[np.arange(20) % 4]
    clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    label, _ = run_onnx(to_onnx(clf), X, np.full(20, 5))
    assert label.dtype == np.float64
    np.testing.assert_array_equal(label, clf.predict(X))


def test_labels_float64_cannot_hold_are_refused():
    X = np.random.default_rng(0).standard_normal((20, 5, 2)).astype(np.float32)
    big = np.longdouble(2**60)  # whole numbers, as a classifier's float labels are
    y = np.array([big, big + 1], dtype=np.longdouble)[np.arange(20) % 2]
    if y[0] == y[1]:
        pytest.skip("longdouble is float64 here")
    clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="that float64 cannot hold exactly"):
        to_onnx(clf)


def test_labels_that_numpy_strings_would_merge_are_refused():
    # 'a\x00' and 'a' are two classes to predict; NumPy's str of the first drops its NUL,
    # and the 'label' output merged them silently.
    X = np.random.default_rng(0).standard_normal((20, 5, 2)).astype(np.float32)
    y = np.array(["a", "a\x00"], dtype=object)[np.arange(20) % 2]
    clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    assert len(clf.classes_) == 2
    with pytest.raises(ValueError, match="trailing NUL"):
        to_onnx(clf)


def test_labels_of_dates_are_refused_by_name():
    # onnx's own "Unable to convert type dtype('<M8[D]')" named neither classes_ nor a remedy.
    X = np.random.default_rng(0).standard_normal((20, 5, 2)).astype(np.float32)
    y = np.array(["2024-01-01", "2024-06-01"], dtype="datetime64[D]")[np.arange(20) % 2]
    clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"class labels of dtype datetime64\[D\] have no ONNX"):
        to_onnx(clf)


def targets_at(mean, scale, **settings):
    """A regressor fitted on targets ``mean + scale * z``, z a signal in X, and its X."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 6, 2)).astype(np.float32)
    z = X[:, -1, 0] + 0.1 * rng.standard_normal(24)
    regressor = GRURegressor((4,), max_iter=10, random_state=0, **settings)
    return regressor.fit(X, mean + scale * z), X


def test_float32_output_warns_of_targets_whose_mean_dwarfs_their_scale():
    # Millisecond timestamps: predict undoes the target scaling in float64, the float32
    # output rounded every prediction to the same value, without a word.
    regressor, X = targets_at(1.7e12, 1000.0)
    with pytest.warns(UserWarning, match=r"target's mean is up to 1\.6.e\+09 times its scale"):
        model = to_onnx(regressor)
    blurred = run_onnx(model, X, np.full(len(X), X.shape[1]))[0]
    assert np.abs(blurred - expected_output(regressor, X)).max() > 100  # what it warns of


@pytest.mark.parametrize("mean, scale", [(0.0, 1e-50), (0.0, 1e39), (1e39, 1.0)])
def test_target_scaling_float32_cannot_hold_is_refused(mean, scale):
    # The outputs were all 0 (scale 1e-50) or inf/NaN (1e39), silently.
    regressor, _ = targets_at(mean, scale)
    with pytest.raises(ValueError, match="outside float32's normal range"):
        to_onnx(regressor)


@pytest.mark.parametrize("mean, scale", [(300.0, 20.0), (290.0, 3.0), (1000.0, 0.0)])
def test_ordinary_targets_export_without_a_warning(mean, scale):
    # Kelvin-like targets (290 +- 3) round to 5e-6 of their scale in float32 and were warned
    # of (the rule counted a whole ulp, not half); a constant target's scale of 1 says
    # nothing of its spread.
    regressor, X = targets_at(mean, scale)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = to_onnx(regressor)
    outputs = run_onnx(model, X, np.full(len(X), X.shape[1]))[0]
    np.testing.assert_allclose(
        outputs, expected_output(regressor, X), rtol=1e-5, atol=1e-5 * max(scale, 1.0)
    )


# ------------------------------------------------------------------------------ skl2onnx


@pytest.fixture(scope="module")
def skl2onnx():
    module = pytest.importorskip("skl2onnx")
    from pygru.export import register_skl2onnx_converters

    register_skl2onnx_converters()
    return module


def test_pipeline_of_a_scaler_and_a_univariate_classifier_converts(skl2onnx):
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = ragged(LONG, features=1)[0][:, :, 0]  # (n, T): univariate, every sequence full length
    y = np.array(["low", "mid", "high", "mid", "low"] * 2)
    pipe = make_pipeline(StandardScaler(), GRUClassifier(**SMALL)).fit(X, y)
    assert pipe[-1].patch_size_ == 3
    onx = skl2onnx.to_onnx(
        pipe,
        initial_types=[("X", FloatTensorType([None, LONG]))],
        options={id(pipe[-1]): {"zipmap": False}},
    )
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, probabilities = session.run(None, {"X": X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    np.testing.assert_allclose(probabilities, pipe.predict_proba(X), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", FLOAT_LABEL_DTYPES)
def test_skl2onnx_declares_the_type_of_float_labels(skl2onnx, dtype):
    # The label was declared int64 while the graph gave doubles: onnxruntime refused the
    # model without ZipMap. Labels and ZipMap keys are int64, as for scikit-learn's
    # classifiers.
    from skl2onnx.common.data_types import FloatTensorType

    X = np.random.default_rng(0).standard_normal((20, 5)).astype(np.float32)
    y = np.array([0, 2, 4], dtype=dtype)[np.arange(20) % 3]
    clf = GRUClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    for zipmap in (False, True):
        onx = skl2onnx.to_onnx(
            clf,
            initial_types=[("X", FloatTensorType([None, 5]))],
            options={id(clf): {"zipmap": zipmap}},
        )
        session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        label, probabilities = session.run(None, {"X": X})
        assert label.dtype == np.int64
        np.testing.assert_array_equal(label, clf.predict(X))
        if zipmap:
            assert list(probabilities[0]) == [0, 2, 4]


NUMERIC_CASES = [
    name for name in CASES if CASES[name][2] != "tokens" and "sequence-classifier" not in name
]


@pytest.mark.parametrize("opset", [13, None])  # None: skl2onnx's newest
@pytest.mark.parametrize("name", NUMERIC_CASES)
def test_skl2onnx_reads_trailing_nan_steps_as_padding(skl2onnx, name, opset):
    # Without a lengths input every sequence filled the table: NaN padding (a table of
    # series of different lengths with empty trailing cells) was read as values, and the
    # probabilities were off by up to 0.13, finite and without a warning.
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    estimator, _, X_nan, lengths = fitted(name)
    assert len(set(lengths)) > 2
    options = {id(estimator): {"zipmap": False}} if isinstance(estimator, GRUClassifier) else {}
    for tensor_type, dtype in ((FloatTensorType, np.float32), (DoubleTensorType, np.float64)):
        onx = skl2onnx.to_onnx(
            estimator,
            initial_types=[("X", tensor_type([None, None, X_nan.shape[2]]))],
            options=options,
            target_opset=opset,
        )
        session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        output = session.run(None, {"X": X_nan.astype(dtype)})[-1]
        expected = expected_output(estimator, X_nan)
        np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)


def test_skl2onnx_pipeline_of_a_table_with_empty_trailing_cells(skl2onnx):
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    _, X_nan, lengths = ragged(LONG, features=1)
    X_nan = X_nan[:, :, 0]
    y = np.array(["low", "mid", "high", "mid", "low"] * 2)
    pipe = make_pipeline(StandardScaler(), GRUClassifier(**SMALL)).fit(X_nan, y)
    onx = skl2onnx.to_onnx(
        pipe,
        initial_types=[("X", FloatTensorType([None, LONG]))],
        options={id(pipe[-1]): {"zipmap": False}},
    )
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, probabilities = session.run(None, {"X": X_nan})
    np.testing.assert_array_equal(label, pipe.predict(X_nan))
    np.testing.assert_allclose(probabilities, pipe.predict_proba(X_nan), rtol=1e-5, atol=1e-5)
    inside = X_nan.copy()
    inside[0, 1] = np.nan  # predict refuses it; the graph, which cannot raise, gives NaN
    assert np.isnan(session.run(None, {"X": inside})[1][0]).all()
    assert not np.isnan(session.run(None, {"X": inside})[1][1:]).any()


NOT_FINITE_CASES = [
    "classifier",
    "regressor-sequence-2-cho-bidirectional",
    "self-scaled-linear-skip-regressor-patch-3",
]


def check_missing_and_infinite_values_give_nan(name, run):
    """``run(estimator, X, lengths)``, an export's output, is NaN for a sequence with NaN
    (sequence 0) or infinity (1) within its length, which predict refuses, and predict's
    for the rest, whatever lies past their lengths (NaN for sequence 2)."""
    estimator, X, X_nan, lengths = fitted(name)
    X = X.copy()
    X[0, 0, 1], X[1, 0, 0] = np.nan, np.inf
    X[2, lengths[2] :] = np.nan
    output = run(estimator, X, lengths)
    assert np.isnan(output[:2]).all()
    np.testing.assert_allclose(
        output[2:], expected_output(estimator, X_nan)[2:], rtol=1e-5, atol=1e-5
    )


def check_a_value_float32_cannot_hold_gives_nan(run):
    """``run(estimator, X, lengths)`` on float64 X holding 1e39 (finite in float64, which
    predict refuses as too large for float32 once standardised) is NaN for that sequence
    alone: the check read X before the cast, whose infinity the GRU read as a number."""
    estimator, X, X_nan, lengths = fitted("classifier")
    X = X.astype(np.float64)
    X[1, 0, 0] = 1e39
    with pytest.raises(ValueError, match="too large for float32"):
        estimator.predict(X[1:2, : lengths[1]])
    output = run(estimator, X, lengths)
    assert np.isnan(output[1]).all() and not np.isnan(output[[0, 2]]).any()


def test_a_value_float32_cannot_hold_gets_nan_outputs():
    check_a_value_float32_cannot_hold_gives_nan(
        lambda estimator, X, lengths: run_onnx(
            to_onnx(estimator, input_dtype="float64"), X, lengths
        )[-1]
    )


@pytest.mark.parametrize("name", NOT_FINITE_CASES)
def test_a_sequence_with_a_missing_or_infinite_value_gets_nan_outputs(name):
    # onnxruntime's GRU read NaN as a number and gave finite outputs.
    check_missing_and_infinite_values_give_nan(
        name, lambda estimator, X, lengths: run_onnx(to_onnx(estimator), X, lengths)[-1]
    )


def scaled_sequences():
    """Ragged float64 sequences far from 0 and on unlike scales (a feature constant in one
    sequence), zero-padded and NaN-padded, their lengths, and three classes."""
    X, X_nan, lengths = ragged(STEPS)
    X, X_nan = (values.astype(np.float64) * [1, 100] + [0, 1e4] for values in (X, X_nan))
    X_nan[3, : lengths[3], 0] = 7.0
    X = np.where(np.isnan(X_nan), 0, X_nan)
    return X, X_nan, lengths, np.arange(len(X)) % 3


SCALERS = [
    SequenceScaler(),
    SequenceScaler(per="sequence"),
    SequenceScaler(per="sequence", with_mean=False),
    SequenceScaler(with_std=False),
]


@pytest.mark.parametrize("input_dtype", ["float32", "float64"])
@pytest.mark.parametrize("scaler", SCALERS, ids=repr)
def test_a_pipeline_of_sequence_scalers_and_an_estimator_exports_whole(scaler, input_dtype):
    # The pipeline the guide names for UCR-style series had no ONNX form: to_onnx took the
    # estimator alone, skl2onnx had no converter for SequenceScaler.
    X, X_nan, lengths, y = scaled_sequences()
    pipe = make_pipeline(clone(scaler), "passthrough", GRUClassifier(**SMALL)).fit(X_nan, y)
    X[1, lengths[1] :] = 1e30  # past its length: padding, whatever it holds
    label, probabilities = run_onnx(
        to_onnx(pipe, input_dtype=input_dtype), X.astype(input_dtype), lengths
    )
    np.testing.assert_allclose(probabilities, pipe.predict_proba(X_nan), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(label, pipe.predict(X_nan))


def test_a_pipeline_whose_input_float32_blurs_warns_as_the_estimator_alone_does():
    # The warning read the estimator's statistics, those of the scaler's output (mean 0):
    # X at 1e5 with a spread of 0.01 exported silently, 0.58 off in probabilities.
    X, X_nan, lengths, y = scaled_sequences()
    X_nan = 1e5 + 0.01 * X_nan
    pipe = make_pipeline(SequenceScaler(), GRUClassifier(**SMALL)).fit(X_nan, y)
    with pytest.warns(UserWarning, match="mean is up to .* times its scale"):
        to_onnx(pipe)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        to_onnx(pipe, input_dtype="float64")


def test_a_pipeline_with_another_step_is_refused_with_what_to_do():
    from sklearn.preprocessing import FunctionTransformer

    X, X_nan, lengths, y = scaled_sequences()
    for step in (SequenceImputer(), FunctionTransformer()):
        pipe = make_pipeline(SequenceScaler(), step, GRUClassifier(**SMALL)).fit(X_nan, y)
        name = type(step).__name__.lower()
        with pytest.raises(TypeError, match=rf"step '{name}' is a .*to_onnx\(pipeline\[-1\]\)"):
            to_onnx(pipe)


def test_skl2onnx_refuses_an_opset_the_scalers_graph_cannot_use(skl2onnx):
    # ReduceSum's axes are an input from opset 13: a per-sequence scaler at 11 or 12
    # converted, and onnxruntime refused the graph at load.
    from skl2onnx.common.data_types import DoubleTensorType

    scaler = SequenceScaler(per="sequence").fit(scaled_sequences()[1])
    with pytest.raises(ValueError, match="target_opset 13 or newer, got 12"):
        skl2onnx.to_onnx(
            scaler, initial_types=[("X", DoubleTensorType([None, None, 2]))], target_opset=12
        )


@pytest.mark.parametrize("scaler", SCALERS, ids=repr)
def test_skl2onnx_converts_sequence_scalers_alone_and_before_an_estimator(skl2onnx, scaler):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    X, X_nan, lengths, y = scaled_sequences()
    for data, shape in ((X_nan, [None, None, 2]), (X_nan[:, :, 0], [None, STEPS])):
        fitted = clone(scaler).fit(data)
        onx = skl2onnx.to_onnx(fitted, initial_types=[("X", DoubleTensorType(shape))])
        session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        np.testing.assert_allclose(
            session.run(None, {"X": data})[0], fitted.transform(data), rtol=1e-12
        )
        pipe = make_pipeline(clone(scaler), GRURegressor(**SMALL)).fit(data, y.astype(float))
        onx = skl2onnx.to_onnx(pipe, initial_types=[("X", FloatTensorType(shape))])
        session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        (variable,) = session.run(None, {"X": data.astype(np.float32)})
        np.testing.assert_allclose(variable[:, 0], pipe.predict(data), rtol=1e-5, atol=1e-5)


def test_skl2onnx_model_with_a_lengths_input(skl2onnx):
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    estimator, X, X_nan, lengths = fitted("regressor-sequence-2-cho-bidirectional")
    onx = skl2onnx.to_onnx(
        estimator,
        initial_types=[
            ("X", FloatTensorType([None, None, 2])),
            ("lengths", Int64TensorType([None])),
        ],
    )
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    (variable,) = session.run(None, {"X": X, "lengths": lengths})
    np.testing.assert_allclose(variable, expected_output(estimator, X_nan), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [13, None])  # None: skl2onnx's newest
def test_skl2onnx_embedding_model_reads_each_row_up_to_its_last_token(skl2onnx, opset):
    # Id 0 is padding, as predict reads it; the graph read every row as full length
    # (probabilities off by up to 0.88 on movie reviews, silently).
    from skl2onnx.common.data_types import Int64TensorType

    estimator, ids, _, lengths = fitted("concat-pooling-embedding-bidirectional")
    assert len(set(lengths)) > 2
    onx = skl2onnx.to_onnx(
        estimator,
        initial_types=[("X", Int64TensorType([None, None]))],
        options={id(estimator): {"zipmap": False}},
        target_opset=opset,
    )
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, probabilities = session.run(None, {"X": ids})
    np.testing.assert_allclose(probabilities, estimator.predict_proba(ids), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(label, estimator.predict(ids))


def test_skl2onnx_linear_skip_model_of_full_length_sequences(skl2onnx):
    from skl2onnx.common.data_types import FloatTensorType

    estimator, X, _, _ = fitted("linear-skip-patched-cho-bidirectional")
    with random_linear_skip(estimator):  # every sequence as long as X: the window is X's end
        onx = skl2onnx.to_onnx(estimator, initial_types=[("X", FloatTensorType([None, None, 2]))])
        expected = estimator.predict(X)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    (variable,) = session.run(None, {"X": X})
    np.testing.assert_allclose(variable, expected, rtol=1e-5, atol=1e-5)


def test_skl2onnx_refuses_a_sequence_classifier(skl2onnx):
    """skl2onnx's classifiers have a label and probabilities per sample, not per step."""
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    estimator, *_ = fitted("sequence-classifier")
    for zipmap in [True, False]:
        with pytest.raises(ValueError, match=r"output='sequence'.*pygru\.to_onnx"):
            skl2onnx.to_onnx(
                estimator,
                initial_types=[
                    ("X", FloatTensorType([None, None, 2])),
                    ("lengths", Int64TensorType([None])),
                ],
                options={id(estimator): {"zipmap": zipmap}},
            )


def test_skl2onnx_refuses_an_input_of_another_width(skl2onnx):
    # Declared: refused at conversion. Undeclared (None): the runtime refuses a wrong width
    # instead of broadcasting it against the two features' means.
    from skl2onnx.common.data_types import FloatTensorType

    estimator, X, _, _ = fitted("classifier")  # two features per step
    for shape in ([None, 6], [None, None, 1], [None]):
        with pytest.raises(ValueError, match=r"reads \(batch, time, 2\) or, for a univariate"):
            skl2onnx.to_onnx(estimator, initial_types=[("X", FloatTensorType(shape))])
    onx = skl2onnx.to_onnx(
        estimator,
        initial_types=[("X", FloatTensorType([None, None, None]))],
        options={id(estimator): {"zipmap": False}},
    )
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(
        session.run(None, {"X": X})[1], estimator.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(Exception, match="[Rr]eshape"):
        session.run(None, {"X": X[:, :, :1]})


def test_skl2onnx_takes_double_input_and_refuses_other_element_types(skl2onnx):
    # A numeric model declared with an int64 input, or an embedding model with a float one,
    # used to convert and then fail to load, on an internal node's types.
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType

    X, y = timestamps()
    reg = GRURegressor((8,), max_iter=20, random_state=0).fit(X, y)
    onx = skl2onnx.to_onnx(reg, initial_types=[("X", DoubleTensorType([None, 12, 1]))])
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"X": X})[0][:, 0], reg.predict(X), atol=1e-5)
    with pytest.warns(UserWarning, match="use initial_types with a DoubleTensorType X"):
        skl2onnx.to_onnx(reg, initial_types=[("X", FloatTensorType([None, 12, 1]))])
    with pytest.raises(ValueError, match="declares X as Int64TensorType; this GRURegressor "):
        skl2onnx.to_onnx(reg, initial_types=[("X", Int64TensorType([None, 12, 1]))])
    embedding, *_ = fitted("embedding-bidirectional")
    for declared in (FloatTensorType, DoubleTensorType):
        with pytest.raises(ValueError, match=f"declares X as {declared.__name__}; .* reads Int64"):
            skl2onnx.to_onnx(embedding, initial_types=[("X", declared([None, None]))])


def test_skl2onnx_checks_the_target_scaling_as_to_onnx(skl2onnx):
    from skl2onnx.common.data_types import FloatTensorType

    for (mean, scale), check in [
        ((1.7e12, 1000.0), pytest.warns(UserWarning, match="target's mean is up to")),
        ((0.0, 1e39), pytest.raises(ValueError, match="outside float32's normal range")),
    ]:
        regressor, X = targets_at(mean, scale)
        with check as caught:
            skl2onnx.to_onnx(regressor, initial_types=[("X", FloatTensorType([None, 6, 2]))])
        if isinstance(caught, pytest.WarningsRecorder):  # named at this line, not skl2onnx's
            assert {w.filename for w in caught} == {__file__}


def test_skl2onnx_refuses_old_opsets(skl2onnx):
    from skl2onnx.common.data_types import FloatTensorType

    estimator, *_ = fitted("classifier")
    with pytest.raises(ValueError, match="target_opset 13 or newer, got 12"):
        skl2onnx.to_onnx(
            estimator, initial_types=[("X", FloatTensorType([None, None, 2]))], target_opset=12
        )


@pytest.mark.parametrize("opset", [13, onnx.defs.onnx_opset_version()])
def test_pooling_heads_and_the_conv_branch_in_the_oldest_and_newest_opsets(opset):
    for name in [
        "max-pooling-patched-cho",
        "concat-pooling-embedding-bidirectional",
        "conv-branch-patched-concat-bidirectional",
    ]:
        estimator, X, X_nan, lengths = fitted(name)
        _, probabilities = run_onnx(to_onnx(estimator, opset=opset), X, lengths)
        np.testing.assert_allclose(
            probabilities, expected_output(estimator, X_nan), rtol=1e-5, atol=1e-5
        )


# ----------------------------------------------------------- requests a service may get
EMPTY_BATCH_RUNNER = """
import sys
import numpy as np, onnxruntime as ort
for path in sys.argv[1:]:
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    answers = []
    for batch, steps in ((0, 3), (0, 0), (2, 0)):  # (batch, time): all zeros, lengths 0
        feeds = {}
        for given in session.get_inputs():
            shape = [batch] + [size if isinstance(size, int) else steps
                               for size in given.shape[1:]]
            dtype = {"tensor(float)": np.float32, "tensor(double)": np.float64}.get(
                given.type, np.int64)
            feeds[given.name] = np.zeros(shape, dtype)
        outputs = session.run(None, feeds)
        answers.append([len(output) for output in outputs])
        numbers = [output for output in outputs if isinstance(output, np.ndarray)
                   and output.dtype.kind == "f"]
        numbers += [np.array([list(row.values()) for row in output]) for output in outputs
                    if isinstance(output, list)]  # skl2onnx's ZipMap: a dict per sequence
        answers.append([bool(np.isnan(number).all()) for number in numbers])
    print(answers)
"""


def test_an_empty_batch_gives_empty_outputs(tmp_path, skl2onnx):
    # onnxruntime's GRU node ends the process (a segmentation fault) on a batch of 0: an
    # empty request killed the service. Run in a child process, which a regression kills.
    import ast
    import subprocess
    import sys

    from skl2onnx.common.data_types import FloatTensorType

    paths = []
    for name in (
        "classifier",
        "patched-bidirectional",
        "embedding-bidirectional",
        "regressor-sequence-2-cho-bidirectional",
        "conv-branch-classifier",
        "self-scaled-univariate-patched-bidirectional",
    ):
        estimator = fitted(name)[0]
        paths.append(tmp_path / f"{name}.onnx")
        paths[-1].write_bytes(to_onnx(estimator).SerializeToString())
    X, X_nan, lengths, y = scaled_sequences()
    pipe = make_pipeline(SequenceScaler(per="sequence"), GRUClassifier(**SMALL)).fit(X_nan, y)
    paths.append(tmp_path / "pipeline.onnx")
    paths[-1].write_bytes(to_onnx(pipe, input_dtype="float64").SerializeToString())
    onx = skl2onnx.to_onnx(pipe, initial_types=[("X", FloatTensorType([None, None, 2]))])
    paths.append(tmp_path / "skl2onnx.onnx")
    paths[-1].write_bytes(onx.SerializeToString())
    run = subprocess.run(
        [sys.executable, "-c", EMPTY_BATCH_RUNNER, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    answers = [ast.literal_eval(line) for line in run.stdout.split("\n")[:-1]]
    assert len(answers) == len(paths)
    for path, (empty, _, timeless, _, no_steps, all_nan) in zip(paths, answers):
        # A time axis of 0, which padding an empty batch to its longest sequence gives,
        # failed in onnxruntime's GRU node; sequences of no steps get NaN outputs.
        assert empty == timeless == [0] * len(empty), path
        assert no_steps == [2] * len(empty) and all(all_nan) and all_nan, (path, no_steps)


@pytest.mark.parametrize("name", CASES)
def test_a_length_under_one_gives_nan_outputs_for_that_sequence(name):
    # The docs ask for lengths of at least 1; a 0 gave a plausible finite answer with
    # pooling="last" or "attention", the linear skip or patches (-3 too), NaN with others;
    # a negative length without patches failed the whole batch in onnxruntime's GRU node.
    estimator, X, X_nan, lengths = fitted(name)
    expected = run_onnx(to_onnx(estimator), X, lengths)[-1]
    for length in (0, -1, -3):
        given = lengths.copy()
        given[0] = length
        output = run_onnx(to_onnx(estimator), X, given)[-1]
        assert np.isnan(output[0]).all()
        np.testing.assert_array_equal(output[1:], expected[1:])


@pytest.mark.parametrize("name", [name for name in CASES if "sequence" in name])
def test_per_step_outputs_of_x_without_time_steps_have_no_time_steps(name):
    # The graph appends a step of padding to a time axis of 0 (onnxruntime's GRU refuses
    # one): the per-step outputs came back with that step, (2, 1, ...) for X (2, 0, F).
    estimator, X, X_nan, lengths = fitted(name)
    for batch in (2, 0):
        timeless = np.zeros((batch, 0, *X.shape[2:]), X.dtype)
        outputs = run_onnx(to_onnx(estimator), timeless, np.zeros(batch, np.int64))
        assert all(output.shape[:2] == (batch, 0) for output in outputs), name


@pytest.mark.parametrize("name", ["patched-bidirectional", "regressor-last-1"])
def test_lengths_of_another_batch_size_are_refused_by_name(name):
    # With patches, three sequences and two lengths gave two outputs, without an error;
    # without them the regressor's error came from an inner And node.
    estimator, X, X_nan, lengths = fitted(name)
    with pytest.raises(Exception, match="lengths_must_hold_one_length_per_sequence_of_X"):
        run_onnx(to_onnx(estimator), X, lengths[:-1])


# X's second feature sits at 1e4 with a spread of 100: float32 X loses little of it.
@pytest.mark.filterwarnings("ignore:a feature's mean is up to:UserWarning")
@pytest.mark.parametrize("chain", [1, 2])
@pytest.mark.parametrize("scaler", SCALERS, ids=repr)
def test_skl2onnx_pipeline_passes_a_declared_lengths_input_through_sequence_scalers(
    skl2onnx, scaler, chain
):
    # skl2onnx gives a Pipeline's step the previous step's output alone: the lengths input
    # reached no node, and zero padding was read as values (0.15-0.18 off). SequenceScaler
    # steps now take the lengths and write NaN past them, read as padding after them.
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    X, X_nan, lengths, y = scaled_sequences()
    steps = [clone(scaler) for _ in range(chain)]
    pipe = make_pipeline(*steps, GRUClassifier(**SMALL)).fit(X_nan, y)
    onx = skl2onnx.to_onnx(
        pipe,
        initial_types=[
            ("X", FloatTensorType([None, None, 2])),
            ("lengths", Int64TensorType([None])),
        ],
        options={id(pipe[-1]): {"zipmap": False}},
    )
    X[1, lengths[1] :] = 1e30  # past its length: padding, whatever it holds
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, probabilities = session.run(None, {"X": X.astype(np.float32), "lengths": lengths})
    np.testing.assert_allclose(probabilities, pipe.predict_proba(X_nan), rtol=1e-5, atol=1e-5)


class PassX(TransformerMixin, BaseEstimator):
    """A step that reads X and the lengths and gives X on, as a converter of a user's own
    might: only its first output reaches the next step."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_skl2onnx_refuses_lengths_that_other_steps_would_drop(skl2onnx):
    # The estimator gets the previous step's output alone: the declared lengths reached no
    # node and zero padding was read as values. (scikit-learn's own transformers fail
    # inside skl2onnx with two inputs; SequenceScaler steps take and pass them on.)
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    def shapes(operator):
        operator.outputs[0].type = operator.inputs[0].type.__class__(operator.inputs[0].type.shape)

    def convert(scope, operator, container):
        container.add_node(
            "Identity",
            [operator.inputs[0].full_name],
            [operator.outputs[0].full_name],
            name=scope.get_unique_operator_name("PassX"),
        )

    update_registered_converter(PassX, "TestPassX", shapes, convert)
    X, X_nan, lengths, y = scaled_sequences()
    declared = [("X", FloatTensorType([None, None, 2])), ("lengths", Int64TensorType([None]))]
    for steps, refused in (
        ([PassX()], True),
        ([SequenceScaler(), PassX()], True),  # whether PassX keeps the NaN, none can tell
        ([SequenceScaler(), SequenceScaler(per="sequence")], False),
    ):
        pipe = make_pipeline(*steps, GRUClassifier(**SMALL)).fit(X_nan, y)
        if refused:
            with pytest.raises(ValueError, match=r"\['X', 'lengths'\].*Pad with NaN instead"):
                skl2onnx.to_onnx(pipe, initial_types=declared)
        else:  # the scaler took the lengths and wrote NaN past them
            skl2onnx.to_onnx(pipe, initial_types=declared)


@pytest.mark.parametrize("zipmap", [True, False, "columns"])
def test_skl2onnx_converts_double_input_with_every_zipmap_option(skl2onnx, zipmap):
    # With ZipMap's "columns" option skl2onnx declares X's float type for the columns, and
    # float32 probabilities made a model onnxruntime refused to load; ZipMap itself reads
    # float32 alone (float64 there broke the default option).
    from skl2onnx.common.data_types import DoubleTensorType

    estimator, _, X_nan, lengths = fitted("classifier")
    onx = skl2onnx.to_onnx(
        estimator,
        initial_types=[("X", DoubleTensorType([None, None, 2]))],
        options={id(estimator): {"zipmap": zipmap}},
    )
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"X": X_nan.astype(np.float64)})
    if zipmap is True:
        values = np.array([[row[c] for c in estimator.classes_] for row in outputs[1]])
    elif zipmap == "columns":
        values = np.column_stack(outputs[1:])
        assert values.dtype == np.float64
    else:
        values = outputs[1]
        assert values.dtype == np.float32
    expected = expected_output(estimator, X_nan)
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-5)


class _TemperedClassifier(GRUClassifier):
    """A subclass that changes the probabilities: no export can know how."""

    def predict_proba(self, X):
        probabilities = super().predict_proba(X) ** 0.5
        return probabilities / probabilities.sum(axis=1, keepdims=True)


class _ClippedScaler(SequenceScaler):
    def transform(self, X):
        return np.clip(super().transform(X), -0.5, 0.5)


@pytest.mark.parametrize("exporter", ["to_onnx", "to_torch_module"])
def test_a_subclass_that_changes_what_is_computed_is_not_exported_as_its_base(exporter):
    # Exported as the base class, silently: the ONNX graph and the torch module gave
    # GRUClassifier's probabilities (0.4547 where the subclass gives 0.4849).
    if exporter == "to_torch_module":
        pytest.importorskip("torch")
    from pygru import export

    export_model = getattr(export, exporter)
    X = ragged(6)[1]  # NaN-padded
    y = np.arange(len(X)) % 2
    options = dict(hidden_layer_sizes=(3,), max_iter=1, random_state=0)
    with pytest.raises(TypeError, match="_TemperedClassifier overrides predict_proba"):
        export_model(_TemperedClassifier(**options).fit(X, y))
    with pytest.raises(TypeError, match="_ClippedScaler overrides transform"):
        export_model(make_pipeline(_ClippedScaler(), GRUClassifier(**options)).fit(X, y))

    with pytest.raises(TypeError, match=r"apply pipeline\[:-1\]\.transform to X before it"):
        export_model(make_pipeline(_ClippedScaler(), GRUClassifier(**options)).fit(X, y))

    class _Refitted(GRUClassifier):  # a subclass that computes as its base exports
        def fit(self, X, y, **kwargs):
            return super().fit(X, y, **kwargs)

    class _LoggedProbabilities(GRUClassifier):  # neither export outputs log-probabilities
        def predict_log_proba(self, X):
            return super().predict_log_proba(X) - 0.0

    class _Thresholded(GRUClassifier):  # the torch module outputs probabilities only
        def predict(self, X):
            return self.classes_[(self.predict_proba(X)[:, 1] > 0.3).astype(int)]

    export_model(_Refitted(**options).fit(X, y))
    export_model(_LoggedProbabilities(**options).fit(X, y))
    thresholded = _Thresholded(**options).fit(X, y)
    if exporter == "to_onnx":  # whose "label" output is predict's
        with pytest.raises(TypeError, match="_Thresholded overrides predict"):
            export_model(thresholded)
    else:
        export_model(thresholded)
