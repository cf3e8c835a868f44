"""pygru.to_torch_module: the whole estimator in torch, against predict_proba / predict."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from test_onnx import (
    CASES,
    CONV_BRANCH_CASES,
    LINEAR_SKIP_CASES,
    LONG,
    NOT_FINITE_CASES,
    SCALERS,
    SELF_SCALED_CASES,
    SEQUENCE_CLASSIFIER_CASES,
    SMALL,
    check_a_value_float32_cannot_hold_gives_nan,
    check_each_sequence_is_scaled_by_itself,
    check_missing_and_infinite_values_give_nan,
    conv_branch_is_exercised,
    expected_output,
    faint_sequences_far_from_zero,
    fitted,
    models_of_tiny_sequences,
    ragged,
    random_conv_branch,
    random_linear_skip,
    scaled_sequences,
    sequences_at_their_rounding_level,
    skip_window_is_exercised,
    targets_at,
    timestamps,
)

from pygru import GRUClassifier, GRURegressor, from_torch_module, to_torch_module
from pygru.export import (
    from_keras_weights,
    from_torch_state_dict,
    to_keras_weights,
    to_torch_state_dict,
)
from pygru.preprocessing import SequenceImputer, SequenceScaler

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run_module(estimator, X, lengths=None):
    module = to_torch_module(estimator).eval()
    with torch.no_grad():
        return module(torch.from_numpy(X), None if lengths is None else torch.from_numpy(lengths))


@pytest.mark.parametrize("name", CASES)
def test_module_reproduces_the_estimator(name):
    estimator, X, X_nan, lengths = fitted(name)
    if estimator.network_.dtype == np.float64:
        X = X.astype(np.float64)
    output = run_module(estimator, X, lengths).numpy()
    assert output.dtype == estimator.network_.dtype
    tolerance = 1e-12 if output.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        output, expected_output(estimator, X_nan), rtol=tolerance, atol=tolerance
    )


@pytest.mark.parametrize("name", LINEAR_SKIP_CASES)
def test_linear_skip_reads_each_sequences_last_network_steps(name):
    """The window of standardised (and patched) steps, zero before a short sequence's first
    step, whatever the padding holds and whichever sequences share the batch."""
    estimator, X, X_nan, lengths = fitted(name)
    X = X.astype(estimator.network_.dtype)
    tolerance = 1e-12 if X.dtype == np.float64 else 1e-5
    with random_linear_skip(estimator):
        skip_window_is_exercised(estimator, X_nan, lengths)
        expected = expected_output(estimator, X_nan)
        noisy = X.copy()
        noisy[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 123.0
        output = run_module(estimator, noisy, lengths).numpy()
        np.testing.assert_allclose(output, expected, rtol=tolerance, atol=tolerance)
        for i in [0, 5, 7]:  # the longest sequence, and short ones, alone
            one = run_module(estimator, X[i : i + 1, : lengths[i]], lengths[i : i + 1])
            np.testing.assert_allclose(
                one.numpy(), expected[i : i + 1], rtol=tolerance, atol=tolerance
            )


def test_linear_skip_is_a_trainable_parameter():
    estimator, X, _, lengths = fitted("linear-skip-patched-cho-bidirectional")
    module = to_torch_module(estimator)
    names = dict(module.named_parameters())
    weight = estimator.network_.views["linear.weight"]
    np.testing.assert_array_equal(names["linear.weight"].detach().numpy(), weight)
    assert "linear.bias" not in names  # the head holds the bias
    module(torch.from_numpy(X), torch.from_numpy(lengths)).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in names.values())
    assert names["linear.weight"].grad.abs().sum() > 0


def test_layer_converters_carry_the_gru_layers_of_a_linear_skip_model():
    """As for the head: the GRU layers are exact, the linear skip is not converted and the
    extra parameter is no obstacle (an unpatched model: the layer converters refuse
    patches)."""
    estimator, X, X_nan, lengths = fitted("linear-skip-regressor")
    network = estimator.network_
    assert network.linear_steps > 0 and estimator.patch_size_ == 1
    before = network.params.copy()
    prediction = estimator.predict(X_nan)
    state = to_torch_state_dict(estimator, fold_standardization=True)
    assert sorted(state) == ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"]
    np.testing.assert_array_equal(state["weight_hh_l0"], network.views["gru0.forward.w_hh"])
    keras = to_keras_weights(estimator, fold_standardization=True)
    assert [w.shape for w in keras[0]] == [(2, 12), (4, 12), (2, 12)]
    try:
        network.views["gru0.forward.w_hh"][...] = 0
        from_torch_state_dict(estimator, state, fold_standardization=True)
        np.testing.assert_allclose(network.params, before, rtol=1e-6, atol=1e-6)
        network.views["gru0.forward.w_hh"][...] = 0
        from_keras_weights(estimator, keras, fold_standardization=True)
        np.testing.assert_allclose(estimator.predict(X_nan), prediction, rtol=1e-5, atol=1e-5)
    finally:
        network.params[...] = before


@pytest.mark.parametrize("name", SEQUENCE_CLASSIFIER_CASES)
def test_sequence_classifier_ignores_the_padding_and_the_batch(name):
    """Every step's probabilities, NaN past each length whatever the padding holds; a
    sequence alone gets the same steps as in the batch."""
    estimator, X, X_nan, lengths = fitted(name)
    if estimator.network_.embedding_dim is None:
        X = X.astype(estimator.network_.dtype)
        noisy = X.copy()
        noisy[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 123.0
    else:  # token ids: any id in the padding
        noisy = np.where(np.arange(X.shape[1])[None, :] >= lengths[:, None], 5, X)
    tolerance = 1e-12 if estimator.network_.dtype == np.float64 else 1e-5
    expected = estimator.predict_proba(X_nan)
    output = run_module(estimator, noisy, lengths).numpy()
    assert output.shape == (len(X), X.shape[1], len(estimator.classes_))
    np.testing.assert_allclose(output, expected, rtol=tolerance, atol=tolerance)
    padding = np.arange(X.shape[1])[None, :] >= lengths[:, None]
    assert padding.any() and np.isnan(output[padding]).all()
    labels = estimator.classes_[np.nan_to_num(output, nan=0.0).argmax(axis=-1)]
    for row, predicted, length in zip(labels, estimator.predict(X_nan), lengths):
        np.testing.assert_array_equal(row[:length], predicted)
    for i in [0, 5, 7]:
        one = run_module(estimator, X[i : i + 1, : lengths[i]], lengths[i : i + 1]).numpy()
        np.testing.assert_allclose(
            one[0], expected[i, : lengths[i]], rtol=tolerance, atol=tolerance
        )


def test_layer_converters_carry_the_gru_layers_of_a_sequence_classifier():
    """The per-step head is not converted; the GRU layers round-trip exactly."""
    estimator, X, X_nan, lengths = fitted("sequence-classifier-embedding-bidirectional")
    network = estimator.network_
    before = network.params.copy()
    expected = estimator.predict_proba(X_nan)
    state = to_torch_state_dict(estimator)
    assert len(state) == 8  # one layer, two directions
    keras = to_keras_weights(estimator)
    try:
        network.views["gru0.backward.w_hh"][...] = 0
        from_torch_state_dict(estimator, state)
        np.testing.assert_array_equal(network.params, before)
        network.views["gru0.backward.w_hh"][...] = 0
        from_keras_weights(estimator, keras)
        np.testing.assert_allclose(estimator.predict_proba(X_nan), expected, rtol=1e-6, atol=1e-6)
    finally:
        network.params[...] = before


def test_lengths_default_to_the_whole_input():
    estimator, X, X_nan, lengths = fitted("patched-bidirectional")
    full = X[lengths == LONG]
    np.testing.assert_allclose(
        run_module(estimator, full).numpy(),
        estimator.predict_proba(full),
        rtol=1e-5,
        atol=1e-5,
    )
    estimator, ids, _, lengths = fitted("embedding-bidirectional")
    np.testing.assert_allclose(  # token ids: up to each sequence's last non-zero id
        run_module(estimator, ids).numpy(), estimator.predict_proba(ids), rtol=1e-5, atol=1e-5
    )
    estimator, ids, _, lengths = fitted("sequence-classifier-embedding-bidirectional")
    np.testing.assert_allclose(  # every step's probabilities, NaN past those lengths
        run_module(estimator, ids).numpy(), estimator.predict_proba(ids), rtol=1e-5, atol=1e-5
    )


NUMERIC_CASES = [name for name in CASES if CASES[name][2] != "tokens"]


@pytest.mark.parametrize("name", NUMERIC_CASES)
def test_without_lengths_trailing_nan_steps_are_padding(name):
    # As predict reads them, and the skl2onnx graph without its lengths input: every
    # sequence filled X, so NaN padding gave NaN outputs.
    estimator, _, X_nan, lengths = fitted(name)
    X_nan = X_nan.astype(estimator.network_.dtype)
    output = run_module(estimator, X_nan).numpy()
    tolerance = 1e-12 if output.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        output, expected_output(estimator, X_nan), rtol=tolerance, atol=tolerance
    )


def test_a_value_float32_cannot_hold_gets_nan_outputs():
    check_a_value_float32_cannot_hold_gives_nan(
        lambda estimator, X, lengths: run_module(estimator, X, lengths).numpy()
    )


@pytest.mark.parametrize("name", NOT_FINITE_CASES)
def test_a_sequence_with_a_missing_or_infinite_value_gets_nan_outputs(name):
    # The GRU read infinity as a number and gave finite outputs.
    check_missing_and_infinite_values_give_nan(
        name, lambda estimator, X, lengths: run_module(estimator, X, lengths).numpy()
    )


def test_target_scaling_is_undone():
    estimator, X, X_nan, lengths = fitted("regressor-sequence-2-cho-bidirectional")
    landed = hasattr(estimator, "target_scale_")  # GRURegressor standardises targets itself
    raw = expected_output(estimator, X_nan)
    mean, scale = np.array([100.0, -5.0]), np.array([20.0, 0.5])
    estimator.target_mean_, estimator.target_scale_ = mean, scale
    try:
        expected = expected_output(estimator, X_nan) if landed else raw * scale + mean
        output = run_module(estimator, X, lengths).numpy()
    finally:
        del estimator.target_mean_, estimator.target_scale_
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", CONV_BRANCH_CASES)
def test_conv_branch_reads_each_sequences_valid_steps(name):
    estimator, X, X_nan, lengths = fitted(name)
    dtype = estimator.network_.dtype
    X = X.astype(dtype)
    with random_conv_branch(estimator):
        conv_branch_is_exercised(estimator, X_nan)
        expected = expected_output(estimator, X_nan)
        noisy = X.copy()
        noisy[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 123.0
        tolerance = 1e-10 if dtype == np.float64 else 1e-5
        output = run_module(estimator, noisy, lengths).numpy()
        np.testing.assert_allclose(output, expected, rtol=tolerance, atol=tolerance)
        for i in [0, 5, 7]:  # the longest sequence, and short ones, alone
            one = run_module(estimator, X[i : i + 1, : lengths[i]], lengths[i : i + 1])
            np.testing.assert_allclose(one, expected[i : i + 1], rtol=tolerance, atol=tolerance)


def test_conv_branch_gradients_match_torch_autograd():
    """The network's exact gradient of the convolutional branch (im2col products, the norm
    over each sequence, ReLU, mean over the valid steps) against torch's autograd through the
    module."""
    estimator, X, X_nan, lengths = fitted("float64-conv-branch-linear-skip-regressor")
    network = estimator.network_
    weights = np.random.default_rng(4).standard_normal((len(X), network.n_outputs))
    with random_conv_branch(estimator):
        module = to_torch_module(estimator)
        output = module(torch.from_numpy(X.astype(np.float64)), torch.from_numpy(lengths))
        (output * torch.from_numpy(weights)).sum().backward()
        inputs, step_lengths = estimator._validate_sequences(X_nan)
        _, cache = network.forward(inputs, step_lengths)
        # predict = network output * target_scale_ + target_mean_
        gradients = network.unflatten(network.backward(weights * estimator.target_scale_, cache))
    branch = module.conv_branch
    for layer, (filters, _) in enumerate(network.conv_layers):
        convolution, norm = branch.convolutions[layer], branch.norms[layer]
        expected = {
            "weight": convolution.weight.grad.numpy().transpose(0, 2, 1).reshape(filters, -1),
            "bias": convolution.bias.grad.numpy(),
            "norm_scale": norm.weight.grad.numpy(),
            "norm_bias": norm.bias.grad.numpy(),
        }
        for name, value in expected.items():
            assert np.abs(value).max() > 1e-3
            np.testing.assert_allclose(
                gradients[f"conv{layer}.{name}"], value, rtol=1e-9, atol=1e-12
            )


@pytest.mark.parametrize(
    "name",
    [
        "patched-bidirectional",
        "linear-skip-patched-cho-bidirectional",
        "regressor-sequence-2-cho-bidirectional",
        # torch.export failed on the None buffers of a module without input statistics
        # beside its target scaling.
        "regressor-unstandardised",
        "self-scaled-linear-skip-regressor-patch-3",
    ],
)
@pytest.mark.filterwarnings("ignore:The tensor attributes .* were assigned during export")
def test_module_exports_with_torch_export_for_any_batch(name):
    # torch.export is how a torch model leaves Python (AOTInductor, ExecuTorch, the dynamo
    # ONNX exporter). Packed sequences, whose sizes depend on the lengths' values, could
    # not be traced; the number of steps stays fixed, as for nn.GRU itself.
    estimator, X, X_nan, lengths = fitted(name)
    X = X.astype(estimator.network_.dtype)
    expected = expected_output(estimator, X_nan)
    tolerance = 1e-12 if X.dtype == np.float64 else 1e-5
    check_exported_for_any_batch(
        to_torch_module(estimator), X, lengths, lambda rows: expected[rows], tolerance
    )


def check_exported_for_any_batch(module, X, lengths, expected, tolerance, some_rows=(5, 8)):
    """Export ``module`` with torch.export on a dynamic batch axis and check the program on
    all of X, on ``some_rows`` and on one row against ``expected(rows)``."""
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.export.export(
        module.eval(),
        (torch.from_numpy(X), torch.from_numpy(lengths)),
        dynamic_shapes=({0: batch}, {0: batch}),
    ).module()
    for rows in (slice(None), slice(*some_rows), slice(0, 1)):
        with torch.no_grad():
            output = program(torch.from_numpy(X[rows]), torch.from_numpy(lengths[rows]))
        np.testing.assert_allclose(
            output.numpy(), expected(rows), rtol=tolerance, atol=tolerance, equal_nan=True
        )


def test_module_is_a_trainable_torch_model():
    estimator, X, _, lengths = fitted("cho-bidirectional-stacked-strings")
    module = to_torch_module(estimator)
    names = dict(module.named_parameters())
    assert "head.weight" in names and "layers.1.directions.1.weight_hh" in names
    loss = module(torch.from_numpy(X), torch.from_numpy(lengths))[:, 0].sum()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in names.values())
    before = estimator.network_.params.copy()
    with torch.no_grad():
        names["head.bias"].add_(1.0)
    np.testing.assert_array_equal(estimator.network_.params, before)  # a copy


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(NotFittedError):
        to_torch_module(GRUClassifier())
    with pytest.raises(TypeError, match="GRUClassifier or GRURegressor, got Module"):
        to_torch_module(torch.nn.Module())
    X = np.random.default_rng(0).standard_normal((6, 4, 1))
    pipeline = make_pipeline(SequenceImputer(), GRUClassifier((2,), max_iter=1)).fit(X, [0, 1] * 3)
    with pytest.raises(TypeError, match=r"step 'sequenceimputer' is a .*\(pipeline\[-1\]\)"):
        to_torch_module(pipeline)


def test_bad_inputs_to_the_module_name_the_argument():
    # As the estimator's predict does, rather than torch's index errors deep inside.
    estimator, X, _, lengths = fitted("patched-bidirectional")
    module = to_torch_module(estimator).eval()
    X, lengths = torch.from_numpy(X), torch.from_numpy(lengths)
    steps, features = X.shape[1], X.shape[2]
    refusals = [
        ((X[0], None), r"X must be a tensor of shape \(batch, time, features\), got"),
        # An empty axis named as such (the tensor's shape was right, so the message that
        # asked for that shape did not say what is wrong)
        ((X[:0], None), r"X has 0 sample\(s\) \(shape=\(0, "),
        ((X[:, :0], None), r"X has 0 time step\(s\) \(shape=\(\d+, 0, "),
        ((torch.cat([X, X], dim=2), None), f"X has {2 * features} features per time step"),
        ((X, lengths[:-1]), "lengths must be a 1-D integer tensor of X's batch size"),
        ((X, lengths.double()), "lengths must be a 1-D integer tensor"),
        ((X, lengths > 0), "lengths must be a 1-D integer tensor"),  # not one step each
        ((X, lengths * 0), rf"lengths must lie in \[1, {steps}\].*from 0 to 0"),
        ((X, lengths + steps), rf"lengths must lie in \[1, {steps}\]"),
    ]
    for arguments, message in refusals:
        with pytest.raises(ValueError, match=message), torch.no_grad():
            module(*arguments)
    type_refusals = [
        (
            (X.half(), lengths),
            r"X must be torch.float32 \(the module's dtype\) or torch.float64, got torch.float16",
        ),
        ((X.numpy(), lengths), "X must be a torch.Tensor"),
    ]
    for arguments, message in type_refusals:
        with pytest.raises(TypeError, match=message), torch.no_grad():
            module(*arguments)
    double, double_X, _, double_lengths = fitted("float64-conv-branch-linear-skip-regressor")
    with pytest.raises(TypeError, match=r"^X must be torch.float64 \(the module's dtype\), got"):
        to_torch_module(double)(
            torch.from_numpy(double_X.astype(np.float32)), torch.from_numpy(double_lengths)
        )
    tokens, token_X, _, _ = fitted("embedding-bidirectional")
    with pytest.raises(ValueError, match=r"shape \(batch, time\) of token ids"):
        to_torch_module(tokens)(torch.from_numpy(token_X)[..., None])
    for empty in (token_X[:0], token_X[:, :0]):
        with pytest.raises(ValueError, match=r"X has 0 (sample|time step)\(s\)"):
            to_torch_module(tokens)(torch.from_numpy(empty))
    with pytest.raises(TypeError, match="X must hold integer token ids, got torch.float32"):
        to_torch_module(tokens)(torch.from_numpy(token_X).float())


def test_token_ids_the_estimator_refuses_are_refused_by_the_module():
    # A row of padding was read as one padding step and a 0 inside a row as a token
    # (probabilities where predict_proba refuses); an id past the vocabulary was torch's
    # "index out of range in self".
    estimator, ids, _, _ = fitted("embedding-bidirectional")
    module = to_torch_module(estimator)
    n_ids = estimator.vocabulary_size_
    refusals = [
        (([[n_ids, 1]], None), rf"X contains token id {n_ids}, .* ids 0\.\.{n_ids - 1}"),
        (([[-1, 1]], None), "X must hold non-negative token ids, got -1"),
        (([[2, 3], [0, 0]], None), r"a sequence without tokens \(sequence 1\)"),
        (([[3, 0, 2]], None), r"padding id 0 inside sequence 0 \(time step 1"),
        (([[3, 0, 2]], [3]), r"padding id 0 inside sequence 0 \(time step 1"),
    ]
    for (rows, lengths), message in refusals:
        with pytest.raises(ValueError, match=message):
            estimator.predict_proba(np.array(rows)[:, : lengths[0] if lengths else None])
        lengths = None if lengths is None else torch.tensor(lengths)
        with pytest.raises(ValueError, match=message), torch.no_grad():
            module(torch.tensor(rows), lengths)
    with torch.no_grad():  # a row read up to its length
        np.testing.assert_allclose(
            module(torch.tensor([[3, 2, 0]]), torch.tensor([2])).numpy(),
            estimator.predict_proba(np.array([[3, 2]])),
            rtol=1e-5,
            atol=1e-6,
        )


# The data are float32 already: rounding them loses nothing, whatever the warning fears.
@pytest.mark.filterwarnings("ignore:a feature's mean is up to:UserWarning")
def test_inputs_far_from_zero_are_standardised_as_predict_does():
    # A float32 mean of 1e4 is 4e-4 off, here 4 % of the spread: the module subtracts it in
    # two parts. (The ONNX graph does the same; test_onnx checks it.)
    rng = np.random.default_rng(0)
    X = (1e4 + 0.01 * rng.standard_normal((40, 10, 1))).astype(np.float32)
    y = (X[:, -3:, 0].mean(axis=1) > 1e4).astype(int)
    clf = GRUClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    proba = run_module(clf, X).numpy()
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("settings", [{}, dict(patch_size=3, bidirectional=False)])
@pytest.mark.parametrize("make", [GRUClassifier, GRURegressor])
def test_float64_input_keeps_a_spread_that_float32_input_loses(make, settings):
    # The module of a float32 model refused float64 X and told the user to cast it, which
    # rounds timestamps to 128 s before they are standardised (predict standardises the
    # float64 values); 64 of 200 such labels flipped. It now takes float64 X and warns,
    # when it is built, of what float32 X loses.
    X, y = timestamps()
    estimator = make((8,), max_iter=20, random_state=0, **settings).fit(X, y)
    with pytest.warns(UserWarning, match=r"mean is up to 2\.8.e\+07 times its scale.*float64"):
        module = to_torch_module(estimator).eval()
    with torch.no_grad():
        output = module(torch.from_numpy(X)).numpy()
        blurred = module(torch.from_numpy(X.astype(np.float32))).numpy()
    expected = expected_output(estimator, X)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)
    assert output.dtype == np.float32 and np.abs(blurred - expected).max() > 1e-2


@pytest.mark.parametrize("name", SELF_SCALED_CASES)
def test_each_sequence_is_scaled_by_itself_whatever_the_padding_and_the_batch(name):
    tolerance = 1e-12 if fitted(name)[0].network_.dtype == np.float64 else 1e-5
    check_each_sequence_is_scaled_by_itself(
        name, lambda estimator, X, lengths: run_module(estimator, X, lengths).numpy(), tolerance
    )


def test_faint_sequences_far_from_zero_are_scaled_in_float64_as_predict_does():
    X, y = faint_sequences_far_from_zero()
    clf = GRUClassifier((8,), standardize="sequence", max_iter=20, random_state=0).fit(X, y)
    for given in (X, X.astype(np.float64)):
        proba = run_module(clf, given).numpy()
        np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make", [GRUClassifier, GRURegressor])
def test_float64_input_keeps_the_shape_of_each_sequence_that_float32_input_loses(make):
    # Timestamps: a minute's spread about 1.7e9 s, which float32 rounds to 128 s.
    X, y = timestamps()
    estimator = make((8,), standardize="sequence", patch_size=3, max_iter=20, random_state=0)
    estimator.fit(X, y)
    output = run_module(estimator, X).numpy()
    expected = expected_output(estimator, X)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)
    blurred = run_module(estimator, X.astype(np.float32)).numpy()
    assert output.dtype == np.float32 and np.abs(blurred - expected).max() > 1e-2


def test_tiny_sequences_are_scaled_in_the_module_as_predict_scales_them():
    # The module squared the raw deviations and their floor: at 1e-165 both rounded to 0,
    # and it returned NaN for every sequence (audit38b).
    models, X = models_of_tiny_sequences()
    for model in models:
        output = run_module(model, X).numpy()
        np.testing.assert_allclose(output, model.predict_proba(X), rtol=1e-12, atol=1e-12)


def test_sequences_at_their_rounding_level_are_constant_in_the_module_too():
    clf, X, lengths = sequences_at_their_rounding_level()
    output = run_module(clf, X, lengths).numpy()
    np.testing.assert_allclose(output, clf.predict_proba(X), rtol=1e-12, atol=1e-12)


def test_input_gradients_of_a_model_that_scales_each_sequence_are_finite():
    # A sequence of one step, or a constant one, has no spread: its floor stands in for
    # it, and the root of its zero variance must not give its values NaN gradients.
    estimator, X, _, lengths = fitted("float64-self-scaled-regressor-sequence-2")
    X = X.astype(np.float64)
    X[3, : lengths[3]] = 7.0
    assert lengths.min() == 1 and lengths[3] > 1
    inputs = torch.from_numpy(X).requires_grad_()
    output = to_torch_module(estimator)(inputs, torch.from_numpy(lengths))
    output.nansum().backward()
    valid = np.arange(X.shape[1])[None, :] < lengths[:, None]
    gradient = inputs.grad.numpy()
    assert np.isfinite(gradient).all() and (gradient[valid] != 0).any()


@pytest.mark.parametrize("fold_standardization", [False, True])
def test_layer_converters_refuse_a_model_that_scales_each_sequence_by_itself(
    fold_standardization,
):
    # Its first layer reads each sequence's scaled values, levels and log spreads: a peer
    # GRU would read the raw input with these weights, folded or not, and a peer's weights
    # for the raw input would be written over those of the three channels.
    estimator = fitted("self-scaled-classifier")[0]
    network = estimator.network_
    before = network.params.copy()
    match = (
        r"scales each sequence by itself.*not do.*"
        r"pygru\.to_torch_module or pygru\.to_onnx \(or fit with standardize=True\)"
    )
    with pytest.raises(ValueError, match=match):
        to_torch_state_dict(estimator, fold_standardization=fold_standardization)
    with pytest.raises(ValueError, match=match):
        to_keras_weights(estimator, fold_standardization=fold_standardization)
    peers = [
        (from_torch_state_dict, to_torch_state_dict(network)),
        (from_keras_weights, to_keras_weights(network)),
    ]
    for write, weights in peers:
        with pytest.raises(ValueError, match=match):
            write(estimator, weights, fold_standardization=fold_standardization)
    np.testing.assert_array_equal(network.params, before)


def test_float32_module_checks_the_target_scaling_and_float64_needs_no_check():
    # The buffers of a float32 module rounded millisecond timestamps to one value and a
    # scale of 1e-50 to 0, silently; a float64 model's module holds them.
    for (mean, scale), check in [
        ((1.7e12, 1000.0), pytest.warns(UserWarning, match="target's mean is up to")),
        ((0.0, 1e-50), pytest.raises(ValueError, match="outside float32's normal range")),
    ]:
        regressor, X = targets_at(mean, scale)
        with check:
            to_torch_module(regressor)
        regressor, X = targets_at(mean, scale, dtype="float64")
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            module = to_torch_module(regressor).eval()
        with torch.no_grad():
            output = module(torch.from_numpy(X.astype(np.float64))).numpy()
        expected = expected_output(regressor, X)
        np.testing.assert_allclose(output, expected, rtol=1e-9, atol=1e-6 * scale)


# X's second feature sits at 1e4 with a spread of 100: float32 X loses little of it.
@pytest.mark.filterwarnings("ignore:a feature's mean is up to:UserWarning")
@pytest.mark.parametrize("make", [GRUClassifier, GRURegressor])
@pytest.mark.parametrize("scaler", SCALERS, ids=repr)
def test_a_pipeline_of_sequence_scalers_and_an_estimator_exports_whole(scaler, make):
    # The pipeline the guide names for UCR-style series was refused ("export its last
    # step"), which left the scaling to be written again in torch.
    X, X_nan, lengths, y = scaled_sequences()
    pipe = make_pipeline(clone(scaler), "passthrough", make(**SMALL)).fit(X_nan, y)
    if make is GRUClassifier:
        expected = pipe.predict_proba(X_nan)
    else:
        expected = pipe.predict(X_nan)[:, np.newaxis]
    module = to_torch_module(pipe).eval()
    X[1, lengths[1] :] = 1e30  # past its length: padding, whatever it holds
    with torch.no_grad():
        for given in (X, X.astype(np.float32)):
            output = module(torch.from_numpy(given), torch.from_numpy(lengths)).numpy()
            np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)
        output = module(torch.from_numpy(X_nan)).numpy()  # NaN padding, as predict reads it
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)
    X_nan[2, 1, 0] = np.nan  # a gap, which predict refuses: NaN outputs, for that row only
    with torch.no_grad():
        output = module(torch.from_numpy(X_nan)).numpy()
    assert np.isnan(output[2]).all() and not np.isnan(np.delete(output, 2, axis=0)).any()


@pytest.mark.filterwarnings("ignore:The tensor attributes .* were assigned during export")
def test_a_pipeline_module_exports_with_torch_export_for_any_batch():
    X, X_nan, lengths, y = scaled_sequences()
    pipe = make_pipeline(SequenceScaler(per="sequence"), GRUClassifier(**SMALL)).fit(X_nan, y)
    check_exported_for_any_batch(
        to_torch_module(pipe),
        X,
        lengths,
        lambda rows: pipe.predict_proba(X_nan[rows]),
        1e-5,
        some_rows=(3, 6),
    )


def test_a_pipeline_whose_input_float32_blurs_warns_from_the_first_scaler():
    # The estimator's statistics are those of the scaler's output (mean 0): what float32
    # X loses shows in the scaler's.
    X, X_nan, lengths, y = scaled_sequences()
    pipe = make_pipeline(SequenceScaler(), GRUClassifier(**SMALL)).fit(1e5 + 0.01 * X_nan, y)
    with pytest.warns(UserWarning, match="mean is up to .* times its scale.*float64 X"):
        to_torch_module(pipe)


@pytest.mark.filterwarnings("ignore:a feature's mean is up to:UserWarning")
def test_a_pipeline_modules_input_gradients_are_finite_with_nan_padding():
    # Saliency maps (gradients of an output with respect to X): a NaN dropped by a later
    # torch.where still gave NaN gradients to every value of its sequence.
    X, X_nan, lengths, y = scaled_sequences()
    for per in ("sequence", "feature"):
        pipe = make_pipeline(SequenceScaler(per=per), GRUClassifier(**SMALL)).fit(X_nan, y)
        inputs = torch.from_numpy(X_nan).requires_grad_()
        to_torch_module(pipe)(inputs)[:, 0].sum().backward()
        observed = ~np.isnan(X_nan)
        gradient = inputs.grad.numpy()
        assert np.isfinite(gradient[observed]).all() and (gradient[observed] != 0).any()


@pytest.mark.parametrize("name", CASES)
def test_a_module_converted_to_another_dtype_computes_in_it(name):
    # module.double() is how torch users ask for float64; the module kept casting its
    # input to the estimator's float32 and torch's GRU refused the mix ("RNN input dtype
    # (torch.float32) does not match weight dtype (torch.float64)") for float64 X too.
    estimator, X, X_nan, lengths = fitted(name)
    expected = expected_output(estimator, X_nan)
    for convert, tolerance in (("double", 1e-5), ("half", 3e-2)):
        module = getattr(to_torch_module(estimator), convert)().eval()
        given = X if estimator.network_.embedding_dim is not None else X.astype(np.float64)
        with torch.no_grad():
            output = module(torch.from_numpy(given), torch.from_numpy(lengths))
        assert output.dtype == getattr(torch, convert if convert != "half" else "float16")
        np.testing.assert_allclose(
            output.double().numpy(), expected, rtol=tolerance, atol=tolerance, equal_nan=True
        )


def test_module_goes_through_torch_compile():
    estimator, X, X_nan, lengths = fitted("patched-bidirectional")
    compiled = torch.compile(to_torch_module(estimator).eval())
    with torch.no_grad():
        output = compiled(torch.from_numpy(X), torch.from_numpy(lengths)).numpy()
    np.testing.assert_allclose(output, expected_output(estimator, X_nan), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("convert", ["float", "half"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_converting_the_module_keeps_the_statistics_of_the_data_in_float64(dtype, convert):
    # The input means and the scalers' statistics were buffers that module.float() and
    # .half() converted: a float64 model's timestamps moved probabilities by 0.017 after
    # .float(), and .half() made the mean infinite (NaN for every sequence).
    X, y = timestamps()
    for make_model in (
        lambda: GRUClassifier((8,), max_iter=20, random_state=0, dtype=dtype),
        lambda: make_pipeline(SequenceScaler(), GRUClassifier((8,), max_iter=20, dtype=dtype)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # float32 X would blur; X is float64
            model = make_model().fit(X, y)
            module = getattr(to_torch_module(model), convert)().eval()
        with torch.no_grad():
            output = module(torch.from_numpy(X)).double().numpy()
        tolerance = 1e-5 if convert == "float" else 3e-3
        np.testing.assert_allclose(output, model.predict_proba(X), rtol=tolerance, atol=tolerance)
        float64_buffers = [b for b in module.buffers() if b.dtype == torch.float64]
        assert float64_buffers and all(b.dtype == torch.float64 for b in module.buffers())


def test_the_statistics_stay_out_of_a_conversion_a_device_without_float64_refuses():
    # Apple's MPS has no float64: module.to("mps") converted every buffer, and the float64
    # statistics would have made it fail. Here a conversion that refuses float64 tensors.
    estimator, X, X_nan, lengths = fitted("regressor-last-1")
    module = to_torch_module(estimator).eval()

    def no_float64(tensor):
        if tensor.dtype == torch.float64:
            raise RuntimeError("this device has no float64")
        return tensor

    module._apply(no_float64)
    assert {b.dtype for b in module.buffers()} == {torch.float64}
    # A conversion that fails (module.to("cuda") without CUDA) leaves them in place; the
    # first version had taken them out for it and lost them.

    def unavailable(tensor):
        raise RuntimeError("no such device")

    with pytest.raises(RuntimeError, match="no such device"):
        module._apply(unavailable)
    assert {b.dtype for b in module.buffers()} == {torch.float64}
    with torch.no_grad():
        output = module(torch.from_numpy(X), torch.from_numpy(lengths)).numpy()
    np.testing.assert_allclose(output, expected_output(estimator, X_nan), rtol=1e-5, atol=1e-5)

    # A conversion of dtype alone leaves them on the module's device (a module on CUDA
    # made half kept its statistics there; the first version probed from the CPU).
    module._apply(lambda tensor: tensor.to("meta"))

    def half_on_its_device(tensor):
        assert tensor.device.type == "meta", "a tensor of the CPU reached the conversion"
        return tensor.half()

    module._apply(half_on_its_device)
    assert {(b.device.type, b.dtype) for b in module.buffers()} == {("meta", torch.float64)}


def test_the_head_can_be_replaced_as_in_any_torch_model():
    # The module read its dtype from head.weight: nn.Sequential or nn.Identity (the
    # feature-extractor trick) as the head raised AttributeError for 'compute_dtype'.
    estimator, X, X_nan, lengths = fitted("patched-bidirectional")
    module = to_torch_module(estimator).eval()
    features = module.head.in_features
    module.head = torch.nn.Identity()
    with torch.no_grad():
        output = module(torch.from_numpy(X), torch.from_numpy(lengths))
    assert output.shape == (len(X), features)
    module.head = torch.nn.Sequential(torch.nn.Linear(features, 7), torch.nn.ReLU())
    with torch.no_grad():
        assert module(torch.from_numpy(X), torch.from_numpy(lengths)).shape == (len(X), 7)


def test_the_module_has_no_dropout_as_its_docstring_says():
    X, X_nan, lengths = ragged(12)
    y = np.arange(len(X)) % 2
    estimator = GRUClassifier(**{**SMALL, "dropout": 0.5, "recurrent_dropout": 0.3}).fit(X_nan, y)
    module = to_torch_module(estimator)
    arguments = (torch.from_numpy(X), torch.from_numpy(lengths))
    with torch.no_grad():
        trained = [module.train()(*arguments) for _ in range(2)]
        evaluated = module.eval()(*arguments)
    assert torch.equal(trained[0], evaluated) and torch.equal(trained[1], evaluated)


def fine_tuned(module, seed=0):
    """The module with every parameter moved by a random step, as training in torch would."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            step = torch.randn(parameter.shape, generator=generator, dtype=torch.float64)
            parameter += (0.05 * step).to(parameter.dtype)
    return module


