"""The figures of the notebook frontend, as plain functions.

Each figure has two halves: a function that computes what the figure shows (arrays and
labels, testable without drawing: :func:`training_curves_data`, :func:`gate_plot_data`), and
one that draws it. The widgets draw with these same functions into figures of their own;
called directly, they draw into a new pyplot figure (or the one passed as ``figure``) and
return it.
"""

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from .. import _sequences
from .._estimators import BaseGRU
from .._numbers import is_integer
from ..text import TokenSequencer
from ._optional import figure_to_draw_into

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
# The label of a token id that has no word (e.g. TokenSequencer's out-of-vocabulary id 1).
_UNKNOWN_TOKEN = "?"
_TOKEN_AXIS = "token"


def _unchanged(X):
    return X


def split_pipeline(estimator):
    """``(preprocess, model)``: a pipeline's steps before the GRU estimator as one transform
    function, and the GRU estimator itself (for a bare estimator, the identity and itself)."""
    model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if not isinstance(model, BaseGRU):
        raise TypeError(
            "estimator must be a GRUClassifier, a GRURegressor or a Pipeline ending in one, "
            f"got {type(model).__name__}"
        )
    if not isinstance(estimator, Pipeline) or len(estimator) == 1:
        return _unchanged, model
    return estimator[:-1].transform, model


def score_name(estimator):
    """What the estimator's ``score`` measures: accuracy for classifiers, R² for regressors."""
    return "accuracy" if is_classifier(split_pipeline(estimator)[1]) else "R²"


# ---------------------------------------------------------------- training curves
class TrainingCurves(NamedTuple):
    """What :func:`plot_training_curves` draws."""

    epochs: np.ndarray  # 1, 2, ... one per training loss
    losses: np.ndarray
    score_epochs: np.ndarray | None  # the epochs of the validation scores (None: no axis)
    scores: np.ndarray | None
    score_title: str | None
    kept_epoch: int | None  # the epoch whose weights the model holds (0: from before
    # training; None: not fitted)
    kept_label: str | None


def training_curves_data(estimator, validation_scores=None):
    """The curves of :func:`plot_training_curves` and the epoch whose weights were kept.

    Parameters
    ----------
    estimator : GRUClassifier, GRURegressor, or a Pipeline ending in one
        Fitted or not.
    validation_scores : sequence of float, default=None
        As for :func:`plot_training_curves`.

    Returns
    -------
    curves : TrainingCurves
        The epochs and losses, the validation scores and their epochs (None when there is
        no validation axis), and the kept epoch with its legend label (None when no epoch
        has run).

    Examples
    --------
    >>> from pygru import GRUClassifier
    >>> from pygru.datasets import load_italy_power_demand
    >>> X, y = load_italy_power_demand(split="train", return_X_y=True)
    >>> clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    >>> curves = training_curves_data(clf)
    >>> curves.epochs.tolist(), curves.kept_label
    ([1, 2, 3], 'weights kept: epoch 3 (the last)')
    """
    model = split_pipeline(estimator)[1]
    losses = np.asarray(getattr(model, "loss_curve_", []), dtype=float)
    epochs = np.arange(1, len(losses) + 1)
    if validation_scores is None:
        validation_scores = getattr(model, "validation_scores_", None)
    score_epochs = scores = score_title = None
    if validation_scores is not None:
        try:
            scores = np.asarray(validation_scores, dtype=float)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"validation_scores must be a sequence of numbers, one per epoch; got "
                f"{validation_scores!r} ({error})"
            ) from None
        if scores.ndim != 1:
            raise ValueError(
                "validation_scores must be a sequence of numbers, one per epoch; got an "
                f"array of shape {scores.shape}"
            )
        if len(scores) > len(epochs):
            raise ValueError(
                f"validation_scores has {len(scores)} scores, more than the {len(epochs)} "
                "epochs the estimator has run: one score per epoch, the last for its last "
                "epoch"
            )
        # the last epochs: partial_fit calls before an early-stopping fit record a loss
        # but no score
        score_epochs = epochs[len(epochs) - len(scores) :]
        score_title = f"validation {score_name(model)}"
    kept_epoch, kept_label = _kept_epoch(model)
    return TrainingCurves(
        epochs, losses, score_epochs, scores, score_title, kept_epoch, kept_label
    )


