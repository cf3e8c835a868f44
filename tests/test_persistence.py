"""pygru._persistence: pipelines saved and loaded without pickle, hostile pipeline files, and
what load says about files that are not pygru files. (The estimator format, its fixtures and
its hostile files are tested in tests/test_io.py.)"""

import copy
import io
import json
import re
import warnings
import zipfile

import numpy as np
import pytest
import sklearn
from npz_members import read_members, tampered, write_members
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

import pygru._persistence
from pygru import GRUClassifier, GRURegressor, preprocessing
from pygru._persistence import FORMAT_VERSION, PIPELINE_FORMAT_VERSION, _is_fitted, load, save
from pygru.datasets import load_movie_reviews, load_ucr
from pygru.text import TokenSequencer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0)


def round_trip(obj):
    buffer = io.BytesIO()
    save(obj, buffer)
    return load(io.BytesIO(buffer.getvalue()))


def saved_bytes(obj):
    buffer = io.BytesIO()
    save(obj, buffer)
    return buffer.getvalue()


def assert_same_pipeline(loaded, original):
    """Same steps, of the same types, with the same parameters and fitted attributes."""
    assert type(loaded) is Pipeline
    assert [name for name, _ in loaded.steps] == [name for name, _ in original.steps]
    for (_, step), (_, expected) in zip(loaded.steps, original.steps):
        assert type(step) is type(expected)
        assert repr(step.get_params(deep=False)) == repr(expected.get_params(deep=False))
        if hasattr(step, "network_"):
            np.testing.assert_array_equal(step.network_.params, expected.network_.params)
            continue
        fitted = {name for name in vars(expected) if name.endswith("_")}
        assert fitted == {name for name in vars(step) if name.endswith("_")}
        for name in fitted:
            value, wanted = getattr(step, name), getattr(expected, name)
            assert type(value) is type(wanted), name
            if isinstance(wanted, np.ndarray):
                assert value.dtype == wanted.dtype, name
                np.testing.assert_array_equal(value, wanted)
            else:
                assert value == wanted, name


@pytest.fixture(scope="module")
def text_data():
    texts, labels, _, _ = load_movie_reviews(return_X_y=True)
    return list(texts[:60]), np.asarray(labels[:60])


@pytest.fixture(scope="module")
def text_pipeline(text_data):
    texts, labels = text_data
    return make_pipeline(
        TokenSequencer(max_features=200, max_len=20),
        GRUClassifier(embedding_dim=8, **SMALL),
    ).fit(texts, labels)


@pytest.fixture(scope="module")
def series():
    """ItalyPowerDemand as 2-D univariate series (n, 24): training X, y and test X."""
    X_train, y_train, X_test, _ = load_ucr("ItalyPowerDemand", return_X_y=True)
    return X_train[:40, :, 0], y_train[:40], X_test[:30, :, 0]


# ----------------------------------------------------------------------------- round trips


def test_the_same_model_saves_to_the_same_bytes_at_any_time(series, monkeypatch):
    # The metadata member was stamped with the clock, so a model saved twice gave two
    # digests (artifact hashes, caches); every member is now dated as the arrays are.
    import time
    import zipfile

    X, y, _ = series
    model = make_pipeline(StandardScaler(), GRUClassifier(**SMALL)).fit(X, y)
    first = saved_bytes(model)
    monkeypatch.setattr(zipfile.time, "time", lambda: time.time() + 86400 * 400)
    assert saved_bytes(model) == first


def test_text_pipeline_round_trip_predicts_identically(text_pipeline, text_data, tmp_path):
    texts, _ = text_data
    path = tmp_path / "text.npz"
    save(text_pipeline, path)
    loaded = load(path)
    assert_same_pipeline(loaded, text_pipeline)
    assert loaded[0].vocabulary_ == text_pipeline[0].vocabulary_
    assert list(loaded[0].vocabulary_) == list(text_pipeline[0].vocabulary_)  # same order
    unseen = ["a film nobody has seen", ""]
    for documents in (texts, unseen):
        np.testing.assert_array_equal(
            loaded.predict_proba(documents), text_pipeline.predict_proba(documents)
        )
    np.testing.assert_array_equal(loaded.predict(texts), text_pipeline.predict(texts))


