"""Jupyter frontend: a live training panel, a gate viewer, and the figures they draw.

- :class:`TrainingPanel` trains a GRU estimator epoch by epoch from Start / Pause / Resume /
  Reset buttons, with live curves, without blocking the notebook.
- :class:`GateViewer` shows the reset and update gates, the candidate and the hidden state of
  a fitted model over time, for any sample, layer and direction.
- :func:`plot_training_curves` and :func:`plot_gates` draw the same figures without widgets.

ipywidgets and matplotlib (``pip install ipywidgets matplotlib``) are imported only when a
widget or figure is made, so importing this module needs neither.
"""

from ._panel import TrainingDiverged, TrainingPanel
from ._plots import plot_gates, plot_training_curves
from ._viewer import GateViewer

__all__ = ["GateViewer", "TrainingDiverged", "TrainingPanel", "plot_gates", "plot_training_curves"]
