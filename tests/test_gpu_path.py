"""The estimators' GPU code path (device="cuda"/"auto"), on any machine.

``fake_cupy`` stands in for CuPy: device arrays that refuse implicit conversion to NumPy and
count every copy across the bus, with the GRU layer computed by the CPU kernels. So these
tests check everything around the kernels — parameters, optimizer state and batches on the
device, what is transferred, errors without CuPy, pickling to NumPy — and, because the
arithmetic is the CPU's, that a GPU fit gives exactly the CPU's model. tests/test_cuda.py
repeats the comparison with the real kernels on a GPU.
"""

import copy
import io
import pickle
import sys

import fake_cupy
import numpy as np
import pytest

from pygru import GRUClassifier, GRURegressor, load, save, to_torch_state_dict
from pygru._sequences import similar_length_groups, to_padded, to_padded_tokens

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def cupy(monkeypatch):
    return fake_cupy.install(monkeypatch)


def sequences(n=40, steps=9, features=2, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, steps + 1, n)
    X = [rng.standard_normal((length, features)) for length in lengths]
    y = np.array([int(x[:, 0].sum() > 0) for x in X])
    return X, y


CASES = {
    "classifier": (GRUClassifier, dict()),
    "bidirectional, two layers, float64": (
        GRUClassifier,
        dict(hidden_layer_sizes=(5, 3), bidirectional=True, dtype="float64"),
    ),
    "reset_after=False, class weights, L2, clipping": (
        GRUClassifier,
        dict(reset_after=False, class_weight="balanced", alpha=1e-2, clipnorm=0.5, clipvalue=0.1),
    ),
    "sgd, early stopping": (
        GRUClassifier,
        dict(solver="sgd", early_stopping=True, validation_fraction=0.25),
    ),
    "rmsprop, patches": (GRUClassifier, dict(solver="rmsprop", patch_size=3)),
    "conv branch, patches, concat pooling": (
        GRUClassifier,
        dict(conv_layers=((4, 3), (3, 2)), patch_size=2, pooling="concat"),
    ),
    "regressor": (GRURegressor, dict()),
    "sequence regressor": (GRURegressor, dict(output="sequence")),
    "embedding": (GRUClassifier, dict(embedding_dim=3)),
}


def data_for(estimator_class, options):
    X, y = sequences()
    if options.get("embedding_dim"):
        X = [np.clip(np.abs(x[:, 0] * 4).astype(int) + 1, 1, 9) for x in X]
    if estimator_class is GRURegressor:
        y = (
            [x[:, 0].cumsum() for x in X]
            if options.get("output") == "sequence"
            else np.array([x[:, 1].mean() for x in X])
        )
    return X, y


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_a_gpu_fit_is_the_cpu_fit(cupy, case):
    """Same data, same seed: the device path computes exactly what the CPU path does."""
    estimator_class, options = CASES[case]
    X, y = data_for(estimator_class, options)
    settings = {
        **dict(hidden_layer_sizes=(4,), max_iter=4, batch_size=8, random_state=0),
        **options,
    }
    on_cpu = estimator_class(device="cpu", **settings).fit(X, y)
    on_gpu = estimator_class(device="cuda", **settings).fit(X, y, sample_weight=None)
    assert isinstance(on_gpu.network_.params, cupy.ndarray)
    assert isinstance(on_cpu.network_.params, np.ndarray)
    np.testing.assert_array_equal(on_gpu.network_.params.get(), on_cpu.network_.params)
    assert on_gpu.loss_curve_ == on_cpu.loss_curve_
    predictions = on_gpu.predict(X)
    expected = on_cpu.predict(X)
    if isinstance(expected, list):
        for actual, want in zip(predictions, expected):
            np.testing.assert_array_equal(actual, want)
    else:
        assert isinstance(predictions, np.ndarray)
        np.testing.assert_array_equal(predictions, expected)


