"""pygru.to_torch_module: the whole estimator in torch, against predict_proba / predict."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from test_onnx import CASES, LONG, expected_output, fitted

from pygru import GRUClassifier, to_torch_module

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


def test_module_is_a_trainable_torch_model():
    estimator, X, _, lengths = fitted("cho-bidirectional-stacked-strings")
    module = to_torch_module(estimator)
    names = dict(module.named_parameters())
    assert "head.weight" in names and "layers.1.weights.1.weight_hh" in names
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
