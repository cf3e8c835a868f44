"""The figures of the notebook frontend, as plain functions.

The widgets draw with these same functions into figures of their own; called directly, they
draw into a new pyplot figure (or the one passed as ``figure``) and return it.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from ._optional import pyplot_figure

__all__ = ["plot_gates", "plot_training_curves"]

# name, title, colormap, value range: r and z are sigmoids in (0, 1), n and h tanh-like in (-1, 1)
_GATE_PANELS = (
    ("r", "r: reset gate", "viridis", (0.0, 1.0)),
    ("z", "z: update gate (1 = keep h)", "viridis", (0.0, 1.0)),
    ("n", "n: candidate state", "RdBu_r", (-1.0, 1.0)),
    ("h", "h: hidden state", "RdBu_r", (-1.0, 1.0)),
)
# Up to this many input features are drawn as lines; more as a heatmap.
_MAX_INPUT_LINES = 10


def split_pipeline(estimator):
    """``(preprocess, model)``: a pipeline's steps before the GRU estimator as one transform
    function, and the GRU estimator itself (for a bare estimator, the identity and itself)."""
    if isinstance(estimator, Pipeline):
        return estimator[:-1].transform, estimator[-1]
    return (lambda X: X), estimator


def score_name(estimator):
    """What the estimator's ``score`` measures: accuracy for classifiers, R² for regressors."""
    return "accuracy" if is_classifier(split_pipeline(estimator)[1]) else "R²"


def plot_training_curves(estimator, validation_scores=None, *, figure=None):
    """Plot the training loss of each epoch and, if known, the validation score.

    Parameters
    ----------
    estimator : GRUClassifier, GRURegressor, or a Pipeline ending in one
        Fitted or not; an unfitted estimator gives empty axes.
    validation_scores : sequence of float, default=None
        One validation score per epoch, the last for the estimator's last epoch (a shorter
        sequence covers the last epochs). None uses the estimator's ``validation_scores_``
        (recorded by ``fit`` with ``early_stopping=True``) and draws only the loss when there
        are none; an empty sequence draws an empty validation axis.
    figure : matplotlib Figure, default=None
        Figure to draw into (it is cleared first); None creates a pyplot figure.

    Returns
    -------
    figure : matplotlib Figure
        Axes: the training loss, then (if any) the validation score.

    See Also
    --------
    TrainingPanel : The same curves, live while training from buttons.

    Examples
    --------
    >>> from pygru import GRUClassifier
    >>> from pygru.datasets import load_italy_power_demand
    >>> from pygru.notebook import plot_training_curves
    >>> X, y, X_test, y_test = load_italy_power_demand(return_X_y=True)
    >>> clf = GRUClassifier(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True,
    ...                     n_iter_no_change=5, random_state=0)
    >>> figure = plot_training_curves(clf.fit(X, y))
    >>> [ax.get_title() for ax in figure.axes]
    ['training loss', 'validation accuracy']
    """
    model = split_pipeline(estimator)[1]
    losses = np.asarray(getattr(model, "loss_curve_", []), dtype=float)
    if validation_scores is None:
        validation_scores = getattr(model, "validation_scores_", None)
    if figure is None:
        figure = pyplot_figure(figsize=(9, 3.2), layout="constrained")
    figure.clear()
    n_axes = 1 if validation_scores is None else 2
    axes = figure.subplots(1, n_axes, squeeze=False)[0]
    epochs = np.arange(1, len(losses) + 1)
    _draw_curve(axes[0], epochs, losses, "training loss", "C0", best=np.argmin)
    if validation_scores is not None:
        scores = np.asarray(validation_scores, dtype=float)
        score_epochs = (
            epochs[len(epochs) - len(scores) :]
            if len(scores) <= len(epochs)
            else np.arange(1, len(scores) + 1)
        )
        _draw_curve(
            axes[1], score_epochs, scores, f"validation {score_name(model)}", "C1", best=np.argmax
        )
    return figure


def _draw_curve(ax, epochs, values, title, color, best):
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    if len(values) == 0:
        ax.text(
            0.5,
            0.5,
            "no epochs yet",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="0.5",
        )
        return
    ax.plot(epochs, values, color=color, marker="." if len(values) <= 40 else None)
    best_index = best(values)
    ax.plot(
        epochs[best_index],
        values[best_index],
        "o",
        color=color,
        fillstyle="none",
        markersize=9,
        label=f"best {values[best_index]:.4g} (epoch {epochs[best_index]})",
    )
    ax.legend(loc="best", fontsize="small")


