"""
What the gates do
=================

:func:`pygru.notebook.plot_gates` draws one sequence and, over the same time axis, the reset
gate r, the update gate z, the candidate state n and the hidden state h of every unit. GunPoint
series have 150 steps, so the default model reads them in patches of 5 steps (30 GRU steps):
the patches are shaded on the input and each gate value spans its patch. To keep the build
fast the model has 8 units and trains for 20 epochs.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning

from pygru import GRUClassifier
from pygru.datasets import load_gunpoint
from pygru.notebook import plot_gates

# Few epochs on purpose (a fast build): silence the warning that training did not converge.
warnings.simplefilter("ignore", ConvergenceWarning)

X_train, y_train, X_test, y_test = load_gunpoint(return_X_y=True)
clf = GRUClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X_train, y_train)
print(f"patch size {clf.patch_size_}, test accuracy {clf.score(X_test, y_test):.3f}")

figure = plot_gates(clf, X_test[0], y_true=y_test[0])
figure.set_size_inches(9, 7)
plt.show()

# %%
# With pygru's convention :math:`h_t = (1 - z_t) n_t + z_t h_{t-1}`, a unit whose z is near 1
# keeps its state and one whose z is near 0 takes the candidate. The same values are
# available as arrays from :meth:`pygru.GRUClassifier.gate_activations`.
