"""TrainingPanel: train a GRU estimator epoch by epoch from buttons, with live curves."""

import contextlib
import html
import math
import threading
import time

import numpy as np
from sklearn.base import clone, is_classifier
from threadpoolctl import threadpool_limits

from pygru import _cpu, _sequences
from pygru._cuda import device_module
from pygru._estimators import (
    BaseGRU,
    _check_labels,
    _labels_keeping_nuls,
    _refuse_a_single_class,
    _sequence_labels,
)
from pygru._numbers import is_integer, is_real

from . import _state
from ._optional import check_display, close_widgets, detached_figure, ipywidgets, png_bytes, show
from ._plots import plot_training_curves, score_name

__all__ = ["TrainingDiverged", "TrainingPanel"]

# The text widgets change at most this often (seconds), so that fast epochs do not flood the
# notebook with messages; the figure has its own, longer interval.
_TEXT_INTERVAL = 0.1
_SOLVERS = ("adam", "sgd", "rmsprop")
_BATCH_SIZES = (8, 16, 32, 64, 128, 256)


class TrainingDiverged(RuntimeError):
    """An epoch's loss became NaN or infinite (the estimator kept the previous weights)."""


class TrainingPanel:
    """Train a GRU estimator in a notebook with Start / Pause / Resume / Reset buttons.

    Training runs in a background thread, one ``partial_fit`` epoch at a time, so the
    notebook stays usable while it runs. The panel shows the training loss and the
    validation score (``estimator.score`` on ``X_val, y_val``) as live matplotlib curves, an
    epoch progress bar and a summary (epoch, loss, best score, time per epoch). Pause stops
    after the current epoch; Resume continues with the same weights and optimizer state.
    The learning rate, hidden size, solver, batch size and dropout controls apply on Reset,
    which replaces the estimator by an unfitted ``clone`` with those settings. An error
    during training (an exception, or a loss that becomes NaN or infinite) stops it and is
    shown in the panel. A loss that grows but stays finite does not stop it (each epoch is
    a ``partial_fit``, which keeps its weights, unlike ``fit``'s guard against a rising
    loss): the curves show it; Pause, or Reset with a smaller learning rate.
    Pause (and :meth:`wait`) before saving or pickling the estimator: during an epoch its
    weights are part-way through it, while ``n_iter_`` counts the epochs completed.

    The buttons are also methods, :meth:`start`, :meth:`pause`, :meth:`resume` and
    :meth:`reset`, and :meth:`wait` blocks until training stops, so the panel can be driven
    from code (or tests) as well.

    Parameters
    ----------
    estimator : GRUClassifier or GRURegressor
        The estimator to train; it is trained in place until the first Reset. A fitted
        estimator continues from its current state.
    X : array-like or list of arrays
        Training sequences, as ``estimator.partial_fit`` takes them.
    y : array-like
        Training targets, as ``estimator.partial_fit`` takes them. For an unfitted
        classifier (and after Reset), the labels in ``y`` are all the classes (passed to
        ``partial_fit`` as ``classes``); a fitted one keeps its own, and a label of ``y``
        among none of them is refused here (a ValueError).
    X_val : array-like or list of arrays, default=None
        Validation sequences, scored with ``estimator.score`` after every epoch (accuracy
        for a classifier, R² for a regressor). Pass both ``X_val`` and ``y_val``, or
        neither.
    y_val : array-like, default=None
        Validation targets.
    max_epochs : int, default=None
        Train until the estimator has run this many epochs (its ``n_iter_``); None uses its
        ``max_iter``. A fitted estimator counts the epochs it has run already: one fitted
        to its ``max_iter`` trains no further unless this is larger (audit40f).
    redraw_interval : float, default=0.5
        Minimum number of seconds between two redraws of the curves while training.
    display : bool, default=True
        Show the panel in the notebook now. With False, nothing is shown (headless use and
        tests); ``panel.widget`` can be displayed later.

    Attributes
    ----------
    estimator : estimator
        The estimator being trained (a new object after each Reset).
    phase : str
        "ready", "running", "pausing", "paused", "finished" or "failed".
    history : list of dict
        One record per epoch trained in this panel since the last Reset (less, at Start
        and Resume, those of epochs the estimator no longer holds: it was fitted again
        from the notebook meanwhile): epoch, loss,
        validation_score (None without validation data; NaN for an epoch whose
        validation data could not be scored, the error saying why), learning_rate and
        duration (the
        epoch's training time in seconds), as the estimator's ``callbacks`` receive them.
    error : Exception or None
        What stopped the training, when ``phase`` is "failed".
    figure : matplotlib Figure
        The curves (redrawn while training; not tracked by pyplot).
    widget : ipywidgets.VBox
        The panel itself.
    buttons : dict of str to ipywidgets.Button
        "start", "pause", "resume" and "reset".
    controls : dict of str to ipywidgets widget
        "learning_rate", "hidden_size", "solver", "batch_size" and "dropout".

    See Also
    --------
    plot_training_curves : The panel's figure, without widgets.
    GateViewer : Inspect the gates of the trained model.

    Examples
    --------
    >>> from pygru import GRUClassifier
    >>> from pygru.datasets import load_italy_power_demand
    >>> from pygru.notebook import TrainingPanel
    >>> X, y, X_test, y_test = load_italy_power_demand(return_X_y=True)
    >>> clf = GRUClassifier(hidden_layer_sizes=(8,), random_state=0)
    >>> panel = TrainingPanel(clf, X, y, X_test, y_test, max_epochs=3, display=False)
    >>> panel.start().wait()
    'finished'
    >>> [record["epoch"] for record in panel.history]
    [1, 2, 3]
    """

    def __init__(
        self,
        estimator,
        X,
        y,
        X_val=None,
        y_val=None,
        *,
        max_epochs=None,
        redraw_interval=0.5,
        display=True,
    ):
        check_display(display)
        if not isinstance(estimator, BaseGRU):
            raise TypeError(
                "TrainingPanel trains a GRUClassifier or GRURegressor (its controls are their "
                f"parameters); got {type(estimator).__name__}"
            )
        # The controls read the parameters: a bad one gets the estimator's own message.
        estimator._validate_params()
        estimator._check_settings()
        estimator._check_epsilon()
        if not (is_real(redraw_interval) and redraw_interval >= 0):
            raise ValueError(
                f"redraw_interval must be a number of seconds, at least 0, got {redraw_interval!r}"
            )
        if (X_val is None) != (y_val is None):
            raise ValueError("pass both X_val and y_val, or neither")
        # Refused here rather than by the first epoch after Start, whose error only the
        # panel's error box (or panel.error) showed: wait() just returned 'failed'.
        device_module(estimator.device)
        _check_one_target_a_sequence(X, y, "X", "y")
        if X_val is not None:
            _check_one_target_a_sequence(X_val, y_val, "X_val", "y_val")
        self.estimator = estimator
        self.X, self.y, self.X_val, self.y_val = X, y, X_val, y_val
        self.max_epochs = estimator.get_params()["max_iter"] if max_epochs is None else max_epochs
        if not is_integer(self.max_epochs):
            raise TypeError(f"max_epochs must be an int, got {max_epochs!r}")
        if self.max_epochs < 1:
            raise ValueError(f"max_epochs must be at least 1, got {max_epochs}")
        self.redraw_interval = redraw_interval
        # partial_fit needs all labels on its first call; a classifier sees them all here.
        self._classes = _all_classes(estimator, X, y) if is_classifier(estimator) else None
        _refuse_classes_it_cannot_train(estimator, self._classes)
        self.phase = _state.READY
        self._closed = False
        self.history = []
        self.error = None
        self._worker = None
        self._pause_requested = threading.Event()
        self._phase_lock = threading.Lock()
        self._ui_lock = threading.RLock()
        self._last_text = self._last_figure = -math.inf
        self.figure = detached_figure(figsize=(8, 3), dpi=80, layout="constrained")
        self._build_widgets()
        self._refresh(force=True)
        if display:
            show(self.widget)

    def __repr__(self):
        return (
            f"<TrainingPanel: {self.phase}, epoch {self.epoch}/{self.max_epochs}, "
            f"{type(self.estimator).__name__}>"
        )

    # ------------------------------------------------------------------ state
    @property
    def epoch(self):
        """Epochs the estimator has run (its ``n_iter_``; 0 before the first)."""
        return getattr(self.estimator, "n_iter_", 0)

    @property
    def summary(self):
        """The summary line the panel shows."""
        estimator, losses, held = self._reading()
        return _state.format_summary(held, self.max_epochs, score_name(estimator), losses)

    @property
    def validation_scores(self):
        """The validation score of each epoch in ``history`` that the estimator still holds
        (None without validation data)."""
        if self.X_val is None:
            return None
        return [record["validation_score"] for record in self._reading()[2]]

    def _transition(self, event):
        if self._closed and event in ("start", "resume", "reset"):
            # resume() after close() trained on with nothing shown and nothing to stop it
            raise ValueError(
                f"the panel is closed, so it cannot {event}: make a new TrainingPanel to "
                "train the estimator further"
            )
        with self._phase_lock:
            self.phase = _state.next_phase(self.phase, event)

    @contextlib.contextmanager
    def _phase_change(self, event):
        """Change the phase for ``event``, and back where the block raises: a thread that
        could not start left the panel "running" with no thread behind it, and a clone
        that failed left it "ready" beside the old estimator (audit40k)."""
        before, worker = self.phase, self._worker
        self._transition(event)
        try:
            yield
        except BaseException:
            # Unless this call started a thread that runs (Ctrl-C while Thread.start waited
            # for it); the last one may still be drawing its final figure (review40d).
            if self._worker is worker or not self._worker.is_alive():
                with self._phase_lock:
                    self.phase = before
            raise

    # ------------------------------------------------------------------ buttons
    def start(self):
        """Start training in the background (the Start button).

        Returns
        -------
        self : TrainingPanel
            The panel, to chain ``wait()``.
        """
        return self._launch("start")

    def resume(self):
        """Continue a paused training with the same optimizer state (the Resume button).

        Returns
        -------
        self : TrainingPanel
            The panel.
        """
        return self._launch("resume")

    def pause(self):
        """Stop after the current epoch (the Pause button).

        Returns
        -------
        self : TrainingPanel
            The panel.
        """
        self._transition("pause")
        self._pause_requested.set()
        self._refresh(force=True)
        return self

    def reset(self):
        """Replace the estimator by an unfitted clone with the controls' settings and clear
        the curves (the Reset button).

        Returns
        -------
        self : TrainingPanel
            The panel.
        """
        with self._phase_change("reset"):
            params = _state.params_from_controls(self.control_values, self.estimator.get_params())
            estimator = clone(self.estimator).set_params(**params)
        with self._ui_lock:  # (not between a redraw's reads of the estimator: review40c)
            self.estimator, self.history, self.error = estimator, [], None
        self._refresh(force=True)
        return self

    def close(self):
        """Stop training after the epoch in progress, if any, and close the panel's widgets
        (the panel cannot be shown, clicked, started, resumed or reset afterwards).
        ipywidgets keeps every widget, and through its callbacks the panel, its estimator
        and its data, until it is closed: a notebook that makes a new panel each time a cell
        runs frees the old one this way. The estimator stays as trained.

        Returns
        -------
        None
        """
        if self.phase == _state.RUNNING:
            self.pause()
        self.wait()
        close_widgets(self.widget)
        self._closed = True

    def wait(self, timeout=None):
        """Block until training stops (or ``timeout`` seconds pass). Ctrl-C ends the wait,
        not the training, which runs in its own thread: :meth:`pause` stops it.

        Parameters
        ----------
        timeout : float, default=None
            Longest time to wait, in seconds; None waits until training stops.

        Returns
        -------
        phase : str
            The panel's ``phase`` when the wait ends: "finished", "paused" or "failed"
            once training has stopped ("running" or "pausing" after a timeout; "ready",
            at once, before the first ``start``).
        """
        if timeout is not None and not is_real(timeout):
            raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return self.phase

    def _launch(self, event):
        """Start training for ``event``; redrawn once the thread runs (a redraw that raised
        first left the phase "running" with no thread behind it, audit40f)."""
        with self._phase_change(event):
            self._start_worker()
        self._refresh(force=True)
        return self

    def _start_worker(self):
        """Start the training thread, its records first trimmed to the estimator's."""
        self._pause_requested.clear()
        # The estimator fitted again outside the panel since (while paused): the records of
        # the epochs it no longer holds go (audit40f).
        self.history[:] = self._reading()[2]
        self._worker = threading.Thread(
            target=self._train,
            args=(_openmp_threads(),),
            name="pygru-training-panel",
            daemon=True,
        )
        self._worker.start()

    def _reading(self):
        """One reading of the estimator, its ``loss_curve_`` (a copy) and the records of
        ``history`` whose epochs that curve still holds, with the loss recorded: a fit from
        the notebook starts another curve; one that repeats the same losses, of the same
        seed and data, repeats those epochs. Read once, as Reset and the worker's next
        epoch change them meanwhile (review40c)."""
        estimator = self.estimator
        losses = list(getattr(estimator, "loss_curve_", []))
        held = [
            record
            for record in list(self.history)
            if record["epoch"] <= len(losses) and losses[record["epoch"] - 1] == record["loss"]
        ]
        return estimator, losses, held

    def _plotted_validation_scores(self, history, losses):
        """The validation score of each epoch from the first the panel scored that the
        estimator still holds to its last (``losses``, its ``loss_curve_``), NaN for an
        epoch the panel did not train (a ``partial_fit`` from the notebook while paused):
        the plot reads one score per epoch (each record's score was drawn one epoch late
        after such a call, audit40f)."""
        if self.X_val is None:
            return None
        scores = {record["epoch"]: record["validation_score"] for record in history}
        if not scores:
            return []
        return [scores.get(epoch, math.nan) for epoch in range(min(scores), len(losses) + 1)]

    def _click(self, name):
        # A click can arrive after the phase changed under it (e.g. Pause as the last epoch
        # ends); the button is then already disabled and the click is dropped.
        if name in _state.enabled_buttons(self.phase):
            getattr(self, name)()

    # ------------------------------------------------------------------ worker thread
    def _train(self, threads):
        event = "failed"
        try:
            # The caller's OpenMP limit (threadpool_limits sets it per thread) holds here too.
            with threadpool_limits(limits=threads, user_api="openmp"):
                while not self._pause_requested.is_set() and self.epoch < self.max_epochs:
                    self._train_epoch()
                    self._refresh()
            event = "done" if self.epoch >= self.max_epochs else "halted"
        except Exception as error:  # shown in the panel instead of dying in the thread
            self.error = error
        finally:
            self._transition(event)
            self._refresh(force=True)

    def _train_epoch(self):
        """One partial_fit epoch, its record (as the estimator's callbacks receive it) added
        to ``history``, also where the validation data, which training never read, cannot
        be scored (its score NaN). The estimator keeps its own parameters (a callback of
        the panel's own, set in them, could be neither pickled nor saved)."""
        epoch_before = self.epoch
        # A fitted classifier goes on with its own classes, which may be more than y holds
        # (given y's, partial_fit refused them as not the model's; audit38d).
        if self._classes is None or hasattr(self.estimator, "classes_"):
            self.estimator.partial_fit(self.X, self.y)
        else:
            self.estimator.partial_fit(self.X, self.y, classes=self._classes)
        if self.epoch == epoch_before:
            # A diverging epoch is rolled back, uncounted (and warns).
            raise TrainingDiverged(
                f"Training diverged in epoch {epoch_before + 1}: the loss became NaN or "
                f"infinite. The model keeps the weights of epoch {epoch_before}. Press Reset "
                "after lowering the learning rate (or scale the input)."
            )
        record = dict(self.estimator._last_epoch_record)
        try:
            if self.X_val is not None:
                record["validation_score"] = math.nan  # kept where the data cannot be scored
                record["validation_score"] = self._validation_score()
        finally:
            self.history.append(record)  # the epoch was trained either way

    def _validation_score(self):
        """``estimator.score`` on the validation data, its errors saying which data they
        are about (a wrong X_val was reported as X's)."""
        try:
            return float(self.estimator.score(self.X_val, self.y_val))
        except (TypeError, ValueError) as error:
            raise type(error)(f"the validation data (X_val, y_val): {error}") from error

    # ------------------------------------------------------------------ widgets
    def _build_widgets(self):
        widgets = ipywidgets()
        self.buttons = {
            "start": widgets.Button(description="Start", icon="play", button_style="success"),
            "pause": widgets.Button(description="Pause", icon="pause", button_style="warning"),
            "resume": widgets.Button(description="Resume", icon="play", button_style="info"),
            "reset": widgets.Button(description="Reset", icon="refresh"),
        }
        for name, button in self.buttons.items():
            button.on_click(lambda _, name=name: self._click(name))
            button.add_class(f"pygru-{name}")
        self._status = widgets.HTML().add_class("pygru-status")
        self._progress = widgets.IntProgress(
            min=0, max=self.max_epochs, description="epochs"
        ).add_class("pygru-progress")
        self._summary = widgets.HTML().add_class("pygru-summary")
        self._error = widgets.HTML().add_class("pygru-error-box")
        self._curves = widgets.Image(format="png").add_class("pygru-curves")
        self.controls = self._build_controls(widgets)
        self._pending = widgets.HTML()
        for control in self.controls.values():
            control.observe(lambda _: self._show_pending(), names="value")
        settings = widgets.VBox(
            [
                widgets.HTML("<b>Settings</b> (applied on Reset)"),
                *self.controls.values(),
                self._pending,
            ]
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([*self.buttons.values(), self._status]),
                self._progress,
                widgets.HBox([self._curves, settings]),
                self._summary,
                self._error,
            ]
        ).add_class("pygru-training-panel")

    def _build_controls(self, widgets):
        values = _state.control_values(self.estimator.get_params())
        exponent = math.log10(values["learning_rate"])
        style = {"description_width": "110px"}
        batch_sizes = sorted({*_BATCH_SIZES, values["batch_size"]} - {"auto"})
        return {
            "learning_rate": widgets.FloatLogSlider(
                value=values["learning_rate"],
                base=10,
                min=min(-5, math.floor(exponent)),
                max=max(0, math.ceil(exponent)),
                step=0.1,
                readout_format=".2g",
                description="learning rate",
                continuous_update=False,
                style=style,
            ),
            "hidden_size": widgets.BoundedIntText(
                value=values["hidden_size"],
                min=1,
                max=max(4096, values["hidden_size"]),
                description="hidden size",
                style=style,
            ),
            "solver": widgets.Dropdown(
                options=list(dict.fromkeys([*_SOLVERS, values["solver"]])),
                value=values["solver"],
                description="solver",
                style=style,
            ),
            "batch_size": widgets.Dropdown(
                options=[("auto", "auto")] + [(str(size), size) for size in batch_sizes],
                value=values["batch_size"],
                description="batch size",
                style=style,
            ),
            "dropout": widgets.FloatSlider(
                value=values["dropout"],
                min=0.0,
                max=max(0.9, values["dropout"]),
                step=0.05,
                description="dropout",
                continuous_update=False,
                style=style,
            ),
        }

    @property
    def control_values(self):
        """The settings the controls show (applied by the next Reset)."""
        return {name: control.value for name, control in self.controls.items()}

    def set_controls(self, **values):
        """Set controls by name, as if changed in the panel; they apply on Reset.

        Parameters
        ----------
        **values : dict
            New values by control name: ``learning_rate`` (float), ``hidden_size`` (int),
            ``solver`` (str), ``batch_size`` (int or "auto") and ``dropout`` (float).
            Unknown names are a ValueError.

        Returns
        -------
        self : TrainingPanel
            The panel, to chain ``reset()``.
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(
                f"unknown controls {sorted(unknown)}; the controls are {list(self.controls)}"
            )
        for name, value in values.items():
            _check_in_range(name, value, self.controls[name])
        for name, value in values.items():
            self.controls[name].value = value
        return self

    def _show_pending(self):
        # Both values: the estimator's may be the one that changed (set_params from the
        # notebook, which training goes on with), not the control's (audit40f).
        values, params = self.control_values, self.estimator.get_params()
        current = _state.control_values(params)
        differ = [
            f"{name} {values[name]!r} (the estimator has {current[name]!r})"
            for name in _state.changed_controls(values, params)
        ]
        self._pending.value = (
            ""
            if not differ
            else f"<i>The controls differ from the estimator: {html.escape('; '.join(differ))}. "
            "Press Reset to apply them to a new, unfitted estimator.</i>"
        )

    def _refresh(self, force=False):
        """Bring the widgets up to date; while training, at most every few tenths of a
        second (text) and every ``redraw_interval`` seconds (figure)."""
        now = time.monotonic()
        with self._ui_lock:
            if force or now - self._last_text >= _TEXT_INTERVAL:
                self._last_text = now
                self._update_text()
            if force or now - self._last_figure >= self.redraw_interval:
                self._last_figure = now
                estimator, losses, held = self._reading()
                scores = self._plotted_validation_scores(held, losses)
                plot_training_curves(estimator, scores, figure=self.figure)
                self._curves.value = png_bytes(self.figure)

    def _update_text(self):
        phase, epoch = self.phase, self.epoch
        enabled = _state.enabled_buttons(phase)
        for name, button in self.buttons.items():
            button.disabled = name not in enabled
        self._status.value = html.escape(_state.format_status(phase, epoch, self.max_epochs))
        self._progress.value = min(epoch, self.max_epochs)
        self._progress.bar_style = {_state.FINISHED: "success", _state.FAILED: "danger"}.get(
            phase, "info"
        )
        self._summary.value = html.escape(self.summary)
        self._error.value = "" if self.error is None else _state.error_html(self.error)
        self._show_pending()


def _check_one_target_a_sequence(X, y, X_name, y_name):
    """Refuse, naming them, sequences and targets that are not collections, an X without
    sequences, and counts that differ (a single sequence passed as X, say)."""
    for value, name in ((X, X_name), (y, y_name)):
        if not hasattr(value, "__len__") or isinstance(value, (str, bytes)):
            raise TypeError(
                f"{name} must be a collection of "
                f"{'sequences' if name == X_name else 'targets, one per sequence'}, as "
                f"partial_fit takes it; got {type(value).__name__}"
            )
    if len(X) == 0:
        raise ValueError(f"{X_name} must hold at least one sequence to train on, got none")
    if len(X) != len(y):
        raise ValueError(
            f"{X_name} has {len(X)} sequences but {y_name} has {len(y)} targets: one target "
            "(or one per step) per sequence. A single sequence is a batch of one: [x]"
        )


def _all_classes(estimator, X, y):
    """Every label that training reads, which ``partial_fit`` needs on its first call: with
    ``output="sequence"``, the labels of each sequence's valid steps (not the padding)."""
    params = estimator.get_params()
    if params.get("output") != "sequence":
        # Checked as fit checks them: NumPy's sort of None among strings raised a bare
        # TypeError ('<' not supported) that named no argument (audit38d). A column y
        # (n, 1), which fit takes, is read as its labels (review38c).
        labels = _labels_keeping_nuls(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        return np.unique(_check_labels(labels, "y"))
    if params.get("embedding_dim") is not None:
        lengths = _sequences.to_padded_tokens(X)[1]
    else:
        lengths = _sequences.to_padded(X)[1]
    return np.unique(np.concatenate(_sequence_labels(y, lengths)))


def _refuse_classes_it_cannot_train(estimator, classes):
    """Refuse y's classes that a fitted classifier lacks, or a single class for an unfitted
    one (which cannot learn from it), here rather than after Start:
    partial_fit refused them in the error box there, with its own remedy, and the panel's
    Reset was the only way on (review38b)."""
    if classes is None:
        return
    if not hasattr(estimator, "classes_"):
        _refuse_a_single_class(classes)  # partial_fit refuses them after Start (audit39g)
        return
    known = set(estimator.classes_.tolist())  # not np.setdiff1d: it sorts "a" beside 0
    unknown = [label for label in classes.tolist() if label not in known]
    if unknown:
        raise ValueError(
            f"y contains labels that are not among the fitted classifier's classes: "
            f"{unknown[:5]}; the classes are {estimator.classes_}. The panel continues a "
            "fitted classifier with its classes: to train one on y's, pass an unfitted one "
            "(sklearn.base.clone(estimator))"
        )


def _check_in_range(name, value, control):
    """A TypeError or ValueError, naming the control, for a value it cannot show (a slider
    would clamp it, a dropdown raise a TraitError)."""
    if not hasattr(control, "min"):  # a dropdown
        offered = [
            option[1] if isinstance(option, tuple) else option for option in control.options
        ]
        if value not in offered:
            raise ValueError(f"{name} must be one of {offered}, got {value!r}")
        return
    if not is_real(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if is_integer(control.value) and not is_integer(value):  # the box would truncate 2.5
        raise TypeError(f"{name} must be an integer, got {value!r}")
    log_base = getattr(control, "base", None)
    low, high = (
        (log_base**control.min, log_base**control.max)
        if log_base is not None
        else (control.min, control.max)
    )
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")


def _openmp_threads():
    """The calling thread's OpenMP thread count, which a new thread does not inherit."""
    return _cpu.kernels.max_threads()