@pytest.mark.parametrize("name", CASES)
def test_a_fine_tuned_module_is_written_back_into_its_estimator(name):
    # A module tuned in torch had no way back: renaming its keys for from_torch_state_dict
    # with fold_standardization=True (which its standardisation demands) took out a
    # standardisation the module's weights never held, 0.89 off in probabilities, silently.
    estimator, X, X_nan, lengths = fitted(name)
    estimator = copy.deepcopy(estimator)  # fitted() is shared by other tests
    before = expected_output(estimator, X_nan)
    assert from_torch_module(estimator, to_torch_module(estimator)) is estimator
    np.testing.assert_array_equal(expected_output(estimator, X_nan), before)  # the same bits
    module = fine_tuned(to_torch_module(estimator)).eval()
    if estimator.network_.dtype == np.float64:
        X = X.astype(np.float64)
    with torch.no_grad():
        tuned = module(torch.from_numpy(X), torch.from_numpy(lengths)).numpy()
    assert np.nanmax(np.abs(tuned - before)) > 1e-3  # the step changed the model
    from_torch_module(estimator, module)
    tolerance = 1e-12 if estimator.network_.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        expected_output(estimator, X_nan), tuned, rtol=tolerance, atol=tolerance
    )


def test_a_fine_tuned_pipeline_module_is_written_back_into_its_estimator():
    X, X_nan, lengths, y = scaled_sequences()
    pipe = make_pipeline(SequenceScaler(per="sequence"), GRUClassifier(**SMALL)).fit(X_nan, y)
    module = fine_tuned(to_torch_module(pipe).half()).float().eval()  # any dtype
    with torch.no_grad():
        tuned = module(torch.from_numpy(X), torch.from_numpy(lengths)).numpy()
    from_torch_module(pipe, module)
    np.testing.assert_allclose(pipe.predict_proba(X_nan), tuned, rtol=1e-5, atol=1e-5)


