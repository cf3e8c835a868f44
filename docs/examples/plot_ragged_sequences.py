"""
Ragged sequences: lists of different lengths
============================================

JapaneseVowels holds utterances of 7 to 29 time steps with 12 features each. pygru takes them
as a plain list of ``(T_i, 12)`` arrays: no padding to write, and a sequence's result never
depends on what else is in its batch. To keep the build fast the network is small (16 hidden
units, 15 epochs); the defaults reach about 0.98 test accuracy.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from pygru import GRUClassifier
from pygru.datasets import load_japanese_vowels

# Few epochs on purpose (a fast build): silence the warning that training did not converge.
warnings.simplefilter("ignore", ConvergenceWarning)

X_train, y_train, X_test, y_test = load_japanese_vowels(return_X_y=True)
lengths = np.array([len(x) for x in X_train])
print(f"{len(X_train)} training sequences, lengths {lengths.min()}-{lengths.max()}")

clf = GRUClassifier(hidden_layer_sizes=(16,), max_iter=15, random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# A sequence gives the same probabilities alone as inside the whole test set, whatever the
# padding its batch needs.
alone = clf.predict_proba([X_test[0]])
in_batch = clf.predict_proba(X_test)[:1]
print("identical alone and in a batch:", np.array_equal(alone, in_batch))

# %%
# The lengths of the training sequences, and the test accuracy by length.
test_lengths = np.array([len(x) for x in X_test])
correct = clf.predict(X_test) == y_test
bins = np.arange(5, 31, 5)
which = np.digitize(test_lengths, bins)
fig, (ax_len, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
ax_len.hist(lengths, bins=np.arange(6.5, 30.5), color="C0")
ax_len.set(xlabel="time steps", ylabel="training sequences", title="ragged lengths")
centers, accuracy = [], []
for b in np.unique(which):
    centers.append(test_lengths[which == b].mean())
    accuracy.append(correct[which == b].mean())
ax_acc.plot(centers, accuracy, "o-", color="C1")
ax_acc.set(
    xlabel="time steps (bin mean)",
    ylabel="test accuracy",
    ylim=(0, 1.05),
    title="accuracy by sequence length",
)
plt.show()
