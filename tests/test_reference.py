"""The NumPy reference against central finite differences and torch.nn.GRU's equations."""

import numpy as np
import pytest
from conftest import make_layer, random_lengths

from pygru import _reference

PARAMETERS = ["x", "h0", "w_ih", "w_hh", "b_ih", "b_hh"]


def recurrent_mask(batch, hidden, seed=4, rate=0.4):
    keep = np.random.default_rng(seed).random((batch, hidden)) >= rate
    return keep / (1 - rate)


def loss_and_seeds(layer, lengths, reset_after, reverse, seed=1, mask=None):
    """A scalar loss using both outputs and the final state, with fixed random weights."""
    options = dict(lengths=lengths, reset_after=reset_after, reverse=reverse, recurrent_mask=mask)
    out, h_n, _ = _reference.forward(**layer, **options)
    rng = np.random.default_rng(seed)
    d_out, d_h_n = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)

    def loss(values):
        out, h_n, _ = _reference.forward(**values, **options)
        return np.sum(out * d_out) + np.sum(h_n * d_h_n)

    return loss, d_out, d_h_n


def numerical_gradient(loss, layer, name, eps=1e-6):
    grad = np.zeros_like(layer[name])
    for index in np.ndindex(grad.shape):
        values = {k: v.copy() for k, v in layer.items()}
        values[name][index] += eps
        plus = loss(values)
        values[name][index] -= 2 * eps
        grad[index] = (plus - loss(values)) / (2 * eps)
    return grad


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("ragged", [False, True])
@pytest.mark.parametrize("dropout", [False, True])
def test_backward_matches_finite_differences(reset_after, reverse, ragged, dropout):
    layer = make_layer(3, 4, 2, 3, seed=7)
    lengths = random_lengths(3, 4, seed=3) if ragged else None
    mask = recurrent_mask(3, 3) if dropout else None
    loss, d_out, d_h_n = loss_and_seeds(layer, lengths, reset_after, reverse, mask=mask)
    _, _, cache = _reference.forward(
        **layer, lengths=lengths, reset_after=reset_after, reverse=reverse, recurrent_mask=mask
    )
    analytic = dict(zip(PARAMETERS, _reference.backward(d_out, d_h_n, cache)))
    for name in PARAMETERS:
        np.testing.assert_allclose(
            analytic[name],
            numerical_gradient(loss, layer, name),
            rtol=1e-6,
            atol=1e-8,
            err_msg=name,
        )


def test_recurrent_mask_multiplies_the_state_only_where_it_meets_w_hh():
    layer = make_layer(2, 1, 3, 4)
    mask = recurrent_mask(2, 4)
    _, h_n, _ = _reference.forward(**layer, recurrent_mask=mask)
    x, h = layer["x"][:, 0], layer["h0"]
    gi = x @ layer["w_ih"].T + layer["b_ih"]
    gh = (h * mask) @ layer["w_hh"].T + layer["b_hh"]
    r = 1 / (1 + np.exp(-(gi[:, :4] + gh[:, :4])))
    z = 1 / (1 + np.exp(-(gi[:, 4:8] + gh[:, 4:8])))
    n = np.tanh(gi[:, 8:] + r * gh[:, 8:])
    np.testing.assert_allclose(h_n, (1 - z) * n + z * h, rtol=1e-14)


def test_backward_accepts_missing_gradients():
    layer = make_layer(2, 3, 2, 2)
    out, h_n, cache = _reference.forward(**layer)
    only_out = _reference.backward(np.ones_like(out), None, cache)
    only_state = _reference.backward(None, np.ones_like(h_n), cache)
    both = _reference.backward(np.ones_like(out), np.ones_like(h_n), cache)
    for a, b, total in zip(only_out, only_state, both):
        np.testing.assert_allclose(a + b, total, rtol=1e-12, atol=1e-14)


def test_matches_the_equations_written_out_for_one_step():
    layer = make_layer(2, 1, 3, 4)
    out, h_n, _ = _reference.forward(**layer)
    x, h = layer["x"][:, 0], layer["h0"]
    w_ir, w_iz, w_in = np.split(layer["w_ih"], 3)
    w_hr, w_hz, w_hn = np.split(layer["w_hh"], 3)
    b_ir, b_iz, b_in = np.split(layer["b_ih"], 3)
    b_hr, b_hz, b_hn = np.split(layer["b_hh"], 3)
    r = 1 / (1 + np.exp(-(x @ w_ir.T + b_ir + h @ w_hr.T + b_hr)))
    z = 1 / (1 + np.exp(-(x @ w_iz.T + b_iz + h @ w_hz.T + b_hz)))
    n = np.tanh(x @ w_in.T + b_in + r * (h @ w_hn.T + b_hn))
    np.testing.assert_allclose(h_n, (1 - z) * n + z * h, rtol=1e-14)
    n_before = np.tanh(x @ w_in.T + b_in + (r * h) @ w_hn.T + b_hn)
    _, h_before, _ = _reference.forward(**layer, reset_after=False)
    np.testing.assert_allclose(h_before, (1 - z) * n_before + z * h, rtol=1e-14)


def test_lengths_carry_state_and_zero_outputs():
    layer = make_layer(2, 5, 2, 3)
    out, h_n, _ = _reference.forward(**layer, lengths=[5, 2])
    assert np.all(out[1, 2:] == 0)
    np.testing.assert_array_equal(h_n[1], out[1, 1])
    short = {k: (v[1:2, :2] if k == "x" else v[1:2] if k == "h0" else v) for k, v in layer.items()}
    out_short, h_short, _ = _reference.forward(**short)
    np.testing.assert_allclose(out[1, :2], out_short[0], rtol=1e-14)


def test_reverse_reads_each_sequence_backwards_within_its_length():
    layer = make_layer(2, 5, 2, 3)
    lengths = np.array([5, 3])
    out, h_n, _ = _reference.forward(**layer, lengths=lengths, reverse=True)
    for b, length in enumerate(lengths):
        flipped = dict(
            layer, x=layer["x"][b : b + 1, :length][:, ::-1].copy(), h0=layer["h0"][b : b + 1]
        )
        out_flipped, h_flipped, _ = _reference.forward(**flipped)
        np.testing.assert_allclose(out[b, :length], out_flipped[0, ::-1], rtol=1e-14)
        np.testing.assert_allclose(h_n[b], h_flipped[0], rtol=1e-14)
        assert np.all(out[b, length:] == 0)


def test_matches_torch_when_installed():
    torch = pytest.importorskip("torch")
    layer = make_layer(3, 6, 4, 5)
    gru = torch.nn.GRU(4, 5, batch_first=True).double()
    with torch.no_grad():
        for name, key in [
            ("weight_ih_l0", "w_ih"),
            ("weight_hh_l0", "w_hh"),
            ("bias_ih_l0", "b_ih"),
            ("bias_hh_l0", "b_hh"),
        ]:
            getattr(gru, name).copy_(torch.from_numpy(layer[key]))
        expected, h_expected = gru(
            torch.from_numpy(layer["x"]), torch.from_numpy(layer["h0"])[None]
        )
    out, h_n, _ = _reference.forward(**layer)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n, h_expected[0].numpy(), rtol=1e-12)
