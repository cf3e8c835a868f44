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


def random_lengths(batch, steps, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, steps + 1, size=batch)
    lengths[0] = steps
    return lengths


@pytest.fixture
def layer_factory():
    return make_layer
