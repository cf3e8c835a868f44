import copy
import math
import pickle

import numpy as np
import pytest

from pygru._optimizers import (
    SGD,
    Adam,
    AdaptiveSchedule,
    ConstantSchedule,
    ExponentialSchedule,
    RMSprop,
    clip_gradients,
    make_optimizer,
    make_schedule,
)

PARAMS = np.array([1.0, -2.0, 0.5])
GRADS_1 = np.array([0.3, -0.1, 2.0])
GRADS_2 = np.array([-0.2, 0.4, 1.0])


def two_steps(optimizer):
    optimizer.step(GRADS_1.astype(optimizer.params.dtype))
    after_first = optimizer.params.copy()
    optimizer.step(GRADS_2.astype(optimizer.params.dtype))
    return after_first, optimizer.params.copy()


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_first_two_steps_match_the_formulas(nesterov):
    lr, mu = 0.1, 0.9
    optimizer = SGD(PARAMS.copy(), learning_rate_init=lr, momentum=mu, nesterov=nesterov)
    after_first, after_second = two_steps(optimizer)

    velocity_1 = -lr * GRADS_1
    velocity_2 = mu * velocity_1 - lr * GRADS_2
    if nesterov:
        expected_1 = PARAMS + mu * velocity_1 - lr * GRADS_1
        expected_2 = expected_1 + mu * velocity_2 - lr * GRADS_2
    else:
        expected_1 = PARAMS + velocity_1
        expected_2 = expected_1 + velocity_2
    np.testing.assert_allclose(after_first, expected_1, rtol=1e-14)
    np.testing.assert_allclose(after_second, expected_2, rtol=1e-14)
    np.testing.assert_allclose(optimizer.velocity, velocity_2, rtol=1e-14)
    assert optimizer.t == 2


def test_nesterov_differs_from_plain_momentum():
    nesterov = SGD(PARAMS.copy(), learning_rate_init=0.1, nesterov=True)
    plain = SGD(PARAMS.copy(), learning_rate_init=0.1, nesterov=False)
    assert not np.allclose(two_steps(nesterov)[1], two_steps(plain)[1])


def test_sgd_without_momentum_is_plain_gradient_descent():
    optimizer = SGD(PARAMS.copy(), learning_rate_init=0.1, momentum=0.0)
    after_first, after_second = two_steps(optimizer)
    np.testing.assert_allclose(after_first, PARAMS - 0.1 * GRADS_1)
    np.testing.assert_allclose(after_second, PARAMS - 0.1 * (GRADS_1 + GRADS_2))


