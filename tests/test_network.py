"""The GRU network: parameter layout, initializers, and its gradient against finite
differences (the full stack, both heads, bidirectional, embedding, dropout)."""

import numpy as np
import pytest

import pygru._network as network_module
from pygru._network import GRUNetwork, orthogonal, q_factor


def make_network(**options):
    settings = dict(n_inputs=3, hidden_layer_sizes=(4, 3), n_outputs=2, dtype=np.float64)
    settings.update(options)
    network = GRUNetwork(**settings)
    network.initialize(
        np.random.default_rng(0),
        recurrent_initializer="orthogonal",
        bias_initializer="glorot_uniform",
    )
    return network


def make_inputs(network, n=4, steps=5, seed=1):
    rng = np.random.default_rng(seed)
    lengths = np.array([5, 2, 4, 1][:n])
    if network.embedding_dim is not None:
        X = rng.integers(1, network.n_inputs, size=(n, steps))
        for i, length in enumerate(lengths):
            X[i, length:] = 0
    else:
        X = rng.standard_normal((n, steps, network.n_inputs))
    return X, lengths


def numerical_gradient(network, loss, eps=1e-6):
    grad = np.zeros_like(network.params)
    for i in range(network.params.size):
        saved = network.params[i]
        network.params[i] = saved + eps
        plus = loss()
        network.params[i] = saved - eps
        minus = loss()
        network.params[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(bidirectional=True),
        dict(reset_after=False, bidirectional=True),
        dict(output="sequence"),
        dict(output="sequence", bidirectional=True, hidden_layer_sizes=(3,)),
        dict(embedding_dim=2, n_inputs=6),
    ],
    ids=["stacked", "bidirectional", "cho-bidirectional", "sequence", "sequence-bi", "embedding"],
)
@pytest.mark.parametrize("dropout, recurrent_dropout", [(0.0, 0.0), (0.3, 0.0), (0.0, 0.4)])
def test_gradient_matches_finite_differences(options, dropout, recurrent_dropout):
    network = make_network(**options)
    X, lengths = make_inputs(network)
    output, _ = network.forward(X, lengths)
    weights = np.random.default_rng(2).standard_normal(output.shape)
    if network.output == "sequence":
        weights[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 0

    def loss():
        output, _ = network.forward(
            X,
            lengths,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            rng=np.random.default_rng(7),
        )
        return np.sum(output * weights)

    _, cache = network.forward(
        X,
        lengths,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        rng=np.random.default_rng(7),
    )
    analytic = network.backward(weights, cache)
    np.testing.assert_allclose(analytic, numerical_gradient(network, loss), rtol=1e-5, atol=1e-8)


def test_parameters_live_in_one_flat_buffer():
    network = make_network(bidirectional=True)
    assert sum(v.size for v in network.views.values()) == network.params.size
    for view in network.views.values():
        assert np.shares_memory(view, network.params)
    network.params[:] = 0
    assert all(not v.any() for v in network.views.values())
    assert list(network.views) == [
        "gru0.forward.w_ih",
        "gru0.forward.w_hh",
        "gru0.forward.b_ih",
        "gru0.forward.b_hh",
        "gru0.backward.w_ih",
        "gru0.backward.w_hh",
        "gru0.backward.b_ih",
        "gru0.backward.b_hh",
        "gru1.forward.w_ih",
        "gru1.forward.w_hh",
        "gru1.forward.b_ih",
        "gru1.forward.b_hh",
        "gru1.backward.w_ih",
        "gru1.backward.w_hh",
        "gru1.backward.b_ih",
        "gru1.backward.b_hh",
        "head.weight",
        "head.bias",
    ]
    assert network.views["gru1.forward.w_ih"].shape == (9, 8)
    assert network.views["head.weight"].shape == (2, 6)


def test_weight_mask_excludes_biases():
    network = make_network()
    mask = network.unflatten(network.weight_mask())
    assert mask["gru0.forward.w_hh"].all() and mask["head.weight"].all()
    assert not mask["gru0.forward.b_ih"].any() and not mask["head.bias"].any()


def test_default_initializers():
    network = GRUNetwork(3, (16,), 2)
    network.initialize(np.random.default_rng(0))
    w_hh = network.views["gru0.forward.w_hh"].astype(np.float64)
    for block in np.split(w_hh, 3):
        np.testing.assert_allclose(block @ block.T, np.eye(16), atol=1e-6)
    w_ih = network.views["gru0.forward.w_ih"]
    assert np.abs(w_ih).max() <= np.sqrt(6 / (3 + 48))
    assert not network.views["gru0.forward.b_ih"].any()
    assert network.params.dtype == np.float32


@pytest.mark.parametrize("name, kurtosis", [("glorot_uniform", 1.8), ("glorot_normal", 3.0)])
def test_glorot_initializers_have_glorots_variance_and_their_own_shape(name, kurtosis):
    # Var = 2 / (fan_in + fan_out) for both (Glorot & Bengio 2010); a uniform's kurtosis is
    # 1.8, a normal's 3. glorot_normal, a public option, was never drawn by the suite.
    network = GRUNetwork(100, (200,), 2)
    network.initialize(np.random.default_rng(0), kernel_initializer=name)
    w_ih = network.views["gru0.forward.w_ih"].astype(np.float64)  # (600, 100)
    variance = 2.0 / (w_ih.shape[0] + w_ih.shape[1])
    assert abs(w_ih.mean()) < 3 * np.sqrt(variance / w_ih.size)
    assert w_ih.var() == pytest.approx(variance, rel=0.02)
    assert np.mean(w_ih**4) / w_ih.var() ** 2 == pytest.approx(kurtosis, rel=0.05)


def test_orthogonal_handles_any_block_count():
    q = orthogonal((6, 4), 4, 6, np.random.default_rng(0))
    np.testing.assert_allclose(q[:4] @ q[:4].T, np.eye(4), atol=1e-12)
    assert q.shape == (6, 4)


@pytest.mark.parametrize("n", [1, 2, 5, 64])
def test_q_factor_is_lapacks_q_with_a_positive_r_diagonal(n):
    # Computed without BLAS or LAPACK (whose kernels differ between CPUs), the same Q as
    # np.linalg.qr's to rounding: Q orthogonal, Q'A upper triangular with a positive diagonal.
    matrix = np.random.default_rng(n).standard_normal((n, n))
    q = q_factor(matrix)
    lapack_q, lapack_r = np.linalg.qr(matrix)
    np.testing.assert_allclose(q, lapack_q * np.sign(np.diag(lapack_r)), rtol=0, atol=1e-13)
    np.testing.assert_allclose(q.T @ q, np.eye(n), rtol=0, atol=1e-14)
    r = q.T @ matrix
    np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-13)
    assert (np.diag(r) > 0).all()
    np.testing.assert_array_equal(q_factor(np.zeros((3, 3))), np.eye(3))