def test_a_compiled_module_is_written_back_and_the_optimizer_starts_afresh():
    X, X_nan, lengths = ragged(12)
    estimator = GRUClassifier(**SMALL).fit(X_nan, np.arange(len(X)) % 2)
    assert estimator._optimizer.t > 0
    compiled = torch.compile(fine_tuned(to_torch_module(estimator)).eval())
    with torch.no_grad():
        tuned = compiled(torch.from_numpy(X), torch.from_numpy(lengths)).numpy()
    from_torch_module(estimator, compiled)
    np.testing.assert_allclose(estimator.predict_proba(X_nan), tuned, rtol=1e-5, atol=1e-5)
    assert estimator._optimizer.t == 0  # its moments belonged to the weights replaced


@pytest.mark.parametrize("converters", ["torch", "keras"])
def test_every_import_of_weights_starts_the_optimizer_afresh(converters):
    # Only from_torch_module reset the moments of the weights it replaced; after
    # from_torch_state_dict or from_keras_weights the next partial_fit reused them.
    X, X_nan, lengths = ragged(12)
    estimator = GRUClassifier(**{**SMALL, "bidirectional": False}).fit(X_nan, [0, 1] * 5)
    assert estimator._optimizer.t > 0
    if converters == "torch":
        state = to_torch_state_dict(estimator, fold_standardization=True)
        from_torch_state_dict(estimator, state, fold_standardization=True)
    else:
        weights = to_keras_weights(estimator, fold_standardization=True)
        from_keras_weights(estimator, weights, fold_standardization=True)
    assert estimator._optimizer.t == 0