def test_adam_first_two_steps_match_the_formulas():
    lr, beta_1, beta_2, epsilon = 0.01, 0.8, 0.99, 1e-8
    optimizer = Adam(PARAMS.copy(), lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    after_first, after_second = two_steps(optimizer)

    params = PARAMS.copy()
    m = v = np.zeros(3)
    expected = []
    for t, g in enumerate([GRADS_1, GRADS_2], start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        step_size = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        params = params - step_size * m / (np.sqrt(v) + epsilon)
        expected.append(params)
    np.testing.assert_allclose(after_first, expected[0], rtol=1e-14)
    np.testing.assert_allclose(after_second, expected[1], rtol=1e-14)
    # The bias correction makes the first step lr * sign(g), up to epsilon.
    np.testing.assert_allclose(after_first, PARAMS - lr * np.sign(GRADS_1), rtol=1e-6)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop_first_two_steps_match_the_formulas(momentum):
    lr, rho, epsilon = 0.01, 0.9, 1e-7
    optimizer = RMSprop(PARAMS.copy(), lr, rho=rho, epsilon=epsilon, momentum=momentum)
    after_first, after_second = two_steps(optimizer)

    params = PARAMS.copy()
    mean_square = velocity = np.zeros(3)
    expected = []
    for g in [GRADS_1, GRADS_2]:
        mean_square = rho * mean_square + (1 - rho) * g**2
        velocity = momentum * velocity + lr * g / np.sqrt(mean_square + epsilon)
        params = params - velocity
        expected.append(params)
    np.testing.assert_allclose(after_first, expected[0], rtol=1e-14)
    np.testing.assert_allclose(after_second, expected[1], rtol=1e-14)
    assert (optimizer.velocity is None) == (momentum == 0)


# Learning rates each optimizer converges with on the problems below.
CONVERGING = [
    ("sgd", 0.05, {}),
    ("sgd", 0.05, {"nesterov": False}),
    ("adam", 0.05, {}),
    ("rmsprop", 0.01, {}),
    ("rmsprop", 0.005, {"momentum": 0.9}),
]


@pytest.mark.parametrize("name, learning_rate, options", CONVERGING)
def test_optimizers_minimise_a_quadratic(name, learning_rate, options):
    curvature = np.array([1.0, 4.0, 0.5])
    minimum = np.array([3.0, -1.0, 2.0])
    params = np.zeros(3)
    optimizer = make_optimizer(name, params, learning_rate, **options)
    for _ in range(2000):
        optimizer.step(curvature * (params - minimum))
    np.testing.assert_allclose(params, minimum, atol=1e-2)


@pytest.mark.parametrize("name, learning_rate, options", CONVERGING)
def test_optimizers_solve_least_squares(name, learning_rate, options):
    rng = np.random.default_rng(0)
    design = rng.normal(size=(30, 4))
    targets = design @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=30)
    solution = np.linalg.lstsq(design, targets, rcond=None)[0]
    params = np.zeros(4)
    optimizer = make_optimizer(name, params, learning_rate, **options)
    for _ in range(3000):
        optimizer.step(design.T @ (design @ params - targets) / len(targets))
    np.testing.assert_allclose(params, solution, atol=1e-2)


@pytest.mark.parametrize(
    "name, options",
    [("sgd", {"momentum": 0.5}), ("adam", {"beta_1": 0.8}), ("rmsprop", {"momentum": 0.5})],
)
def test_float32_stays_float32(name, options):
    params = PARAMS.astype(np.float32)
    # NumPy float64 hyperparameters must not promote the float32 arithmetic either.
    float64_options = {key: np.float64(value) for key, value in options.items()}
    optimizer = make_optimizer(name, params, np.float64(0.01), **float64_options)
    reference = make_optimizer(name, PARAMS.copy(), 0.01, **options)
    for _ in range(3):
        optimizer.step(GRADS_1.astype(np.float32))
        reference.step(GRADS_1)
    assert optimizer.params is params and params.dtype == np.float32
    states = [value for value in vars(optimizer).values() if isinstance(value, np.ndarray)]
    assert len(states) >= 2 and all(state.dtype == np.float32 for state in states)
    np.testing.assert_allclose(params, reference.params, rtol=1e-5)


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))])
def test_copies_continue_identically(name, duplicate):
    optimizer = make_optimizer(name, PARAMS.copy(), 0.01, schedule=AdaptiveSchedule(0.01))
    two_steps(optimizer)
    optimizer.on_epoch_end(1, 0.5, 10)
    twin = duplicate(optimizer)
    assert twin.params is not optimizer.params
    for _ in range(3):
        optimizer.step(GRADS_2)
        twin.step(GRADS_2)
    np.testing.assert_array_equal(twin.params, optimizer.params)
    assert twin.t == optimizer.t == 5
    assert twin.schedule.best_loss == 0.5


def test_constant_schedule_never_changes():
    optimizer = Adam(PARAMS.copy(), learning_rate_init=0.01)
    for epoch in range(1, 5):
        assert optimizer.on_epoch_end(epoch, 1.0, 100 * epoch) is False
        assert optimizer.learning_rate == 0.01


def test_invscaling_schedule_follows_samples_seen():
    schedule = make_schedule("invscaling", 0.1, power_t=0.5)
    assert schedule.learning_rate == 0.1
    for epoch, n_samples_seen in [(1, 3), (2, 8), (3, 99)]:
        schedule.on_epoch_end(epoch, 1.0, n_samples_seen)
        assert schedule.learning_rate == pytest.approx(0.1 / math.sqrt(n_samples_seen + 1))


def test_invscaling_with_a_large_power_t_decays_to_zero():
    # (n + 1) ** power_t overflowed: OverflowError after about 150 epochs of 8 sequences at
    # power_t=100 (t_ counts each sequence of each epoch), from the first epoch at 400, in
    # a message that did not name power_t.
    for power_t in (100.0, 400.0, 1e308):
        schedule = make_schedule("invscaling", 0.1, power_t=power_t)
        schedule.on_epoch_end(1, 1.0, 9_999)  # 10,000 ** 100 = 1e400
        assert schedule.learning_rate == 0.0
    schedule = make_schedule("invscaling", 0.1, power_t=100.0)
    schedule.on_epoch_end(1, 1.0, 1)
    assert schedule.learning_rate == 0.1 / 2.0**100