@pytest.mark.parametrize(
    "sizes",
    [
        dict(embedding_dim=np.int64(3), hidden_layer_sizes=(np.int64(4),)),
        dict(patch_size=np.int32(2), hidden_layer_sizes=np.int64(4)),
    ],
)
def test_sizes_given_as_numpy_integers_round_trip(sizes, tmp_path):
    # A search over np.array([2, 4]) sets NumPy ints: save failed with "Object of type int64
    # is not JSON serializable".
    X = np.random.default_rng(0).integers(1, 6, size=(20, 8))
    y = np.arange(20) % 2
    clf = GRUClassifier(max_iter=2, random_state=0, **sizes).fit(X, y)
    save(clf, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_scaled_univariate_regression_round_trip(series):
    X, _, X_test = series
    target = X[:, -1] * 1000.0  # a target far from unit scale
    pipe = make_pipeline(StandardScaler(), GRURegressor(**SMALL)).fit(X[:, :-1], target)
    loaded = round_trip(pipe)
    assert_same_pipeline(loaded, pipe)
    np.testing.assert_array_equal(loaded.predict(X_test[:, :-1]), pipe.predict(X_test[:, :-1]))


def test_scalers_with_every_kind_of_fitted_state_round_trip(series):
    X, y, X_test = series
    with_nan = X.copy()
    with_nan[0, 3] = np.nan  # StandardScaler then counts samples per feature (an array)
    pipe = make_pipeline(
        StandardScaler(with_mean=False),
        MinMaxScaler(feature_range=(-1, 2), clip=True),
        GRUClassifier(**SMALL),
    ).fit(np.nan_to_num(with_nan), y)
    pipe[0].fit(with_nan)
    assert isinstance(pipe[0].n_samples_seen_, np.ndarray)
    loaded = round_trip(pipe)
    assert_same_pipeline(loaded, pipe)
    np.testing.assert_array_equal(loaded.predict_proba(X_test), pipe.predict_proba(X_test))
    assert loaded[1].feature_range == (-1, 2)


def test_feature_names_come_back_as_strings(series):
    pandas = pytest.importorskip("pandas")
    X, y, _ = series
    frame = pandas.DataFrame(X, columns=[f"t{i}" for i in range(X.shape[1])])
    scaler = StandardScaler().fit(frame)
    loaded = round_trip(scaler)
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.feature_names_in_, scaler.feature_names_in_)
    np.testing.assert_array_equal(loaded.transform(frame), scaler.transform(frame))
    # A name ending in NUL loaded without it, and the step refused the frame it was fitted
    # on (audit39a): save refuses it, naming the step and the attribute.
    named = frame.rename(columns={"t0": "t0\x00"})
    for model in (StandardScaler().fit(named), make_pipeline(StandardScaler()).fit(named)):
        with pytest.raises(
            TypeError, match=r"feature_names_in_\): it holds strings that end in NUL"
        ):
            save(model, io.BytesIO())


def test_sequence_transformers_round_trip(series):
    X, y, X_test = series
    ragged = [row[: 12 + i % 12] for i, row in enumerate(X)]
    pipe = make_pipeline(
        preprocessing.SequenceImputer(),
        preprocessing.SequenceScaler(),
        GRUClassifier(**SMALL),
    ).fit(ragged, y)
    loaded = round_trip(pipe)
    assert_same_pipeline(loaded, pipe)
    np.testing.assert_array_equal(loaded.predict_proba(X_test), pipe.predict_proba(X_test))
    np.testing.assert_array_equal(loaded.predict_proba(ragged), pipe.predict_proba(ragged))


def test_nested_pipelines_and_passthrough_round_trip(series):
    X, y, X_test = series
    inner = Pipeline([("scale", StandardScaler()), ("nothing", "passthrough")])
    pipe = Pipeline([("prepare", inner), ("skip", None), ("gru", GRUClassifier(**SMALL))])
    pipe.fit(X, y)
    loaded = round_trip(pipe)
    assert type(loaded[0]) is Pipeline and loaded[0].steps[1] == ("nothing", "passthrough")
    assert loaded.steps[1] == ("skip", None)
    assert_same_pipeline(loaded[0][:1], inner[:1])
    np.testing.assert_array_equal(loaded.predict_proba(X_test), pipe.predict_proba(X_test))


def test_unfitted_pipeline_round_trips_and_then_fits_like_the_original(series):
    X, y, X_test = series
    pipe = make_pipeline(MinMaxScaler(feature_range=(0, 3)), GRUClassifier(**SMALL))
    loaded = round_trip(pipe)
    assert repr(loaded) == repr(pipe)
    assert not hasattr(loaded[0], "scale_") and not hasattr(loaded[1], "network_")
    np.testing.assert_array_equal(
        loaded.fit(X, y).predict_proba(X_test), pipe.fit(X, y).predict_proba(X_test)
    )


def test_a_lone_transformer_round_trips(text_pipeline, text_data):
    texts, _ = text_data
    loaded = round_trip(text_pipeline[0])
    np.testing.assert_array_equal(loaded.transform(texts), text_pipeline[0].transform(texts))


def test_a_lone_estimator_still_writes_the_estimator_format(text_pipeline):
    blob = saved_bytes(text_pipeline[-1])
    metadata = json.loads(read_members(blob)["metadata.json"])
    assert (metadata["format"], metadata["format_version"]) == ("pygru-estimator", FORMAT_VERSION)


