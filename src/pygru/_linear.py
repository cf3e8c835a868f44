"""Ridge regression with its penalty chosen by leave-one-out cross-validation, for the
starting point of the regressor's linear skip.

Leave-one-out, as scikit-learn's ``RidgeCV`` computes it from the hat matrix, with one
change: sample weights act as repetition counts. ``RidgeCV`` leaves a whole sample out, so a
sample of weight 2 counts differently from the same sample given twice (leaving one copy out
leaves the other). Here a sample of weight w leaves out one copy, min(w, 1) of its weight:
for integer weights exactly the leave-one-out of the repeated data.

Generalised cross-validation (Golub, Heath & Wahba 1979), which chose the penalty before,
replaces every sample's leverage by their mean. On ragged sequences the skip's window holds
zeros before the short ones, so the leverages differ widely, and GCV chose penalties near
zero that fitted the training targets and predicted new ones far worse than their mean.
"""

import threading

import numpy as np
from threadpoolctl import threadpool_limits

from pygru._fork import after_fork_in_child

_ONE_BLAS_THREAD = threading.Lock()


def _new_lock_in_child():
    """A child forked while another thread held the lock has the lock held and no thread
    to release it: its first ridge start would wait forever."""
    global _ONE_BLAS_THREAD
    _ONE_BLAS_THREAD = threading.Lock()


after_fork_in_child(_new_lock_in_child)


def ridge_loo(X, Y, sample_weight, alphas):
    """Ridge regression of ``Y`` on ``X`` with an intercept, the penalty ``alpha`` being the
    one of ``alphas`` with the lowest leave-one-out error

        LOO(alpha) = sum_i w_i |r_i / (1 - c_i g_i)|^2 / W,

    ``r_i`` the residuals, ``W`` the total weight, ``c_i = min(w_i, 1)`` the weight left
    out, and ``g_i = x_i' (X'WX + alpha I)^-1 x_i + 1 / W`` (centred ``x_i``; the intercept
    is not penalised) the leverage of one unit of sample i's weight. A penalty at which a
    sample cannot be left out (``c_i g_i`` reaches 1: the fit interpolates it) is never
    chosen; if that holds for every one (one sample, say), the largest penalty's solution is
    returned with ``alpha`` None.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights, each acting as a repetition count; None: all 1.
    alphas : sequence of float

    Returns
    -------
    coef : ndarray of shape (n_targets, n_features)
    intercept : ndarray of shape (n_targets,)
    alpha : float or None
        None when no penalty could be chosen.
    """
    # OpenBLAS's threaded kernels round differently for each thread count (from about
    # 20,000 rows), and the solution must not depend on it: one thread for the call, as
    # scikit-learn's KMeans does, the settings restored after. OpenBLAS has one setting
    # for the process: two fits in threads, each saving and restoring it, would leave it
    # at 1 (and run the second on all threads), so the calls take turns.
    with _ONE_BLAS_THREAD, threadpool_limits(limits=1, user_api="blas"):
        return _ridge_loo(X, Y, sample_weight, alphas)


def _ridge_loo(X, Y, sample_weight, alphas):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    # Solved for Y / 2^k, |Y / 2^k| < 1, and scaled back: powers of two scale exactly, so
    # the penalty and the solution are Y's own, without Y's squares overflowing (1e300).
    exponent = _binary_exponent(np.max(np.abs(Y), initial=0.0))
    Y = np.ldexp(Y, -exponent)
    weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    total = weights.sum()
    x_mean = weights @ X / total
    y_mean = weights @ Y / total
    root = np.sqrt(weights)[:, None]
    X_centred, Y_centred = X - x_mean, Y - y_mean
    # Weighted, centred data: its SVD gives every penalty's solution and leverages at once.
    U, singular, Vt = np.linalg.svd(root * X_centred, full_matrices=False)
    with np.errstate(over="ignore"):  # refused below, by name
        squares_overflow = singular.size > 0 and not np.isfinite(singular[0] ** 2)
    if squares_overflow:  # every penalty's shrinkage would be 0: a solution of zeros
        raise ValueError(
            "the ridge regression's inputs are too large: the squares of their weighted, "
            f"centred values overflow float64 (largest singular value {singular[0]:.3g})"
        )
    projected = U.T @ (root * Y_centred)
    weighted = weights > 0  # a weight of 0 is a sample that is not there
    present = weights[weighted]
    left_out = np.minimum(present, 1.0)
    U_squared = U[weighted] ** 2
    best = None
    for alpha in alphas:
        shrink = singular / (singular**2 + alpha)
        coef = Vt.T @ (shrink[:, None] * projected)
        # The weighted hat matrix's diagonal, w_i g_i; one unit of weight has g_i.
        hat = U_squared @ (singular * shrink) + present / total
        leverage = left_out * hat / present
        residual = (Y_centred - X_centred @ coef)[weighted]
        if np.all(leverage < 1.0 - 1e-9):
            loo = residual / (1.0 - leverage)[:, None]
            score = present @ np.sum(loo**2, axis=1) / total
        else:
            score = np.inf
        better = best is None or score < best[0]
        # While no penalty can be scored, the largest one's solution, in any order of alphas.
        larger_unscored = best is not None and np.isinf(best[0]) and np.isinf(score)
        if better or (larger_unscored and alpha > best[2]):
            best = (score, coef, alpha)
    score, coef, alpha = best
    intercept = y_mean - x_mean @ coef
    with np.errstate(over="ignore"):  # a solution beyond float64 is the caller's to refuse
        coef, intercept = np.ldexp(coef.T, exponent), np.ldexp(intercept, exponent)
    return coef, intercept, None if np.isinf(score) else float(alpha)


def _binary_exponent(value):
    """k with value < 2^k <= 2 value, for a positive finite value; 0 for 0."""
    return int(np.frexp(value)[1])
