"""pygru.notebook's widgets without a browser, driven through their methods and buttons,
and the contents of the figures they draw (matplotlib's Agg backend)."""

import pickle
import sys
import threading
import warnings
from unittest import mock

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from pygru import GRUClassifier, GRURegressor
from pygru.datasets import load_gunpoint, load_italy_power_demand, load_japanese_vowels
from pygru.notebook._state import FAILED, FINISHED, PAUSED, PAUSING, READY, RUNNING
from pygru.preprocessing import SequenceScaler

pytest.importorskip("ipywidgets")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib import pyplot  # noqa: E402

from pygru.notebook import (  # noqa: E402
    GateViewer,
    TrainingDiverged,
    TrainingPanel,
    plot_gates,
    plot_training_curves,
)
from pygru.notebook import _panel as _panel_module  # noqa: E402
from pygru.notebook._plots import gate_plot_data, training_curves_data  # noqa: E402

PNG_SIGNATURE = b"\x89PNG"


@pytest.fixture(scope="module")
def italy():
    return load_italy_power_demand(return_X_y=True)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    pyplot.close("all")


def _panel(data, max_epochs=3, **params):
    X, y, X_test, y_test = data
    clf = GRUClassifier(**{"hidden_layer_sizes": (4,), "random_state": 0, **params})
    return TrainingPanel(
        clf, X, y, X_test[:100], y_test[:100], max_epochs=max_epochs, display=False
    )


def _enabled(panel):
    return {name for name, button in panel.buttons.items() if not button.disabled}


def test_panel_trains_to_the_budget_and_shows_it(italy):
    panel = _panel(italy, max_epochs=3)
    assert panel.phase == READY and _enabled(panel) == {"start", "reset"}
    assert bytes(panel._curves.value).startswith(PNG_SIGNATURE)  # drawn before training
    empty_curves = panel._curves.value

    assert panel.start().wait(timeout=60) == FINISHED
    assert [record["epoch"] for record in panel.history] == [1, 2, 3]
    assert set(panel.history[0]) == {
        "epoch",
        "loss",
        "validation_score",
        "learning_rate",
        "duration",
    }
    assert panel.estimator.loss_curve_ == [record["loss"] for record in panel.history]
    assert all(0 <= score <= 1 for score in panel.validation_scores)
    assert _enabled(panel) == {"reset"}
    assert panel._progress.value == 3 and panel._progress.bar_style == "success"
    assert (
        "Epoch 3/3" in panel._summary.value and "best validation accuracy" in panel._summary.value
    )
    assert "Finished: 3 epochs" in panel._status.value
    assert panel._error.value == ""
    assert panel._curves.value != empty_curves
    loss_axis, score_axis = panel.figure.axes
    np.testing.assert_allclose(loss_axis.lines[0].get_ydata(), panel.estimator.loss_curve_)
    np.testing.assert_allclose(score_axis.lines[0].get_ydata(), panel.validation_scores)
    assert "epoch 3/3" in repr(panel)


def test_pause_and_resume_continue_the_same_optimizer(italy):
    straight = _panel(italy, max_epochs=4)
    straight.start().wait(timeout=60)

    paused = _panel(italy, max_epochs=4)
    paused.start().pause()
    assert paused.wait(timeout=60) == PAUSED
    assert paused.epoch < 4 and _enabled(paused) == {"resume", "reset"}
    assert f"Paused after epoch {paused.epoch}" in paused._status.value
    assert paused.resume().wait(timeout=60) == FINISHED
    assert paused.estimator.n_iter_ == 4
    # Same weights and losses as without the pause: the optimizer state was kept.
    np.testing.assert_array_equal(paused.estimator.loss_curve_, straight.estimator.loss_curve_)
    for ours, theirs in zip(paused.estimator.coefs_, straight.estimator.coefs_):
        np.testing.assert_array_equal(ours, theirs)


def _paused_at_epoch(italy, epoch, max_epochs=6):
    """A panel paused (by a callback) after ``epoch`` epochs."""
    panel = None

    def pause_there(estimator, record):
        if record["epoch"] == epoch:
            panel.pause()

    panel = _panel(italy, max_epochs=max_epochs, callbacks=pause_there)
    panel.start()
    assert panel.wait(timeout=60) == PAUSED and panel.epoch == epoch
    panel.estimator.set_params(callbacks=None)
    return panel


def _drawn_validation_scores(panel):
    line = panel.figure.axes[1].lines[0]
    return dict(zip(line.get_xdata().tolist(), line.get_ydata().tolist()))


def test_a_fit_from_the_notebook_while_paused_starts_the_record_again(italy):
    # The records of epochs the refitted estimator no longer held stayed: Resume's redraw
    # raised before the training thread started, the phase stayed "running" with no
    # thread behind it, and no button (nor wait or close) could end it (audit40f).
    X, y = italy[:2]
    panel = _paused_at_epoch(italy, 3)
    panel.estimator.set_params(random_state=1, max_iter=1)
    panel.estimator.fit(X, y)  # (one epoch: no convergence warning)
    assert panel.resume().wait(timeout=60) == FINISHED
    assert [record["epoch"] for record in panel.history] == [2, 3, 4, 5, 6]
    losses = panel.estimator.loss_curve_
    assert [record["loss"] for record in panel.history] == losses[1:]
    scores = _drawn_validation_scores(panel)
    assert [scores[record["epoch"]] for record in panel.history] == [
        record["validation_score"] for record in panel.history
    ]


def test_the_summary_leaves_out_epochs_the_estimator_no_longer_holds(italy):
    # The plot dropped them at each redraw, the summary only at Resume, which a finished
    # panel does not offer: it still named the old epochs (review40b); then it named none,
    # "Epoch 0/2", beside a status of one epoch (review40c).
    X, y = italy[:2]
    panel = _panel(italy, max_epochs=2)
    assert panel.start().wait(timeout=60) == FINISHED
    panel.estimator.set_params(random_state=1, max_iter=1).fit(X, y)
    panel._refresh(force=True)
    loss = panel.estimator.loss_curve_[-1]
    assert panel.summary.startswith(f"Epoch 1/2 · loss {loss:.4g}")
    assert "best validation" not in panel.summary and panel.validation_scores == []