def test_pipeline_file_is_a_plain_npz_with_a_json_document(text_pipeline):
    blob = saved_bytes(text_pipeline)
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        metadata = json.loads(npz.zip.read("metadata.json"))
        assert metadata["format"] == "pygru-pipeline"
        assert metadata["format_version"] == PIPELINE_FORMAT_VERSION
        steps = metadata["root"]["steps"]
        assert [step["class"] for _, step in steps] == [
            "pygru.text.TokenSequencer",
            "pygru.GRUClassifier",
        ]
        np.testing.assert_array_equal(
            npz[steps[1][1]["arrays"]["params"]], text_pipeline[-1].network_.params
        )


# ------------------------------------------------------------------------- refused steps


def test_save_refuses_steps_it_cannot_store_safely_and_names_them(series):
    X, y, _ = series

    class MyScaler(StandardScaler):
        pass

    cases = {
        "step 'functiontransformer', a FunctionTransformer (its functions are code": (
            make_pipeline(FunctionTransformer(np.log1p), GRURegressor())
        ),
        "step 'prep' > 'myscaler', a MyScaler": Pipeline(
            [("prep", make_pipeline(MyScaler())), ("gru", GRUClassifier())]
        ),
        "got TransformedTargetRegressor": TransformedTargetRegressor(GRURegressor()),
        "got FunctionTransformer": FunctionTransformer(),
    }
    for message, obj in cases.items():
        with pytest.raises(TypeError, match=re.escape(message)) as refusal:
            save(obj, io.BytesIO())
        assert "save supports" in str(refusal.value) and "StandardScaler" in str(refusal.value)


@pytest.mark.parametrize("fitted", [False, True])
def test_save_warns_of_settings_outside_the_parameters(series, tmp_path, fitted):
    # set_output's container and set_fit_request's metadata requests have no place in the
    # file: saved without them, as callbacks are, and said so, fitted or not.
    X, y, _ = series
    pipe = make_pipeline(StandardScaler(), GRUClassifier(**SMALL))
    if fitted:
        pipe.fit(X, y)
    pipe.set_output(transform="default")
    with sklearn.config_context(enable_metadata_routing=True):
        pipe[-1].set_fit_request(X_val=True, y_val=True)
    path = tmp_path / "model.npz"
    with pytest.warns(UserWarning) as warned:
        save(pipe, path)
    messages = " | ".join(str(warning.message) for warning in warned)
    assert "step 'standardscaler' is saved without its output container" in messages
    assert "step 'gruclassifier' is saved without its metadata requests" in messages
    loaded = load(path)
    assert not vars(loaded[0]).get("_sklearn_output_config")
    assert not vars(loaded[-1]).get("_metadata_request")
    with pytest.warns(UserWarning, match="GRUClassifier is saved without its metadata requests"):
        save(pipe[-1], io.BytesIO())


def test_a_pipeline_cache_folder_is_neither_saved_nor_loaded(series, good_blob, tmp_path):
    # memory names a folder of the saving machine, and joblib's cache there holds pickles:
    # a file that set it made fit read pickles from a folder the file chose.
    X, y, _ = series
    pipe = make_pipeline(StandardScaler(), GRUClassifier(**SMALL), memory=str(tmp_path))
    with pytest.warns(UserWarning, match=r"memory=.* is saved as None"):
        blob = saved_bytes(pipe)
    assert load(io.BytesIO(blob)).memory is None
    crafted = tampered(good_blob, at("root", "params", "memory", str(tmp_path / "cache")))
    with pytest.warns(UserWarning, match=r"loaded as None"):
        loaded = load(io.BytesIO(crafted))
    assert loaded.memory is None
    loaded.fit(X, y)
    assert not (tmp_path / "cache").exists()


def test_save_refuses_attributes_it_cannot_store(series):
    X, _, _ = series
    scaler = StandardScaler().fit(X)
    scaler.mean_ = scaler.mean_.astype(object)
    with pytest.raises(TypeError, match="fitted attribute mean_ is an array of object"):
        save(scaler, io.BytesIO())


# ------------------------------------------------------------------- hostile pipeline files


def at(*path_and_value):
    """An edit that sets ``metadata["root"][path...]`` to a value (a copy of it)."""
    *path, value = path_and_value

    def edit(metadata):
        target = metadata
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = copy.deepcopy(value)

    return edit


def removed(*path):
    def edit(metadata):
        target = metadata
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


@pytest.fixture(scope="module")
def good_blob(series):
    """A scaled classifier: StandardScaler ('0/...' arrays), GRUClassifier ('1/...')."""
    X, y, _ = series
    pipe = make_pipeline(StandardScaler(), GRUClassifier(**SMALL)).fit(X, y)
    return saved_bytes(pipe)


@pytest.fixture(scope="module")
def good_text_blob(text_pipeline):
    return saved_bytes(text_pipeline)


SCALER = ("root", "steps", 0, 1)
GRU = ("root", "steps", 1, 1)