def _kept_epoch(model):
    """``(epoch, label)`` of the weights the model holds, as its ``best_epoch_`` says."""
    n_iter, epoch = getattr(model, "n_iter_", 0), getattr(model, "best_epoch_", None)
    if not n_iter or epoch is None:
        return None, None
    if epoch == 0:
        return 0, f"weights kept: from before training ({_why_the_start(model)})"
    if epoch == n_iter:
        return epoch, f"weights kept: epoch {epoch} (the last)"
    return epoch, f"weights kept: epoch {epoch} (best validation score, restored)"


def _why_the_start(model):
    """Why a fitted model holds the weights from before training (``best_epoch_`` 0)."""
    if getattr(model, "validation_scores_", None):
        return "no validation score improved"
    if getattr(model.network_, "linear_steps", 0):
        return "the GRU's correction did not pay for itself over the ridge start"
    return "training did not lower the training loss"


def plot_training_curves(estimator, validation_scores=None, *, figure=None):
    """Plot the training loss of each epoch and, if known, the validation score.

    A dashed vertical line marks the epoch whose weights the model holds: with
    ``early_stopping=True``, the epoch of the best validation score, which ``fit`` restores;
    otherwise the last epoch; at epoch 0 the weights from before training
    (``best_epoch_ == 0``: no validation score improved on them, training raised the loss,
    or a regressor's GRU correction did not pay for itself over its ridge start).

    Parameters
    ----------
    estimator : GRUClassifier, GRURegressor, or a Pipeline ending in one
        Fitted or not; an unfitted estimator gives empty axes.
    validation_scores : sequence of float, default=None
        One validation score per epoch, the last for the estimator's last epoch (a shorter
        sequence covers the last epochs; a longer one is refused with a ValueError). None
        uses the estimator's ``validation_scores_`` (recorded by ``fit`` with
        ``early_stopping=True``) and draws only the loss when there are none; an empty
        sequence draws an empty validation axis. The best of these is
        marked; the kept epoch always follows the estimator's own ``validation_scores_``.
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
    curves = training_curves_data(estimator, validation_scores)
    figure = figure_to_draw_into(figure, figsize=(9, 3.2), layout="constrained")
    n_axes = 1 if curves.scores is None else 2
    axes = figure.subplots(1, n_axes, squeeze=False)[0]
    _draw_curve(axes[0], curves.epochs, curves.losses, "training loss", "C0")
    if curves.scores is not None:
        _draw_curve(axes[1], curves.score_epochs, curves.scores, curves.score_title, "C1")
        _mark_best(axes[1], curves.score_epochs, curves.scores, "C1")
    for ax in axes:
        _mark_kept_epoch(ax, curves.kept_epoch, curves.kept_label)
    return figure


def _draw_curve(ax, epochs, values, title, color):
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


def _mark_best(ax, epochs, values, color):
    if len(values) == 0 or np.isnan(values).all():
        return
    best_index = np.nanargmax(values)
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


def _mark_kept_epoch(ax, epoch, label):
    if epoch is None:
        return
    ax.axvline(epoch, color="0.35", linestyle="--", linewidth=1, label=label)
    ax.legend(loc="best", fontsize="small")


# ---------------------------------------------------------------- gates
class GatePlotData(NamedTuple):
    """What :func:`plot_gates` draws, on the input's own time axis."""

    inputs: np.ndarray  # (T, F) the values the GRU estimator was given, or (T,) token ids
    patch_spans: np.ndarray  # (n_steps, 2): [start, stop) of the time steps each GRU step read
    gates: dict  # "r", "z", "n", "h" -> (n_steps, units)
    step_labels: list | None  # one label per time step (words), or None
    time_label: str  # what the time axis counts: "time step", or "token" for token ids
    prediction: str  # the prediction, as the title says it
    prediction_steps: np.ndarray | None  # a per-step regression prediction, (T,) or (T, k)
    patch_size: int = 1  # time steps per GRU step, the model's patch_size_ (spans cut at T)