def test_a_start_or_reset_that_fails_leaves_the_phase_as_it_was(italy):
    # The phase changed first: a thread that could not start left the panel "running"
    # with no thread (no button, wait or close could end it), and a clone that failed left
    # it "ready" beside the old, trained estimator (audit40k).
    panel = _panel(italy, max_epochs=1)
    with (
        mock.patch.object(threading.Thread, "start", side_effect=RuntimeError("no thread")),
        pytest.raises(RuntimeError, match="no thread"),
    ):
        panel.start()
    assert panel.phase == READY and _enabled(panel) == {"start", "reset"}
    assert panel.start().wait(timeout=60) == FINISHED
    with (
        mock.patch.object(_panel_module, "clone", side_effect=TypeError("cannot clone")),
        pytest.raises(TypeError, match="cannot clone"),
    ):
        panel.reset()
    assert panel.phase == FINISHED and len(panel.history) == 1
    # ... also while the last training thread still draws its final figure: a live thread
    # that this call did not start (review40d).
    drawing = threading.Event()
    panel._worker = threading.Thread(target=drawing.wait, daemon=True)
    panel._worker.start()
    with (
        mock.patch.object(_panel_module, "clone", side_effect=TypeError("cannot clone")),
        pytest.raises(TypeError, match="cannot clone"),
    ):
        panel.reset()
    drawing.set()
    assert panel.phase == FINISHED and len(panel.history) == 1
    assert panel.reset().phase == READY and panel.history == []


def test_a_vocabulary_no_token_id_reaches_is_refused_when_the_panel_is_made():
    # Refused at the first fit only, the panel was made and failed at Start (review40b).
    tokens = np.arange(1, 7).reshape(2, 3)
    model = GRUClassifier(embedding_dim=1, vocabulary_size=2**24 + 1, hidden_layer_sizes=(2,))
    with pytest.raises(ValueError, match="vocabulary_size=16777217 sizes an embedding"):
        TrainingPanel(model, tokens, [0, 1], display=False)


def test_validation_scores_are_drawn_at_the_epochs_they_were_taken(italy):
    # An epoch trained from the notebook while paused shifted every earlier score one
    # epoch right in the plot, the summary naming the recorded epoch (audit40f).
    X, y = italy[:2]
    panel = _paused_at_epoch(italy, 2, max_epochs=4)
    panel.estimator.partial_fit(X, y)
    assert panel.resume().wait(timeout=60) == FINISHED
    assert [record["epoch"] for record in panel.history] == [1, 2, 4]
    scores = _drawn_validation_scores(panel)
    assert np.isnan(scores[3])
    assert [scores[record["epoch"]] for record in panel.history] == [
        record["validation_score"] for record in panel.history
    ]


class _LookInside:
    """A user's callback that pickles the estimator it is called with and notes the
    callbacks its parameters hold."""

    def __init__(self):
        self.seen = []

    def __call__(self, estimator, record):
        self.seen.append(estimator.get_params()["callbacks"])
        pickle.loads(pickle.dumps(estimator))


def test_the_estimator_can_be_pickled_while_the_panel_trains_it(italy):
    # The panel set a callback of its own (a lambda) in the estimator's parameters for each
    # epoch: pickling it then failed ("Can't pickle local object"), save warned that
    # callbacks cannot be written, and get_params showed a callback the user never set.
    look_inside = _LookInside()
    panel = _panel(italy, max_epochs=2, callbacks=look_inside)
    assert panel.start().wait(timeout=60) == FINISHED, panel.error
    assert look_inside.seen == [look_inside, look_inside]
    assert [record["epoch"] for record in panel.history] == [1, 2]
    assert panel.history[-1]["loss"] == panel.estimator.loss_curve_[-1]
    assert panel.history[-1]["learning_rate"] == panel.estimator.learning_rate_init


def test_buttons_while_an_epoch_runs(italy):
    """Inside an epoch only Pause is enabled; after it, every button waits for the epoch."""
    in_epoch, release = threading.Event(), threading.Event()

    def hold(estimator, record):
        in_epoch.set()
        release.wait(30)

    panel = _panel(italy, max_epochs=5, callbacks=[hold])
    panel.buttons["start"].click()
    assert in_epoch.wait(30)
    assert panel.phase == RUNNING and _enabled(panel) == {"pause"}
    with pytest.raises(ValueError, match="cannot reset a training panel that is running"):
        panel.reset()
    panel.buttons["reset"].click()  # disabled: the click is dropped
    panel.buttons["pause"].click()
    assert panel.phase == PAUSING and _enabled(panel) == set()
    assert "Pausing" in panel._status.value
    release.set()
    assert panel.wait(timeout=60) == PAUSED
    assert panel.epoch == 1
    # The user's callback ran, and the estimator's callbacks are theirs again.
    assert panel.estimator.get_params()["callbacks"] == [hold]


def test_reset_applies_the_controls_to_a_clone(italy):
    panel = _panel(italy, max_epochs=2)
    original = panel.estimator
    panel.start().wait(timeout=60)
    panel.set_controls(
        learning_rate=0.01, hidden_size=6, solver="rmsprop", batch_size=16, dropout=0.2
    )
    assert "Press Reset to apply" in panel._pending.value
    # Both values: the estimator's may be the one changed, by set_params (audit40f).
    rate = panel.estimator.learning_rate_init
    assert f"learning_rate 0.01 (the estimator has {rate!r})" in panel._pending.value
    panel.buttons["reset"].click()
    assert panel.phase == READY and panel.history == [] and panel.error is None
    assert panel.estimator is not original and original.n_iter_ == 2
    assert not hasattr(panel.estimator, "n_iter_")
    params = panel.estimator.get_params()
    assert (
        params["learning_rate_init"],
        params["hidden_layer_sizes"],
        params["solver"],
        params["batch_size"],
        params["dropout"],
    ) == (0.01, (6,), "rmsprop", 16, 0.2)
    assert params["random_state"] == 0
    assert panel._pending.value == "" and "Epoch 0/2" in panel._summary.value
    assert panel.start().wait(timeout=60) == FINISHED
    assert panel.estimator.coefs_[1].shape == (18, 6)  # w_hh of the new hidden size
    with pytest.raises(ValueError, match="unknown controls"):
        panel.set_controls(momentum=0.5)


def test_an_exception_in_training_is_shown_in_the_panel(italy):
    def fail(estimator, record):
        if record["epoch"] == 2:
            raise RuntimeError("callback <failed>")

    panel = _panel(italy, max_epochs=5, callbacks=fail)
    assert panel.start().wait(timeout=60) == FAILED
    assert isinstance(panel.error, RuntimeError) and len(panel.history) == 1
    assert "RuntimeError: callback &lt;failed&gt;" in panel._error.value
    assert "Traceback" in panel._error.value
    assert panel._progress.bar_style == "danger" and _enabled(panel) == {"reset"}
    assert panel.estimator.get_params()["callbacks"] is fail
    panel.reset()
    assert panel.error is None and panel._error.value == ""


