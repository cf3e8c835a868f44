"""
Training curves and early stopping
==================================

With ``early_stopping=True`` a part of the training data validates after every epoch;
``fit`` stops when the score has not improved for ``n_iter_no_change`` epochs (the default,
``"auto"``, counts optimizer updates instead) and restores the best epoch's weights.
:func:`pygru.notebook.plot_training_curves` draws the loss, the validation score and that
epoch. To keep the build fast the model has 16 units and at most 60 epochs, with a shorter
patience (``n_iter_no_change=25`` epochs, about 100 optimizer updates) than the default.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning

from pygru import GRUClassifier
from pygru.datasets import load_italy_power_demand
from pygru.notebook import plot_training_curves

# Few epochs on purpose (a fast build): silence the warning that training did not converge.
warnings.simplefilter("ignore", ConvergenceWarning)

X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
clf = GRUClassifier(
    hidden_layer_sizes=(16,),
    max_iter=60,
    early_stopping=True,
    n_iter_no_change=25,
    random_state=0,
)
clf.fit(X_train, y_train)
print(
    f"{clf.n_iter_} epochs, best validation score {max(clf.validation_scores_):.3f}, "
    f"test accuracy {clf.score(X_test, y_test):.3f}"
)

figure = plot_training_curves(clf)
figure.set_size_inches(7, 3.5)
plt.show()