def plot_gates(
    estimator, x, *, layer=0, direction="forward", y_true=None, time_labels=None, figure=None
):
    """Plot one sequence and what a GRU layer's gates do with it, step by step.

    Five rows share the time axis: the input sequence (or its tokens) with the prediction in
    the title, then heatmaps over time of the reset gate r, the update gate z, the candidate
    state n and the hidden state h, one row of pixels per hidden unit. With pygru's convention
    ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``, z near 1 keeps a unit's state and z near 0
    replaces it with the candidate; r scales how much of the previous state enters the
    candidate.

    Parameters
    ----------
    estimator : fitted GRUClassifier, GRURegressor, or a Pipeline ending in one
        For a pipeline, ``x`` is transformed by the steps before the GRU estimator.
    x : one sequence
        An item of what the estimator accepts as X: an array (T, F) or (T,), token ids, or
        (for a pipeline) e.g. a string; trailing padding is cut off.
    layer : int, default=0
        Which GRU layer, 0 for the first.
    direction : {"forward", "backward"}, default="forward"
        Which direction of a bidirectional layer. Both are drawn in the input's time order.
    y_true : object, default=None
        The true target, shown next to the prediction.
    time_labels : sequence of str, default=None
        A label per time step (e.g. the words of a text), shown under the time axis, or for
        token input, in place of the token ids.
    figure : matplotlib Figure, default=None
        Figure to draw into (it is cleared first); None creates a pyplot figure.

    Returns
    -------
    figure : matplotlib Figure
        Axes: input, r, z, n, h, then the colorbars of the four heatmaps.

    See Also
    --------
    GateViewer : The same figure, with controls to pick the sample, layer and direction.
    pygru.GRUClassifier.gate_activations : The gate values as arrays.

    Examples
    --------
    >>> from pygru import GRUClassifier
    >>> from pygru.datasets import load_italy_power_demand
    >>> from pygru.notebook import plot_gates
    >>> X, y = load_italy_power_demand(split="train", return_X_y=True)
    >>> clf = GRUClassifier(hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(X, y)
    >>> figure = plot_gates(clf, X[0], y_true=y[0])
    >>> [ax.get_title(loc="left") for ax in figure.axes[:5]]  # doctest: +NORMALIZE_WHITESPACE
    ['input', 'r: reset gate', 'z: update gate (1 = keep h)', 'n: candidate state',
     'h: hidden state']
    """
    preprocess, model = split_pipeline(estimator)
    batch = preprocess([x])
    activations = model.gate_activations(batch)
    if not 0 <= layer < len(activations):
        raise ValueError(f"layer must be in 0..{len(activations) - 1}, got {layer!r}")
    if direction not in activations[layer]:
        raise ValueError(
            f"direction must be one of {sorted(activations[layer])}, got {direction!r}"
        )
    gates = {name: values[0] for name, values in activations[layer][direction].items()}
    length = int(np.count_nonzero(~np.isnan(gates["h"][:, 0])))
    gates = {name: values[:length] for name, values in gates.items()}
    if time_labels is not None and len(time_labels) < length:
        raise ValueError(
            f"time_labels has {len(time_labels)} labels for a sequence of {length} steps"
        )

    if figure is None:
        figure = pyplot_figure(figsize=(9, 7.5), layout="constrained")
    figure.clear()
    grid = figure.add_gridspec(5, 2, width_ratios=(40, 1), height_ratios=(1.3, 1, 1, 1, 1))
    input_ax = figure.add_subplot(grid[0, 0])
    tokens = getattr(model, "embedding_dim", None) is not None
    inputs = np.asarray(batch)[0][:length]
    if tokens:
        _draw_tokens(input_ax, inputs, time_labels)
    else:
        _draw_input(input_ax, inputs)
    prediction = _describe_prediction(model, batch, input_ax, tokens)
    truth = "" if y_true is None else f", true: {y_true}"
    figure.suptitle(f"GRU layer {layer} ({direction}): {prediction}{truth}")

    gate_axes = [
        figure.add_subplot(grid[row, 0], sharex=input_ax)
        for row in range(1, len(_GATE_PANELS) + 1)
    ]
    for ax, (name, title, cmap, (vmin, vmax)) in zip(gate_axes, _GATE_PANELS):
        units = gates[name].shape[1]
        ax.imshow(
            gates[name].T,
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            extent=(-0.5, length - 0.5, units - 0.5, -0.5),
        )
        ax.set_ylabel("unit")
        ax.set_title(title, loc="left", fontsize="medium")
        ax.tick_params(labelbottom=ax is gate_axes[-1])
    for row, ax in enumerate(gate_axes, start=1):
        figure.colorbar(ax.images[0], cax=figure.add_subplot(grid[row, 1]))
    input_ax.tick_params(labelbottom=False)
    input_ax.set_xlim(-0.5, length - 0.5)
    if time_labels is not None and not tokens:
        gate_axes[-1].set_xticks(
            np.arange(length), [str(label) for label in time_labels[:length]], rotation=90
        )
    gate_axes[-1].set_xlabel("time step")
    return figure


def _draw_input(ax, inputs):
    values = inputs.reshape(len(inputs), -1)
    ax.set_title("input", loc="left", fontsize="medium")
    if values.shape[1] <= _MAX_INPUT_LINES:
        ax.plot(np.arange(len(values)), values, linewidth=1.2)
        ax.grid(alpha=0.3)
    else:
        limit = np.nanmax(np.abs(values)) or 1.0
        ax.imshow(
            values.T,
            aspect="auto",
            interpolation="nearest",
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
            extent=(-0.5, len(values) - 0.5, values.shape[1] - 0.5, -0.5),
        )
        ax.set_ylabel("feature")


def _draw_tokens(ax, ids, labels):
    ax.set_title("input tokens", loc="left", fontsize="medium")
    labels = [str(token) for token in ids] if labels is None else labels
    for step, label in enumerate(labels[: len(ids)]):
        ax.text(
            step,
            0.5,
            "?" if label is None else label,
            rotation=90,
            ha="center",
            va="center",
            fontsize="small",
        )
    ax.set_ylim(0, 1)
    ax.set_yticks([])


def _describe_prediction(model, batch, input_ax, tokens):
    """The prediction as text; a per-step regression prediction is also drawn on the input."""
    if is_classifier(model):
        probabilities = model.predict_proba(batch)[0]
        best = int(np.argmax(probabilities))
        return f"predicted {model.classes_[best]} (p = {probabilities[best]:.2f})"
    prediction = np.asarray(model.predict(batch)[0], dtype=float)
    if model.get_params().get("output") != "sequence" or tokens:
        return f"predicted {np.array2string(prediction, precision=3)}"
    input_ax.plot(np.arange(len(prediction)), prediction, "--", color="k", label="prediction")
    input_ax.legend(loc="best", fontsize="small")
    return "prediction per step dashed"