def test_bidirectional_last_state_reads_the_reversed_direction_at_time_zero():
    network = make_network(bidirectional=True, hidden_layer_sizes=(3,))
    X, lengths = make_inputs(network)
    _, cache = network.forward(X, lengths)
    backward = cache.layers[0].directions["backward"]
    np.testing.assert_array_equal(cache.last_states[1], backward.out[:, 0])


def test_results_do_not_depend_on_padding():
    network = make_network(bidirectional=True)
    X, lengths = make_inputs(network)
    noisy = X.copy()
    for i, length in enumerate(lengths):
        noisy[i, length:] = 5.0
    np.testing.assert_array_equal(
        network.forward(X, lengths)[0], network.forward(noisy, lengths)[0]
    )


def test_gate_activations_are_nan_past_each_length():
    network = make_network(bidirectional=True)
    X, lengths = make_inputs(network)
    activations = network.gate_activations(X, lengths)
    assert len(activations) == 2 and set(activations[0]) == {"forward", "backward"}
    gates = activations[1]["backward"]
    assert set(gates) == {"r", "z", "n", "h"} and gates["h"].shape == (4, 5, 3)
    assert np.isnan(gates["z"][1, 2:]).all() and np.isfinite(gates["z"][1, :2]).all()
    assert ((gates["r"][0] > 0) & (gates["r"][0] < 1)).all()


POOLING_CASES = {
    "mean": dict(pooling="mean"),
    "max": dict(pooling="max"),
    "attention": dict(pooling="attention"),
    "concat": dict(pooling="concat"),
    "mean-bidirectional": dict(pooling="mean", bidirectional=True),
    "max-cho-bidirectional": dict(pooling="max", reset_after=False, bidirectional=True),
    "attention-bidirectional": dict(pooling="attention", bidirectional=True),
    "concat-bidirectional-embedding": dict(
        pooling="concat", bidirectional=True, embedding_dim=2, n_inputs=6
    ),
}


