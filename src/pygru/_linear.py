"""Ridge regression with its penalty chosen by generalised cross-validation, for the
starting point of the regressor's linear skip.

scikit-learn's ``RidgeCV`` chooses the penalty by exact leave-one-out, which treats a sample
of weight 2 differently from the same sample given twice (leaving one copy out leaves the
other). Generalised cross-validation (Golub, Heath & Wahba 1979) needs only the weighted
residuals, the total weight and the effective number of parameters, all three the same for
weights and for repetitions: a sample weight of k acts exactly as k copies.
"""

import numpy as np


def ridge_gcv(X, Y, sample_weight, alphas):
    """Ridge regression of ``Y`` on ``X`` with an intercept, the penalty ``alpha`` being the
    one of ``alphas`` with the lowest generalised cross-validation error

        GCV(alpha) = (sum_i w_i |r_i|^2 / W) / (1 - df(alpha) / W)^2,

    ``r_i`` the residuals, ``W`` the total weight and ``df`` the trace of the weighted hat
    matrix plus one for the intercept. A penalty whose ``df`` reaches ``W`` is never chosen;
    if every one does (a total weight too small for any penalty: one sample, or weights that
    sum to about 1), the largest penalty's solution is returned with ``alpha`` None.

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
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    total = weights.sum()
    x_mean = weights @ X / total
    y_mean = weights @ Y / total
    root = np.sqrt(weights)[:, None]
    X_centred, Y_centred = X - x_mean, Y - y_mean
    # Weighted, centred data: its SVD gives every penalty's solution at once.
    U, singular, Vt = np.linalg.svd(root * X_centred, full_matrices=False)
    projected = U.T @ (root * Y_centred)
    best = None
    for alpha in alphas:
        shrink = singular / (singular**2 + alpha)
        coef = Vt.T @ (shrink[:, None] * projected)
        df = np.sum(singular * shrink) + 1.0
        residual = root * (Y_centred - X_centred @ coef)
        score = np.sum(residual**2) / total / (1.0 - df / total) ** 2 if df < total else np.inf
        if best is None or score < best[0] or (np.isinf(best[0]) and np.isinf(score)):
            best = (score, coef, alpha)
    score, coef, alpha = best
    return coef.T, y_mean - x_mean @ coef, None if np.isinf(score) else float(alpha)