def test_validation_data_that_cannot_be_scored_are_named_and_the_epoch_kept(italy):
    # X_val of 3 features against X's 1 failed after the first epoch as "X has 3 features
    # per time step", and the trained epoch was missing from history ("Epoch 0/3").
    X, y, X_test, y_test = italy
    wide = np.repeat(X_test[:20], 3, axis=-1)
    clf = GRUClassifier(hidden_layer_sizes=(4,), random_state=0)
    panel = TrainingPanel(clf, X, y, wide, y_test[:20], max_epochs=3, display=False)
    assert panel.start().wait(timeout=60) == FAILED
    assert str(panel.error).startswith("the validation data (X_val, y_val): X has 3 features")
    assert [record["epoch"] for record in panel.history] == [1] == [panel.epoch]
    assert np.isnan(panel.validation_scores).all()
    assert panel.summary.startswith("Epoch 1/3") and "nan" not in panel.summary


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_diverging_loss_is_shown_in_the_panel():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 5, 2)), 1e3 * rng.standard_normal(40)
    reg = GRURegressor(
        hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=1e4, random_state=0
    )
    panel = TrainingPanel(reg, X, y, max_epochs=20, display=False)
    assert panel.start().wait(timeout=60) == FAILED
    assert isinstance(panel.error, TrainingDiverged)
    assert f"diverged in epoch {panel.epoch + 1}" in str(panel.error)
    assert len(panel.history) == panel.epoch
    assert "TrainingDiverged" in panel._error.value
    assert len(panel.figure.axes) == 1  # no validation data, no validation axis


def test_regressor_panel_scores_r2():
    X, y = load_italy_power_demand(return_X_y=True)[:2]
    X = X[:, :, 0]
    reg = GRURegressor(hidden_layer_sizes=(4,), random_state=0)
    panel = TrainingPanel(
        reg, X[:, :-1], X[:, -1], X[:20, :-1], X[:20, -1], max_epochs=2, display=False
    )
    assert panel.start().wait(timeout=60) == FINISHED
    assert "best validation R²" in panel.summary
    assert panel.figure.axes[1].get_title() == "validation R²"


def test_panel_rejects_what_it_cannot_train(italy, monkeypatch):
    from sklearn.linear_model import SGDClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = italy[:2]
    with pytest.raises(TypeError, match="trains a GRUClassifier or GRURegressor"):
        TrainingPanel(make_pipeline(StandardScaler(), GRUClassifier()), X, y, display=False)
    with pytest.raises(TypeError, match="got SGDClassifier"):  # a KeyError on its controls
        TrainingPanel(SGDClassifier(), X, y, display=False)
    # The controls read the parameters: bad ones got "math domain error" or an IndexError.
    for bad, message in [
        (dict(learning_rate_init=0), "'learning_rate_init' parameter"),
        (dict(hidden_layer_sizes=()), "hidden_layer_sizes must be a positive int"),
        (dict(dropout=None), "'dropout' parameter"),
    ]:
        with pytest.raises(ValueError, match=message):
            TrainingPanel(GRUClassifier(**bad), X, y, display=False)
    with pytest.raises(ValueError, match="redraw_interval must be a number of seconds"):
        TrainingPanel(GRUClassifier(), X, y, redraw_interval="0.5", display=False)
    with pytest.raises(ValueError, match="X_val and y_val"):
        TrainingPanel(GRUClassifier(), X, y, X_val=X, display=False)
    with pytest.raises(ValueError, match="max_epochs"):
        TrainingPanel(GRUClassifier(), X, y, max_epochs=0, display=False)
    # Data partial_fit refuses, and a device that is not there, are refused here: they
    # were found by the first epoch after Start, and wait() just returned 'failed'.
    for data, error, message in [
        ((X, y[:5]), ValueError, "X has 67 sequences but y has 5 targets"),
        ((X[:0], y[:0]), ValueError, "X must hold at least one sequence"),
        ((X, None), TypeError, "y must be a collection of targets"),
        ((X, y, X[:3], y[:2]), ValueError, "X_val has 3 sequences but y_val has 2"),
    ]:
        with pytest.raises(error, match=message):
            TrainingPanel(GRUClassifier(), *data, display=False)
    monkeypatch.setitem(sys.modules, "cupy", None)  # no CuPy, as on most machines
    with pytest.raises(ValueError, match="device='cuda' is not available"):
        TrainingPanel(GRUClassifier(device="cuda"), X, y, display=False)
    with pytest.raises(ValueError, match="epsilon=1e-50 rounds to 0.0 in float32"):
        TrainingPanel(GRUClassifier(epsilon=1e-50), X, y, display=False)


def test_panel_of_a_sequence_classifier_learns_the_classes_of_valid_steps_only():
    # Padding past each length is not a class, whatever its value; ragged labels work.
    rng = np.random.default_rng(0)
    lengths = [9, 4, 6, 9, 3, 7]
    X_list = [rng.standard_normal((n, 1)) for n in lengths]
    y_list = [(x[:, 0] > 0).astype(int) for x in X_list]
    X = np.full((6, 9, 1), np.nan)
    y = np.full((6, 9), -1)
    for row, (x, labels) in enumerate(zip(X_list, y_list)):
        X[row, : len(x)], y[row, : len(x)] = x, labels
    for data in ((X, y), (X_list, y_list)):
        clf = GRUClassifier(hidden_layer_sizes=(3,), output="sequence", random_state=0)
        panel = TrainingPanel(clf, *data, max_epochs=1, display=False)
        panel.start().wait()
        assert panel.phase == FINISHED, panel.error
        np.testing.assert_array_equal(panel.estimator.classes_, [0, 1])