def test_exponential_schedule_decays_per_epoch():
    optimizer = SGD(PARAMS.copy(), 0.2, schedule=ExponentialSchedule(0.2, decay_rate=0.5))
    rates = [optimizer.learning_rate]
    for epoch in range(1, 4):
        optimizer.on_epoch_end(epoch, 1.0, 10 * epoch)
        rates.append(optimizer.learning_rate)
    np.testing.assert_allclose(rates, [0.2, 0.1, 0.05, 0.025])


def test_adaptive_schedule_divides_by_five_after_n_iter_no_change_stalled_epochs():
    schedule = make_schedule("adaptive", 1e-3, tol=0.1, n_iter_no_change=2)
    losses = [1.0, 0.5, 0.45, 0.41, 0.3, 0.25, 0.2]
    # 0.45 and 0.41 do not beat 0.5 by tol: the second of them triggers the division.
    # 0.3 then beats the best (0.41) by tol; 0.25 and 0.2 do not beat 0.3 by tol.
    expected = [1e-3, 1e-3, 1e-3, 2e-4, 2e-4, 2e-4, 4e-5]
    for epoch, (loss, rate) in enumerate(zip(losses, expected), start=1):
        assert schedule.on_epoch_end(epoch, loss, epoch) is False
        assert schedule.learning_rate == pytest.approx(rate)
    assert schedule.best_loss == 0.2


def test_adaptive_schedule_asks_to_stop_once_the_rate_is_tiny():
    optimizer = RMSprop(PARAMS.copy(), 1e-3, schedule=AdaptiveSchedule(1e-3, n_iter_no_change=1))
    decisions = [optimizer.on_epoch_end(epoch, 1.0, 0) for epoch in range(1, 8)]
    # Epoch 1 sets the best loss and each later one stalls: epochs 2 to 6 bring the rate to
    # 1e-3 / 5**5 = 3.2e-7 <= 1e-6, so the stall of epoch 7 asks to stop.
    assert decisions == [False] * 6 + [True]
    assert optimizer.learning_rate == pytest.approx(1e-3 / 5**5)


def test_adaptive_schedule_counts_nan_as_no_progress():
    schedule = AdaptiveSchedule(1e-3, n_iter_no_change=1)
    schedule.on_epoch_end(1, 1.0, 0)
    schedule.on_epoch_end(2, float("nan"), 0)
    assert schedule.learning_rate == pytest.approx(2e-4)


def test_clip_by_global_norm():
    grads = np.array([3.0, 4.0, 0.0], dtype=np.float32)
    assert clip_gradients(grads, clipnorm=10.0) is grads
    np.testing.assert_array_equal(grads, [3, 4, 0])  # below the norm: unchanged
    clip_gradients(grads, clipnorm=2.5)
    np.testing.assert_allclose(grads, [1.5, 2.0, 0.0], rtol=1e-6)
    assert grads.dtype == np.float32


def test_clip_by_global_norm_does_not_overflow_float32():
    grads = np.full(4, 1e30, dtype=np.float32)
    clip_gradients(grads, clipnorm=1.0)
    np.testing.assert_allclose(grads, np.full(4, 0.5), rtol=1e-6)


def test_clip_by_value_then_norm_order():
    grads = np.array([-3.0, 0.5, 10.0])
    clip_gradients(grads, clipvalue=1.0)
    np.testing.assert_array_equal(grads, [-1.0, 0.5, 1.0])
    grads = np.array([0.0, 30.0, 40.0])
    clip_gradients(grads, clipnorm=5.0, clipvalue=3.5)
    np.testing.assert_allclose(grads, [0.0, 3.0, 3.5])


@pytest.mark.parametrize(
    "options, match",
    [
        ({"clipnorm": 0.0}, r"'clipnorm' parameter of GRUClassifier .* range \(0.0, inf\)"),
        ({"clipvalue": -1}, r"'clipvalue' parameter of GRUClassifier .* range \(0.0, inf\)"),
        ({"clipnorm": "1"}, "'clipnorm' parameter of GRUClassifier must be"),
        ({"learning_rate_init": 0}, "'learning_rate_init' parameter"),
        ({"momentum": 1.5}, "'momentum' parameter"),
        ({"nesterovs_momentum": 1}, "'nesterovs_momentum' parameter"),
        ({"beta_2": 1.0}, "'beta_2' parameter"),
        ({"epsilon": 0.0}, "'epsilon' parameter"),
        ({"rho": -0.1}, "'rho' parameter"),
        ({"power_t": -1}, "'power_t' parameter"),
        ({"decay_rate": 0}, "'decay_rate' parameter"),
        ({"n_iter_no_change": 0}, "'n_iter_no_change' parameter"),
        ({"tol": -1.0}, "'tol' parameter"),
    ],
)
def test_bad_optimizer_settings_are_refused_at_the_estimator(options, match):
    # Validated once, at the edge (the estimators' _parameter_constraints): the optimizers
    # and schedules trust what reaches them.
    from pygru import GRUClassifier

    X, y = np.random.default_rng(0).standard_normal((6, 4, 1)), np.array([0, 1] * 3)
    with pytest.raises(ValueError, match=match):
        GRUClassifier(hidden_layer_sizes=(2,), max_iter=1, **options).fit(X, y)


