import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


def make_layer(batch, steps, inputs, hidden, dtype=np.float64, seed=0, scale=0.6):
    """Random GRU layer parameters and inputs, as a dict of gru_forward's arguments."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    return dict(
        x=normal(batch, steps, inputs),
        w_ih=normal(3 * hidden, inputs),
        w_hh=normal(3 * hidden, hidden),
        b_ih=normal(3 * hidden),
        b_hh=normal(3 * hidden),
        h0=normal(batch, hidden),
    )


def record_padded_sizes(monkeypatch, module, name):
    """A list to which every call of ``module.name`` (a function returning (padded,
    lengths)) adds its padded array's number of steps in all (sequences x steps)."""
    sizes = []
    read = getattr(module, name)

    def recording(*args, **kwargs):
        padded, lengths = read(*args, **kwargs)
        sizes.append(padded.shape[0] * padded.shape[1])
        return padded, lengths

    monkeypatch.setattr(module, name, recording)
    return sizes


def run_in_a_fresh_python(code, folder, **variables):
    """Run ``code`` with ``python -c`` in a new interpreter, in ``folder``, with the pygru
    that the tests import and the environment ``variables`` added. Outside the source
    tree: ``python -c`` puts the working folder first on sys.path, and the checkout's pygru/
    has no compiled kernels when pygru is pip-installed."""
    import pygru

    environment = dict(os.environ, **variables, PYTHONPATH=str(Path(pygru.__file__).parent.parent))
    subprocess.run([sys.executable, "-c", code], check=True, env=environment, cwd=folder)


def random_lengths(batch, steps, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, steps + 1, size=batch)
    lengths[0] = steps
    return lengths


@pytest.fixture
def layer_factory():
    return make_layer


@pytest.fixture(autouse=True)
def global_numpy_random_state_of_its_own():
    """Each test starts from the same global NumPy random state, whatever ran before it.
    An estimator with ``random_state=None`` draws its seed from that state, as
    scikit-learn's do, so a test that fits one fitted another model in every order and
    selection of tests: one such test failed in about one run of eight (session 38)."""
    state = np.random.get_state()
    np.random.seed(0)
    yield
    np.random.set_state(state)
