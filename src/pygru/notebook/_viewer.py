"""GateViewer: browse what a fitted GRU's gates do, sample by sample."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._numbers import is_integer
from ..preprocessing import _SequenceTransformer
from ._optional import check_display, close_widgets, detached_figure, ipywidgets, png_bytes, show
from ._plots import flat_steps, plot_gates, split_pipeline
from ._state import error_html

__all__ = ["GateViewer"]


class GateViewer:
    """Pick a sample, a layer and a direction; see the gates r, z, n and h over time.

    The figure is the one :func:`plot_gates` draws: the input sequence with the prediction
    (and the true target, when ``y`` is given) above heatmaps of the reset gate, the update
    gate, the candidate and the hidden state of every unit, on the input's time steps. For a
    model that reads patches of time steps (``patch_size_ > 1``) the patches are shaded on
    the input and each gate value spans its patch; a text model's tokens are shown as words.

    Parameters
    ----------
    estimator : fitted GRUClassifier, GRURegressor, or a Pipeline ending in one
        The model whose gates are shown; for a pipeline, each sample is transformed by
        the steps before the GRU estimator.
    X : sequence of samples
        Anything indexable whose items :func:`plot_gates` accepts (an array of sequences, a
        list of arrays, a list of texts for a text pipeline).
    y : array-like, default=None
        True targets, shown next to the prediction.
    time_labels : sequence of sequences of str, default=None
        A label per time step for each sample (e.g. its words), see :func:`plot_gates`.
    vocabulary : mapping of str to int, default=None
        The token of each id, for a model with ``embedding_dim``; None uses the vocabulary
        of a ``TokenSequencer`` in the pipeline, see :func:`plot_gates`.
    display : bool, default=True
        Show the viewer in the notebook now; with False, ``viewer.widget`` can be shown later.

    Attributes
    ----------
    figure : matplotlib Figure
        The figure of the current selection (not tracked by pyplot).
    widget : ipywidgets.VBox
        The viewer itself.
    error : Exception or None
        Why the last drawing failed (also shown in the viewer).
    sample, layer, direction : int, int, str
        The current selection (read-only; change it with :meth:`select`).

    See Also
    --------
    plot_gates : The viewer's figure for one sample, without widgets.
    pygru.GRUClassifier.gate_activations : The gate values as arrays.

    Examples
    --------
    >>> from pygru import GRUClassifier
    >>> from pygru.datasets import load_italy_power_demand
    >>> from pygru.notebook import GateViewer
    >>> X, y, X_test, y_test = load_italy_power_demand(return_X_y=True)
    >>> clf = GRUClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    >>> viewer = GateViewer(clf, X_test, y_test, display=False)
    >>> viewer.select(sample=3).sample
    3
    """

    def __init__(self, estimator, X, y=None, *, time_labels=None, vocabulary=None, display=True):
        check_display(display)
        model = split_pipeline(estimator)[1]
        check_is_fitted(model)
        if not hasattr(X, "__len__") or isinstance(X, str):
            raise TypeError(
                f"X must be the sequences to view, in any form the estimator reads, got "
                f"{type(X).__name__}"
            )
        if len(X) == 0:
            raise ValueError("X must hold at least one sequence to view, got none")
        for given, name, what in [(y, "y", "targets"), (time_labels, "time_labels", "labels")]:
            if given is None:
                continue
            if not hasattr(given, "__len__") or isinstance(given, str):
                raise TypeError(
                    f"{name} must hold the {what} of each sample of X, got {type(given).__name__}"
                )
            if len(given) != len(X):
                raise ValueError(f"X has {len(X)} samples but {name} has {len(given)}")
        if _reads_x_as_the_model_does(estimator):
            _refuse_one_sequence(model, X)
        self.estimator, self.X, self.y, self.time_labels = estimator, X, y, time_labels
        self.vocabulary = vocabulary
        params = model.get_params()
        n_layers = np.atleast_1d(params["hidden_layer_sizes"]).size
        directions = ["forward", "backward"] if params["bidirectional"] else ["forward"]
        self.error = None
        self.figure = detached_figure(figsize=(9, 7.5), dpi=80, layout="constrained")

        widgets = ipywidgets()
        self._sample = widgets.IntSlider(
            value=0, min=0, max=len(X) - 1, description="sample", continuous_update=False
        )
        self._layer = widgets.Dropdown(options=list(range(n_layers)), value=0, description="layer")
        self._direction = widgets.Dropdown(
            options=directions, value="forward", description="direction"
        )
        self._image = widgets.Image(format="png")
        self._error = widgets.HTML()
        self._selecting = False
        for control in (self._sample, self._layer, self._direction):
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self._sample, self._layer, self._direction]),
                self._error,
                self._image,
            ]
        ).add_class("pygru-gate-viewer")
        self._draw()
        if display:
            show(self.widget)

    def __repr__(self):
        return f"<GateViewer: sample {self.sample}, layer {self.layer}, {self.direction}>"

    @property
    def sample(self):
        """int: index in ``X`` of the sample shown."""
        return self._sample.value

    @property
    def layer(self):
        """int: the GRU layer shown, 0 for the first."""
        return self._layer.value

    @property
    def direction(self):
        """str: the direction shown, "forward" or "backward"."""
        return self._direction.value

    def close(self):
        """Close the viewer's widgets (it cannot be shown or used afterwards): ipywidgets
        keeps every widget, and through its callbacks the viewer, its estimator and its
        data, until it is closed.

        Returns
        -------
        None
        """
        close_widgets(self.widget)

    def select(self, sample=None, layer=None, direction=None):
        """Show another sample, layer or direction (as the controls do), with one redraw.

        Parameters
        ----------
        sample : int, default=None
            Index of the sample in ``X``; None keeps the current one.
        layer : int, default=None
            GRU layer, 0 for the first; None keeps the current one.
        direction : {"forward", "backward"}, default=None
            Direction of a bidirectional layer ("backward" only for one); None keeps the
            current one.

        Returns
        -------
        self : GateViewer
            The viewer.
        """
        if sample is not None and not is_integer(sample):
            raise TypeError(f"sample must be an int, got {sample!r}")
        if sample is not None and not 0 <= sample <= self._sample.max:
            raise ValueError(f"sample must be in 0..{self._sample.max}, got {sample}")
        if layer is not None and not is_integer(layer):  # True and 1.0 equal 1
            raise TypeError(f"layer must be an int, got {layer!r}")
        if layer is not None and layer not in self._layer.options:
            raise ValueError(f"layer must be one of {list(self._layer.options)}, got {layer!r}")
        if direction is not None and (
            not isinstance(direction, str) or direction not in self._direction.options
        ):
            raise ValueError(
                f"direction must be one of {list(self._direction.options)}, got {direction!r}"
            )
        self._selecting = True  # one redraw for the whole selection, not one per control
        try:
            for control, value in (
                (self._sample, sample),
                (self._layer, layer),
                (self._direction, direction),
            ):
                if value is not None:
                    control.value = value
        finally:
            self._selecting = False
        self._draw()
        return self

    def _on_change(self, change):
        if not self._selecting:
            self._draw()

    def _draw(self):
        sample = self.sample
        try:
            plot_gates(
                self.estimator,
                _item(self.X, sample),
                layer=self.layer,
                direction=self.direction,
                y_true=None if self.y is None else _item(self.y, sample),
                time_labels=None if self.time_labels is None else _item(self.time_labels, sample),
                vocabulary=self.vocabulary,
                figure=self.figure,
            )
            self._image.value = png_bytes(self.figure)
            self.error = None
            self._error.value = ""
        except Exception as error:  # shown in the viewer: an observer's error is otherwise lost
            self.error = error
            # The error was raised on a batch of this one sample, which it calls sequence 0.
            self._error.value = error_html(error, about=f"sample {sample}: ")


def _item(values, position):
    """The item of ``values`` at ``position``, as predict counts rows: by position for pandas
    objects, whose ``[]`` reads labels (a DataFrame's gave column ``position``, a split
    Series' a KeyError)."""
    return values.iloc[position] if hasattr(values, "iloc") else values[position]


def _reads_x_as_the_model_does(estimator):
    """Whether X reaches the GRU estimator in its own layout: a bare one, or a pipeline
    whose earlier steps are pygru's sequence transformers (a one-sequence X given to a
    scaler's pipeline was read as T sequences of F steps, with the advice to transpose;
    audit38d). Other steps may read X otherwise (documents, flattened columns)."""
    if not isinstance(estimator, Pipeline):
        return True
    return all(
        step is None or step == "passthrough" or isinstance(step, _SequenceTransformer)
        for step in flat_steps(estimator.steps[:-1])  # (nested pipelines' steps too)
    )


def _refuse_one_sequence(model, X):
    """Refuse a 2-D array given to a model of several features per step: (n, T) is read as
    univariate sequences, so one (T, F) sequence became T sequences of F steps, and each
    sample's error advised a transpose."""
    shape = getattr(X, "shape", ())
    if len(shape) == 2 and getattr(model, "n_features_in_", 1) > 1:
        raise ValueError(
            f"X has shape {shape}, but the model reads {model.n_features_in_} features per "
            f"time step: if it is one sequence of {shape[0]} time steps, pass a batch of "
            "one, X[np.newaxis] (or [X])"
        )