# case: (edit of metadata.json, what the refusal must say)
HOSTILE = {
    "newer-version": (
        at("format_version", PIPELINE_FORMAT_VERSION + 1),
        f"format version {PIPELINE_FORMAT_VERSION + 1} was written by a newer pygru",
    ),
    "version-as-bool": (at("format_version", True), "format_version must be a positive integer"),
    "root-missing": (removed("root"), "root must be a dict, got NoneType"),
    "root-a-list": (at("root", [1]), "root must be a dict, got list"),
    "unknown-class": (
        at(*SCALER, "class", "os.system"),
        "step 'standardscaler': class must be one of [",
    ),
    "function-transformer-class": (
        at(*SCALER, "class", "sklearn.preprocessing.FunctionTransformer"),
        "got 'sklearn.preprocessing.FunctionTransformer'",
    ),
    "class-as-list": (at(*SCALER, "class", ["StandardScaler"]), "got ['StandardScaler']"),
    "extra-node-key": (
        at(*SCALER, "code", "print(1)"),
        "step 'standardscaler' must have the keys ['arrays', 'class', 'fitted', 'params']",
    ),
    "pipeline-extra-key": (
        at("root", "fitted", {}),
        "the pipeline must have the keys ['class', 'params', 'steps']",
    ),
    "unknown-param": (
        at(*SCALER, "params", "func", "eval"),
        "step 'standardscaler': unknown parameter(s) for StandardScaler: ['func']",
    ),
    "bad-param": (
        at(*SCALER, "params", "with_mean", "yes"),
        "The 'with_mean' parameter of StandardScaler must be",
    ),
    "pipeline-unknown-param": (
        at("root", "params", "steps", []),
        "the pipeline: unknown parameter(s) for Pipeline: ['steps']",
    ),
    "pipeline-bad-memory": (
        at("root", "params", "memory", 5),
        "The 'memory' parameter of Pipeline must be",
    ),
    "steps-not-a-list": (at("root", "steps", {"a": 1}), "the pipeline: steps must be a list"),
    "step-not-a-pair": (
        at("root", "steps", 0, ["x"]),
        "pipeline steps must be [name, step] pairs",
    ),
    "step-name-not-a-string": (at("root", "steps", 0, 0, 7), "[name, step] pairs, got [7,"),
    "duplicate-step-names": (
        at("root", "steps", 1, 0, "standardscaler"),
        "step names must be unique, non-empty and without '__'",
    ),
    "step-name-with-dunders": (at("root", "steps", 0, 0, "a__b"), "without '__'"),
    "estimator-not-last": (
        lambda metadata: metadata["root"]["steps"].reverse(),
        "every step but the last must be a transformer",
    ),
    "fitted-not-a-dict": (at(*SCALER, "fitted", [1]), "step 'standardscaler': fitted must be"),
    "node-arrays-not-a-dict": (at(*SCALER, "arrays", ["0/mean_"]), "arrays must be a dict"),
    "unfitted-with-arrays": (
        at(*SCALER, "fitted", None),
        "step 'standardscaler': an unfitted step has no arrays",
    ),
    "array-of-another-step": (
        at(*GRU, "arrays", "params", "0/mean_"),
        "step 'gruclassifier': array '0/mean_' is not in the archive or belongs to another",
    ),
    "array-not-in-archive": (
        at(*SCALER, "arrays", "mean_", "../../etc/passwd"),
        "array '../../etc/passwd' is not in the archive",
    ),
    "array-unclaimed": (
        removed(*SCALER, "arrays", "var_"),
        "step 'standardscaler': fitted attributes missing: ['var_']",
    ),
    "array-described-not-stored": (
        at("arrays", "2/evil", {"dtype": "<f8", "shape": [1], "sha256": "0" * 64}),
        "unexpected [], missing ['2/evil.npy']",
    ),
    "scaler-attribute-missing": (
        removed(*SCALER, "fitted", "n_features_in_"),
        "fitted attributes missing: ['n_features_in_']",
    ),
    "scaler-attribute-unknown": (
        at(*SCALER, "fitted", "transform_", 1),
        "fitted attributes missing: [], unknown: ['transform_']",
    ),
    "dunder-attribute": (
        at(*SCALER, "fitted", "__class__", "x"),
        "'__class__' is not a fitted attribute of StandardScaler",
    ),
    "method-name-attribute": (
        at(*SCALER, "fitted", "transform", "x"),
        "'transform' is not a fitted attribute of StandardScaler",
    ),
    "features-mismatch": (
        at(*SCALER, "fitted", "n_features_in_", 3),
        "fitted attribute mean_ must be an array of shape (3,)",
    ),
    "features-as-string": (
        at(*SCALER, "fitted", "n_features_in_", "24"),
        "fitted attribute n_features_in_ has a value of the wrong type",
    ),
    "member-missing": (removed("arrays", "0/var_"), "unexpected ['0/var_.npy'], missing []"),
    "gru-state-checked-by-the-estimator": (
        at(*GRU, "fitted", "n_iter_", -1),
        "step 'gruclassifier': n_iter_ must be at least 0, got -1",
    ),
    "gru-unknown-class-name": (
        at(*GRU, "class", "GRUClassifier"),
        "step 'gruclassifier': class must be one of [",
    ),
    "checksum-wrong": (
        at("arrays", "0/mean_", "sha256", "0" * 64),
        "checksum mismatch for 0/mean_: the file is corrupted",
    ),
    "array-dtype-object": (
        at("arrays", "0/scale_", "dtype", "|O"),
        "arrays.0/scale_.dtype '|O' is not allowed",
    ),
}


