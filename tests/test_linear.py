"""The linear skip's starting point: ridge regression with the penalty chosen by
generalised cross-validation, checked against scikit-learn's Ridge and a direct GCV."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from pygru._linear import ridge_gcv

ALPHAS = np.logspace(-3, 3, 13)


def regression_data(n=30, d=6, targets=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = X @ rng.standard_normal((d, targets)) + 3.0 + rng.standard_normal((n, targets))
    return X, Y


def direct_gcv(X, Y, weights, alpha):
    """GCV of the weighted ridge fit with an unpenalised intercept, from the hat matrix."""
    total = weights.sum()
    Xc = X - weights @ X / total
    Yc = Y - weights @ Y / total
    W = np.diag(weights)
    inverse = np.linalg.inv(Xc.T @ W @ Xc + alpha * np.eye(X.shape[1]))
    hat = Xc @ inverse @ Xc.T @ W
    residual = Yc - hat @ Yc
    df = np.trace(hat) + 1.0
    return (weights @ (residual**2).sum(axis=1)) / total / (1.0 - df / total) ** 2


@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_gcv_is_the_ridge_fit_of_the_penalty_with_the_lowest_gcv(weighted):
    X, Y = regression_data()
    weights = np.random.default_rng(1).random(len(X)) * 3 if weighted else np.ones(len(X))
    coef, intercept, alpha = ridge_gcv(X, Y, weights if weighted else None, ALPHAS)
    scores = [direct_gcv(X, Y, weights, a) for a in ALPHAS]
    assert alpha == ALPHAS[int(np.argmin(scores))]
    ridge = Ridge(alpha=alpha).fit(X, Y, sample_weight=weights)
    np.testing.assert_allclose(coef, ridge.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(intercept, ridge.intercept_, rtol=1e-10)


def test_ridge_gcv_prefers_a_larger_penalty_for_noise():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 10))
    _, _, alpha_signal = ridge_gcv(X, X @ np.ones((10, 1)), None, ALPHAS)
    _, _, alpha_noise = ridge_gcv(X, rng.standard_normal((40, 1)), None, ALPHAS)
    assert alpha_signal < alpha_noise


def test_sample_weights_act_as_repetitions():
    X, Y = regression_data(n=20)
    counts = np.random.default_rng(2).integers(0, 4, len(X))
    weighted = ridge_gcv(X, Y, counts.astype(float), ALPHAS)
    repeated = ridge_gcv(np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0), None, ALPHAS)
    assert weighted[2] == repeated[2]
    np.testing.assert_allclose(weighted[0], repeated[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-9)


def test_more_parameters_than_samples():
    X, Y = regression_data(n=5, d=12)
    coef, intercept, alpha = ridge_gcv(X, Y, None, ALPHAS)
    assert coef.shape == (2, 12) and np.all(np.isfinite(coef))
    np.testing.assert_allclose(coef, Ridge(alpha=alpha).fit(X, Y).coef_, rtol=1e-9, atol=1e-12)
    # One sample: no penalty leaves a degree of freedom; the largest's fit is returned, the
    # sample's own target, and no penalty is named.
    coef, intercept, alpha = ridge_gcv(X[:1], Y[:1], None, ALPHAS)
    assert alpha is None and not coef.any()
    np.testing.assert_allclose(intercept, Y[0])


@pytest.mark.parametrize("weights", [np.full(40, 1 / 40), np.ones(1)], ids=["normalised", "one"])
def test_ridge_gcv_says_when_the_total_weight_admits_no_penalty(weights):
    # With sample weights as repetitions, weights that sum to 1 are one sample: its df (at
    # least 1, the intercept) reaches the total weight at every penalty.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((len(weights), 5))
    coef, intercept, alpha = ridge_gcv(X, X @ np.ones((5, 1)), weights, ALPHAS)
    assert alpha is None
    largest = ridge_gcv(X, X @ np.ones((5, 1)), weights, [max(ALPHAS)])
    np.testing.assert_allclose(coef, largest[0])
    assert ridge_gcv(X, X @ np.ones((5, 1)), weights * len(weights) * 10, ALPHAS)[2] is not None