def test_panel_continues_a_fitted_classifier_on_some_of_its_classes_and_names_bad_labels():
    # Given y's classes, partial_fit refused them as not the fitted model's (three here,
    # two in y), so the panel failed where partial_fit itself goes on; a reset model
    # learns y's. A missing label raised NumPy's bare TypeError, naming nothing (audit38d).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 5, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    y[:4] = 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = GRUClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    panel = TrainingPanel(clf, X[4:], y[4:], max_epochs=4, display=False)
    panel.start().wait()
    assert panel.phase == FINISHED, panel.error
    assert panel.estimator.n_iter_ == 4 and list(panel.estimator.classes_) == [0, 1, 2]
    panel.reset()
    panel.start().wait()
    assert panel.phase == FINISHED, panel.error
    assert list(panel.estimator.classes_) == [0, 1]
    # A column of labels, which fit takes, too (review38c).
    column = TrainingPanel(GRUClassifier((3,)), X, y[:, np.newaxis], max_epochs=1, display=False)
    column.start().wait()
    assert column.phase == FINISHED, column.error
    labels = np.array(["a", "b", None, "a", "b", "a"], dtype=object)
    with pytest.raises(ValueError, match="y contains None: a missing class label"):
        TrainingPanel(GRUClassifier(), X[:6], labels, display=False)
    # A class the fitted classifier lacks was refused only after Start, by partial_fit in
    # the error box, with partial_fit's remedy (review38b); it is refused here, and an
    # unfitted clone learns it.
    for new_labels in (np.where(y == 2, 3, y), np.where(y == 2, "c", y.astype(str))):
        with pytest.raises(ValueError, match=r"not among the fitted classifier's classes: "):
            TrainingPanel(clf, X, new_labels, display=False)
    with pytest.raises(ValueError, match="contains only one class: 'a'$"):
        TrainingPanel(clone(clf), X, np.full(len(X), "a"), display=False)
    fresh = TrainingPanel(clone(clf), X, np.where(y == 2, 3, y), max_epochs=1, display=False)
    fresh.start().wait()
    assert list(fresh.estimator.classes_) == [0, 1, 3]


def test_panel_controls_show_the_estimators_values_and_refuse_what_they_cannot(italy):
    X, y = italy[:2]
    clf = GRUClassifier(hidden_layer_sizes=(5000,), dropout=0.95)
    panel = TrainingPanel(clf, X, y, display=False)
    assert panel._pending.value == ""  # nothing changed: nothing was clamped
    assert panel.control_values["hidden_size"] == 5000
    assert panel.control_values["dropout"] == 0.95
    refused = [
        ({"learning_rate": -1}, ValueError, r"learning_rate must be in \[1e-05, 1\], got -1"),
        ({"hidden_size": 0}, ValueError, "hidden_size must be in"),
        ({"hidden_size": 2.5}, TypeError, "hidden_size must be an integer, got 2.5"),  # not 2
        ({"dropout": "a"}, TypeError, "dropout must be a number"),
        ({"solver": "lbfgs"}, ValueError, r"solver must be one of \['adam'"),
        ({"batch_size": 7}, ValueError, "batch_size must be one of"),
    ]
    for values, error, message in refused:
        with pytest.raises(error, match=message):
            panel.set_controls(**{"hidden_size": 8, **values})
        assert panel.control_values["hidden_size"] == 5000  # none applied
    with pytest.raises(TypeError, match="max_epochs must be an int, got 2.7"):
        TrainingPanel(clf, X, y, max_epochs=2.7, display=False)
    with pytest.raises(TypeError, match="timeout must be a number of seconds or None"):
        panel.wait(timeout="1")  # threading's "'>' not supported between 'int' and 'str'"


def test_panel_trains_with_the_callers_openmp_thread_limit(italy):
    # threadpool_limits sets OpenMP's thread count per thread; the worker thread that
    # trains must not fall back to all cores.
    from threadpoolctl import threadpool_limits

    from pygru import _cpu

    seen = []
    with threadpool_limits(limits=1, user_api="openmp"):
        panel = _panel(
            italy, max_epochs=1, callbacks=lambda *_: seen.append(_cpu.kernels.max_threads())
        )
        panel.start().wait()
    assert panel.phase == FINISHED and seen == [1]


def test_panel_defaults_to_max_iter_and_shows_the_estimators_settings(italy):
    X, y = italy[:2]
    clf = GRUClassifier(
        hidden_layer_sizes=(12,),
        learning_rate_init=3e-3,
        max_iter=7,
        solver="sgd",
        batch_size=48,
        dropout=0.25,
    )
    panel = TrainingPanel(clf, X, y, display=False)
    assert panel.max_epochs == 7 and panel._progress.max == 7
    assert panel.control_values == {
        "learning_rate": 3e-3,
        "hidden_size": 12,
        "solver": "sgd",
        "batch_size": 48,
        "dropout": 0.25,
    }
    assert len(panel.figure.axes) == 1


