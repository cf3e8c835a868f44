import numpy as np
import pytest

from pygru._losses import cross_entropy, log_softmax, softmax, squared_error


def central_differences(loss_of, array, step=1e-6):
    """Gradient of the scalar function ``loss_of`` at ``array`` by central differences."""
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + step
        loss_plus = loss_of(array)
        array[index] = original - step
        loss_minus = loss_of(array)
        array[index] = original
        gradient[index] = (loss_plus - loss_minus) / (2 * step)
    return gradient


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_softmax_matches_definition(rng):
    logits = rng.normal(size=(4, 3))
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(logits), expected, rtol=1e-12)
    np.testing.assert_allclose(log_softmax(logits), np.log(expected), rtol=1e-12)


def test_softmax_is_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], dtype=np.float32)
    probabilities = softmax(logits)
    log_probabilities = log_softmax(logits)
    assert probabilities.dtype == log_probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(log_probabilities[0], [0, -1e4, -2e4])
    assert np.isfinite(log_probabilities).all()


def test_cross_entropy_value_by_hand():
    logits = np.array([[0.0, np.log(3.0)], [np.log(4.0), 0.0]])
    loss, _ = cross_entropy(logits, np.array([1, 1]))
    # p(class 1) is 3/4 for the first row and 1/5 for the second.
    assert loss == pytest.approx(-(np.log(3 / 4) + np.log(1 / 5)) / 2)


@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_gradient_matches_finite_differences(rng, weighted):
    logits = rng.normal(size=(5, 4)) * 3
    y_index = rng.integers(0, 4, size=5)
    sample_weight = rng.uniform(0.1, 2.0, size=5) if weighted else None
    _, d_logits = cross_entropy(logits, y_index, sample_weight)
    expected = central_differences(lambda a: cross_entropy(a, y_index, sample_weight)[0], logits)
    np.testing.assert_allclose(d_logits, expected, rtol=1e-6, atol=1e-9)


def test_cross_entropy_sample_weight_is_a_weighted_mean(rng):
    logits = rng.normal(size=(3, 2))
    y_index = np.array([0, 1, 1])
    per_sample = np.array(
        [cross_entropy(logits[i : i + 1], y_index[i : i + 1])[0] for i in range(3)]
    )
    weights = np.array([1.0, 3.0, 0.0])
    loss, d_logits = cross_entropy(logits, y_index, weights)
    assert loss == pytest.approx((per_sample * weights).sum() / weights.sum())
    np.testing.assert_array_equal(d_logits[2], 0)
    # Scaling every weight by the same factor changes nothing.
    loss_scaled, d_scaled = cross_entropy(logits, y_index, 7 * weights)
    assert loss_scaled == pytest.approx(loss)
    np.testing.assert_allclose(d_scaled, d_logits)
    # Integer weights count samples: weight 2 equals the row repeated.
    repeated = cross_entropy(logits[[0, 0, 1]], y_index[[0, 0, 1]])
    doubled = cross_entropy(logits[:2], y_index[:2], np.array([2, 1]))
    assert doubled[0] == pytest.approx(repeated[0])


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, -1e4], [1e4, -1e4]], dtype=np.float32)
    loss, d_logits = cross_entropy(logits, np.array([0, 1]))
    # The first row is right with certainty (loss 0), the second wrong by 2e4.
    assert loss == pytest.approx(1e4)
    np.testing.assert_allclose(d_logits, [[0, 0], [0.5, -0.5]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_keep_the_dtype_of_the_outputs(rng, dtype):
    outputs = rng.normal(size=(4, 3)).astype(dtype)
    weights = np.arange(1.0, 5.0)  # float64 weights must not promote the gradient
    _, d_logits = cross_entropy(outputs, np.array([0, 1, 2, 0]), weights)
    _, d_pred = squared_error(outputs, rng.normal(size=(4, 3)), weights)
    assert d_logits.dtype == d_pred.dtype == dtype


def test_float32_matches_float64(rng):
    logits = rng.normal(size=(6, 3))
    y_index = rng.integers(0, 3, size=6)
    loss64, d64 = cross_entropy(logits, y_index)
    loss32, d32 = cross_entropy(logits.astype(np.float32), y_index)
    assert loss32 == pytest.approx(loss64, rel=1e-6)
    np.testing.assert_allclose(d32, d64, atol=1e-7)


def test_squared_error_value_matches_mlp_regressor_convention(rng):
    pred = rng.normal(size=(5, 2))
    target = rng.normal(size=(5, 2))
    loss, _ = squared_error(pred, target)
    assert loss == pytest.approx(((pred - target) ** 2).mean() / 2)
    weights = rng.uniform(0.5, 1.5, size=5)
    loss, _ = squared_error(pred, target, weights)
    expected = np.average(((pred - target) ** 2).mean(axis=1), weights=weights) / 2
    assert loss == pytest.approx(expected)


@pytest.mark.parametrize("weighted", [False, True])
def test_squared_error_gradient_matches_finite_differences(rng, weighted):
    pred = rng.normal(size=(4, 3))
    target = rng.normal(size=(4, 3))
    sample_weight = rng.uniform(0.1, 2.0, size=4) if weighted else None
    _, d_pred = squared_error(pred, target, sample_weight)
    expected = central_differences(lambda a: squared_error(a, target, sample_weight)[0], pred)
    np.testing.assert_allclose(d_pred, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "logits, y_index, sample_weight, error, match",
    [
        (np.zeros((2, 3), dtype=int), np.array([0, 1]), None, TypeError, "must have a floating"),
        (
            [[0.0, 1.0]],
            np.array([0]),
            None,
            TypeError,
            "logits must be a NumPy or CuPy array, got list",
        ),
        (np.zeros(3), np.array([0]), None, ValueError, r"logits must be a non-empty 2-D.*\(3,\)"),
        (np.zeros((0, 3)), np.array([], dtype=int), None, ValueError, "non-empty 2-D"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), None, TypeError, "y_index must be .* integer"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), None, ValueError, r"y_index must .*\(2,\)"),
        (np.zeros((2, 3)), np.array([0, 3]), None, ValueError, r"3 classes, got .*\[0, 3\]"),
        (np.zeros((2, 3)), np.array([-1, 0]), None, ValueError, r"y_index must lie in \[0, 3\)"),
        (np.zeros((2, 3)), np.array([0, 1]), np.ones(3), ValueError, r"sample_weight .*\(2,\)"),
        (np.zeros((2, 3)), np.array([0, 1]), np.array([1.0, -1.0]), ValueError, "non-negative"),
        (np.zeros((2, 3)), np.array([0, 1]), np.array([1.0, np.nan]), ValueError, "finite"),
        (np.zeros((2, 3)), np.array([0, 1]), np.zeros(2), ValueError, "all zero"),
        (np.zeros((2, 3)), np.array([0, 1]), np.array(["a", "b"]), TypeError, "real numbers"),
    ],
)
def test_cross_entropy_rejects_bad_input(logits, y_index, sample_weight, error, match):
    with pytest.raises(error, match=match):
        cross_entropy(logits, y_index, sample_weight)


def test_squared_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shape of pred \(2, 3\), got \(2, 2\)"):
        squared_error(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="got list"):
        squared_error(np.zeros((2, 3)), [[0.0] * 3] * 2)
    with pytest.raises(ValueError, match=r"pred must be a non-empty 2-D .*got shape \(3,\)"):
        squared_error(np.zeros(3), np.zeros(3))
