"""The order of the gallery's examples, read by ``conf.py`` (sphinx-gallery's
``within_subsection_order``; a class named by its import path keeps Sphinx's cached
configuration picklable). A new example must be added to ``EXAMPLES``: the build fails on an
example that is not listed."""

from pathlib import Path

EXAMPLES = [
    "plot_quick_start.py",
    "plot_ragged_sequences.py",
    "plot_training_curves.py",
    "plot_gates.py",
    "plot_forecasting.py",
    "plot_text_sentiment.py",
    "plot_gru_vs_lstm.py",
    "plot_speed_against_torch.py",
    "plot_onnx_export.py",
]


class ExampleOrder:
    """Sort key: an example's position in ``EXAMPLES``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name not in EXAMPLES:
            raise ValueError(f"{name} is not listed in docs/gallery_order.py")
        return EXAMPLES.index(name)