# ---------------------------------------------------------------- figures
def test_training_curves_of_an_unfitted_and_a_fitted_estimator(italy):
    figure = plot_training_curves(GRUClassifier())
    assert pyplot.fignum_exists(figure.number)  # a pyplot figure when none is given
    (loss_axis,) = figure.axes
    assert loss_axis.get_title() == "training loss"
    assert [text.get_text() for text in loss_axis.texts] == ["no epochs yet"]

    X, y = italy[:2]
    clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=4, random_state=0)
    with pytest.warns(Warning, match="maximum iterations"):
        clf.fit(X, y)
    figure = plot_training_curves(clf, validation_scores=[0.5, 0.75])
    loss_axis, score_axis = figure.axes
    np.testing.assert_allclose(loss_axis.lines[0].get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(score_axis.lines[0].get_xdata(), [3, 4])  # the last epochs
    assert score_axis.get_title() == "validation accuracy"
    assert "best 0.75 (epoch 4)" in score_axis.get_legend().get_texts()[0].get_text()
    # Without early stopping the model holds the last epoch's weights, not the lowest loss's.
    for ax in figure.axes:
        kept_line = ax.lines[-1]
        np.testing.assert_array_equal(kept_line.get_xdata(), [4, 4])
        assert kept_line.get_label() == "weights kept: epoch 4 (the last)"

    reused = plot_training_curves(clf, figure=figure)  # cleared and redrawn
    assert reused is figure and len(figure.axes) == 1
    # more scores than epochs were drawn past the last epoch, against the docstring
    with pytest.raises(ValueError, match="validation_scores has 5 scores, more than the 4"):
        plot_training_curves(clf, validation_scores=[0.5] * 5)


def test_training_curves_mark_the_epoch_early_stopping_restored(italy):
    X, y = italy[:2]
    weights_after = []  # the weights at the end of each epoch, before fit restores the best
    clf = GRUClassifier(
        hidden_layer_sizes=(4,),
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=4,
        learning_rate_init=3e-2,
        random_state=0,
        ema_momentum=None,  # the callback sees the raw weights, which are then the model's
        callbacks=[lambda estimator, record: weights_after.append(estimator.coefs_[0].copy())],
    ).fit(X, y)
    restored = [
        epoch
        for epoch, weights in enumerate(weights_after, start=1)
        if np.array_equal(weights, clf.coefs_[0])
    ]
    curves = training_curves_data(clf)
    assert curves.kept_epoch == restored[0]
    # Neither the last epoch nor the lowest loss: ties of the best score keep the first.
    assert curves.kept_epoch < clf.n_iter_
    assert curves.kept_epoch != np.argmin(clf.loss_curve_) + 1
    label = f"weights kept: epoch {restored[0]} (best validation score, restored)"
    assert curves.kept_label == label
    np.testing.assert_array_equal(curves.epochs, np.arange(1, clf.n_iter_ + 1))
    np.testing.assert_array_equal(curves.scores, clf.validation_scores_)

    figure = plot_training_curves(clf)
    for ax in figure.axes:
        np.testing.assert_array_equal(ax.lines[-1].get_xdata(), [restored[0]] * 2)
        assert label in [text.get_text() for text in ax.get_legend().get_texts()]
    # A regressor that ends on the ridge it started from holds the weights of epoch 0: the
    # line is drawn there (nothing was drawn, and the label was lost).
    from pygru import GRURegressor

    rng = np.random.default_rng(0)
    windows = rng.normal(size=(30, 8, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ridge = GRURegressor(hidden_layer_sizes=(4,), max_iter=3, learning_rate_init=1e3)
        ridge.fit(windows, windows[:, -1, 0])
    assert ridge.best_epoch_ == 0
    start = (
        "weights kept: from before training (the GRU's correction did not pay for itself over "
        "the ridge start)"
    )
    assert training_curves_data(ridge).kept_label == start
    (loss_axis,) = plot_training_curves(ridge).axes
    np.testing.assert_array_equal(loss_axis.lines[-1].get_xdata(), [0, 0])
    assert start in [text.get_text() for text in loss_axis.get_legend().get_texts()]
    # One more epoch by partial_fit: the model now holds that epoch's weights.
    clf.partial_fit(X, y)
    curves = training_curves_data(clf)
    assert curves.kept_epoch == clf.n_iter_
    assert curves.kept_label == f"weights kept: epoch {clf.n_iter_} (the last)"


@pytest.fixture(scope="module")
def fitted(italy):
    X, y = italy[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs are enough to plot
        return GRUClassifier(
            hidden_layer_sizes=(5,), bidirectional=False, max_iter=3, random_state=0
        ).fit(X, y)


def test_plot_gates_draws_the_gate_activations(italy, fitted):
    X_test, y_test = italy[2:]
    figure = plot_gates(fitted, X_test[7], y_true=y_test[7])
    input_axis, *gate_axes = figure.axes[:5]
    assert [ax.get_title(loc="left") for ax in gate_axes] == [
        "r: reset gate",
        "z: update gate (1 = keep h)",
        "n: candidate state",
        "h: hidden state",
    ]
    assert len(figure.axes) == 9  # and four colorbars
    gates = fitted.gate_activations(X_test[7:8])[0]["forward"]
    for ax, name in zip(gate_axes, "rznh"):
        np.testing.assert_allclose(ax.images[0].get_array(), gates[name][0].T)
    np.testing.assert_allclose(input_axis.lines[0].get_ydata(), X_test[7, :, 0])
    predicted = fitted.predict(X_test[7:8])[0]
    probability = fitted.predict_proba(X_test[7:8])[0].max()
    assert figure.get_suptitle() == (
        f"GRU layer 0 (forward): predicted {predicted} (p = {probability:.2f}), true: {y_test[7]}"
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_plot_gates_cuts_padding_and_reads_every_layer_and_direction():
    X, y = load_japanese_vowels(return_X_y=True)[:2]
    clf = GRUClassifier(
        hidden_layer_sizes=(3, 4), bidirectional=True, max_iter=1, random_state=0
    ).fit(X[:40], y[:40])
    sample = X[0]  # (T, 12), T < the longest sequence
    padded = np.vstack([sample, np.full((5, 12), np.nan)])
    figure = plot_gates(clf, padded, layer=1, direction="backward")
    gates = clf.gate_activations([sample])[1]["backward"]
    np.testing.assert_allclose(figure.axes[2].images[0].get_array(), gates["z"][0].T)
    assert figure.axes[2].images[0].get_array().shape == (4, len(sample))
    # 12 input features are too many lines: a heatmap, one row per feature
    assert figure.axes[0].images[0].get_array().shape == (12, len(sample))
    with pytest.raises(ValueError, match="layer must be in 0..1"):
        plot_gates(clf, sample, layer=2)
    with pytest.raises(ValueError, match="direction must be one of"):
        plot_gates(clf, sample, direction="sideways")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_plot_gates_of_a_text_pipeline_labels_the_tokens():

    from pygru.text import TokenSequencer

    texts = [
        "a fine film",
        "a dull film",
        "fine acting",
        "dull plot",
        "a fine plot",
        "dull dull film",
    ]
    model = make_pipeline(
        TokenSequencer(max_len=6),
        GRUClassifier(embedding_dim=3, hidden_layer_sizes=(2,), max_iter=2, random_state=0),
    )
    model.fit(texts, [1, 0, 1, 0, 1, 0])
    figure = plot_gates(model, "a fine unknown film", time_labels=["a", "fine", None, "film"])
    assert [text.get_text() for text in figure.axes[0].texts] == ["a", "fine", "?", "film"]
    assert figure.axes[1].images[0].get_array().shape == (2, 4)
    with pytest.raises(ValueError, match="time_labels has 2 labels"):
        plot_gates(model, "a fine unknown film", time_labels=["a", "fine"])
    # More labels than the tokens read: which were read (truncating="pre" keeps the last
    # ones) the labels cannot tell; the first ones were drawn under the last tokens.
    model.set_params(tokensequencer__truncating="pre", tokensequencer__max_len=3)
    model.fit(texts, [1, 0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="6 labels for the 3 tokens the model reads"):
        plot_gates(
            model, "one two three four five six", time_labels="one two three four five six".split()
        )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_plot_gates_of_regressors():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 6, 1))
    sequence = GRURegressor(
        hidden_layer_sizes=(3,), output="sequence", max_iter=2, random_state=0
    ).fit(X, X[:, :, 0].cumsum(axis=1))
    figure = plot_gates(sequence, X[0])
    prediction_line = figure.axes[0].lines[-1]
    assert prediction_line.get_linestyle() == "--"
    np.testing.assert_allclose(prediction_line.get_ydata(), sequence.predict(X[:1])[0])

    # Per-step true targets: drawn beside the prediction, and only their first values in
    # the title (the whole array's repr took seven lines and ran off the figure).
    long_X = rng.standard_normal((20, 40, 1))
    long_y = long_X[:, :, 0].cumsum(axis=1)
    sequence.fit(long_X, long_y)
    figure = plot_gates(sequence, long_X[0], y_true=long_y[0])
    lines = {line.get_label(): line for line in figure.axes[0].lines}
    np.testing.assert_allclose(lines["true"].get_ydata(), long_y[0])
    title = figure.get_suptitle()
    assert "\n" not in title and title.endswith(" …") and len(title) < 150
    # Targets that are not numbers: NumPy's bare "could not convert string to float", and
    # a pyplot figure left open (audit36e).
    open_figures = pyplot.get_fignums()
    with pytest.raises(ValueError, match="y_true must be the sequence's targets, a number"):
        plot_gates(sequence, long_X[0], y_true=["a"] * 40)
    # Fewer targets than steps (another sequence's) were drawn misaligned (audit40h).
    with pytest.raises(ValueError, match="y_true has 39 time steps but the sequence has 40"):
        plot_gates(sequence, long_X[0], y_true=long_y[1][:39])
    assert pyplot.get_fignums() == open_figures
    with pytest.raises(ValueError, match=r"a batch: pass one of its sequences, e.g. X\[0\]"):
        plot_gates(sequence, long_X)  # it used to speak of "X[0]", which the caller never named
    ragged = [long_X[0], long_X[1][:30]]  # NumPy's "inhomogeneous shape" before
    with pytest.raises(ValueError, match=r"got a list of 2 items of different shapes, a batch"):
        plot_gates(sequence, ragged)
    with pytest.raises(
        ValueError, match=r"got shape \(2, 40\), read as time steps \(rows\) of 40"
    ):
        plot_gates(sequence, long_X[:2, :, 0])  # the rows of a univariate 2-D X
    # a padded row of targets: the title shows the sequence's own, not the padding
    short = X[0][:3]
    padded_y = np.concatenate([X[0][:3, 0].cumsum(), [np.nan] * 5])
    title = plot_gates(sequence, short, y_true=padded_y).get_suptitle()
    assert "nan" not in title and len(title.split("true: ")[1].split()) == 3

    last = GRURegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, X[:, -1, 0])
    figure = plot_gates(last, X[0], y_true=0.5)
    title = figure.get_suptitle()
    assert "predicted" in title and title.endswith("true: 0.5")
    # More targets than the window has steps (a horizon of 8 after 6 steps): all 8 are
    # the truth, not a label per step to cut at the sequence's end.
    targets = np.arange(8.0) + X[:, -1, :]
    horizon = GRURegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, targets)
    title = plot_gates(horizon, X[0], y_true=targets[0]).get_suptitle()
    assert title.split("true: ")[1].split() == [f"{value:.3g}" for value in targets[0]]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_plot_gates_of_a_sequence_classifier_titles_its_labels_per_step():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 10, 2))
    labels = np.where(X[..., 0] > 0, "up", "down")
    clf = GRUClassifier(hidden_layer_sizes=(4,), output="sequence", max_iter=2, random_state=0)
    clf.fit(X, labels)
    title = plot_gates(clf, X[0]).get_suptitle()
    assert "predicted per step: " + " ".join(clf.predict(X[:1])[0]) in title
    viewer = GateViewer(clf, X, display=False)
    assert viewer.error is None


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_one_step_pipeline_plots_as_its_estimator(italy):

    X, y = italy[:2]
    clf = GRUClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    pipeline = make_pipeline(clf)
    assert len(plot_training_curves(pipeline).axes) == 1  # unfitted: empty axes
    pipeline.fit(X, y)
    bare = training_curves_data(pipeline[-1])
    np.testing.assert_array_equal(training_curves_data(pipeline).losses, bare.losses)
    assert plot_gates(pipeline, X[0]).get_suptitle() == plot_gates(clf, X[0]).get_suptitle()