@pytest.mark.parametrize("edit, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_pipeline_files_are_refused_with_a_message_that_says_what_is_wrong(
    good_blob, edit, message
):
    with pytest.raises(ValueError, match=re.escape(message)) as refusal:
        load(io.BytesIO(tampered(good_blob, edit)))
    assert "is not a valid pygru file" in str(refusal.value)


def test_a_pipeline_without_steps_is_refused():
    document = {"format": "pygru-pipeline", "format_version": 1, "arrays": {}}
    document["root"] = {"class": "sklearn.pipeline.Pipeline", "params": {}, "steps": []}
    blob = write_members({"metadata.json": json.dumps(document).encode()})
    with pytest.raises(ValueError, match="the pipeline: it has no steps"):
        load(io.BytesIO(blob))


def test_untampered_copy_loads(good_blob):
    load(io.BytesIO(tampered(good_blob)))


def test_scaler_values_in_the_document_instead_of_arrays_are_refused(good_blob):
    def edit(metadata):
        scaler = metadata["root"]["steps"][0][1]
        del scaler["arrays"]["mean_"]
        scaler["fitted"]["mean_"] = [0.0] * 24

    with pytest.raises(ValueError, match=re.escape("mean_ must be an array of shape (24,)")):
        load(io.BytesIO(tampered(good_blob, edit, arrays={"0/mean_": None})))


def test_scaler_arrays_of_the_wrong_kind_are_refused(good_blob):
    mean = np.load(io.BytesIO(good_blob), allow_pickle=False)["0/mean_"]
    cases = {
        "0/mean_": (mean[:-1], "fitted attribute mean_ must be an array of shape (24,)"),
        "0/scale_": (mean.astype(int), "fitted attribute scale_ must be an array"),
        "0/var_": (mean.reshape(2, -1), "fitted attribute var_ must be an array of shape"),
        "0/n_samples_seen_": (
            np.array("x"),
            f"n_samples_seen_ must be a number, got {np.array('x')[()]!r}",
        ),
    }
    for key, (array, message) in cases.items():
        with pytest.raises(ValueError, match=re.escape(message)):
            load(io.BytesIO(tampered(good_blob, arrays={key: array})))


def test_scikit_learn_scalers_statistics_are_checked_on_loading(series, good_blob):
    # A NaN in one entry of a StandardScaler's or MinMaxScaler's statistics loaded, turned
    # that time step of every series into padding, and the model predicted without it,
    # silently; inf or a scale of 0 loaded and blamed the user's X in predict.
    X, y, X_test = series
    scaler = {"0/mean_": np.nan, "0/var_": -1.0, "0/scale_": 0.0}
    for key, value in [*scaler.items(), ("0/mean_", np.inf), ("0/scale_", np.nan)]:
        edited = np.load(io.BytesIO(good_blob))[key].copy()
        edited[-1] = value
        with pytest.raises(ValueError, match=f"fitted attribute {key[2:]} must be finite"):
            load(io.BytesIO(tampered(good_blob, arrays={key: edited})))
    min_max = saved_bytes(make_pipeline(MinMaxScaler(), GRUClassifier(**SMALL)).fit(X, y))
    for key in ("0/min_", "0/scale_", "0/data_range_"):
        edited = np.load(io.BytesIO(min_max))[key].copy()
        edited[3] = np.nan
        with pytest.raises(ValueError, match=f"attribute {key[2:]} must be finite.*NaN only"):
            load(io.BytesIO(tampered(min_max, arrays={key: edited})))
    # A weighted fit of a constant leaves var_ a hair below 0 (-2e-50), with scale_ 1.
    constant = np.c_[np.full(len(X), 0.1), X[:, 1:]]
    for seed in range(20):
        weights = np.random.default_rng(seed).uniform(0.5, 3.0, len(X))
        if StandardScaler().fit(constant, sample_weight=weights).var_[0] < 0:
            break
    pipe = make_pipeline(StandardScaler(), GRUClassifier(**SMALL))
    pipe.fit(constant, y, standardscaler__sample_weight=weights)
    assert pipe[0].var_[0] < 0
    np.testing.assert_array_equal(
        round_trip(pipe).predict_proba(X_test), pipe.predict_proba(X_test)
    )
    # A time step that no training series reached (all NaN) has NaN statistics, as
    # scikit-learn leaves them: such models still round-trip.
    padded = np.c_[X, np.full(len(X), np.nan)]
    for scaler in (StandardScaler(), MinMaxScaler()):
        pipe = make_pipeline(scaler, GRUClassifier(**SMALL))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # scikit-learn's all-NaN column
            pipe.fit(padded, y)
        loaded = round_trip(pipe)
        test = np.c_[X_test, np.full(len(X_test), np.nan)]
        np.testing.assert_array_equal(loaded.predict_proba(test), pipe.predict_proba(test))