def test_parameters_optimizer_state_and_data_stay_on_the_device(cupy):
    X, y = sequences(n=64)
    seen = []

    def inspect(estimator, record):
        seen.append(
            (
                type(estimator.network_.params),
                type(estimator._optimizer.first_moment),
                type(estimator._optimizer.params),
                estimator._optimizer.params is estimator.network_.params,
            )
        )

    fake_cupy.TRANSFERS.clear()
    clf = GRUClassifier(
        hidden_layer_sizes=(4,),
        max_iter=3,
        batch_size=8,
        device="cuda",
        callbacks=inspect,
        window_warp=0.05,  # "auto" leaves these noise-like series unwarped
        random_state=0,
    ).fit(X, y)
    assert seen == [(cupy.ndarray, cupy.ndarray, cupy.ndarray, True)] * 3
    # Parameters, weight mask, X and targets cross once, then one shuffled order per pass
    # over the data and, for the pooling head (the default "concat"), each batch's lengths
    # (8 batches per pass); no array comes back. The passes are the 3 epochs and, at the
    # end, one for each of the three weights the fit can end on (the average, the last
    # step and the initial weights), to compare their training objectives. Per batch only
    # scalars are read: the loss and the checks for non-finite values and class indices.
    # Window warping draws each training batch's windows on the host
    # and sends three small arrays per batch: the two steps each warped step reads between
    # and their interpolation weights.
    passes, warps = 3 + 3, 3 * 3 * 8
    assert fake_cupy.TRANSFERS["host_to_device"] == 4 + passes * (1 + 8) + warps, (
        fake_cupy.TRANSFERS
    )
    assert fake_cupy.TRANSFERS["device_to_host"] == 0, fake_cupy.TRANSFERS
    assert fake_cupy.TRANSFERS["scalars_read"] <= 6 * 8 * passes, fake_cupy.TRANSFERS
    fake_cupy.TRANSFERS.clear()
    # A list is read in groups of similar length (lengths 2-9: 2-3, 4-7, 8-9), each one
    # batch here: its X and lengths in, its output back.
    clf.predict(X)
    assert len(similar_length_groups(X)) == 3
    assert fake_cupy.TRANSFERS == {"host_to_device": 2 * 3, "device_to_host": 3}
    fake_cupy.TRANSFERS.clear()
    clf.predict(to_padded(X)[0])  # one array: one batch
    assert fake_cupy.TRANSFERS == {"host_to_device": 2, "device_to_host": 1}
    fake_cupy.TRANSFERS.clear()
    clf.set_params(pooling="last").fit(X, y)  # the final states need no lengths on the device
    assert fake_cupy.TRANSFERS["host_to_device"] == 4 + passes + warps, fake_cupy.TRANSFERS


def test_dropout_masks_are_made_on_the_device(cupy):
    X, y = sequences()
    options = dict(
        hidden_layer_sizes=(4, 4), dropout=0.3, recurrent_dropout=0.3, max_iter=3, random_state=0
    )
    first = GRUClassifier(device="cuda", **options).fit(X, y)
    again = GRUClassifier(device="cuda", **options).fit(X, y)
    on_cpu = GRUClassifier(device="cpu", **options).fit(X, y)
    np.testing.assert_array_equal(first.network_.params.get(), again.network_.params.get())
    assert not np.array_equal(first.network_.params.get(), on_cpu.network_.params)
    assert np.all(np.isfinite(first.predict_proba(X)))


