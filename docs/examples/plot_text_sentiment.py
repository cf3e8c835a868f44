"""
Text sentiment with a token pipeline
====================================

:class:`~pygru.text.TokenSequencer` turns raw sentences into padded token ids and a
:class:`~pygru.GRUClassifier` with ``embedding_dim`` learns an embedding: together they
classify raw text in one scikit-learn pipeline. The data are VADER movie-review snippets. To
keep the build fast the model trains on 2000 reviews with a vocabulary of 3000 words, 16
units and 3 epochs; ``benchmarks/results/accuracy.md`` reports the full-size result.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import make_pipeline

from pygru import GRUClassifier
from pygru.datasets import load_movie_reviews
from pygru.text import TokenSequencer

# Few epochs on purpose (a fast build): silence the warning that training did not converge.
warnings.simplefilter("ignore", ConvergenceWarning)

X_train, y_train, X_test, y_test = load_movie_reviews(return_X_y=True)
X_train, y_train = X_train[:2000], y_train[:2000]

model = make_pipeline(
    TokenSequencer(max_features=3000, max_len=40),
    GRUClassifier(hidden_layer_sizes=(16,), embedding_dim=16, max_iter=3, random_state=0),
)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")
for text in ["A moving, beautifully acted film.", "Dull, predictable and far too long."]:
    print(f"{model.predict_proba([text])[0, 1]:.2f}  {text}")

# %%
# The confusion matrix on the test reviews (1 = positive).
fig, ax = plt.subplots(figsize=(4, 3.5), layout="constrained")
ConfusionMatrixDisplay.from_estimator(model, X_test, y_test, ax=ax, colorbar=False)
ax.set_title("movie reviews, test set")
plt.show()
