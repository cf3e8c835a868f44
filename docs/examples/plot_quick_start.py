"""
Quick start: classify time series
=================================

Train a :class:`~pygru.GRUClassifier` on the bundled UCR ItalyPowerDemand data set (daily
electricity demand curves of 24 hours, summer or winter) and look at its predicted
probabilities. To keep the build fast the network is small (16 hidden units) and trains for
20 epochs; the defaults (64 units, up to 300 epochs) reach about 0.96 test accuracy.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from pygru import GRUClassifier
from pygru.datasets import load_italy_power_demand

# Few epochs on purpose (a fast build): silence the warning that training did not converge.
warnings.simplefilter("ignore", ConvergenceWarning)

X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
print("train", X_train.shape, "test", X_test.shape, "classes", np.unique(y_train))

clf = GRUClassifier(hidden_layer_sizes=(16,), max_iter=20, random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# The input curves of each class, and the probability of the second class the model gives
# each test curve.
proba = clf.predict_proba(X_test)[:, 1]
fig, (ax_in, ax_p) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
for label, color in zip(clf.classes_, ("C0", "C1")):
    for x in X_train[y_train == label][:15]:
        ax_in.plot(x.ravel(), color=color, alpha=0.4)
ax_in.set(xlabel="hour", ylabel="demand", title="training curves (C0, C1: the two classes)")
for label, color in zip(clf.classes_, ("C0", "C1")):
    ax_p.hist(
        proba[y_test == label],
        bins=20,
        range=(0, 1),
        color=color,
        alpha=0.6,
        label=f"true class {label}",
    )
ax_p.set(xlabel=f"P(class {clf.classes_[1]})", ylabel="test curves")
ax_p.legend()
plt.show()
