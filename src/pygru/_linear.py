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
_TIED_ERRORS = 1e-6  # relative difference below which two penalties' errors tie


def _new_lock_in_child():
    """A child forked while another thread held the lock has the lock held and no thread
    to release it: its first ridge start would wait forever."""
    global _ONE_BLAS_THREAD
    _ONE_BLAS_THREAD = threading.Lock()


after_fork_in_child(_new_lock_in_child)


def ridge_loo(X, Y, sample_weight, alphas):
    """Ridge regression of ``Y`` on ``X`` with an intercept, the penalty ``alpha`` being the
    one of ``alphas`` with the lowest leave-one-out error (of penalties whose errors tie,
    the largest: :func:`chosen_penalty`)

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
    if sample_weight is not None:
        # A sample of weight 0 is not there: left in, it would change the SVD's rounding
        # from that of the fit without it.
        present = np.asarray(sample_weight) > 0
        X, Y = np.asarray(X)[present], np.asarray(Y)[present]
        sample_weight = np.asarray(sample_weight, dtype=np.float64)[present]
    fit = _CentredFit(X, Y, sample_weight)
    weights = fit.weights
    left_out = np.minimum(weights, 1.0)
    U_squared = fit.U**2
    scores = []
    for alpha in alphas:
        # The weighted hat matrix's diagonal, w_i g_i; one unit of weight has g_i.
        shrink = fit.singular / (fit.singular**2 + alpha)
        hat = U_squared @ (fit.singular * shrink) + weights / fit.total
        leverage = left_out * hat / weights
        if np.all(leverage < 1.0 - 1e-9):
            residual = fit.Y_centred - fit.X_centred @ fit.coef(alpha)
            loo = residual / (1.0 - leverage)[:, None]
            scores.append(weights @ np.sum(loo**2, axis=1) / fit.total)
        else:
            scores.append(np.inf)
    chosen = chosen_penalty(scores, alphas)
    coef, intercept = fit.solution(fit.coef(alphas[chosen]))
    return coef, intercept, None if np.isinf(scores[chosen]) else float(alphas[chosen])


def chosen_penalty(errors, alphas):
    """The index in ``alphas`` of the largest penalty whose cross-validated error is within
    a millionth of the lowest: errors closer than that are statistically one (their
    standard error is of the order of 1/sqrt(n) of them) and, at a nearly interpolating
    fit's smallest penalties, rounding, which a weight of 0 or another BLAS kernel changes;
    of tied penalties the largest is the better conditioned. Where no error is finite (no
    penalty can be scored; NaN counts as infinite), the largest penalty."""
    errors, alphas = np.asarray(errors, dtype=np.float64), np.asarray(alphas, dtype=np.float64)
    if errors.shape != alphas.shape or errors.ndim != 1 or not errors.size:
        raise ValueError(
            f"one error per penalty is needed: errors of shape {errors.shape} for alphas of "
            f"shape {alphas.shape}"
        )
    errors = np.where(np.isnan(errors), np.inf, errors)
    tied = np.flatnonzero(errors <= errors.min() * (1.0 + _TIED_ERRORS))
    return int(tied[np.argmax(alphas[tied])])


class _CentredFit:
    """The weighted, centred data of a ridge regression with an intercept and its SVD,
    from which every penalty's solution follows. ``Y`` is solved for as ``Y / 2^k``, |Y /
    2^k| < 1, and scaled back (:meth:`solution`): powers of two scale exactly, so the
    penalty and the solution are Y's own, without Y's squares overflowing (1e300)."""

    def __init__(self, X, Y, sample_weight):
        X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
        self.exponent = _binary_exponent(np.max(np.abs(Y), initial=0.0))
        Y = np.ldexp(Y, -self.exponent)
        n = len(X)
        self.weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        self.total = self.weights.sum()
        self.x_mean = self.weights @ X / self.total
        self.y_mean = self.weights @ Y / self.total
        self.root = np.sqrt(self.weights)[:, None]
        self.X_centred, self.Y_centred = X - self.x_mean, Y - self.y_mean
        # Weighted, centred data: its SVD gives every penalty's solution and leverages.
        self.U, self.singular, self.Vt = np.linalg.svd(
            self.root * self.X_centred, full_matrices=False
        )
        with np.errstate(over="ignore"):  # refused below, by name
            squares_overflow = self.singular.size > 0 and not np.isfinite(self.singular[0] ** 2)
        if squares_overflow:  # every penalty's shrinkage would be 0: a solution of zeros
            raise ValueError(
                "the ridge regression's inputs are too large: the squares of their weighted, "
                f"centred values overflow float64 (largest singular value {self.singular[0]:.3g})"
            )
        self.projected = self.U.T @ (self.root * self.Y_centred)

    def coef(self, alpha):
        """The centred solution (n_features, n_targets) of penalty ``alpha``, on the scale
        the targets are solved for."""
        shrink = self.singular / (self.singular**2 + alpha)
        return self.Vt.T @ (shrink[:, None] * self.projected)

    def solution(self, coef):
        """(coef (n_targets, n_features), intercept (n_targets,)) on Y's own scale."""
        intercept = self.y_mean - self.x_mean @ coef
        with np.errstate(over="ignore"):  # a solution beyond float64 is the caller's to refuse
            return np.ldexp(coef.T, self.exponent), np.ldexp(intercept, self.exponent)


def _binary_exponent(value):
    """k with value < 2^k <= 2 value, for a positive finite value; 0 for 0."""
    return int(np.frexp(value)[1])


def ridge_blocked_errors(X, Y, sample_weight, alphas, n_blocks, purge):
    """Held-out squared errors of ridge regressions with an intercept, one per penalty in
    ``alphas``: the rows, in their given order, cut into ``n_blocks`` contiguous blocks,
    each predicted by the ridges fitted on the rows more than ``purge`` rows away from it.
    For rows that are sliding windows of one series, a window shares values with the
    ``purge`` windows on each side (its length), which a plain split would let a fit
    remember (purged cross-validation, as Lopez de Prado 2018 leaves such rows out); for
    independent rows the purge only costs data.

    Returns ``(errors, weights)``: ``errors`` (len(alphas), n_rows), each row's squared
    error summed over the targets (on one scale for all, ``Y / 2^k``), and the rows'
    weights (all 1 for None); or None where the purge leaves some block's fit fewer than
    half of the rows outside that block, or no weight. Rows of weight 0 count in the
    blocks' edges and the purge: a caller that means them to be absent leaves them out."""
    with _ONE_BLAS_THREAD, threadpool_limits(limits=1, user_api="blas"):
        return _ridge_blocked_errors(X, Y, sample_weight, alphas, n_blocks, purge)


def _ridge_blocked_errors(X, Y, sample_weight, alphas, n_blocks, purge):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    Y = np.ldexp(Y, -_binary_exponent(np.max(np.abs(Y), initial=0.0)))
    n = len(X)
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    edges = np.linspace(0, n, n_blocks + 1).astype(int)
    errors = np.empty((len(alphas), n))
    for start, stop in zip(edges[:-1], edges[1:]):
        fitted = np.r_[0 : max(0, start - purge), min(n, stop + purge) : n]
        if 2 * len(fitted) < n - (stop - start) or not weights[fitted].sum() > 0:
            return None
        fit = _CentredFit(X[fitted], Y[fitted], weights[fitted])
        held = X[start:stop] - fit.x_mean
        for index, alpha in enumerate(alphas):
            residual = held @ fit.coef(alpha) + fit.y_mean - Y[start:stop]
            errors[index, start:stop] = np.sum(residual**2, axis=1)
    return errors, weights