def test_a_module_that_does_not_match_the_estimator_is_refused():
    estimator, X, X_nan, lengths = fitted("conv-branch-classifier")
    estimator = copy.deepcopy(estimator)  # fitted() is shared by other tests
    with pytest.raises(TypeError, match="a module from pygru.to_torch_module, got Linear"):
        from_torch_module(estimator, torch.nn.Linear(2, 2))
    other = clone(estimator).set_params(hidden_layer_sizes=(5,)).fit(X_nan, [0, 1] * 5)
    with pytest.raises(ValueError, match=r"head.weight has shape \(2, 34\), expected \(3, 28\)"):
        from_torch_module(estimator, to_torch_module(other))
    module = to_torch_module(estimator)
    module.head = torch.nn.Sequential(torch.nn.Linear(module.head.in_features, 2))
    with pytest.raises(ValueError, match=r"\['head.bias', 'head.weight'\] missing"):
        from_torch_module(estimator, module)
    module = to_torch_module(estimator)
    with torch.no_grad():
        module.head.bias[0] = float("nan")
    before = estimator.network_.params.copy()
    with pytest.raises(ValueError, match="head.bias contains NaN"):
        from_torch_module(estimator, module)
    np.testing.assert_array_equal(estimator.network_.params, before)  # nothing written


