"""
Forecasting the sunspot series
==============================

Cut the yearly sunspot numbers into windows with :func:`~pygru.datasets.make_windows` and
train a :class:`~pygru.GRURegressor` with early stopping on the *latest* training windows
(``validation_split="last"``), never on a random split of overlapping windows. The targets
stay on their raw scale: the regressor standardises them itself. To keep the build fast the
network has 16 units and at most 60 epochs; ``benchmarks/forecasting.py`` runs the defaults
against naive, linear and ETS forecasts.
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