def gate_plot_data(
    estimator, x, *, layer=0, direction="forward", time_labels=None, vocabulary=None
):
    """The input and gate values of :func:`plot_gates`, aligned on the input's time steps.

    A model with ``patch_size_ > 1`` reads ``patch_size_`` time steps per GRU step, so each
    gate value belongs to a span of time steps: ``patch_spans[k]`` is the span of GRU step
    ``k``, the last one cut at the sequence's end.

    Parameters
    ----------
    estimator : fitted GRUClassifier, GRURegressor, or a Pipeline ending in one
        For a pipeline, ``x`` is transformed by the steps before the GRU estimator.
    x : one sequence
        As for :func:`plot_gates`.
    layer : int, default=0
        Which GRU layer, 0 for the first.
    direction : {"forward", "backward"}, default="forward"
        Which direction of a bidirectional layer.
    time_labels : sequence of str, default=None
        A label per time step; see :func:`plot_gates`.
    vocabulary : mapping of str to int, default=None
        Token to id, for token models; see :func:`plot_gates`.

    Returns
    -------
    data : GatePlotData
        ``inputs``: the sequence the GRU estimator was given (after the pipeline's steps,
        before its own standardisation and patching), padding cut; ``patch_spans``;
        ``gates``: each gate's values per GRU step; ``step_labels``: the label of each time
        step or None; ``time_label``: the name of the time axis; ``prediction``: the
        prediction as text; ``prediction_steps``: the prediction per time step of a
        regressor with ``output="sequence"``, else None; ``patch_size``: the time steps
        each GRU step reads (the model's ``patch_size_``; a span is shorter only where the
        sequence ends).

    Examples
    --------
    >>> import numpy as np
    >>> from pygru import GRUClassifier
    >>> X = np.random.default_rng(0).normal(size=(6, 70))  # longer than 64: patches of 3
    >>> clf = GRUClassifier(hidden_layer_sizes=(2,), max_iter=1, random_state=0)
    >>> data = gate_plot_data(clf.fit(X, [0, 1] * 3), X[0])
    >>> data.inputs.shape, data.patch_spans[-2:].tolist(), data.gates["z"].shape
    ((70, 1), [[66, 69], [69, 70]], (24, 2))
    """
    if isinstance(x, (list, tuple)) and x and all(isinstance(item, str) for item in x):
        raise TypeError(
            f"x must be one sequence (for a text pipeline, one string), got a "
            f"{type(x).__name__} of {len(x)} strings"
        )
    preprocess, model = split_pipeline(estimator)
    _check_one_sequence(x, model if preprocess is _unchanged else None)
    batch = preprocess([x])
    activations = model.gate_activations(batch)
    if not is_integer(layer):
        raise TypeError(f"layer must be an int, got {layer!r}")
    if not 0 <= layer < len(activations):
        raise ValueError(f"layer must be in 0..{len(activations) - 1}, got {layer!r}")
    if not isinstance(direction, str) or direction not in activations[layer]:
        raise ValueError(
            f"direction must be one of {sorted(activations[layer])}, got {direction!r}"
        )
    tokens = getattr(model, "embedding_dim", None) is not None
    if vocabulary is not None:
        _check_vocabulary(vocabulary, tokens)
    inputs = _model_input(batch, tokens)
    patch_size = getattr(model, "patch_size_", 1)
    spans = patch_spans(len(inputs), patch_size)
    gates = {
        name: values[0, : len(spans)] for name, values in activations[layer][direction].items()
    }
    prediction, prediction_steps = _prediction(model, batch, tokens)
    return GatePlotData(
        inputs,
        spans,
        gates,
        _step_labels(estimator, inputs, tokens, time_labels, vocabulary),
        _TOKEN_AXIS if tokens else "time step",
        prediction,
        prediction_steps,
        patch_size,
    )


def _check_one_sequence(x, model):
    """Refuse a batch where one sequence is due: a 3-D array, items of different lengths
    (NumPy cannot stack them) or, for a ``model`` that reads x as it is (not behind a
    pipeline's steps) and one feature, a 2-D array of several columns."""
    try:
        ndim = np.ndim(x)
    except ValueError:  # items of different shapes
        ndim = None
    if ndim is None or ndim == 3:
        given = (
            f"a {type(x).__name__} of {len(x)} items of different shapes"
            if ndim is None
            else f"an array of shape {np.shape(x)}"
        )
        raise ValueError(
            "x must be one sequence, (n_timesteps, n_features) or (n_timesteps,); got "
            f"{given}, a batch: pass one of its sequences, e.g. X[0]"
        )
    univariate = model is not None and getattr(model, "n_features_in_", None) == 1
    if univariate and ndim == 2 and np.shape(x)[1] != 1:
        raise ValueError(
            f"x must be one sequence of the model's 1 feature, (n_timesteps,) or "
            f"(n_timesteps, 1); got shape {np.shape(x)}, read as time steps (rows) of "
            f"{np.shape(x)[1]} features. If x is a batch of series (the rows of a 2-D X), "
            "pass one of them, e.g. X[0]"
        )