def test_a_class_label_flag_that_contradicts_the_labels_is_named(series):
    X, y, _ = series
    blob = saved_bytes(GRUClassifier(**SMALL).fit(X, np.unique(y, return_inverse=True)[1]))
    # It was refused with save's advice to use pickle, for a file someone else wrote.
    with pytest.raises(ValueError, match="classes_object marks string labels.*holds int64"):
        load(io.BytesIO(tampered(blob, at("fitted", "classes_object", True))))


def test_an_archive_of_many_unexpected_members_gets_a_short_message(good_blob):
    # 100,000 extra members made a message of 20 MB, every name listed.
    members = read_members(good_blob)
    members.update({f"extra{index}.npy": b"" for index in range(2000)})
    with pytest.raises(
        ValueError, match=r"unexpected \['extra0.npy', .*\] and 1995 more, missing \[\]$"
    ) as error:
        load(io.BytesIO(write_members(members)))
    assert len(str(error.value)) < 600


@pytest.mark.parametrize("name", ["metadata.json", "1/params.npy"])
def test_a_member_given_twice_is_refused(good_blob, name):
    # zipfile reads the last member of a name, a reviewer (unzip -p) the first: a second
    # metadata.json (max_iter=99, warm_start=True) or params.npy loaded without a word.
    members = read_members(good_blob)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile's "Duplicate name"
        with zipfile.ZipFile(buffer, "w") as archive:
            for member, data in members.items():
                archive.writestr(member, data)
            archive.writestr(name, members[name])
    with pytest.raises(ValueError, match=re.escape(f"holds ['{name}'] more than once")):
        load(io.BytesIO(buffer.getvalue()))


def test_two_models_in_one_stream_are_refused_and_one_after_a_header_loads(series):
    # load read the archive that ends a stream: save(a, f); save(b, f); load(f) gave b
    # where pickle gives a.
    X, y, _ = series
    first, second = (GRUClassifier(**{**SMALL, "hidden_layer_sizes": (n,)}) for n in (3, 5))
    first.fit(X, y), second.fit(X, y)
    stream = io.BytesIO()
    save(first, stream), save(second, stream)
    stream.seek(0)
    with pytest.raises(ValueError, match=r"starts at byte \d+, not at byte 0 .* own"):
        load(stream)
    stream = io.BytesIO(b"HEADER" * 10 + saved_bytes(first) + b"TRAILER")
    stream.seek(60)  # where the user's own header ends
    assert load(stream).hidden_layer_sizes == (3,)


def test_labels_with_a_trailing_nul_fit_and_are_refused_by_save(series):
    # fit refused "a\x00" as not among "partial_fit's classes" (scikit-learn's unique_labels
    # makes a NumPy str array of Python strings, which drops the NUL), and once fitted
    # save wrote them as a str array: the file loaded with "a" for "a\x00".
    X, y, _ = series
    labels = np.array(["a\x00" if label == y[0] else "b" for label in y], dtype=object)
    model = GRUClassifier(**SMALL).fit(X, labels)
    assert list(model.classes_) == ["a\x00", "b"]
    assert set(model.predict(X)) <= {"a\x00", "b"}
    with pytest.raises(TypeError, match="classes_: it holds strings that end in NUL characters"):
        save(model, io.BytesIO())


def test_a_vocabulary_too_large_to_load_is_refused_with_the_max_features_that_fits(
    monkeypatch,
):
    # Past the metadata size load reads (64 MiB, about 1.5 million tokens), save said "set
    # its parameters back to valid values or fit it again", which cannot help.
    monkeypatch.setattr(pygru._persistence, "_MAX_METADATA_BYTES", 20_000)
    docs = [" ".join(f"w{i}x{j}" for j in range(100)) for i in range(20)]
    with pytest.raises(ValueError, match=r"max_features=([\d,]+) or fewer") as refused:
        save(make_pipeline(TokenSequencer(max_len=100).fit(docs)), io.BytesIO())
    fits = int(re.search(r"max_features=([\d,]+)", str(refused.value))[1].replace(",", ""))
    assert 0.5 * 20_000 / 30 < fits < 2_000
    load(io.BytesIO(saved_bytes(TokenSequencer(max_len=100, max_features=fits).fit(docs))))


