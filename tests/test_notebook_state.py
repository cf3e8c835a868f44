"""The training panel's logic without widgets: its state machine, texts and controls; and
that importing pygru does not import the notebook dependencies."""

import os
import subprocess
import sys

import pytest

import pygru
from pygru import GRUClassifier
from pygru.notebook import _state
from pygru.notebook._state import FAILED, FINISHED, PAUSED, PAUSING, READY, RUNNING

ALL_PHASES = (READY, RUNNING, PAUSING, PAUSED, FINISHED, FAILED)


# ---------------------------------------------------------------- imports
def test_import_pygru_does_not_import_widgets_or_matplotlib():
    code = (
        "import sys, pygru, pygru.notebook; "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'ipywidgets', 'matplotlib', 'IPython'}))"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(pygru.__file__)))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------- state machine
@pytest.mark.parametrize(
    "phase, event, expected",
    [
        (READY, "start", RUNNING),
        (RUNNING, "pause", PAUSING),
        (PAUSING, "halted", PAUSED),
        (RUNNING, "halted", PAUSED),
        (PAUSED, "resume", RUNNING),
        (RUNNING, "done", FINISHED),
        (PAUSING, "done", FINISHED),
        (RUNNING, "failed", FAILED),
        (PAUSING, "failed", FAILED),
        (PAUSED, "reset", READY),
        (FINISHED, "reset", READY),
        (FAILED, "reset", READY),
        (READY, "reset", READY),
    ],
)
def test_allowed_transitions(phase, event, expected):
    assert _state.next_phase(phase, event) == expected


@pytest.mark.parametrize(
    "phase, event",
    [
        (READY, "pause"),
        (READY, "resume"),
        (RUNNING, "start"),
        (RUNNING, "reset"),
        (PAUSING, "pause"),
        (PAUSING, "reset"),
        (PAUSED, "start"),
        (FINISHED, "resume"),
        (FAILED, "resume"),
        (FINISHED, "start"),
    ],
)
def test_refused_transitions_say_what_is_possible(phase, event):
    with pytest.raises(ValueError, match=f"cannot {event} a training panel that is {phase}"):
        _state.next_phase(phase, event)


def test_buttons_follow_the_transitions():
    assert _state.enabled_buttons(READY) == {"start", "reset"}
    assert _state.enabled_buttons(RUNNING) == {"pause"}
    assert _state.enabled_buttons(PAUSING) == set()
    assert _state.enabled_buttons(PAUSED) == {"resume", "reset"}
    assert _state.enabled_buttons(FINISHED) == {"reset"}
    assert _state.enabled_buttons(FAILED) == {"reset"}
    for phase in ALL_PHASES:  # an enabled button always has a transition to run
        for button in _state.enabled_buttons(phase):
            _state.next_phase(phase, button)


# ---------------------------------------------------------------- texts
@pytest.mark.parametrize(
    "seconds, text",
    [
        (0.0004, "400 µs"),
        (0.035, "35 ms"),
        (2.44, "2.4 s"),
        (185, "3 min 05 s"),
        (None, "–"),
        (float("nan"), "–"),
    ],
)
def test_format_duration(seconds, text):
    assert _state.format_duration(seconds) == text


def _record(epoch, loss, score=None, duration=0.1):
    return {
        "epoch": epoch,
        "loss": loss,
        "validation_score": score,
        "duration": duration,
        "learning_rate": 1e-3,
    }


def test_format_summary():
    assert _state.format_summary([], 50) == "Epoch 0/50"
    records = [_record(1, 0.9, 0.5, 0.2), _record(2, 0.7, 0.8, 0.4), _record(3, 0.6, 0.7, 0.3)]
    assert _state.format_summary(records, 50, "accuracy") == (
        "Epoch 3/50 · loss 0.6 · best validation accuracy 0.8 (epoch 2) · 300 ms per epoch"
    )
    assert (
        _state.format_summary([_record(1, 1.25)], 5) == "Epoch 1/5 · loss 1.25 · 100 ms per epoch"
    )


def test_format_status_names_the_epoch():
    assert "Start" in _state.format_status(READY, 0, 10)
    assert "epoch 4/10" in _state.format_status(RUNNING, 4, 10)
    assert "epoch 5" in _state.format_status(PAUSING, 4, 10)
    assert "Paused after epoch 4" in _state.format_status(PAUSED, 4, 10)
    assert "10 epochs" in _state.format_status(FINISHED, 10, 10)
    assert "error" in _state.format_status(FAILED, 3, 10)


def test_error_html_escapes_and_keeps_the_traceback():
    try:
        raise ValueError("bad <input> & more")
    except ValueError as error:
        caught = error
    headline, details = _state.format_error(caught)
    assert headline == "ValueError: bad <input> & more"
    assert "Traceback" in details and "test_error_html_escapes" in details
    html = _state.error_html(caught)
    assert "bad &lt;input&gt; &amp; more" in html and "<input>" not in html
    assert "<details>" in html


# ---------------------------------------------------------------- controls
def test_controls_round_trip_and_keep_the_depth():
    params = GRUClassifier(
        hidden_layer_sizes=(16, 8),
        learning_rate_init=0.01,
        solver="sgd",
        batch_size="auto",
        dropout=0.1,
    ).get_params()
    values = _state.control_values(params)
    assert values == {
        "learning_rate": 0.01,
        "hidden_size": 16,
        "solver": "sgd",
        "batch_size": "auto",
        "dropout": 0.1,
    }
    assert _state.changed_controls(values, params) == []
    # Untouched, the hidden-size control keeps the stack's sizes (a Reset made (16, 8) into
    # (16, 16), with no pending change shown).
    assert _state.params_from_controls(values, params)["hidden_layer_sizes"] == (16, 8)
    values.update(hidden_size=4, batch_size=64)
    assert _state.changed_controls(values, params) == ["hidden_size", "batch_size"]
    assert _state.params_from_controls(values, params) == {
        "learning_rate_init": 0.01,
        "hidden_layer_sizes": (4, 4),
        "solver": "sgd",
        "batch_size": 64,
        "dropout": 0.1,
    }