@pytest.mark.parametrize("continue_by", ["partial_fit", "warm_start"])
def test_gpu_dropout_masks_are_new_in_each_call_without_shuffling(cupy, monkeypatch, continue_by):
    # The device generator was seeded from a jumped copy of the estimator's, which does not
    # advance it: with shuffle=False every partial_fit call (and warm fit) drew the same
    # masks, a fixed sub-network, where the CPU draws new ones.
    seeds = []
    make = cupy.random.default_rng
    monkeypatch.setattr(cupy.random, "default_rng", lambda seed: seeds.append(seed) or make(seed))
    X, y = sequences()
    options = dict(hidden_layer_sizes=(4,), recurrent_dropout=0.5, shuffle=False, max_iter=1)
    model = GRUClassifier(device="cuda", random_state=0, **options)
    for _ in range(3):
        if continue_by == "partial_fit":
            model.partial_fit(X, y, classes=np.unique(y))
        else:
            model.set_params(warm_start=True).fit(X, y)
    assert len(seeds) == 3 and len(set(seeds)) == 3, seeds
    # A fresh fit draws the masks it drew before: the seed is the raw output of a jumped
    # copy of the generator, as it was, not one mixed with t_ (which changed every model).
    jumped, draw_masks = [], GRUClassifier._mask_rng

    def recording(estimator, xp):
        jumped.append(int(copy.deepcopy(estimator._rng).bit_generator.jumped().random_raw()))
        return draw_masks(estimator, xp)

    monkeypatch.setattr(GRUClassifier, "_mask_rng", recording)
    for _ in range(2):
        GRUClassifier(device="cuda", random_state=0, **options).fit(X, y)
    assert seeds[3:] == jumped and jumped[0] == jumped[1] and jumped[0] >= 2**32, seeds


def test_a_gpu_model_pickles_with_numpy_and_predicts_where_there_is_no_cupy(monkeypatch):
    X, y = sequences()
    with monkeypatch.context() as patched:
        fake_cupy.install(patched)
        clf = GRUClassifier(
            hidden_layer_sizes=(4,), max_iter=2, device="cuda", random_state=0
        ).fit(X, y)
        expected = clf.predict_proba(X)
        data = pickle.dumps(clf)
        assert isinstance(clf.network_.params, sys.modules["cupy"].ndarray)  # unchanged
        saved = io.BytesIO()
        save(clf, saved)
        state = to_torch_state_dict(clf, fold_standardization=True)
        assert all(type(value) is np.ndarray for value in state.values())
        assert all(type(w) is np.ndarray for w in clf.coefs_ + clf.intercepts_)
        gates = clf.gate_activations(X[:3])[0]["forward"]["z"]
        assert type(gates) is np.ndarray
    assert b"cupy" not in data  # no device array inside
    monkeypatch.setitem(sys.modules, "cupy", None)  # no CuPy on this machine
    for restored in (pickle.loads(data), load(io.BytesIO(saved.getvalue()))):
        assert restored.device == "cuda" and type(restored.network_.params) is np.ndarray
        np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-6)
    restored = pickle.loads(data)
    assert restored._optimizer.params is restored.network_.params
    with pytest.raises(ValueError, match="device='cuda' is not available"):
        restored.partial_fit(X, y)  # training, unlike predicting, needs the device


EXPORT_CASES = ["classifier", "conv branch, patches, concat pooling", "regressor", "embedding"]


@pytest.mark.parametrize("case", EXPORT_CASES)
def test_a_gpu_model_exports_as_the_same_model_trained_on_the_cpu(cupy, case):
    # The exporters read NumPy arrays: a GPU model is exported from a host copy (its own
    # network stays on the device), and gives the graph and module of the CPU's fit.
    onnxruntime = pytest.importorskip("onnxruntime")
    torch = pytest.importorskip("torch")
    from pygru import to_onnx, to_torch_module

    estimator_class, options = CASES[case]
    X, y = data_for(estimator_class, options)
    settings = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0, **options)
    on_gpu = estimator_class(device="cuda", **settings).fit(X, y)
    on_cpu = estimator_class(device="cpu", **settings).fit(X, y)
    tokens = options.get("embedding_dim") is not None
    padded, lengths = to_padded_tokens(X) if tokens else to_padded(X)
    session = onnxruntime.InferenceSession(to_onnx(on_gpu).SerializeToString())
    from_onnx = session.run(None, {"X": padded, "lengths": lengths})[-1]
    from_torch = to_torch_module(on_gpu)(torch.from_numpy(padded), torch.from_numpy(lengths))
    if estimator_class is GRUClassifier:
        expected = on_cpu.predict_proba(X)
    else:
        expected = on_cpu.predict(X).reshape(len(X), -1)
    np.testing.assert_allclose(from_onnx, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(from_torch.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    assert isinstance(on_gpu.network_.params, cupy.ndarray)


def test_a_pickled_gpu_model_continues_training_on_the_gpu(cupy):
    X, y = sequences()
    clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=2, device="cuda", random_state=0).fit(
        X, y
    )
    restored = pickle.loads(pickle.dumps(clf))
    restored.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert isinstance(restored.network_.params, cupy.ndarray)
    assert restored._optimizer.params is restored.network_.params
    np.testing.assert_array_equal(restored.network_.params.get(), clf.network_.params.get())


def test_auto_picks_the_gpu_when_there_is_one(cupy):
    X, y = sequences()
    clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=1, device="auto").fit(X, y)
    assert isinstance(clf.network_.params, cupy.ndarray)