def patch_spans(n_timesteps, patch_size):
    """``[start, stop)`` of the time steps each GRU step reads: runs of ``patch_size`` steps,
    the last cut at ``n_timesteps``.

    Parameters
    ----------
    n_timesteps : int
        Length of the sequence.
    patch_size : int
        Time steps per GRU step.

    Returns
    -------
    spans : ndarray of shape (ceil(n_timesteps / patch_size), 2)
        One row per GRU step.

    Examples
    --------
    >>> patch_spans(7, 3).tolist()
    [[0, 3], [3, 6], [6, 7]]
    """
    starts = np.arange(0, n_timesteps, patch_size)
    return np.column_stack([starts, np.minimum(starts + patch_size, n_timesteps)])


def _model_input(batch, tokens):
    """The one sequence of ``batch`` as the GRU estimator reads it, before its own
    standardisation and patching: numbers (in float64, the user's values) or token ids,
    padding cut."""
    if tokens:
        ids, lengths = _sequences.to_padded_tokens(batch)
        return ids[0, : lengths[0]]
    padded, lengths = _sequences.to_padded(batch, dtype=np.float64)
    return padded[0, : lengths[0]]


def _step_labels(estimator, inputs, tokens, time_labels, vocabulary):
    """The label of each time step: ``time_labels``, else for tokens their words (or ids),
    else None."""
    if time_labels is not None:
        if isinstance(time_labels, str) or not hasattr(time_labels, "__len__"):
            raise TypeError(
                "time_labels must be a sequence with a label per time step, got "
                f"{type(time_labels).__name__}"
            )
        if tokens and len(time_labels) != len(inputs):
            # Which of them the model reads, the labels cannot tell: a TokenSequencer keeps
            # max_len tokens (the last ones with truncating="pre"), split by its own pattern.
            raise ValueError(
                f"time_labels has {len(time_labels)} labels for the {len(inputs)} tokens the "
                "model reads: leave time_labels out, and each step is labelled by its word"
            )
        if len(time_labels) < len(inputs):
            raise ValueError(
                f"time_labels has {len(time_labels)} labels for a sequence of {len(inputs)} steps"
            )
        labels = time_labels[: len(inputs)]  # a label for each step up to the padding
        return [_UNKNOWN_TOKEN if label is None else str(label) for label in labels]
    if tokens:
        return _token_labels(inputs, _vocabulary(estimator, vocabulary))
    return None


def _check_vocabulary(vocabulary, tokens):
    if not isinstance(vocabulary, Mapping):
        raise TypeError(
            "vocabulary must be a mapping of tokens to ids (e.g. a TokenSequencer's "
            f"vocabulary_), got {type(vocabulary).__name__}"
        )
    if not tokens:
        raise ValueError(
            "vocabulary names the tokens of a model with embedding_dim, but this model "
            "reads numbers (embedding_dim=None)"
        )


def _vocabulary(estimator, vocabulary):
    """The token-to-id mapping given, or else that of the pipeline's last TokenSequencer
    (None when there is neither)."""
    if vocabulary is not None:
        return vocabulary
    if isinstance(estimator, Pipeline):
        # (within nested pipelines too: one there was missed, and the plot labelled the ids
        # instead of the words; review39)
        for step in reversed(list(flat_steps(estimator.steps[:-1]))):
            if isinstance(step, TokenSequencer):
                return step.vocabulary_
    return None


def flat_steps(steps):
    """The steps of a pipeline's ``(name, step)`` pairs, in order, each nested pipeline's
    own steps in its place."""
    for _, step in steps:
        if isinstance(step, Pipeline):
            yield from flat_steps(step.steps)
        else:
            yield step


def _token_labels(ids, vocabulary):
    """Each id's word, "?" for an id the vocabulary lacks; the ids themselves without one."""
    if vocabulary is None:
        return [str(token_id) for token_id in ids.tolist()]
    words = {int(token_id): str(word) for word, token_id in vocabulary.items()}
    return [words.get(token_id, _UNKNOWN_TOKEN) for token_id in ids.tolist()]


