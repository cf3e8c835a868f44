"""
Forecasting the sunspot series, one and several years ahead
===========================================================

Cut the yearly sunspot numbers into windows with :func:`~pygru.datasets.make_windows` and
train a :class:`~pygru.GRURegressor` with early stopping on the *latest* training windows
(``validation_split="last"``), never on a random split of overlapping windows. The targets
stay on their raw scale: the regressor standardises them itself. To keep the build fast the
network has 16 units and at most 60 epochs; ``benchmarks/forecasting.py`` runs the defaults
against naive, linear and ETS forecasts. The second part forecasts the next five years at
once (``horizon=5``: one output per year ahead).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from pygru import GRURegressor
from pygru.datasets import load_sunspots, make_windows

# Few epochs on purpose (a fast build): silence the warning that training did not converge.
warnings.simplefilter("ignore", ConvergenceWarning)

series = np.asarray(load_sunspots().data, dtype=float).ravel()
X, y = make_windows(series, lookback=22)
print("windows", X.shape, "targets", y.shape)

n_test = 60
reg = GRURegressor(
    hidden_layer_sizes=(16,),
    max_iter=60,
    early_stopping=True,
    validation_split="last",
    random_state=0,
)
reg.fit(X[:-n_test], y[:-n_test])
forecast = reg.predict(X[-n_test:])
mae = np.mean(np.abs(forecast - y[-n_test:]))
naive_mae = np.mean(np.abs(X[-n_test:, -1, 0] - y[-n_test:]))
print(f"one-step-ahead MAE: GRU {mae:.1f}, previous value {naive_mae:.1f}")

# %%
# The series, the held-out years and the one-step-ahead forecasts.
steps = np.arange(len(series))
fig, ax = plt.subplots(figsize=(9, 3.2), layout="constrained")
ax.plot(steps, series, color="0.6", label="sunspot number")
ax.plot(steps[-n_test:], forecast, color="C3", label="GRU, one step ahead")
ax.axvspan(steps[-n_test], steps[-1], color="C3", alpha=0.08, label="held out")
ax.set(xlabel="year index", ylabel="sunspots")
ax.legend(loc="upper left")
plt.show()

# %%
# Several years ahead at once
# ---------------------------
# ``make_windows(..., horizon=5)`` gives each window the next five values as one row of
# targets, so the regressor has five outputs, one per year ahead, each standardised on its
# own. Errors grow with the horizon, as they should.
horizon = 5
X5, y5 = make_windows(series, lookback=22, horizon=horizon)
print("windows", X5.shape, "targets", y5.shape)
reg5 = GRURegressor(
    hidden_layer_sizes=(16,),
    max_iter=60,
    early_stopping=True,
    validation_split="last",
    random_state=0,
)
# The last horizon - 1 windows before the held-out ones share targets with them (a
# window's five targets reach four years past the next window's first): leave them out.
train = slice(None, -(n_test + horizon - 1))
reg5.fit(X5[train], y5[train])
forecast5 = reg5.predict(X5[-n_test:])
mae_by_step = np.mean(np.abs(forecast5 - y5[-n_test:]), axis=0)
naive_by_step = np.mean(np.abs(X5[-n_test:, -1, :] - y5[-n_test:]), axis=0)
for step, (gru, naive) in enumerate(zip(mae_by_step, naive_by_step), start=1):
    print(f"{step} year(s) ahead: MAE GRU {gru:.1f}, last value {naive:.1f}")

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ahead = np.arange(1, horizon + 1)
ax.plot(ahead, mae_by_step, "o-", color="C3", label="GRU, 5 outputs")
ax.plot(ahead, naive_by_step, "s--", color="0.5", label="last value")
ax.set(xlabel="years ahead", ylabel="MAE on the held-out windows", xticks=ahead)
ax.legend()
plt.show()