@pytest.mark.parametrize("missing", ["no-cupy", "no-device"])
def test_auto_falls_back_to_the_cpu_and_cuda_says_what_is_missing(monkeypatch, missing):
    if missing == "no-cupy":
        monkeypatch.setitem(sys.modules, "cupy", None)
        reason = "CuPy"
    else:
        cupy = fake_cupy.install(monkeypatch)
        monkeypatch.setattr(cupy.cuda.runtime, "getDeviceCount", lambda: 0)
        reason = "no CUDA device"
    X, y = sequences()
    clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=1, device="auto").fit(X, y)
    assert type(clf.network_.params) is np.ndarray
    with pytest.raises(ValueError, match=f"device='cuda' is not available.*{reason}"):
        GRUClassifier(max_iter=1, device="cuda").fit(X, y)


def test_divergence_on_the_gpu_keeps_the_last_good_weights(cupy):
    X, y = sequences()
    clf = GRUClassifier(hidden_layer_sizes=(4,), max_iter=1, device="cuda", random_state=0).fit(
        X, y
    )
    good = clf.network_.params.get()
    clf.set_params(learning_rate_init=1e30, solver="sgd", warm_start=True, max_iter=3)
    with pytest.warns(Warning, match="diverged"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.network_.params.get(), good)
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_gpu_dropout_after_loading_a_saved_model_is_reproducible(cupy):
    X, y = sequences()
    options = dict(
        hidden_layer_sizes=(4,),
        dropout=0.3,
        recurrent_dropout=0.3,
        max_iter=2,
        device="cuda",
        random_state=0,
    )
    saved = io.BytesIO()
    save(GRUClassifier(**options).fit(X, y), saved)
    continued = []
    for _ in range(2):
        model = load(io.BytesIO(saved.getvalue()))
        model.partial_fit(X, y)
        continued.append(model.network_.params.get())
    np.testing.assert_array_equal(continued[0], continued[1])


def test_a_module_of_a_gpu_model_is_written_back_into_it(cupy):
    # from_torch_module's check of the module's statistics read the network on the device,
    # where to_torch_module reads a host copy: a model trained on the GPU got "Implicit
    # conversion to a NumPy array is not allowed" (review32).
    torch = pytest.importorskip("torch")
    from pygru import from_torch_module, to_torch_module

    rng = np.random.default_rng(0)
    X = [rng.standard_normal((int(length), 2)) for length in rng.integers(2, 9, 40)]
    y = np.array([int(x[:, 0].sum() > 0) for x in X])
    clf = GRUClassifier((4,), max_iter=2, device="cuda", random_state=0).fit(X, y)
    module = to_torch_module(clf)
    with torch.no_grad():
        module.head.bias += 1.0
    from_torch_module(clf, module)
    assert isinstance(clf.network_.params, cupy.ndarray)
    expected = module.head.bias.detach().numpy()
    np.testing.assert_allclose(clf.network_.views["head.bias"].get(), expected)