@pytest.fixture(scope="module")
def sequence_steps_blob(series):
    """An imputer ('0/...' arrays), a per-feature scaler ('1/...') and a classifier."""
    X, y, _ = series
    pipe = make_pipeline(
        preprocessing.SequenceImputer(), preprocessing.SequenceScaler(), GRUClassifier(**SMALL)
    ).fit(X, y)
    buffer = io.BytesIO()
    save(pipe, buffer)
    return buffer.getvalue()


IMPUTER, SCALER_STEP = ("root", "steps", 0, 1, "fitted"), ("root", "steps", 1, 1, "fitted")


@pytest.mark.parametrize(
    "edit, arrays, message",
    [
        (at(*IMPUTER, "n_features_in_", "two"), None, "n_features_in_ has a value of the wrong"),
        (at(*SCALER_STEP, "n_features_in_", 0), None, "n_features_in_ must be at least 1"),
        (None, {"0/statistics_": np.ones(3)}, "statistics_ must be an array of shape (1,)"),
        (None, {"0/statistics_": np.array([np.nan])}, "statistics_ must be finite"),
        (None, {"1/mean_": np.array(0.5)}, "mean_ must be an array of shape (1,)"),
        (None, {"1/scale_": np.array(["a"])}, "scale_ must be an array of shape (1,) and dtype"),
        (None, {"1/scale_": np.array([-1.0])}, "scale_ > 0"),
        (removed(*SCALER_STEP, "n_features_in_"), None, "missing: ['n_features_in_']"),
        # per="feature" without its statistics loaded, and predict raised AttributeError
        (
            at("root", "steps", 1, 1, "arrays", {}),
            dict.fromkeys(["1/mean_", "1/var_", "1/scale_"]),
            "missing: ['mean_', 'scale_', 'var_']",
        ),
    ],
)
def test_sequence_transformer_steps_are_checked_on_loading(
    sequence_steps_blob, edit, arrays, message
):
    # They used to load whatever the file held and fail later, in predict, or not at all.
    load(io.BytesIO(tampered(sequence_steps_blob)))
    with pytest.raises(ValueError, match=re.escape(message)):
        load(io.BytesIO(tampered(sequence_steps_blob, edit, arrays=arrays)))


VOCABULARY = ("root", "steps", 0, 1, "fitted")

HOSTILE_VOCABULARY = {
    "size-mismatch": at(*VOCABULARY, "vocabulary_size_", 5),
    "id-twice": lambda metadata: metadata["root"]["steps"][0][1]["fitted"]["vocabulary_"]["dict"][
        0
    ].__setitem__(1, 3),
    "padding-id": at(*VOCABULARY, "vocabulary_", {"dict": [["a", 0]]}),
    "token-not-a-string": lambda metadata: metadata["root"]["steps"][0][1]["fitted"][
        "vocabulary_"
    ]["dict"][0].__setitem__(0, 5),
    "not-a-dict": at(*VOCABULARY, "vocabulary_", ["a", "b"]),
}


@pytest.mark.parametrize("edit", HOSTILE_VOCABULARY.values(), ids=HOSTILE_VOCABULARY.keys())
def test_hostile_vocabularies_are_refused(good_text_blob, edit):
    with pytest.raises(ValueError, match="step 'tokensequencer': fitted attribute vocabulary_"):
        load(io.BytesIO(tampered(good_text_blob, edit)))


def test_a_max_len_other_than_the_parameter_is_refused(good_text_blob):
    # max_len_ = 10**12 loaded, and predict then allocated rows of 10**12 ids.
    with pytest.raises(ValueError, match=r"max_len_ must be max_len=20"):
        load(io.BytesIO(tampered(good_text_blob, at(*VOCABULARY, "max_len_", 10**12))))