def test_display_is_a_bool_and_shows_nothing_outside_ipython(italy, fitted, capsys):
    # display="no" was taken for True; and outside IPython, IPython's display printed the
    # widget's repr, kilobytes of it, into a script's output (audit36e).
    X, y = italy[:2]
    for make in (
        lambda display: GateViewer(fitted, X[:3], display=display),
        lambda display: TrainingPanel(GRUClassifier(), X, y, display=display),
    ):
        with pytest.raises(TypeError, match="display must be True or False, got 'no'"):
            make("no")
        make(True).widget.close()
    assert capsys.readouterr().out == ""


def test_plotting_arguments_of_the_wrong_kind_are_named(italy, fitted):
    X = italy[0]
    wide = GRUClassifier(hidden_layer_sizes=(3,), max_iter=1, random_state=0)
    wide.fit(np.repeat(X[:20], 2, axis=-1), italy[1][:20])
    scaled_wide = make_pipeline(SequenceScaler(), clone(wide))
    scaled_wide.fit(np.repeat(X[:20], 2, axis=-1), italy[1][:20])
    # the scaler inside a pipeline of its own, as make_pipeline(preprocess, model) nests it
    nested_wide = make_pipeline(make_pipeline(SequenceScaler()), clone(wide))
    nested_wide.fit(np.repeat(X[:20], 2, axis=-1), italy[1][:20])
    refused = [
        (lambda: plot_training_curves(fitted, 0.5), ValueError, "validation_scores must be"),
        (lambda: plot_training_curves(fitted, [[1, 2]]), ValueError, "validation_scores must"),
        (lambda: plot_training_curves(fitted, "ab"), TypeError, "validation_scores must be"),
        (lambda: plot_gates(fitted, X[0], direction=["forward"]), ValueError, "direction must"),
        (lambda: GateViewer(fitted, None, display=False), TypeError, "X must be the sequences"),
        (lambda: plot_training_curves("model"), TypeError, "estimator must be a GRUClassifier"),
        (lambda: plot_training_curves(fitted, figure="x"), TypeError, "figure must be a"),
        (lambda: plot_gates(fitted, X[0], figure="x"), TypeError, "figure must be a"),
        (lambda: plot_gates(fitted, X[0], layer="0"), TypeError, "layer must be an int"),
        (lambda: plot_gates(fitted, X[0], time_labels=5), TypeError, "time_labels must be"),
        (lambda: GateViewer(fitted, X[:0], display=False), ValueError, "at least one sequence"),
        # y and time_labels that were not one per sample: "object of type 'int' has no
        # len()", or an error box on select(sample=1) ("list index out of range"; audit36e)
        (lambda: GateViewer(fitted, X, 1, display=False), TypeError, "y must hold the targets"),
        (
            lambda: GateViewer(fitted, X, time_labels=5, display=False),
            TypeError,
            "time_labels must hold the labels of each sample of X, got int",
        ),
        (
            lambda: GateViewer(fitted, X[:3], time_labels=[["a"] * 24], display=False),
            ValueError,
            "X has 3 samples but time_labels has 1",
        ),
        (  # one sequence of 2 features: its error box advised a transpose (audit36e)
            lambda: GateViewer(wide, np.ones((6, 2)), display=False),
            ValueError,
            r"X has shape \(6, 2\), but the model reads 2 features .*X\[np.newaxis\]",
        ),
        (  # ... and through a scaler's pipeline it still did (audit38d)
            lambda: GateViewer(scaled_wide, np.ones((6, 2)), display=False),
            ValueError,
            r"X has shape \(6, 2\), but the model reads 2 features .*X\[np.newaxis\]",
        ),
        (  # ... and through a nested one (session 38's open point)
            lambda: GateViewer(nested_wide, np.ones((6, 2)), display=False),
            ValueError,
            r"X has shape \(6, 2\), but the model reads 2 features .*X\[np.newaxis\]",
        ),
        (
            lambda: GateViewer(fitted, X, display=False).select(sample="1"),
            TypeError,
            "sample must be an int",
        ),
        (  # True and 1.0 equal 1: they selected layer 1
            lambda: GateViewer(fitted, X, display=False).select(layer=True),
            TypeError,
            "layer must be an int, got True",
        ),
        (
            lambda: GateViewer(fitted, X, display=False).select(direction=["forward"]),
            ValueError,
            "direction must be one of",
        ),
    ]
    for call, error, message in refused:
        with pytest.raises(error, match=message):
            call()