LINEAR_SKIP_CASES = {
    "last": dict(linear_steps=3),
    "window-longer-than-every-sequence": dict(linear_steps=7),
    "concat-bidirectional": dict(linear_steps=2, pooling="concat", bidirectional=True),
    "cho-attention": dict(linear_steps=4, pooling="attention", reset_after=False),
}
CONV_CASES = {
    "one": dict(conv_layers=((3, 3),)),
    "even-kernels-concat-bidirectional": dict(
        conv_layers=((4, 2), (3, 4)), pooling="concat", bidirectional=True
    ),
    # A kernel longer than every sequence: most of each window is padding.
    "kernel-longer-than-every-sequence-attention": dict(
        conv_layers=((2, 7), (3, 1)), pooling="attention"
    ),
    "with-linear-skip": dict(conv_layers=((3, 3),), linear_steps=2),
}
HEAD_CASES = {
    **POOLING_CASES,
    **{f"linear-skip-{k}": v for k, v in LINEAR_SKIP_CASES.items()},
    **{f"conv-{k}": v for k, v in CONV_CASES.items()},
}


@pytest.mark.parametrize("options", HEAD_CASES.values(), ids=HEAD_CASES)
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_head_gradient_matches_finite_differences(options, dropout):
    """Pooling heads and the linear skip, against central differences."""
    network = make_network(**options)
    X, lengths = make_inputs(network)
    weights = np.random.default_rng(2).standard_normal((len(lengths), network.n_outputs))

    def forward():
        return network.forward(X, lengths, dropout=dropout, rng=np.random.default_rng(7))

    def loss():
        return np.sum(forward()[0] * weights)

    analytic = network.backward(weights, forward()[1])
    np.testing.assert_allclose(analytic, numerical_gradient(network, loss), rtol=1e-5, atol=1e-8)
    gradients = network.unflatten(analytic)
    if options.get("pooling") == "attention":  # the scores' weights are learned too
        assert np.abs(gradients["attention.weight"]).min() > 0
    if options.get("linear_steps"):
        assert np.abs(gradients["linear.weight"]).max() > 0
    for layer in range(len(options.get("conv_layers", ()))):  # every branch weight learns
        for name in ("weight", "bias", "norm_scale", "norm_bias"):
            assert np.abs(gradients[f"conv{layer}.{name}"]).max() > 0


def pooled(network, X, lengths):
    """What the head reads, (n, features)."""
    return network.forward(X, lengths)[1].head_input


@pytest.mark.parametrize("bidirectional", [False, True])
def test_pooling_reads_the_valid_steps_of_the_top_layer(bidirectional):
    """Against a plain loop over each sequence's valid steps (the networks share their GRU
    weights: the same seed fills the same layout up to the head)."""
    networks = {
        pooling: make_network(bidirectional=bidirectional, pooling=pooling)
        for pooling in ("last", "mean", "max", "concat")
    }
    X, lengths = make_inputs(networks["last"])
    top = networks["last"].forward(X, lengths)[1].top_outputs
    expected = {
        "last": pooled(networks["last"], X, lengths),
        "mean": [top[i, :length].mean(axis=0) for i, length in enumerate(lengths)],
        "max": [top[i, :length].max(axis=0) for i, length in enumerate(lengths)],
    }
    expected["concat"] = np.hstack([expected["last"], expected["mean"], expected["max"]])
    for pooling, network in networks.items():
        np.testing.assert_allclose(pooled(network, X, lengths), expected[pooling], rtol=1e-12)


def test_attention_weights_are_a_softmax_over_the_valid_steps():
    network = make_network(pooling="attention", bidirectional=True)
    X, lengths = make_inputs(network)
    cache = network.forward(X, lengths)[1]
    weight = network.views["attention.weight"][0]
    for i, length in enumerate(lengths):
        scores = cache.top_outputs[i, :length] @ weight
        expected = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        np.testing.assert_allclose(cache.attention[i, :length], expected, rtol=1e-12)
        assert not cache.attention[i, length:].any()
        np.testing.assert_allclose(
            cache.head_input[i], expected @ cache.top_outputs[i, :length], rtol=1e-12
        )