def plot_gates(
    estimator,
    x,
    *,
    layer=0,
    direction="forward",
    y_true=None,
    time_labels=None,
    vocabulary=None,
    figure=None,
):
    """Plot one sequence and what a GRU layer's gates do with it, step by step.

    Five rows share the input's time axis: the input sequence (the values given, or its
    tokens) with the prediction in the title, then heatmaps over time of the reset gate r,
    the update gate z, the candidate state n and the hidden state h, one row of pixels per
    hidden unit. With pygru's convention ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``, z near 1
    keeps a unit's state and z near 0 replaces it with the candidate; r scales how much of the
    previous state enters the candidate.

    A model with ``patch_size_ > 1`` (the default for series longer than 64 steps) reads a
    patch of ``patch_size_`` time steps per GRU step: the patches are shaded alternately on
    the input, and each gate value spans its patch's time steps.

    Parameters
    ----------
    estimator : fitted GRUClassifier, GRURegressor, or a Pipeline ending in one
        For a pipeline, ``x`` is transformed by the steps before the GRU estimator, and the
        input drawn is what they give the estimator.
    x : one sequence
        An item of what the estimator accepts as X: an array (T, F) or (T,), token ids, or
        (for a pipeline) e.g. a string; trailing padding is cut off.
    layer : int, default=0
        Which GRU layer, 0 for the first.
    direction : {"forward", "backward"}, default="forward"
        Which direction of a bidirectional layer. Both are drawn in the input's time order.
    y_true : object, default=None
        The true target, shown next to the prediction; for a model of
        ``output="sequence"``, one per time step of the sequence (at least as many; padding
        past its end is left out).
    time_labels : sequence of str, default=None
        A label per time step (e.g. the dates of a series), shown under the time axis (at
        least one per step: labels past a sequence's last step, its padding's, are not
        drawn), or for token input one per token the model reads, exactly, in place of the
        tokens; a None label is drawn as "?".
    vocabulary : mapping of str to int, default=None
        For a model with ``embedding_dim``: the token of each id (e.g. a
        ``TokenSequencer``'s ``vocabulary_``), to show the tokens as words. None uses the
        vocabulary of a ``TokenSequencer`` in the pipeline, or shows the ids. An id without a
        word (out of vocabulary) is drawn as "?".
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
    data = gate_plot_data(
        estimator,
        x,
        layer=layer,
        direction=direction,
        time_labels=time_labels,
        vocabulary=vocabulary,
    )
    n_timesteps = len(data.inputs)
    # A model of one output per step is given a label per step (padding past the sequence
    # cut); one of several targets per sequence, all of them.
    per_step = split_pipeline(estimator)[1].output == "sequence"
    per_step_truth = per_step and y_true is not None and np.ndim(y_true) > 0
    if per_step_truth and len(y_true) < n_timesteps:  # (drawn misaligned: audit40h)
        raise ValueError(
            f"y_true has {len(y_true)} time steps but the sequence has {n_timesteps}: a "
            "model of output='sequence' is shown the sequence's targets, one per step "
            "(padding past its end is left out)"
        )
    truth_steps = None
    if per_step_truth and data.prediction_steps is not None:  # (before a figure is made)
        truth_steps = _numbers_per_step(y_true, n_timesteps)
    figure = figure_to_draw_into(figure, figsize=(9, 7.5), layout="constrained")
    grid = figure.add_gridspec(5, 2, width_ratios=(40, 1), height_ratios=(1.3, 1, 1, 1, 1))
    input_ax = figure.add_subplot(grid[0, 0])
    tokens = data.time_label == _TOKEN_AXIS
    if tokens:
        _draw_tokens(input_ax, data.step_labels)
    else:
        _draw_input(input_ax, data.inputs, data.patch_spans, data.patch_size)
    if data.prediction_steps is not None:
        steps = np.arange(n_timesteps)
        input_ax.plot(steps, data.prediction_steps, "--", color="k", label="prediction")
        if truth_steps is not None:
            input_ax.plot(steps, truth_steps, color="0.4", label="true")
        input_ax.legend(loc="best", fontsize="small")
    if per_step_truth:
        y_true = np.asarray(y_true)[:n_timesteps]  # labels past the sequence are padding
    figure.suptitle(f"GRU layer {layer} ({direction}): {data.prediction}{_truth_text(y_true)}")

    gate_axes = [
        figure.add_subplot(grid[row, 0], sharex=input_ax)
        for row in range(1, len(_GATE_PANELS) + 1)
    ]
    # Each GRU step's value covers its patch; the last patch is cut by the axis limit.
    right = len(data.patch_spans) * data.patch_size
    for ax, (name, title, cmap, (vmin, vmax)) in zip(gate_axes, _GATE_PANELS):
        units = data.gates[name].shape[1]
        ax.imshow(
            data.gates[name].T,
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            extent=(-0.5, right - 0.5, units - 0.5, -0.5),
        )
        ax.set_ylabel("unit")
        ax.set_title(title, loc="left", fontsize="medium")
        ax.tick_params(labelbottom=ax is gate_axes[-1])
    for row, ax in enumerate(gate_axes, start=1):
        figure.colorbar(ax.images[0], cax=figure.add_subplot(grid[row, 1]))
    input_ax.tick_params(labelbottom=False)
    input_ax.set_xlim(-0.5, n_timesteps - 0.5)
    if data.step_labels is not None and not tokens:
        gate_axes[-1].set_xticks(np.arange(n_timesteps), data.step_labels, rotation=90)
    gate_axes[-1].set_xlabel(data.time_label)
    return figure


def _draw_input(ax, inputs, spans, patch_size):
    values = inputs.reshape(len(inputs), -1)
    steps = np.arange(len(values))
    if patch_size == 1:
        ax.set_title("input", loc="left", fontsize="medium")
    else:
        patches = "the 1 patch" if len(spans) == 1 else f"the {len(spans)} patches"
        ax.set_title(
            f"input; shading: {patches} of {patch_size} time steps, one GRU step each",
            loc="left",
            fontsize="medium",
        )
    if values.shape[1] <= _MAX_INPUT_LINES:
        ax.plot(steps, values, linewidth=1.2)
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
    if patch_size > 1:
        for start, stop in spans[1::2]:
            ax.axvspan(start - 0.5, stop - 0.5, color="0.85", alpha=0.6, zorder=0, linewidth=0)


def _draw_tokens(ax, labels):
    ax.set_title("input tokens", loc="left", fontsize="medium")
    for step, label in enumerate(labels):
        ax.text(step, 0.5, label, rotation=90, ha="center", va="center", fontsize="small")
    ax.set_ylim(0, 1)
    ax.set_yticks([])


_STEP_LABELS_SHOWN = 12  # a sequence classifier's labels in the title, at most


def _numbers_per_step(y_true, n_timesteps):
    """A per-step regressor's true targets as numbers, up to the sequence's last step."""
    try:
        return np.asarray(y_true, dtype=float)[:n_timesteps]
    except (TypeError, ValueError):
        raise ValueError(
            "y_true must be the sequence's targets, a number per time step, for a "
            f"regressor with output='sequence'; got {str(y_true)[:80]}"
        ) from None


def _truth_text(y_true):
    """The true target for the title: a value as it is; per-step targets as the first
    ``_STEP_LABELS_SHOWN`` values (a regressor's are also drawn beside its prediction)."""
    if y_true is None:
        return ""
    if np.ndim(y_true) == 0:
        return f", true: {y_true}"
    values = [
        f"{value:.3g}" if isinstance(value, float) else str(value)
        for value in np.asarray(y_true).ravel().tolist()
    ]
    return f", true: {_first_steps(values)}"


def _first_steps(labels):
    """Per-step labels (strings) for a title: the first ``_STEP_LABELS_SHOWN``, then "…"."""
    shown = " ".join(labels[:_STEP_LABELS_SHOWN])
    return f"{shown}{' …' * (len(labels) > _STEP_LABELS_SHOWN)}"


def _prediction(model, batch, tokens):
    """The prediction as text, and a regressor's prediction per time step (else None)."""
    if is_classifier(model) and model.get_params().get("output") == "sequence":
        labels = [str(label) for label in np.asarray(model.predict(batch)[0])]
        return f"predicted per step: {_first_steps(labels)}", None
    if is_classifier(model):
        probabilities = model.predict_proba(batch)[0]
        best = int(np.argmax(probabilities))
        return f"predicted {model.classes_[best]} (p = {probabilities[best]:.2f})", None
    prediction = np.asarray(model.predict(batch)[0], dtype=float)
    if model.get_params().get("output") != "sequence" or tokens:
        return f"predicted {np.array2string(prediction, precision=3)}", None
    return "prediction per step dashed", prediction
