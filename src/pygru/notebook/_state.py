"""What the training panel does and shows, as plain functions of plain data.

No widgets here: the panel's phases and their transitions, which buttons each phase enables,
the text it shows, and how its controls map to estimator parameters. Tests call these
directly, without ipywidgets or a browser.
"""

import html
import math
import traceback

import numpy as np

__all__ = [
    "BUTTONS",
    "CONTROLS",
    "FAILED",
    "FINISHED",
    "PAUSED",
    "PAUSING",
    "READY",
    "RUNNING",
    "changed_controls",
    "control_values",
    "enabled_buttons",
    "error_html",
    "format_duration",
    "format_error",
    "format_status",
    "format_summary",
    "next_phase",
    "params_from_controls",
]

READY = "ready"  # a model that has not trained in this panel since the last Reset
RUNNING = "running"  # the worker thread is training
PAUSING = "pausing"  # Pause was pressed; the worker finishes its current epoch
PAUSED = "paused"  # stopped between epochs; Resume continues with the same optimizer
FINISHED = "finished"  # the epoch budget is used up
FAILED = "failed"  # an epoch raised an error or diverged

# (phase, event) -> next phase. The worker reports "halted" when it stops after a pause
# request, "done" when the budget is used up, and "failed" on an error.
_TRANSITIONS = {
    (READY, "start"): RUNNING,
    (RUNNING, "pause"): PAUSING,
    (RUNNING, "halted"): PAUSED,
    (PAUSING, "halted"): PAUSED,
    (RUNNING, "done"): FINISHED,
    (PAUSING, "done"): FINISHED,
    (RUNNING, "failed"): FAILED,
    (PAUSING, "failed"): FAILED,
    (PAUSED, "resume"): RUNNING,
    (READY, "reset"): READY,
    (PAUSED, "reset"): READY,
    (FINISHED, "reset"): READY,
    (FAILED, "reset"): READY,
}

BUTTONS = ("start", "pause", "resume", "reset")
# Reset is refused while the worker runs: it would have to wait for the epoch to end, and a
# click must never block the notebook. Pause first.
_ENABLED = {
    READY: {"start", "reset"},
    RUNNING: {"pause"},
    PAUSING: set(),
    PAUSED: {"resume", "reset"},
    FINISHED: {"reset"},
    FAILED: {"reset"},
}


def next_phase(phase, event):
    """The phase after ``event`` in ``phase``; ValueError if the event is not allowed there."""
    try:
        return _TRANSITIONS[phase, event]
    except KeyError:
        allowed = sorted(
            event for (source, event) in _TRANSITIONS if source == phase and event in BUTTONS
        )
        raise ValueError(
            f"cannot {event} a training panel that is {phase}; possible "
            f"now: {', '.join(allowed) or 'nothing (wait for the epoch to end)'}"
        ) from None


def enabled_buttons(phase):
    """The set of buttons (names from ``BUTTONS``) that can be pressed in ``phase``."""
    return set(_ENABLED[phase])


# ------------------------------------------------------------------ controls
# control name -> estimator parameter it sets on Reset
CONTROLS = {
    "learning_rate": "learning_rate_init",
    "hidden_size": "hidden_layer_sizes",
    "solver": "solver",
    "batch_size": "batch_size",
    "dropout": "dropout",
}


def control_values(params):
    """The controls' values for estimator parameters ``params`` (from ``get_params``).

    The hidden-size control shows the first layer's size; it applies to every layer.
    """
    return {
        "learning_rate": float(params["learning_rate_init"]),
        "hidden_size": int(np.atleast_1d(params["hidden_layer_sizes"])[0]),
        "solver": params["solver"],
        "batch_size": params["batch_size"],
        "dropout": float(params["dropout"]),
    }


def params_from_controls(values, params):
    """Parameters for ``set_params`` from the controls' ``values``, for an estimator whose
    parameters are ``params``; a stack of layers keeps its depth and, unless the hidden
    size was changed, its sizes (else each layer gets the new size)."""
    sizes = tuple(int(size) for size in np.atleast_1d(params["hidden_layer_sizes"]))
    if int(values["hidden_size"]) != sizes[0]:
        sizes = (int(values["hidden_size"]),) * len(sizes)
    return {
        "learning_rate_init": float(values["learning_rate"]),
        "hidden_layer_sizes": sizes,
        "solver": values["solver"],
        "batch_size": values["batch_size"],
        "dropout": float(values["dropout"]),
    }


def changed_controls(values, params):
    """Names of the controls whose values differ from the estimator's ``params``."""
    current = control_values(params)
    return [name for name in CONTROLS if values[name] != current[name]]


# ------------------------------------------------------------------ text
def format_duration(seconds):
    """A short human duration: '850 µs', '35 ms', '2.4 s', '3 min 05 s'."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s"


def format_status(phase, epoch, max_epochs):
    """One line saying what the panel is doing."""
    return {
        READY: "Ready: press Start to train.",
        RUNNING: f"Training… epoch {epoch}/{max_epochs} done.",
        PAUSING: f"Pausing after the current epoch (epoch {epoch + 1}).",
        PAUSED: f"Paused after epoch {epoch}. Resume continues with the same optimizer "
        "state; Reset starts a new model with the settings below.",
        FINISHED: f"Finished: {epoch} epochs. Reset to train a new model.",
        FAILED: "Training stopped with an error (below). Reset to try new settings.",
    }[phase]


def format_summary(records, max_epochs, score_name="score", losses=None):
    """The summary line: epoch, last loss, best validation score, time per epoch.

    ``records`` are the panel's per-epoch dicts with keys epoch, loss, validation_score
    (None without validation data) and duration (seconds); ``losses``, the estimator's
    ``loss_curve_``, gives the epoch and loss where it goes past them (epochs trained from
    the notebook: the summary said "Epoch 0/3" where the status said "Finished: 2
    epochs", review40c).
    """
    if losses is not None:
        epoch, loss = len(losses), losses[-1] if losses else None
    else:
        epoch, loss = (records[-1]["epoch"], records[-1]["loss"]) if records else (0, None)
    if loss is None:
        return f"Epoch 0/{max_epochs}"
    parts = [f"Epoch {epoch}/{max_epochs}", f"loss {loss:.4g}"]
    scored = [  # NaN: validation data the panel could not score (its error says why)
        record for record in records if _is_number(record["validation_score"])
    ]
    if scored:
        best = max(scored, key=lambda record: record["validation_score"])
        parts.append(
            f"best validation {score_name} {best['validation_score']:.4g} (epoch {best['epoch']})"
        )
    if records:
        seconds = sum(record["duration"] for record in records) / len(records)
        parts.append(f"{format_duration(seconds)} per epoch")
    return " · ".join(parts)


def _is_number(score):
    return score is not None and not math.isnan(score)


def format_error(error):
    """``(headline, details)`` for an exception that stopped training: its type and message,
    and the formatted traceback."""
    headline = f"{type(error).__name__}: {error}"
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return headline, details


def error_html(error, about=""):
    """The error box of the panel: headline in clear (after ``about``, what it concerns),
    traceback folded away."""
    headline, details = format_error(error)
    headline = f"{about}{headline}"
    return (
        '<div class="pygru-error" style="border-left: 4px solid #c62828; '
        'background: #fdecea; padding: 4px 8px; color: #8e0000">'
        f"<b>{html.escape(headline)}</b>"
        f"<details><summary>traceback</summary><pre>{html.escape(details)}</pre>"
        "</details></div>"
    )