@pytest.mark.parametrize("pooling", ["mean", "max", "attention", "concat"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "linear_steps, conv_layers", [(0, ()), (6, ()), (0, ((5, 8), (4, 5), (3, 3)))]
)
def test_pooling_is_batch_independent(pooling, dtype, linear_steps, conv_layers):
    """A sequence's output, bit for bit, alone (padded to its own length) and in a ragged
    batch padded further, with other padding values (with a linear skip, some sequences
    are shorter than its window; the convolutions' windows reach past some ends)."""
    network = make_network(
        pooling=pooling,
        bidirectional=True,
        dtype=dtype,
        linear_steps=linear_steps,
        conv_layers=conv_layers,
    )
    rng = np.random.default_rng(3)
    lengths = np.array([37, 3, 20, 1, 11])
    X = rng.standard_normal((5, 40, 3)).astype(dtype)
    X[np.arange(40)[None, :] >= lengths[:, None]] = 7.0
    batch = network.forward(X, lengths)[0]
    for i, length in enumerate(lengths):
        alone = network.forward(X[i : i + 1, :length], lengths[i : i + 1])[0]
        np.testing.assert_array_equal(alone[0], batch[i])


def assert_sums_rounded_once(sums, values, lengths):
    """Each sequence's sum is the float64 sum of its valid steps in time order, rounded
    once to the values' dtype."""
    for i, length in enumerate(lengths):
        in_float64 = np.cumsum(values[i, :length], axis=0, dtype=np.float64)[-1]
        np.testing.assert_array_equal(sums[i], in_float64.astype(values.dtype))


@pytest.mark.parametrize("width", [1, 2, 33])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sums_over_valid_steps_are_in_time_order_however_far_padded(width, dtype):
    """Whichever way the sums go (NumPy's sum over the steps from two values a step on the
    CPU, a cumsum read at each length otherwise), each is the float64 sum of the valid
    steps in time order rounded once, and padding the batch further changes no bit."""
    rng = np.random.default_rng(0)
    lengths = np.array([1, 7, 30, 12])
    values = rng.standard_normal((4, 30, width)) * rng.uniform(1e-3, 1e3, (4, 30, 1))
    values = values.astype(dtype)
    values[np.arange(30)[None, :] >= lengths[:, None]] = 0
    sums = network_module._sum_valid_steps(np, values, lengths)
    assert_sums_rounded_once(sums, values, lengths)
    padded = np.concatenate([values, np.zeros((4, 270, width), dtype)], axis=1)
    np.testing.assert_array_equal(network_module._sum_valid_steps(np, padded, lengths), sums)


@pytest.mark.parametrize("width", [1, 33])
def test_float32_sums_over_many_steps_are_rounded_once(width):
    """20,000 float32 values near 293 added in float32 drift by tens of their last bits
    (35-56); accumulated in float64, the sum is the float64 sum rounded once."""
    rng = np.random.default_rng(0)
    values = (293 + rng.standard_normal((2, 20_000, width))).astype(np.float32)
    lengths = np.array([20_000, 12_345])
    values[1, 12_345:] = 0  # (zero past its length, as the GRU's outputs are)
    assert_sums_rounded_once(network_module._sum_valid_steps(np, values, lengths), values, lengths)


@pytest.mark.parametrize("pooling", ["mean", "attention", "concat"])
def test_float32_network_over_a_long_sequence_matches_float64(pooling):
    """Mean and attention pooling and the convolutional branch's normalisation sum over
    every step: over 20,000 steps of a series near 293 the float32 network stays within
    float32's precision of the same weights in float64 (4e-6 to 7e-5 apart when it summed
    in float32)."""
    options = dict(n_inputs=1, hidden_layer_sizes=(3,), conv_layers=((2, 3),), pooling=pooling)
    network64 = make_network(**options)
    network32 = make_network(**options, dtype=np.float32)
    network32.params[...] = network64.params
    rng = np.random.default_rng(0)
    X = 293 + rng.standard_normal((2, 20_000, 1))
    lengths = np.array([20_000, 15_000])
    output64 = network64.forward(X, lengths, keep_cache=False)[0]
    output32 = network32.forward(X.astype(np.float32), lengths, keep_cache=False)[0]
    np.testing.assert_allclose(output32, output64, rtol=0, atol=1e-6)


def test_pooling_is_checked():
    with pytest.raises(ValueError, match="pooling must be one of .* got 'sum'"):
        make_network(pooling="sum")
    with pytest.raises(ValueError, match="pooling='mean' needs output='last'"):
        make_network(pooling="mean", output="sequence")


def test_pooling_shapes_the_head():
    assert make_network(pooling="concat").views["head.weight"].shape == (2, 9)
    network = make_network(pooling="attention", bidirectional=True)
    assert network.views["attention.weight"].shape == (1, 6)
    assert network.views["head.weight"].shape == (2, 6)
    assert network.unflatten(network.weight_mask())["attention.weight"].all()


@pytest.mark.parametrize("linear_steps", [1, 3, 7])
def test_linear_skip_adds_a_linear_map_of_each_sequences_last_steps(linear_steps):
    """Against a loop: the last ``linear_steps`` valid input steps of each sequence, zeros in
    front of a shorter one (the networks share everything up to the head)."""
    plain = make_network()
    skipping = make_network(linear_steps=linear_steps)
    skipping.params[: plain.params.size] = plain.params
    X, lengths = make_inputs(plain)
    weight = skipping.views["linear.weight"]
    expected = plain.forward(X, lengths)[0].copy()
    for i, length in enumerate(lengths):
        window = np.zeros((linear_steps, plain.n_inputs))
        kept = min(length, linear_steps)
        window[linear_steps - kept :] = X[i, length - kept : length]
        expected[i] += weight @ window.ravel()
    np.testing.assert_allclose(skipping.forward(X, lengths)[0], expected, rtol=1e-12)


def test_linear_skip_is_checked_and_shaped():
    for options in (dict(output="sequence"), dict(embedding_dim=2, n_inputs=6)):
        with pytest.raises(ValueError, match="linear_steps=3 needs output='last' and numeric"):
            make_network(linear_steps=3, **options)
    network = make_network(linear_steps=4)
    assert list(network.shapes)[-1] == "linear.weight"
    assert network.views["linear.weight"].shape == (2, 12)
    assert network.unflatten(network.weight_mask())["linear.weight"].all()


def reference_conv_branch(network, X, lengths):
    """The convolutional branch's pooled output, by loops over each sequence's valid steps:
    a "same" convolution as sums over its taps, normalisation over the sequence's steps and
    filters, scale and shift per filter, ReLU, mean."""
    pooled = []
    for sequence, length in zip(X, lengths):
        inputs = sequence[:length]
        for layer, (filters, kernel_size) in enumerate(network.conv_layers):
            weight = network.views[f"conv{layer}.weight"].reshape(filters, kernel_size, -1)
            before = (kernel_size - 1) // 2
            out = np.zeros((length, filters))
            for t in range(length):
                out[t] = network.views[f"conv{layer}.bias"]
                for k in range(kernel_size):
                    if 0 <= t + k - before < length:
                        out[t] += weight[:, k] @ inputs[t + k - before]
            normalized = (out - out.mean()) / np.sqrt(out.var() + 1e-5)
            scaled = (
                normalized * network.views[f"conv{layer}.norm_scale"]
                + network.views[f"conv{layer}.norm_bias"]
            )
            inputs = np.maximum(scaled, 0.0)
        pooled.append(inputs.mean(axis=0))
    return np.array(pooled)


@pytest.mark.parametrize("conv_layers", [((4, 1),), ((4, 3), (5, 8)), ((3, 2), (2, 5), (4, 4))])
def test_conv_branch_against_loops_over_the_valid_steps(conv_layers):
    network = make_network(conv_layers=conv_layers, pooling="mean")
    rng = np.random.default_rng(5)
    # Not the initial weights alone: scales and shifts away from 1 and 0 are read too.
    network.params += rng.normal(0.0, 0.3, network.params.shape)
    X, lengths = make_inputs(network, steps=9)
    filters = conv_layers[-1][0]
    np.testing.assert_allclose(
        pooled(network, X, lengths)[:, -filters:],
        reference_conv_branch(network, X, lengths),
        rtol=1e-10,
        atol=1e-12,
    )
    # Prediction keeps nothing for a backward pass, and computes the same.
    output, cache = network.forward(X, lengths, keep_cache=False)
    assert cache.conv_layers == [] and cache.layers == []
    np.testing.assert_array_equal(output, network.forward(X, lengths)[0])


def test_conv_branch_layout_and_checks():
    network = make_network(conv_layers=[(5, 8), (6, 3)], pooling="concat")
    assert network.conv_layers == ((5, 8), (6, 3))
    assert network.views["conv0.weight"].shape == (5, 8 * 3)
    assert network.views["conv1.weight"].shape == (6, 3 * 5)
    assert network.views["head.weight"].shape == (2, 3 * 3 + 6)
    np.testing.assert_array_equal(network.views["conv1.norm_scale"], 1.0)  # the norm's affine
    np.testing.assert_array_equal(network.views["conv1.norm_bias"], 0.0)  # map starts as identity
    mask = network.unflatten(network.weight_mask())
    assert mask["conv0.weight"].all() and mask["conv1.weight"].all()
    assert not mask["conv0.bias"].any() and not mask["conv0.norm_scale"].any()
    assert not mask["conv0.norm_bias"].any()
    for options in (dict(output="sequence"), dict(embedding_dim=2, n_inputs=6)):
        with pytest.raises(ValueError, match="conv_layers=.* needs output='last' and numeric"):
            make_network(conv_layers=((2, 3),), **options)