def test_a_module_whose_statistics_are_not_the_estimators_is_refused():
    # Refitted on data at another scale after the export, the estimator took the module's
    # weights silently, and predict then differed from the module by 3,000 (audit32).
    X, X_nan, lengths = ragged(6)
    targets = X[np.arange(len(X)), lengths - 1, 0].astype(np.float64)
    regressor = GRURegressor(**SMALL).fit(X_nan, targets)
    module = fine_tuned(to_torch_module(regressor))
    regressor.fit(X_nan, 100 * targets + 1000)  # the inputs as before: only the targets'
    before = regressor.network_.params.copy()
    with pytest.raises(ValueError, match=r"\(target_mean differs by up to .*\): the module"):
        from_torch_module(regressor, module)
    np.testing.assert_array_equal(regressor.network_.params, before)  # nothing written
    # A pipeline's scalers count too, and a pipeline's module is not a bare estimator's.
    X, X_nan, lengths, y = scaled_sequences()
    pipe = make_pipeline(SequenceScaler(), GRUClassifier(**SMALL)).fit(X_nan, y)
    module = to_torch_module(pipe)
    pipe.fit(X_nan * 2, y)
    with pytest.raises(ValueError, match=r"scalers.0.mean differs by up to"):
        from_torch_module(pipe, module)
    module = to_torch_module(pipe)  # its own statistics: written back, also into its last
    from_torch_module(pipe, module)  # step alone (whose statistics are then compared)
    from_torch_module(pipe[-1], module)


def test_a_float64_model_and_module_keep_a_long_series_that_float32_drifts_on():
    # The README and the guide: over thousands of unpatched steps of input far outside the
    # training range, float32 GRUs drift from float64 in proportion to the length, so such
    # series want dtype="float64", whose module reproduces predict_proba as ever.
    rng = np.random.default_rng(0)
    waves = np.sin(np.arange(2000) * 0.01 * rng.uniform(1, 2, (6, 1)))
    X = (300 + waves + 0.3 * rng.standard_normal((6, 2000)))[:, :, None]
    settings = dict(patch_size=None, standardize=False, max_iter=3, random_state=0)
    in_float32 = GRUClassifier((8,), **settings).fit(X, np.arange(6) % 2)
    in_float64 = GRUClassifier((8,), dtype="float64", **settings).fit(X, np.arange(6) % 2)
    from_torch_module(in_float64, to_torch_module(in_float32))  # the same weights
    X_long = 300 + 0.3 * rng.standard_normal((3, 20_000, 1))
    proba = in_float64.predict_proba(X_long)
    assert np.abs(in_float32.predict_proba(X_long) - proba).max() > 1e-5
    np.testing.assert_allclose(run_module(in_float64, X_long).numpy(), proba, rtol=0, atol=1e-10)
