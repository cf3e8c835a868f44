"""
Export to ONNX and run with onnxruntime
=======================================

:func:`pygru.to_onnx` writes the whole fitted model (input standardisation, patches, GRU
layers and head) as an ONNX graph; onnxruntime then predicts without pygru. The graph takes
``"X"`` (batch, time, features) float32, zero-padded, and ``"lengths"`` int64, and computes in
float32. To keep the build fast the model has 16 units and trains for 10 epochs.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime
from sklearn.exceptions import ConvergenceWarning

from pygru import GRUClassifier, to_onnx
from pygru.datasets import load_gunpoint

# Few epochs on purpose (a fast build): silence the warning that training did not converge.
warnings.simplefilter("ignore", ConvergenceWarning)

X_train, y_train, X_test, y_test = load_gunpoint(return_X_y=True)
clf = GRUClassifier(hidden_layer_sizes=(16,), max_iter=10, random_state=0).fit(X_train, y_train)

session = onnxruntime.InferenceSession(
    to_onnx(clf).SerializeToString(), providers=["CPUExecutionProvider"]
)
X_padded = X_test.astype(np.float32)
lengths = np.full(len(X_padded), X_padded.shape[1], dtype=np.int64)
label, proba = session.run(None, {"X": X_padded, "lengths": lengths})
difference = np.abs(proba - clf.predict_proba(X_test)).max()
print(f"largest difference to predict_proba: {difference:.1e}")
print("same labels:", np.array_equal(label, clf.predict(X_test)))

# %%
# Each test series: the probability of the second class from pygru and from onnxruntime.
fig, ax = plt.subplots(figsize=(4.5, 4), layout="constrained")
ax.plot([0, 1], [0, 1], color="0.7", lw=1)
ax.scatter(clf.predict_proba(X_test)[:, 1], proba[:, 1], s=12)
ax.set(xlabel="pygru predict_proba", ylabel="onnxruntime", title="same probabilities")
plt.show()
