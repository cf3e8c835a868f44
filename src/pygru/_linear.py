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
    returned with ``alpha`` None. So it is for two samples of weight up to 1: leaving one out
    leaves the other alone, which the intercept fits whatever the penalty, and every
    penalty's error ties (the largest was reported as chosen, as if the inputs explained
    nothing; audit39f).

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
        # A sample of weight 0 is not there: left in, it would change the factorisation's
        # rounding from that of the fit without it.
        present = np.asarray(sample_weight) > 0
        if not present.all():  # (indexing copies X, which may be a view of a series)
            X, Y = np.asarray(X)[present], np.asarray(Y)[present]
            sample_weight = np.asarray(sample_weight)[present]
    Y, exponent = _below_one(Y)
    rows = _WeightedRows(X, Y, sample_weight)
    fit = _CentredFit(rows.r_factor(0, rows.n), rows)
    coefs = [fit.coef(alpha) for alpha in alphas]
    if rows.n <= rows.n_features + 1:
        sums, interpolates = _loo_sums_in_row_space(rows, fit, alphas)
    else:
        sums, interpolates = _loo_sums(rows, fit, coefs, alphas)
    scores = np.where(interpolates, np.inf, sums / rows.weights.sum())
    chosen = chosen_penalty(scores, alphas)
    coef, intercept = fit.solution(coefs[chosen], exponent)
    one_left = rows.n <= 2 and np.all(rows.weights <= 1.0)  # by each leave-one-out fit
    if np.isinf(scores[chosen]) or one_left:
        return coef, intercept, None
    return coef, intercept, float(alphas[chosen])


def _loo_sums(rows, fit, coefs, alphas):
    """Each penalty's weighted sum of squared leave-one-out errors, and whether it
    interpolates some row (which then cannot be left out), from the leverages
    ``(x_c V)^2 / (s^2 + alpha)``: for more rows than columns plus one, where
    ``1 - leverage`` is not a difference of nearly equal numbers."""
    total, left_out = rows.weights.sum(), np.minimum(rows.weights, 1.0)
    # U s shrink, U = X V / s, is X V / (s^2 + alpha): no division by a vanishing s.
    inverse = 1.0 / (fit.singular[:, None] ** 2 + np.asarray(alphas, dtype=np.float64))
    # Each penalty's weighted sum of squared leave-one-out errors, a chunk of rows at a time;
    # a penalty at which some row cannot be left out is never chosen.
    sums, interpolates = np.zeros(len(alphas)), np.zeros(len(alphas), bool)
    for start, stop in rows.chunks(0, rows.n):
        X_centred, Y_centred = fit.centred(rows, start, stop)
        squared_projections = ((rows.root[start:stop, None] * X_centred) @ fit.Vt.T) ** 2
        weights = rows.weights[start:stop]
        for index, coef in enumerate(coefs):
            if interpolates[index]:  # found in an earlier chunk: nothing more to sum
                continue
            # The weighted hat matrix's diagonal, w_i g_i; one unit of weight has g_i.
            hat = squared_projections @ inverse[:, index] + weights / total
            leverage = left_out[start:stop] * hat / weights
            if not np.all(leverage < 1.0 - 1e-9):
                interpolates[index] = True
                continue
            squared_residuals = np.sum((Y_centred - X_centred @ coef) ** 2, axis=1)
            sums[index] += weights @ (squared_residuals / (1.0 - leverage) ** 2)
    return sums, interpolates


def _loo_sums_in_row_space(rows, fit, alphas):
    """What :func:`_loo_sums` returns, for no more rows than columns plus one (n <= p + 1),
    where the fit nearly interpolates at small penalties and ``1 - leverage``, a difference
    of nearly equal numbers, lost digits of the LOO errors (up to 2 in session 35's
    measurements, with a choice 12 grid steps from the exact errors'; on NumPy 2.4's
    OpenBLAS, 2 of 120 random walks chose one step away). Here it is a sum of positive
    terms: the weighted rows' residual maker ``I - H`` is ``U diag(alpha / (s^2 + alpha)) U'``,
    U an orthonormal basis (n x (n - 1)) of the rows' space without the intercept's
    direction sqrt(w), which the fit reproduces exactly, and s the weighted, centred data's
    singular values in that basis; the residuals are ``(I - H) sqrt(w) y``. The basis is at
    most (p + 1) x p, the R factor's size."""
    X_centred, Y_centred = fit.centred(rows, 0, rows.n)
    root = rows.root[:, None]
    intercept_direction = root / np.sqrt(rows.weights.sum())
    complement = np.linalg.qr(intercept_direction, mode="complete")[0][:, 1:]
    rotation, singular, _ = np.linalg.svd(complement.T @ (root * X_centred), full_matrices=False)
    basis = complement @ rotation
    projected = basis.T @ (root * Y_centred)
    squared_basis, weights = basis**2, rows.weights
    left_out = np.minimum(weights, 1.0)
    sums, interpolates = np.zeros(len(alphas)), np.zeros(len(alphas), bool)
    for index, alpha in enumerate(alphas):
        kept = alpha / (singular**2 + alpha)  # (n - 1 <= p singular values)
        residual_maker_diagonal = squared_basis @ kept  # 1 - h_i, h the weighted hat matrix
        # 1 - c_i h_i / w_i, with c_i = min(w_i, 1) the weight left out
        remaining = (weights - left_out + left_out * residual_maker_diagonal) / weights
        if not np.all(remaining > 1e-9):
            interpolates[index] = True
            continue
        weighted_residuals = basis @ (kept[:, None] * projected)  # sqrt(w_i) r_i
        sums[index] = np.sum(np.sum(weighted_residuals**2, axis=1) / remaining**2)
    return sums, interpolates


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