def test_every_truncation_and_bit_flip_of_a_pipeline_file_is_refused(good_blob):
    for cut in range(0, len(good_blob), max(1, len(good_blob) // 61)):
        with pytest.raises(ValueError, match="not a (valid )?pygru file"):
            load(io.BytesIO(good_blob[:cut]))
    mean = np.load(io.BytesIO(good_blob), allow_pickle=False)["0/mean_"]
    start = good_blob.find(mean.tobytes())
    for offset in range(start, start + mean.nbytes, 5):
        corrupted = bytearray(good_blob)
        corrupted[offset] ^= 0x10
        with pytest.raises(ValueError, match="not a valid pygru file"):
            load(io.BytesIO(bytes(corrupted)))


# ------------------------------------------------------------------ files that are not ours


def skops_file(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    skops_io.dump(StandardScaler().fit(np.eye(3)), path)
    return path.read_bytes()


def plain_npz():
    buffer = io.BytesIO()
    np.savez(buffer, params=np.zeros(3))
    return buffer.getvalue()


def npy_file(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def bad_files(tmp_path):
    """name: (bytes, what the refusal must say)."""
    zip_of_text = write_members({"readme.txt": b"hello"})
    return {
        "empty": (b"", "is not a pygru file: it is empty"),
        "text": (b"weights = [1, 2, 3]\n", "is not a pygru file: it is not a zip archive"),
        "one-byte": (b"x", "is not a pygru file: it is not a zip archive"),
        "python-object-stream": (b"\x80\x04\x95", "is not a pygru file: it is not a zip archive"),
        "npy-of-objects": (
            npy_file(np.array([{}], dtype=object), allow_pickle=True),
            "is not a pygru file: it is not a zip archive",
        ),
        "npy": (npy_file(np.zeros(3)), "is not a pygru file: it holds a single NumPy array"),
        "plain-npz": (plain_npz(), "is not a valid pygru file: the archive has no metadata.json"),
        "other-zip": (zip_of_text, "is not a valid pygru file: the archive has no metadata.json"),
        "skops": (skops_file(tmp_path), "it looks like a skops file (load it with skops.io.load)"),
        "zip-magic-only": (b"PK\x03\x04" + b"\0" * 40, "its zip archive is truncated or damaged"),
        "truncated": (saved_bytes(StandardScaler()).rstrip(b"\0")[:-30], "truncated or damaged"),
        "foreign-json": (
            write_members({"metadata.json": b'{"name": "resnet"}'}),
            "is not a valid pygru file: format is None, expected 'pygru-estimator' or "
            "'pygru-pipeline'",
        ),
    }


# NumPy left a file it had opened open when the archive was broken (a ResourceWarning when
# it was collected); load opens the file itself.
@pytest.mark.filterwarnings("error::ResourceWarning")
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_files_that_are_not_pygru_files_say_so_and_never_point_to_pickle(tmp_path):
    for name, (blob, message) in bad_files(tmp_path).items():
        path = tmp_path / f"{name}.npz"
        path.write_bytes(blob)
        for source in (path, io.BytesIO(blob)):
            with pytest.raises(ValueError, match=re.escape(message)) as refusal:
                load(source)
            message_without_the_file_name = str(refusal.value).replace(str(path), "")
            assert "pickle" not in message_without_the_file_name.lower(), name
        assert str(path) in str(pytest.raises(ValueError, load, path).value)


def test_a_stream_read_from_its_end_says_where_reading_began():
    # save() into a BytesIO and load() of it without seek(0) was told the file "is empty",
    # which points to the save; NumPy and pickle say there is no data left to read.
    scaler = StandardScaler().fit([[0.0], [1.0]])
    buffer = io.BytesIO()
    save(scaler, buffer)
    written = buffer.tell()
    with pytest.raises(ValueError, match=rf"nothing left to read from byte {written}.*seek\(0\)"):
        load(buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(load(buffer).mean_, scaler.mean_)
    # Loaded twice: NumPy leaves the file inside the archive, where no archive starts.
    middle = buffer.tell()
    assert 0 < middle < written
    with pytest.raises(ValueError, match=rf"no zip archive from byte {middle}.*seek\(0\)"):
        load(buffer)


def entry_paths(node, prefix=()):
    """The path of every entry of a JSON document, its root excluded."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield prefix + (key,)
        if isinstance(value, (dict, list)):
            yield from entry_paths(value, prefix + (key,))


@pytest.mark.filterwarnings("ignore:load.*memory=:UserWarning")  # a string memory: tested above
def test_any_entry_replaced_by_a_value_of_another_type_is_a_value_error_or_a_model(
    good_text_blob, text_data
):
    """A sweep over the whole document: nothing but a ValueError escapes, and whatever
    loads still predicts, unless a step became passthrough or unfitted (null), which the
    format allows."""
    texts, _ = text_data
    metadata = json.loads(read_members(good_text_blob)["metadata.json"])
    for path in entry_paths(metadata):
        for value in (None, -1, "x", [[1, 2]], {"float": "nan"}):
            try:
                loaded = load(io.BytesIO(tampered(good_text_blob, at(*path, value))))
            except ValueError:
                continue
            if all(step is not None and _is_fitted(step) for _, step in loaded.steps):
                loaded.predict(texts[:3])


def test_loading_copies_the_weights_no_more_than_reading_them_takes(tmp_path):
    # Checking a file's entry names wrote the whole state again, with a copy of every
    # weight: 3.25 times the weights at the peak of a load, and of the load a save ends with.
    import tracemalloc

    X, y = np.random.default_rng(0).standard_normal((8, 5, 2)), [0, 1] * 4
    model = GRUClassifier(hidden_layer_sizes=(256, 256), max_iter=1, random_state=0).fit(X, y)
    path = tmp_path / "model.pygru"
    save(model, path)
    tracemalloc.start()
    try:
        load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.75 * model.network_.params.nbytes