def test_an_epsilon_that_rounds_to_zero_in_the_model_dtype_is_refused():
    # Added to float32 arrays, 1e-50 was 0: an embedding row no sequence reads (gradient
    # 0) stepped by 0 / 0, and the fit reported a divergence, advising a smaller learning
    # rate (audit39d). float64 holds it; sgd never reads it.
    from pygru import GRUClassifier

    tokens = np.arange(1, 8)[np.arange(16 * 5).reshape(16, 5) % 7]
    y = np.array([0, 1] * 8)

    def model(**options):
        return GRUClassifier(
            (3,),
            embedding_dim=2,
            vocabulary_size=20,
            alpha=0.0,
            epsilon=1e-50,
            max_iter=2,
            random_state=0,
            **options,
        )

    for solver in ("adam", "rmsprop"):
        with pytest.raises(ValueError, match=r"epsilon=1e-50 rounds to 0.0 in float32"):
            model(solver=solver).fit(tokens, y)
        assert model(solver=solver, dtype="float64").fit(tokens, y).n_iter_ == 2
        # a subnormal float32 is not 0: it trains (review39)
        assert model(solver=solver).set_params(epsilon=1e-40).fit(tokens, y).n_iter_ == 2
    assert model(solver="sgd").fit(tokens, y).n_iter_ == 2
    # Only training reads epsilon: a fitted model set to 1e-50 still predicts (review39).
    fitted = model(solver="sgd").fit(tokens, y).set_params(solver="adam")
    assert fitted.predict(tokens).shape == y.shape
    with pytest.raises(ValueError, match="rounds to 0"):
        fitted.partial_fit(tokens, y)
    # ... and one that overflows to inf made every step 0: training stopped silently
    fitted.set_params(epsilon=1e39)
    with pytest.raises(ValueError, match=r"epsilon=1e\+39 rounds to inf in float32"):
        fitted.partial_fit(tokens, y)


@pytest.mark.parametrize(
    "build, error, match",
    [
        (
            lambda: make_optimizer("lbfgs", np.zeros(2), 0.1),
            ValueError,
            r"Unknown optimizer name='lbfgs'; expected one of 'adam', 'rmsprop', 'sgd'",
        ),
        (
            lambda: make_schedule("cosine", 0.1),
            ValueError,
            r"Unknown schedule name='cosine'; expected one of 'adaptive', 'constant', ",
        ),
        (lambda: SGD([0.0, 1.0]), TypeError, "params must be a 1-D .* array, got list"),
        (lambda: SGD(np.zeros(2, dtype=int)), TypeError, "params must have a floating"),
        (lambda: SGD(np.zeros((2, 2))), ValueError, r"params must be 1-D .*got shape \(2, 2\)"),
        (
            lambda: SGD(np.zeros(2), 0.1, schedule=ConstantSchedule(0.2)),
            ValueError,
            "learning_rate_init=0.1 differs from the schedule's learning_rate_init=0.2",
        ),
        (lambda: make_optimizer("adam", np.zeros(2), 0.1, momentum=0.9), TypeError, "momentum"),
    ],
)
def test_bad_arguments_are_rejected(build, error, match):
    with pytest.raises(error, match=match):
        build()


@pytest.mark.parametrize(
    "grads, error, match",
    [
        (np.zeros(2), ValueError, r"grads must have the shape of params \(3,\), got \(2,\)"),
        ([0.0, 0.0, 0.0], ValueError, "got list"),
        (np.zeros(3, dtype=np.float32), TypeError, r"dtype of params \(float64\), got float32"),
    ],
)
def test_step_rejects_mismatched_grads(grads, error, match):
    optimizer = SGD(np.zeros(3))
    with pytest.raises(error, match=match):
        optimizer.step(grads)
    assert optimizer.t == 0