# The rows of weighted data a ridge fit holds at a time besides its R factor.
_CHUNK_BYTES = 16 << 20


class _WeightedRows:
    """The rows ``[sqrt(w), sqrt(w) (x - x_shift), sqrt(w) (y - y_shift)]`` of a weighted
    ridge regression with an intercept, made in float64 a chunk at a time. Their QR
    factorisation, accumulated chunk by chunk (``r_factor``: one row per column), gives
    every fit on them (:class:`_CentredFit`) without an n-row copy of the data: the SVD of
    all rows took several times X's size in float64 (1.5 GB for 50,000 windows of 512
    values, 98 MB of float32) and, with the correction test's blocked fits, more than half
    of a one-epoch fit's 65 s (29 s now). A ridge regression with
    an intercept does not depend on where X and Y are shifted to; shifted by their weighted
    means, the factorisation rounds on the scale of their spread."""

    def __init__(self, X, Y, sample_weight):
        # X's columns, in one array or several side by side (2-D each).
        self.X_parts, self.Y = (X if isinstance(X, tuple) else (X,)), Y
        self.n = len(Y)
        self.n_features = sum(part.shape[1] for part in self.X_parts)
        self.n_columns = 1 + self.n_features + Y.shape[1]
        self.weights = (
            np.ones(self.n) if sample_weight is None else np.asarray(sample_weight, float)
        )
        self.root = np.sqrt(self.weights)
        total = self.weights.sum()
        if not total > 0:
            raise ValueError(
                f"a ridge regression needs rows of positive total weight, got {self.n} rows "
                f"of total weight {total}"
            )
        # The weighted means: rows of weight far from the others' would otherwise round
        # the centred columns on their distance (5 digits for weights of 1e10 at 1e6).
        share = self.weights / total
        self.x_shift = sum(
            share[start:stop] @ self.rows_in_float64(start, stop) for start, stop in self.chunks()
        )
        self.y_shift = share @ Y

    def chunks(self, start=0, stop=None):
        """(start, stop) of each chunk of the rows start..stop."""
        stop = self.n if stop is None else stop
        step = max(2 * self.n_columns, _CHUNK_BYTES // (8 * self.n_columns))
        return [(first, min(stop, first + step)) for first in range(start, stop, step)]

    def rows_in_float64(self, start, stop):
        """X's rows start..stop, all columns, as a new float64 array."""
        parts = [np.asarray(part[start:stop], dtype=np.float64) for part in self.X_parts]
        return parts[0] if len(parts) == 1 else np.hstack(parts)

    def r_factor(self, start, stop, R=None):
        """The R factor of the rows start..stop below ``R`` (the R factor of other rows,
        or None): upper triangular, one row per column (fewer where there are fewer rows),
        its rows' signs LAPACK's."""
        for first, last in self.chunks(start, stop):
            root = self.root[first:last, None]
            block = np.hstack(
                [
                    root,
                    root * (self.rows_in_float64(first, last) - self.x_shift),
                    root * (self.Y[first:last] - self.y_shift),
                ]
            )
            R = np.linalg.qr(block if R is None else np.vstack([R, block]), mode="r")
        return R

    def prefix_factors(self, cuts):
        """{c: the R factor of the rows 0..c} for each c in ``cuts`` (None for c = 0)."""
        factors, R, done = {}, None, 0
        for cut in sorted(set(cuts)):
            factors[cut] = R = self.r_factor(done, cut, R)
            done = cut
        return factors

    def suffix_factors(self, cuts):
        """{c: the R factor of the rows c..n} for each c in ``cuts`` (None for c = n)."""
        factors, R, done = {}, None, self.n
        for cut in sorted(set(cuts), reverse=True):
            factors[cut] = R = self.r_factor(cut, done, R)
            done = cut
        return factors


class _CentredFit:
    """A weighted ridge regression with an intercept, from the R factor of its
    :class:`_WeightedRows`: its first row, that of the column sqrt(w), holds the weighted
    means (over sqrt(total weight)), and the rest is the R factor of the weighted, centred
    data, whose SVD gives every penalty's solution and leverages. ``Y`` is solved for as
    ``Y / 2^k``, |Y / 2^k| < 1 (:func:`_below_one`), and scaled back (:meth:`solution`):
    powers of two scale exactly, so the penalty and the solution are Y's own, without Y's
    squares overflowing (1e300)."""

    def __init__(self, R, rows):
        p = rows.n_features
        self.x_mean = rows.x_shift + R[0, 1 : p + 1] / R[0, 0]
        self.y_mean = rows.y_shift + R[0, p + 1 :] / R[0, 0]
        U, self.singular, self.Vt = np.linalg.svd(R[1:, 1 : p + 1], full_matrices=False)
        with np.errstate(over="ignore"):  # refused below, by name
            squares_overflow = self.singular.size > 0 and not np.isfinite(self.singular[0] ** 2)
        if squares_overflow:  # every penalty's shrinkage would be 0: a solution of zeros
            raise ValueError(
                "the ridge regression's inputs are too large: the squares of their weighted, "
                f"centred values overflow float64 (largest singular value {self.singular[0]:.3g})"
            )
        self.projected = U.T @ R[1:, p + 1 :]

    def centred(self, rows, start, stop):
        """X and Y of the rows start..stop, centred on this fit's means (not weighted)."""
        return rows.rows_in_float64(start, stop) - self.x_mean, rows.Y[start:stop] - self.y_mean

    def coef(self, alpha):
        """The centred solution (n_features, n_targets) of penalty ``alpha``, on the scale
        the targets are solved for."""
        shrink = self.singular / (self.singular**2 + alpha)
        return self.Vt.T @ (shrink[:, None] * self.projected)

    def solution(self, coef, exponent):
        """(coef (n_targets, n_features), intercept (n_targets,)) on Y's own scale, Y having
        been solved for as Y / 2^``exponent``."""
        intercept = self.y_mean - self.x_mean @ coef
        with np.errstate(over="ignore"):  # a solution beyond float64 is the caller's to refuse
            return np.ldexp(coef.T, exponent), np.ldexp(intercept, exponent)


def _below_one(Y):
    """(Y / 2^k as float64, k), with |Y / 2^k| < 1 (k = 0 for Y of zeros)."""
    Y = np.asarray(Y, dtype=np.float64)
    exponent = _binary_exponent(np.max(np.abs(Y), initial=0.0))
    return np.ldexp(Y, -exponent), exponent


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

    ``X`` is an array (n_rows, n_features) or a tuple of such arrays, its columns side by
    side: read a chunk of rows at a time, they need not be copied into one.

    Returns ``(errors, weights)``: ``errors`` (len(alphas), n_rows), each row's squared
    error summed over the targets (on one scale for all, ``Y / 2^k``), and the rows'
    weights (all 1 for None); or None where the purge leaves some block's fit fewer than
    half of the rows outside that block, or no weight. Rows of weight 0 count in the
    blocks' edges and the purge: a caller that means them to be absent leaves them out."""
    with _ONE_BLAS_THREAD, threadpool_limits(limits=1, user_api="blas"):
        return _ridge_blocked_errors(X, Y, sample_weight, alphas, n_blocks, purge)


def _ridge_blocked_errors(X, Y, sample_weight, alphas, n_blocks, purge):
    n = len(Y)
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    edges = np.linspace(0, n, n_blocks + 1).astype(int)
    # Each block's fit holds the rows before ``before`` and from ``after`` on.
    blocks = [
        (start, stop, max(0, start - purge), min(n, stop + purge))
        for start, stop in zip(edges[:-1], edges[1:])
    ]
    for start, stop, before, after in blocks:
        fitted = before + n - after
        if (
            2 * fitted < n - (stop - start)
            or not weights[:before].sum() + weights[after:].sum() > 0
        ):
            return None
    Y, _ = _below_one(Y)
    rows = _WeightedRows(X, Y, weights)
    prefixes = rows.prefix_factors([before for _, _, before, _ in blocks])
    suffixes = rows.suffix_factors([after for _, _, _, after in blocks])
    errors = np.empty((len(alphas), n))
    for start, stop, before, after in blocks:
        parts = [R for R in (prefixes[before], suffixes[after]) if R is not None]
        R = parts[0] if len(parts) == 1 else np.linalg.qr(np.vstack(parts), mode="r")
        fit = _CentredFit(R, rows)
        coefs = [fit.coef(alpha) for alpha in alphas]
        for first, last in rows.chunks(start, stop):
            X_held, Y_held = fit.centred(rows, first, last)
            for index, coef in enumerate(coefs):
                residual = X_held @ coef - Y_held
                errors[index, first:last] = np.sum(residual**2, axis=1)
    return errors, weights