def test_gate_viewer_follows_its_controls(italy, fitted):
    X_test, y_test = italy[2:]
    viewer = GateViewer(fitted, X_test, y_test, display=False)
    assert bytes(viewer._image.value).startswith(PNG_SIGNATURE)
    assert list(viewer._direction.options) == ["forward"]
    assert list(viewer._layer.options) == [0]
    first = viewer._image.value

    viewer._sample.value = 11  # as if the slider moved
    assert viewer._image.value != first
    assert viewer.figure.get_suptitle().endswith(f"true: {y_test[11]}")
    z = fitted.gate_activations(X_test[11:12])[0]["forward"]["z"][0]
    np.testing.assert_allclose(viewer.figure.axes[2].images[0].get_array(), z.T)

    assert viewer.select(sample=3).sample == 3
    assert "sample 3" in repr(viewer)
    with pytest.raises(ValueError, match="sample must be in 0..1028"):
        viewer.select(sample=5000)
    with pytest.raises(ValueError, match="direction must be one of"):
        viewer.select(direction="backward")
    assert not pyplot.get_fignums()  # the viewer's figure is not pyplot's


def test_gate_viewer_counts_samples_of_pandas_input_by_position(italy, fitted):
    # It read X[sample] and y[sample], which pandas reads by label: a DataFrame's sample 0
    # was its column 0 (the first step of every sequence), a split Series y a KeyError.
    pandas = pytest.importorskip("pandas")
    X_test, y_test = italy[2][:6, :, 0], italy[3][:6]
    order = [5, 3, 0, 1, 4, 2]
    X_frame = pandas.DataFrame(X_test[order], index=order)
    y_series = pandas.Series(y_test[order], index=order)
    labels = pandas.Series([[f"s{i}t{t}" for t in range(24)] for i in order], index=order)
    viewer = GateViewer(fitted, X_frame, y_series, time_labels=labels, display=False)
    assert viewer.error is None
    np.testing.assert_array_equal(viewer.figure.axes[0].lines[0].get_ydata(), X_test[5])
    assert viewer.figure.get_suptitle().endswith(f"true: {y_test[5]}")
    # time_labels by position too: they were read by label (another sample's, or KeyError)
    drawn = [label.get_text() for axes in viewer.figure.axes for label in axes.get_xticklabels()]
    drawn = [text for text in drawn if text]
    assert drawn and all(text.startswith("s5t") for text in drawn)


def test_gate_viewer_shows_drawing_errors(italy, fitted):
    X_test = italy[2]
    viewer = GateViewer(fitted, X_test[:3], time_labels=[["too", "short"]] * 3, display=False)
    assert isinstance(viewer.error, ValueError)
    assert "time_labels has 2 labels" in viewer._error.value
    # Drawn from a batch of the one sample, whose error called it sequence 0.
    gap = X_test[:3].copy()
    gap[2, 1] = np.nan
    viewer = GateViewer(fitted, gap, display=False).select(sample=2)
    assert "sample 2: ValueError: X contains NaN: sequence 0" in viewer._error.value


# ---------------------------------------------------------------- patched and text models
@pytest.fixture(scope="module")
def gunpoint_model():
    """A default model on GunPoint (150 steps): it reads patches of 5 steps. The series are
    moved off their z-normalisation, so that the model's standardisation changes them."""
    X, y, X_test, y_test = load_gunpoint(return_X_y=True)
    X, X_test = 40 * X + 100, 40 * X_test + 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    assert clf.patch_size_ == 5
    return clf, X_test


def _left_edge(patch):
    """Where an ``axvspan`` patch starts on the x axis: a Rectangle since matplotlib 3.9, a
    Polygon before (the notebook extra allows 3.8)."""
    return patch.get_patch_transform().transform_path(patch.get_path()).vertices[:, 0].min()


def _column_at(image, step):
    """The column of an imshow image drawn at x = step (through its extent)."""
    left, right = image.get_extent()[:2]
    return int((step - left) / (right - left) * image.get_array().shape[1])


