"""The one place where the optional notebook dependencies are imported.

``import pygru`` (and ``import pygru.notebook``) must work with only NumPy, SciPy and
scikit-learn installed, so ipywidgets and matplotlib are imported on first use, here, with an
error that says how to install them.
"""

import io

import numpy as np

_INSTALL_HINT = (
    "install them: pip install ipywidgets matplotlib (pygru's notebook extras; from its "
    "source folder, pip install '.[notebook]')"
)


def ipywidgets():
    """The ``ipywidgets`` module."""
    try:
        import ipywidgets
    except ImportError as error:
        raise ImportError(f"pygru.notebook's widgets need ipywidgets; {_INSTALL_HINT}") from error
    return ipywidgets


def _matplotlib():
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(f"pygru.notebook's plots need matplotlib; {_INSTALL_HINT}") from error
    return matplotlib


def detached_figure(**kwargs):
    """A matplotlib Figure that pyplot does not track.

    The widgets draw into such figures: pyplot's global figure list is not thread-safe (the
    training panel redraws from its worker thread), and a figure it tracks would also be shown
    a second time, as a static image, at the end of the cell that created the widget.
    """
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def pyplot_figure(**kwargs):
    """A new figure managed by pyplot, as the plotting functions return to users: shown by
    the notebook's inline backend, or by ``plt.show()`` in a script."""
    _matplotlib()
    from matplotlib import pyplot

    return pyplot.figure(**kwargs)


def figure_to_draw_into(figure, **kwargs):
    """``figure``, cleared, or a new pyplot figure (with ``kwargs``) when it is None."""
    if figure is None:
        return pyplot_figure(**kwargs)
    _matplotlib()
    from matplotlib.figure import Figure

    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure or None, got {type(figure).__name__}")
    figure.clear()
    return figure


def png_bytes(figure):
    """The figure rendered as PNG (Agg, at the figure's own dpi), for an ``ipywidgets.Image``."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def check_display(display):
    """Refuse a ``display`` argument that is not a bool ("no" was taken for True)."""
    if not isinstance(display, (bool, np.bool_)):
        raise TypeError(f"display must be True or False, got {display!r}")


def show(widget):
    """Display a widget in the notebook (IPython comes with ipywidgets); nothing outside
    IPython, where its display printed the widget's repr, kilobytes of it, in a script."""
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is not None:
        display(widget)


def close_widgets(widget):
    """Close ``widget`` and every widget inside it: ipywidgets keeps each widget, and what
    its callbacks hold, until it is closed, and closing a widget leaves its children, its
    layout and its style open (35 widgets of each closed training panel stayed)."""
    for child in getattr(widget, "children", ()):
        close_widgets(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if part is not None:
            part.close()
    widget.close()