# whole patches, a cut last patch, and a sequence shorter than one patch
@pytest.mark.parametrize("length", [150, 143, 3])
def test_gates_of_a_patched_model_span_their_patches_of_the_raw_input(gunpoint_model, length):
    clf, X_test = gunpoint_model
    series = X_test[3, :length]
    data = gate_plot_data(clf, series)
    np.testing.assert_array_equal(data.inputs, series)  # the user's values, not standardised
    assert clf.input_mean_[0] > 90
    starts = np.arange(0, length, 5)
    np.testing.assert_array_equal(data.patch_spans[:, 0], starts)
    np.testing.assert_array_equal(data.patch_spans[:, 1], np.minimum(starts + 5, length))
    gates = clf.gate_activations([series])[0]["forward"]
    for name in "rznh":
        np.testing.assert_array_equal(data.gates[name], gates[name][0, : -(-length // 5)])
    assert data.time_label == "time step" and data.step_labels is None

    figure = plot_gates(clf, series)
    input_axis, r_axis = figure.axes[:2]
    np.testing.assert_array_equal(input_axis.lines[0].get_xdata(), np.arange(length))
    np.testing.assert_array_equal(input_axis.lines[0].get_ydata(), series[:, 0])
    assert input_axis.get_xlim() == (-0.5, length - 0.5)
    shaded = [_left_edge(patch) for patch in input_axis.patches]  # every other patch
    np.testing.assert_allclose(shaded, data.patch_spans[1::2, 0] - 0.5)
    patches = "the 1 patch" if length <= 5 else f"the {-(-length // 5)} patches"
    assert f"{patches} of 5 time steps" in input_axis.get_title(loc="left")  # was "of 3"
    assert data.patch_size == 5
    image = r_axis.images[0]
    for step in range(length):  # each time step shows the gate of its patch
        assert _column_at(image, step) == step // 5
    np.testing.assert_array_equal(image.get_array(), data.gates["r"].T)
    assert figure.axes[4].get_xlabel() == "time step"


def test_gate_viewer_draws_a_patched_model_on_the_raw_time_axis(gunpoint_model):
    clf, X_test = gunpoint_model
    viewer = GateViewer(clf, X_test, display=False).select(sample=6)
    input_axis = viewer.figure.axes[0]
    np.testing.assert_array_equal(input_axis.lines[0].get_ydata(), X_test[6, :, 0])
    assert len(input_axis.patches) == 15  # every other one of 30 patches
    z = clf.gate_activations(X_test[6:7])[0]["forward"]["z"][0]
    np.testing.assert_array_equal(viewer.figure.axes[2].images[0].get_array(), z.T)
    assert viewer.figure.axes[2].images[0].get_extent()[:2] == [-0.5, 149.5]


@pytest.fixture(scope="module")
def text_model():

    from pygru.text import TokenSequencer

    texts = ["a fine film", "a dull film", "fine acting", "dull plot", "a fine plot", "dull film"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(
            TokenSequencer(max_len=6),
            GRUClassifier(embedding_dim=3, hidden_layer_sizes=(2,), max_iter=2, random_state=0),
        ).fit(texts, [1, 0, 1, 0, 1, 0])


def test_a_text_model_shows_its_tokens_as_words(text_model):
    sequencer, clf = text_model[0], text_model[-1]
    text = "A fine unknown film"
    data = gate_plot_data(text_model, text)
    assert data.step_labels == ["a", "fine", "?", "film"]  # the out-of-vocabulary word: "?"
    np.testing.assert_array_equal(data.inputs, sequencer.transform([text])[0, :4])
    assert data.time_label == "token"
    figure = plot_gates(text_model, text)
    assert [label.get_text() for label in figure.axes[0].texts] == data.step_labels
    assert figure.axes[4].get_xlabel() == "token"

    ids = sequencer.transform([text])[0]
    by_vocabulary = gate_plot_data(clf, ids, vocabulary=sequencer.vocabulary_)
    assert by_vocabulary.step_labels == data.step_labels
    np.testing.assert_array_equal(by_vocabulary.gates["h"], data.gates["h"])
    assert gate_plot_data(clf, ids).step_labels == [str(i) for i in ids[:4]]
    # the sequencer in a pipeline of its own, as make_pipeline(preprocess, model) nests it
    # (the ids were shown; review39)
    nested = make_pipeline(make_pipeline(sequencer), clf)
    assert gate_plot_data(nested, text).step_labels == data.step_labels

    viewer = GateViewer(clf, sequencer.transform([text, "dull plot"]), display=False)
    assert [label.get_text() for label in viewer.figure.axes[0].texts] == [str(i) for i in ids[:4]]
    viewer = GateViewer(text_model, [text, "dull plot"], display=False).select(sample=1)
    assert [label.get_text() for label in viewer.figure.axes[0].texts] == ["dull", "plot"]


def test_a_text_pipeline_is_shown_one_document_at_a_time(text_model):
    with pytest.raises(TypeError, match="x must be one sequence .*got a list of 2 strings"):
        plot_gates(text_model, ["a good film", "a bad film"])


def test_a_vocabulary_must_be_a_mapping_for_a_token_model(text_model, fitted, italy):
    ids = text_model[0].transform(["a fine film"])[0]
    with pytest.raises(TypeError, match="vocabulary must be a mapping of tokens to ids.*list"):
        plot_gates(text_model[-1], ids, vocabulary=["a", "fine"])
    with pytest.raises(ValueError, match="vocabulary names the tokens .* reads numbers"):
        plot_gates(fitted, italy[2][0], vocabulary={"a": 2})


def _widgets_within(widget):
    """``widget``, its layout and style, and those of every widget inside it."""
    yield widget
    yield from (part for part in (widget.layout, getattr(widget, "style", None)) if part)
    for child in getattr(widget, "children", ()):
        yield from _widgets_within(child)


def test_close_frees_a_panel_and_a_viewer_and_stops_training(italy, fitted):
    # ipywidgets keeps every widget until it is closed, and the widgets' callbacks hold the
    # panel or viewer, its estimator and its data: 30 panels made and dropped grew a process
    # by 2 MB each, and closing panel.widget (the outer box) freed nothing.
    import gc
    import weakref

    panel = _panel(italy, max_epochs=200)
    panel.start()
    parts = list(_widgets_within(panel.widget))
    panel.close()  # mid-training: stops after the epoch in progress
    assert panel.phase in (PAUSED, FINISHED) and not panel._worker.is_alive()
    panel.close()  # a second time: harmless
    for name in ("resume", "start", "reset"):  # resume() trained on, unseen
        with pytest.raises(ValueError, match="the panel is closed"):
            getattr(panel, name)()
    viewer = GateViewer(fitted, italy[0][:5], display=False)
    parts += _widgets_within(viewer.widget)
    viewer.close()
    # Their layouts and styles too: 35 widgets of each closed panel stayed open (a comm each
    # in a live kernel; ipywidgets' close() leaves them).
    assert [part for part in parts if part.comm is not None] == []
    del parts
    alive = [weakref.ref(panel), weakref.ref(viewer)]
    del panel, viewer
    gc.collect()
    assert [ref() for ref in alive] == [None, None]
