"""pygru._persistence: safe save/load; pygru.export: GRU layer weights to and from PyTorch and
Keras (the whole-model exports are in test_onnx.py and test_torch_module.py)."""

import doctest
import errno
import gc
import io
import json
import os
import pickle
import re
import stat
import sys
import tempfile
import warnings
import zipfile

import numpy as np
import pytest
from npz_members import npy_bytes, read_members, tampered, write_members
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from pygru import GRUClassifier, GRURegressor
from pygru._persistence import FORMAT_VERSION, load, save
from pygru.datasets import make_windows
from pygru.export import (
    from_keras_weights,
    from_torch_state_dict,
    register_skl2onnx_converters,
    to_keras_weights,
    to_torch_state_dict,
)
from pygru.export._weights import to_zrn_order

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def ragged_data(n=12, steps=6, features=2, seed=0):
    """Sequences of lengths 1..steps as a NaN-padded 3-D array, their lengths, binary labels."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, steps + 1, size=n)
    lengths[0] = steps
    X = rng.standard_normal((n, steps, features))
    X[np.arange(steps)[None, :] >= lengths[:, None]] = np.nan
    y = (np.nansum(X[:, :, 0], axis=1) > 0).astype(int)
    y[:2] = [0, 1]
    return X, lengths, y


def fitted_classifier(**options):
    # The head reads the final state ("last"), so that the layer-level tests can rebuild the
    # whole model from the GRU layers' weights and the head.
    X, _, y = ragged_data()
    settings = dict(hidden_layer_sizes=(3,), max_iter=2, pooling="last", random_state=0)
    settings.update(options)
    return GRUClassifier(**settings).fit(X, y), X


def saved_bytes(estimator):
    buffer = io.BytesIO()
    save(estimator, buffer)
    return buffer.getvalue()


def assert_same_model(loaded, original, X):
    assert type(loaded) is type(original)
    assert repr(loaded.get_params()) == repr(original.get_params())
    np.testing.assert_array_equal(loaded.network_.params, original.network_.params)
    assert loaded.network_.params.dtype == original.network_.params.dtype
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    public = [name for name in vars(original) if name.endswith("_") and not name.startswith("_")]
    for name in public:
        if name == "network_":
            continue
        expected, actual = getattr(original, name), getattr(loaded, name)
        if isinstance(expected, np.ndarray):
            np.testing.assert_array_equal(actual, expected)
            assert actual.dtype == expected.dtype
        else:
            assert actual == expected, name


def test_docstring_examples():
    import pygru._persistence
    import pygru.export._torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [doctest.testmod(module) for module in (pygru._persistence, pygru.export._torch)]
    assert all(tried >= 4 and failures == 0 for failures, tried in results)


# ------------------------------------------------------------------------ save / load

CLASSIFIER_CASES = {
    "default": {},
    "bidirectional-stacked": dict(hidden_layer_sizes=(3, 2), bidirectional=True),
    "reset_before": dict(reset_after=False),
    "float64": dict(dtype="float64"),
    "early-stopping": dict(early_stopping=True, validation_fraction=0.3, max_iter=3),
    "class-weight": dict(class_weight={0: 2.0, 1: 1.0}),
    "dropouts": dict(dropout=0.2, recurrent_dropout=0.2),
    "window-warp": dict(window_warp=0.25),
    "no-window-warp": dict(window_warp=None),
}


@pytest.mark.parametrize("options", CLASSIFIER_CASES.values(), ids=CLASSIFIER_CASES.keys())
def test_classifier_round_trip_predicts_identically(options):
    clf, X = fitted_classifier(**options)
    loaded = load(io.BytesIO(saved_bytes(clf)))
    assert_same_model(loaded, clf, X)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize(
    "labels",
    [["neg", "pos"], [False, True], [-1.0, 2.0], np.array(["neg", "pos"], dtype=object)],
    ids=["str", "bool", "float", "object-str"],
)
def test_class_labels_keep_their_type(labels):
    X, _, y = ragged_data()
    y = np.asarray(labels)[y]
    clf = GRUClassifier(hidden_layer_sizes=(2,), max_iter=1, random_state=0).fit(X, y)
    loaded = load(io.BytesIO(saved_bytes(clf)))
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert list(loaded.predict(X)) == list(clf.predict(X))
    loaded.partial_fit(X, y)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["2024-01-01", "2024-06-01"], dtype="datetime64[D]"),
        np.array([1, 2], dtype="timedelta64[s]"),
    ],
    ids=["dates", "durations"],
)
def test_labels_a_file_cannot_hold_are_refused_as_values_only_pickle_stores(labels):
    # Dates were refused as a file load would refuse ("set its parameters back to valid
    # values or fit it again", a ValueError), advice that cannot help; save's docstring
    # promises a TypeError for a value only pickle can store.
    X, _, y = ragged_data()
    clf = GRUClassifier(hidden_layer_sizes=(2,), max_iter=1, random_state=0).fit(X, labels[y])
    with pytest.raises(
        TypeError, match="class labels that are numbers, booleans or strings.*pickle"
    ):
        saved_bytes(clf)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict(X), clf.predict(X))


def test_embedding_classifier_round_trip():
    rng = np.random.default_rng(0)
    tokens = [rng.integers(1, 9, size=length) for length in rng.integers(1, 6, size=10)]
    y = np.arange(10) % 2
    clf = GRUClassifier(hidden_layer_sizes=(3,), embedding_dim=2, max_iter=1, random_state=0).fit(
        tokens, y
    )
    loaded = load(io.BytesIO(saved_bytes(clf)))
    assert_same_model(loaded, clf, tokens)
    assert loaded.vocabulary_size_ == clf.vocabulary_size_


@pytest.mark.parametrize("output, y_shape", [("last", ()), ("last", (2,)), ("sequence", ())])
def test_regressor_round_trip(output, y_shape):
    X, lengths, _ = ragged_data()
    rng = np.random.default_rng(1)
    if output == "last":
        y = rng.standard_normal((len(X),) + y_shape)
    else:
        y = np.where(np.isnan(X[:, :, 0]), np.nan, rng.standard_normal(X.shape[:2]))
    reg = GRURegressor(hidden_layer_sizes=(3,), output=output, max_iter=2, random_state=0).fit(
        X, y
    )
    loaded = load(io.BytesIO(saved_bytes(reg)))
    assert_same_model(loaded, reg, X)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.score(X, y) == reg.score(X, y)


@pytest.mark.parametrize("patch_size", [2, "auto"])
def test_patched_standardised_model_round_trips(patch_size):
    X, _, y = ragged_data(steps=70)  # "auto": ceil(70 / 32) = 3
    clf = GRUClassifier(
        hidden_layer_sizes=(3,), patch_size=patch_size, max_iter=2, random_state=0
    ).fit(X * 10 + 3, y)
    assert clf.patch_size_ == (2 if patch_size == 2 else 3)
    assert clf.network_.n_inputs == 2 * clf.patch_size_
    assert_same_model(load(io.BytesIO(saved_bytes(clf))), clf, X * 10 + 3)


def test_saved_file_is_a_plain_npz_with_a_json_document(tmp_path):
    clf, X = fitted_classifier()
    path = tmp_path / "model.npz"
    save(clf, path)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == [
            "classes_",
            "input_mean_",
            "input_scale_",
            "metadata.json",
            "params",
        ]
        np.testing.assert_array_equal(npz["params"], clf.network_.params)
        np.testing.assert_array_equal(npz["input_scale_"], clf.input_scale_)
    with zipfile.ZipFile(path) as archive:
        metadata = json.loads(archive.read("metadata.json"))
    assert metadata["format"] == "pygru-estimator" and metadata["format_version"] == FORMAT_VERSION
    assert metadata["estimator"] == "GRUClassifier"
    assert metadata["fitted"]["loss_curve_"] == clf.loss_curve_
    assert len(metadata["arrays"]["params"]["sha256"]) == 64
    assert_same_model(load(str(path)), clf, X)
    assert os.path.getsize(path) < clf.network_.params.nbytes + 8192


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")
    clf, X = fitted_classifier()
    save(clf, path)
    assert_same_model(load(path), clf, X)
    save(clf, os.fsencode(path))  # a bytes path, as open() takes
    assert_same_model(load(path), clf, X)


def test_a_saved_file_gets_the_mode_open_would_give_it(tmp_path):
    # The atomic write's temporary file used to keep mkstemp's private 0600, so a model
    # saved to shared storage could not be read by anyone else.
    clf, _ = fitted_classifier()
    umask = os.umask(0o022)
    try:
        save(clf, tmp_path / "new.npz")
        (tmp_path / "old.npz").write_bytes(b"old")
        os.chmod(tmp_path / "old.npz", 0o640)
        save(clf, tmp_path / "old.npz")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "old.npz").st_mode) == 0o640


def test_saving_to_a_symbolic_link_replaces_the_file_it_points_to(tmp_path):
    clf, X = fitted_classifier()
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "v1.npz"
    target.write_bytes(b"old")
    link = tmp_path / "current.npz"
    link.symlink_to(target)
    save(clf, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert_same_model(load(target), clf, X)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["v1.npz"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names descriptors by /proc")
def test_a_save_reaches_the_disk_before_it_replaces_the_old_file(tmp_path, monkeypatch):
    # Without fsync before the rename, a power cut can leave the new name on an empty file
    # (the rename reached the disk, the data did not): the old model lost, the new one too.
    path = tmp_path / "model.npz"
    path.write_bytes(b"the model saved before")
    clf, X = fitted_classifier()
    events, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(handle):
        events.append(("fsync", os.path.realpath(f"/proc/self/fd/{handle}")))
        real_fsync(handle)

    def replace(source, destination):
        events.append(("replace", os.fspath(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save(clf, path)
    assert [event for event, _ in events] == ["fsync", "replace", "fsync"]
    synced_file, _, synced_folder = (name for _, name in events)
    assert os.path.dirname(synced_file) == str(tmp_path) and synced_file != str(path)
    assert synced_folder == str(tmp_path)
    assert_same_model(load(path), clf, X)


def test_ctrl_c_just_after_the_rename_reaches_the_caller(tmp_path, monkeypatch):
    # The temporary file was gone when save cleaned up: a FileNotFoundError about it
    # replaced the KeyboardInterrupt (which an `except Exception` then swallowed).
    path = tmp_path / "model.npz"
    clf, X = fitted_classifier()
    real_replace = os.replace

    def replace_then_interrupt(source, destination):
        real_replace(source, destination)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        save(clf, path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert_same_model(load(path), clf, X)


def test_ctrl_c_as_the_temporary_file_is_created_leaves_neither_file_nor_descriptor(
    tmp_path, monkeypatch
):
    # The file was created before the cleanup's try began, and its descriptor belonged to
    # no file object until os.fdopen: Ctrl-C there left a .pygru-*.tmp file beside the path
    # and an open descriptor (25 of each over 2,000 saves interrupted at random).
    import builtins

    import pygru._persistence as persistence

    path = tmp_path / "model.npz"
    clf, _ = fitted_classifier()
    descriptors = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None

    def create_then_interrupt(name, mode="r", *args, **kwargs):
        handle = builtins.open(name, mode, *args, **kwargs)
        if ".pygru-" in str(name) and "x" in mode:
            raise KeyboardInterrupt  # as if Ctrl-C came as the call returned
        return handle

    real_os_open = os.open

    def os_open_then_interrupt(name, flags, *args, **kwargs):  # how save created it before
        handle = real_os_open(name, flags, *args, **kwargs)
        if ".pygru-" in str(name) and flags & os.O_CREAT:
            raise KeyboardInterrupt
        return handle

    monkeypatch.setattr(persistence, "open", create_then_interrupt, raising=False)
    monkeypatch.setattr(os, "open", os_open_then_interrupt)
    for _ in range(5):
        with pytest.raises(KeyboardInterrupt):
            save(clf, path)
    gc.collect()
    assert os.listdir(tmp_path) == []
    if descriptors is not None:
        assert len(os.listdir("/proc/self/fd")) == descriptors


@pytest.mark.parametrize("existing", [None, b"the model saved before"])
def test_a_failed_save_leaves_no_partial_file_and_keeps_the_old_one(
    tmp_path, monkeypatch, existing
):
    from pygru import _persistence

    path = tmp_path / "model.npz"
    if existing is not None:
        path.write_bytes(existing)
    clf, _ = fitted_classifier()

    def fail_midway(file, document, arrays):
        file.write(b"PK\x03\x04 a partial archive")
        raise OSError("disk full")

    monkeypatch.setattr(_persistence, "_write_zip", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        save(clf, path)
    # The temporary file is removed, and what was at the path is untouched.
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if existing is None else [path.name])
    if existing is not None:
        assert path.read_bytes() == existing


@pytest.mark.parametrize("spoil", ["max_iter", "weights", "target_scale_"])
def test_save_never_writes_a_file_that_load_would_refuse(tmp_path, spoil):
    # scikit-learn checks parameters in fit, so one set out of range afterwards was saved,
    # and load, which checks them, refused the file: the model was lost, the old file
    # replaced. Likewise weights or statistics edited to values load refuses.
    X, _, _ = ragged_data()
    model = GRURegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    model.fit(X, np.linspace(0, 1, len(X)))
    path = tmp_path / "model.npz"
    save(model, path)
    kept = path.read_bytes()
    if spoil == "max_iter":
        model.set_params(max_iter=0)
    elif spoil == "weights":
        model.network_.params[0] = np.nan
    else:
        model.target_scale_ = np.zeros_like(model.target_scale_)
    message = r"cannot save GRURegressor: load would refuse it \(the file is not a valid"
    with pytest.raises(ValueError, match=message):
        save(model, path)
    assert path.read_bytes() == kept and [p.name for p in tmp_path.iterdir()] == [path.name]
    file = io.BytesIO()
    with pytest.raises(ValueError, match=message):
        save(model, file)
    assert file.getvalue() == b""


def test_saving_to_a_directory_or_into_a_missing_one_names_the_path_given(tmp_path):
    clf, _ = fitted_classifier()
    with pytest.raises(IsADirectoryError, match="got a directory") as info:
        save(clf, tmp_path)
    assert info.value.filename == str(tmp_path)
    missing = tmp_path / "no such folder" / "model.npz"
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        save(clf, missing)
    assert info.value.filename == str(missing)
    folder = f"{tmp_path / 'new folder'}{os.sep}"
    with pytest.raises(IsADirectoryError, match="got a directory") as info:
        save(clf, folder)
    assert info.value.filename == folder
    with pytest.raises(FileNotFoundError, match="got an empty one"):
        save(clf, "")
    with pytest.raises(TypeError, match="path must be a file path or a writable binary file"):
        save(clf, 3)
    # A name longer than the folder allows: refused before the model is written (the rename
    # failed after it, naming the temporary file).
    longest = os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    with pytest.raises(OSError, match="file name is too long here") as info:
        save(clf, tmp_path / ("m" * (longest + 1)))
    assert info.value.errno == errno.ENAMETOOLONG
    save(clf, tmp_path / ("m" * longest))
    assert [p.name for p in tmp_path.iterdir()] == ["m" * longest]


def test_load_names_what_is_neither_a_path_nor_a_file(tmp_path):
    # Such objects went on to file.read(): "AttributeError: 'NoneType' object has no
    # attribute 'read'"; a file's bytes were a path ("embedded null byte").
    path = tmp_path / "model.npz"
    save(fitted_classifier()[0], path)
    for value in (None, 3, [str(path)]):
        with pytest.raises(TypeError, match=f"readable binary file, got {type(value).__name__}$"):
            load(value)
    contents = path.read_bytes()
    for value in (contents, bytearray(contents), memoryview(contents)):
        with pytest.raises(TypeError, match=r"holding data: .* pass io\.BytesIO\(data\)"):
            load(value)
    assert type(load(io.BytesIO(contents))) is GRUClassifier
    assert type(load(os.fsencode(path))) is GRUClassifier  # a path as bytes is a path


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux's sysfs")
def test_a_folder_that_cannot_hold_the_temporary_file_is_named_by_the_path_given():
    # sysfs refuses new files, to root too.
    clf, _ = fitted_classifier()
    with pytest.raises(OSError, match="so the folder must be writable") as info:
        save(clf, "/sys/kernel/model.npz")
    assert info.value.filename == "/sys/kernel/model.npz"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_special_file_is_written_to_and_never_replaced(tmp_path):
    # save renamed its new file over whatever was at the path: os.devnull became a regular
    # file holding the model (as root), and a FIFO's reader waited forever. Devices and
    # FIFOs are now written to, as open(path, "wb") and np.save do.
    import threading

    clf, X = fitted_classifier()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    save(clf, fifo)
    reader.join(timeout=60)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and [p.name for p in tmp_path.iterdir()] == [
        "pipe"
    ]
    np.testing.assert_array_equal(
        load(io.BytesIO(received[0])).predict_proba(X), clf.predict_proba(X)
    )
    # And load reads one (NumPy must seek, so it said "not a zip archive").
    writer = threading.Thread(target=lambda: fifo.write_bytes(received[0]), daemon=True)
    writer.start()
    np.testing.assert_array_equal(load(fifo).predict_proba(X), clf.predict_proba(X))
    writer.join(timeout=60)
    from pygru._persistence import _is_special_file

    assert _is_special_file(os.devnull) and not _is_special_file(tmp_path)


def test_a_file_that_takes_part_of_each_write_gets_the_whole_archive():
    # save wrote a checked archive in one call and ignored what it returned: an unbuffered
    # file takes at most 2 GiB per write on Linux, so a larger model was cut off.
    class Dribble(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, chunk):
            self.data += bytes(chunk[:1000])
            return min(len(chunk), 1000)

    clf, X = fitted_classifier()
    file = Dribble()
    save(clf, file)
    assert len(file.data) == len(saved_bytes(clf))
    np.testing.assert_array_equal(
        load(io.BytesIO(bytes(file.data))).predict_proba(X), clf.predict_proba(X)
    )


@pytest.mark.parametrize("taken", [0, None, -1, 10**9, True])
def test_a_raw_stream_that_takes_no_bytes_is_an_os_error(taken):
    # A full stream's write took 0 bytes, and the copy loop spun forever; a raw stream
    # that does not block returns None where it took none, and that was read as all of
    # them, the chunk skipped (audit39a). So is a count write cannot have taken.
    class Full(io.RawIOBase):
        calls = 0

        def writable(self):
            return True

        def write(self, chunk):
            Full.calls += 1
            assert Full.calls < 100, "save went on writing to a stream that takes nothing"
            return taken

    clf, _ = fitted_classifier()
    with pytest.raises(OSError, match=f"write\\(\\) took {taken} of .* the file is incomplete"):
        save(clf, Full())


def test_awkward_paths_and_files_behave_as_open_would(tmp_path):
    # From an audit of save and load: a loop of links was replaced by a regular file (open
    # refuses it); a writer that returns None (np.save and pickle accept one) was told its
    # complete archive had failed; a folder that is a file, a bytes path and a file opened
    # for writing got messages about something else.
    clf, X = fitted_classifier()
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OSError) as info:
        save(clf, tmp_path / "a")
    assert info.value.errno == errno.ELOOP and (tmp_path / "a").is_symlink()

    class Collector:
        def __init__(self):
            self.chunks = []

        def write(self, chunk):
            self.chunks.append(bytes(chunk))

    collector = Collector()
    save(clf, collector)
    loaded = load(io.BytesIO(b"".join(collector.chunks)))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))

    (tmp_path / "afile").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="the folder to save into is a file"):
        save(clf, tmp_path / "afile" / "m.npz")
    (tmp_path / "garbage.bin").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="'.*garbage.bin' is not a pygru file"):
        load(os.fsencode(tmp_path / "garbage.bin"))
    with (
        open(tmp_path / "w.npz", "wb") as file,
        pytest.raises(TypeError, match="open it with 'rb'"),
    ):
        load(file)
    with (  # io.UnsupportedOperation: write
        open(tmp_path / "w.npz", "rb") as file,
        pytest.raises(TypeError, match="not open for writing .*w.npz.*open it with 'wb'"),
    ):
        save(clf, file)
    with tempfile.TemporaryFile() as file:  # named by its descriptor: "3 is not a pygru file"
        file.write(b"garbage")
        file.seek(0)
        with pytest.raises(ValueError, match=r"^file descriptor \d+ is not a pygru file"):
            load(file)


def test_dot_dot_after_a_link_is_the_folder_the_system_writes_into(tmp_path):
    # os.path.abspath read "link/../m.npz" as text, so the temporary file went beside the
    # link, and the rename failed across file systems (open() and np.save write there).
    import shutil
    import tempfile

    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second file system at /dev/shm")
    elsewhere = tempfile.mkdtemp(dir="/dev/shm")
    try:
        os.mkdir(os.path.join(elsewhere, "deep"))
        (tmp_path / "link").symlink_to(os.path.join(elsewhere, "deep"))
        clf, X = fitted_classifier()
        save(clf, os.path.join(tmp_path, "link", "..", "m.npz"))
        loaded = load(os.path.join(elsewhere, "m.npz"))
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
        assert sorted(os.listdir(elsewhere)) == ["deep", "m.npz"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["link"]
    finally:
        shutil.rmtree(elsewhere)


def test_a_stream_that_is_not_a_zip_archive_is_refused_from_its_first_bytes():
    # load read a stream that cannot seek (a FIFO, a socket) into memory before looking at
    # it: an endless or hostile one could exhaust memory.
    class Long(io.RawIOBase):  # 64 MiB of garbage, standing in for an endless stream
        def __init__(self):
            self.read_bytes = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            count = min(len(buffer), (64 << 20) - self.read_bytes)
            self.read_bytes += count
            buffer[:count] = b"x" * count
            return count

    stream = Long()
    with pytest.raises(ValueError, match="not a zip archive"):
        load(stream)
    assert stream.read_bytes <= 1 << 16


def test_a_path_too_long_for_the_temporary_file_says_so(tmp_path):
    # The temporary file's name is longer than a short target's, so a path near the
    # system's limit could be opened but not saved, and the error blamed permissions.
    folder = str(tmp_path)
    while len(folder) < 4080:  # the target's path fits in 4095 bytes, the temporary's not
        folder = os.path.join(folder, "d" * min(200, 4079 - len(folder)))
    try:
        os.makedirs(folder)
        with open(os.path.join(folder, "m.npz"), "wb"):
            pass
    except OSError:
        pytest.skip("this file system refuses such a path")
    clf, _ = fitted_classifier()
    with pytest.raises(OSError, match="too long here, so save to a shorter path") as info:
        save(clf, os.path.join(folder, "m.npz"))
    assert info.value.errno == errno.ENAMETOOLONG and "writable" not in str(info.value)


def test_a_file_that_may_not_be_written_is_not_replaced(tmp_path, monkeypatch):
    # As open(path, "wb") would refuse it (os.access is what root is not refused by).
    clf, _ = fitted_classifier()
    path = tmp_path / "model.npz"
    path.write_bytes(b"kept")
    monkeypatch.setattr(os, "access", lambda name, mode: os.fspath(name) != str(path))
    with pytest.raises(PermissionError, match="not writable") as info:
        save(clf, path)
    assert info.value.filename == str(path) and path.read_bytes() == b"kept"


def test_a_rename_the_folder_refuses_says_why_and_keeps_the_old_file(tmp_path, monkeypatch):
    # In a sticky folder (as /tmp) another user's writable file cannot be renamed over:
    # the bare "Operation not permitted" contradicted the docs' two causes, both false.
    clf, _ = fitted_classifier()
    path = tmp_path / "model.npz"
    path.write_bytes(b"kept")

    def refuse(source, target):
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), source)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError, match="sticky folder, as /tmp.* another name") as info:
        save(clf, path)
    assert info.value.filename == str(path) and path.read_bytes() == b"kept"
    assert os.listdir(tmp_path) == ["model.npz"]  # the temporary file removed


def test_saving_from_a_working_directory_deeper_than_path_max(tmp_path, monkeypatch):
    # The folder was resolved to an absolute path the system refuses as too long, and
    # save("m.npz") said the directory does not exist.
    monkeypatch.chdir(tmp_path)
    depth = 0
    while depth < 4300:
        name = "d" * 200
        os.mkdir(name)
        os.chdir(name)
        depth += 201
    clf, X = fitted_classifier()
    save(clf, "m.npz")
    np.testing.assert_array_equal(load("m.npz").predict_proba(X), clf.predict_proba(X))


def test_a_file_opened_in_text_mode_is_refused_with_the_mode_to_use(tmp_path):
    clf, X = fitted_classifier()
    path = tmp_path / "model.npz"
    with open(path, "w") as file, pytest.raises(TypeError, match="text mode.*mode 'wb'"):
        save(clf, file)
    save(clf, path)
    with open(path) as file, pytest.raises(TypeError, match="text mode.*mode 'rb'"):
        load(file)


class _Stream(io.RawIOBase):
    """A readable stream that cannot seek, as a pipe or a socket."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        return self._data.readinto(buffer)


def test_a_stream_that_cannot_seek_loads_and_says_when_read_to_its_end():
    clf, X = fitted_classifier()
    buffer = io.BytesIO()
    save(clf, buffer)
    stream = _Stream(buffer.getvalue())
    assert not stream.seekable()
    np.testing.assert_array_equal(load(stream).predict_proba(X), clf.predict_proba(X))
    # Loaded again: "it is empty" pointed to the file, not to the stream read by the first.
    with pytest.raises(ValueError, match="nothing left to read: the stream is empty or was"):
        load(stream)


FIXTURES = os.path.join(os.path.dirname(__file__), "data")


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_files_of_format_version_1_still_load(kind):
    """Files that pygru wrote before persistence moved out of pygru._io (made by
    tests/data/make_format_fixtures.py) load and predict what they predicted when saved."""
    expected = np.load(os.path.join(FIXTURES, "format_v1_expected.npz"))
    model = load(os.path.join(FIXTURES, f"format_v1_{kind}.npz"))
    X = expected[f"X_{kind}"]
    # Close, not equal: a change to the kernels may move the last bits of a float32 result.
    # No predicted class is near a tie (every probability is at least 2e-4 from 0.5).
    close = dict(rtol=1e-5, atol=1e-6)
    if kind == "classifier":
        np.testing.assert_array_equal(model.predict(X), expected["classifier_predict"])
        np.testing.assert_allclose(
            model.predict_proba(X), expected["classifier_predict_proba"], **close
        )
    else:
        np.testing.assert_allclose(model.predict(X), expected["regressor_predict"], **close)
        # Trained before targets were standardised: loaded as what it was.
        assert model.standardize_target is False and not hasattr(model, "target_mean_")
    assert model.ema_momentum is None  # trained before weight averaging


def test_files_of_format_version_2_still_load():
    """A forecaster that the last pygru of format version 2 wrote (before the linear skip)
    loads as what it was, without the skip, and predicts what it predicted."""
    expected = np.load(os.path.join(FIXTURES, "format_v2_expected.npz"))
    model = load(os.path.join(FIXTURES, "format_v2_regressor.npz"))
    assert model.linear_skip is False and model.network_.linear_steps == 0
    assert model.standardize_target is True and model.ema_momentum is None
    np.testing.assert_allclose(
        model.predict(expected["X_regressor"]), expected["regressor_predict"], rtol=1e-5
    )


def load_fixtures_predicting_as_saved(version):
    """The classifier and regressor fixtures of format ``version``, after checking that they
    predict what they predicted when they were saved."""
    expected = np.load(os.path.join(FIXTURES, f"format_v{version}_expected.npz"))
    classifier = load(os.path.join(FIXTURES, f"format_v{version}_classifier.npz"))
    X = expected["X_classifier"]
    np.testing.assert_array_equal(classifier.predict(X), expected["classifier_predict"])
    np.testing.assert_allclose(
        classifier.predict_proba(X), expected["classifier_predict_proba"], rtol=1e-5, atol=1e-6
    )
    regressor = load(os.path.join(FIXTURES, f"format_v{version}_regressor.npz"))
    np.testing.assert_allclose(
        regressor.predict(expected["X_regressor"]), expected["regressor_predict"], rtol=1e-5
    )
    return classifier, regressor


def test_files_of_format_version_3_still_load():
    """The last pygru of format version 3 (before ``ema_momentum`` and the classifier's
    bidirectional default) wrote a classifier and a forecaster with its linear skip: they
    load as what they were and predict what they predicted."""
    classifier, regressor = load_fixtures_predicting_as_saved(3)
    assert classifier.ema_momentum is None and classifier.bidirectional is False
    assert regressor.ema_momentum is None and regressor.network_.linear_steps == 12


def test_files_of_format_version_4_still_load():
    """The last pygru of format version 4 (before a regressor kept its skip's ridge
    penalty) wrote a classifier with the bidirectional, averaging defaults and a forecaster
    with its linear skip: they load as what they were, the forecaster without a ridge
    penalty (it trains on with alpha alone, as it was trained), and predict what they
    predicted."""
    classifier, regressor = load_fixtures_predicting_as_saved(4)
    assert classifier.ema_momentum == 0.99 and classifier.bidirectional is True
    assert regressor.network_.linear_steps == 12 and regressor.linear_skip_alpha_ is None


def test_files_of_format_version_5_still_load():
    """The last pygru of format version 5 (before ``conv_layers``) wrote the same two models:
    they load without a convolutional branch and predict what they predicted."""
    classifier, regressor = load_fixtures_predicting_as_saved(5)
    for model in (classifier, regressor):
        assert model.conv_layers is None and model.network_.conv_layers == ()
    assert regressor.linear_skip_alpha_ is not None


def test_files_of_format_version_6_still_load():
    """The last pygru of format version 6 (before ``window_warp``) wrote the same two models:
    they load with ``window_warp=None``, so that further training goes on as they were
    trained, and predict what they predicted."""
    classifier, regressor = load_fixtures_predicting_as_saved(6)
    assert classifier.window_warp is None and regressor.window_warp is None
    assert classifier.conv_layers is None and regressor.linear_skip_alpha_ is not None


def test_files_of_format_version_7_still_load():
    """The last pygru of format version 7 (before ``linear_skip_sequences``) wrote the same
    two models: the forecaster loads without the count, so that a later partial_fit spreads
    its skip's penalty over each call's sequences, as it was trained, and both predict what
    they predicted."""
    classifier, regressor = load_fixtures_predicting_as_saved(7)
    assert regressor.linear_skip_alpha_ is not None
    assert regressor._linear_skip_sequences is None
    assert load(io.BytesIO(saved_bytes(regressor)))._linear_skip_sequences is None
    fitted = GRURegressor(**regressor.get_params()).fit(*make_windows(np.arange(40.0), 6))
    assert load(io.BytesIO(saved_bytes(fitted)))._linear_skip_sequences == 34


def test_files_of_format_version_8_still_load():
    """The last pygru of format version 8 (before ``standardize="auto"`` and
    ``"sequence"``) wrote the same two models: they load with the standardisation they were
    fitted with and predict what they predicted."""
    classifier, regressor = load_fixtures_predicting_as_saved(8)
    assert classifier.standardize is True and regressor.standardize is True
    assert not hasattr(classifier, "sequence_spread_floor_")


def sequence_scaled_classifier(**options):
    """A classifier that scales each of its ragged sequences by itself, in patches, and the
    sequences to predict."""
    X, _, y = ragged_data(steps=20)
    X = [x * 10.0 ** (i % 5 - 3) for i, x in enumerate(X)]
    settings = dict(hidden_layer_sizes=(3,), standardize="sequence", patch_size=2, max_iter=2)
    clf = GRUClassifier(random_state=0, **{**settings, **options}).fit(X, y)
    return clf, X


def test_a_model_that_scales_each_sequence_round_trips():
    clf, X = sequence_scaled_classifier()
    n_features = clf.n_features_in_
    assert clf.sequence_spread_floor_.shape == (n_features,)
    assert clf.network_.n_inputs == 3 * n_features * clf.patch_size_
    loaded = load(io.BytesIO(saved_bytes(clf)))
    assert_same_model(loaded, clf, X)
    np.testing.assert_array_equal(loaded.sequence_spread_floor_, clf.sequence_spread_floor_)


def test_a_sequence_scaling_read_from_a_file_is_checked():
    clf, _ = sequence_scaled_classifier()
    blob = saved_bytes(clf)
    floor = clf.sequence_spread_floor_
    for arrays, message in [
        ({"sequence_spread_floor_": -floor}, "sequence_spread_floor_ must be finite and positive"),
        ({"sequence_spread_floor_": floor[:0]}, "sequence_spread_floor_ has shape (0,)"),
        # without the floor, the statistics of three channels per feature fit no network
        ({"sequence_spread_floor_": None}, "input_mean_ has shape"),
        # the channels are always standardised: a floor alone left a float64 input to a
        # float32 network, refused only by predict
        ({"input_mean_": None, "input_scale_": None}, "sequence_spread_floor_ needs input_mean_"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            load(io.BytesIO(tampered(blob, arrays=arrays)))
    X, _, y = ragged_data()
    plain = saved_bytes(GRUClassifier(hidden_layer_sizes=(3,), max_iter=1).fit(X, y))
    with pytest.raises(ValueError, match="input_mean_ has shape"):
        load(io.BytesIO(tampered(plain, arrays={"sequence_spread_floor_": np.ones(2)})))


def test_a_linear_skip_penalty_read_from_a_file_is_checked():
    windows, targets = make_windows(np.sin(np.arange(60.0) / 3), lookback=6)
    settings = dict(hidden_layer_sizes=(3,), max_iter=1, random_state=0)
    with_skip = saved_bytes(GRURegressor(**settings).fit(windows, targets))
    without_skip = saved_bytes(GRURegressor(linear_skip=False, **settings).fit(windows, targets))
    for blob, value, message in [
        (with_skip, -1.0, "linear_skip_alpha_ must be a positive number, got -1.0"),
        (with_skip, 0.0, "linear_skip_alpha_ must be a positive number, got 0.0"),
        (with_skip, "1", "fitted attribute linear_skip_alpha_ has a value of the wrong type"),
        (without_skip, 1.0, "linear_skip_alpha_=1.0 given for a network without a linear skip"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            load(io.BytesIO(tampered(blob, set_in("fitted", "linear_skip_alpha_", value))))
    for value, message in [
        (0, "linear_skip_sequences must be at least 1, got 0"),
        (2.5, "fitted attribute linear_skip_sequences has a value of the wrong type"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            load(io.BytesIO(tampered(with_skip, set_in("fitted", "linear_skip_sequences", value))))
    for value, message in [
        (-1.0, "correction_alpha_ must be a positive number, got -1.0"),
        (None, "correction_alpha_=None does not go with linear_skip_alpha_="),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            load(io.BytesIO(tampered(with_skip, set_in("fitted", "correction_alpha_", value))))
    # A file from before the penalty was kept (format 4) has neither; it loads without
    # them, and saves and loads again.
    legacy = tampered(with_skip, delete("fitted", "linear_skip_alpha_"))
    legacy = load(io.BytesIO(tampered(legacy, delete("fitted", "correction_alpha_"))))
    assert legacy.linear_skip_alpha_ is None and legacy.correction_alpha_ is None
    assert legacy.network_.linear_steps == 6
    assert load(io.BytesIO(saved_bytes(legacy))).linear_skip_alpha_ is None


def test_a_file_from_before_the_correction_penalty_holds_the_head_at_the_skips():
    # Format 9 and older held the head at the linear skip's penalty, the one training
    # applies to a model loaded from them; a loaded model saves it as its own again.
    X = np.random.default_rng(0).standard_normal((300, 10, 1))
    y = (X[:, :, 0] ** 2).mean(axis=1)  # a target with no linear signal
    settings = dict(hidden_layer_sizes=(16,), max_iter=1, random_state=0)
    fitted = GRURegressor(**settings).fit(X, y)
    assert fitted.correction_alpha_ < fitted.linear_skip_alpha_
    again = load(io.BytesIO(saved_bytes(fitted)))
    assert again.correction_alpha_ == fitted.correction_alpha_
    older = load(io.BytesIO(tampered(saved_bytes(fitted), delete("fitted", "correction_alpha_"))))
    assert older.correction_alpha_ == older.linear_skip_alpha_ == fitted.linear_skip_alpha_
    assert load(io.BytesIO(saved_bytes(older))).correction_alpha_ == fitted.linear_skip_alpha_


def test_files_without_best_epoch_hold_the_first_best_validation_epoch():
    """A file from before ``best_epoch_`` (format 2 and older) gets it from the rule fit
    applied: the first best validation score, or the last epoch without early stopping."""
    X, _, y = ragged_data(n=60)
    clf = GRUClassifier(
        hidden_layer_sizes=(3,),
        early_stopping=True,
        max_iter=12,
        n_iter_no_change=50,
        learning_rate_init=0.05,
        random_state=0,
    ).fit(X, y)
    scores = np.asarray(clf.validation_scores_)
    assert clf.best_epoch_ == int(np.argmax(scores)) + 1  # the first of the best
    assert clf.best_epoch_ < clf.n_iter_
    blob = saved_bytes(clf)
    legacy = load(io.BytesIO(tampered(blob, delete("fitted", "best_epoch_"))))
    assert legacy.best_epoch_ == clf.best_epoch_
    plain = GRUClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    legacy = load(io.BytesIO(tampered(saved_bytes(plain), delete("fitted", "best_epoch_"))))
    assert legacy.best_epoch_ == legacy.n_iter_ == 2


def test_unfitted_estimator_round_trip():
    reg = GRURegressor(hidden_layer_sizes=(5, 4), output="sequence", alpha=0.0)
    loaded = load(io.BytesIO(saved_bytes(reg)))
    assert repr(loaded.get_params()) == repr(reg.get_params())
    assert not hasattr(loaded, "network_")


def test_loaded_estimator_keeps_training_and_its_random_stream():
    X, _, y = ragged_data()
    clf = GRUClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    loaded = load(io.BytesIO(saved_bytes(clf)))
    assert loaded._rng.bit_generator.state == clf._rng.bit_generator.state
    before = loaded.predict_proba(X)
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == clf.n_iter_ + 1
    assert not np.array_equal(loaded.predict_proba(X), before)
    loaded.set_params(warm_start=True).fit(X, y)
    assert loaded.n_iter_ == clf.n_iter_ + 3


def test_a_seed_set_after_fit_reaches_the_loaded_model():
    # set_params(random_state=1) after fit: the next training call draws from seed 1. The
    # file kept the old seed's generator and the loaded model trained on with it, unlike
    # the original and a pickled copy (audit39a). sgd without momentum: no optimizer state.
    X, _, y = ragged_data()
    clf = GRUClassifier((3,), max_iter=2, random_state=0, solver="sgd", momentum=0.0)
    clf.fit(X, y).set_params(random_state=1)
    loaded, pickled = load(io.BytesIO(saved_bytes(clf))), pickle.loads(pickle.dumps(clf))
    for model in (clf, loaded, pickled):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(pickled.predict_proba(X), clf.predict_proba(X))
    assert loaded._rng.bit_generator.state == clf._rng.bit_generator.state


def test_a_seed_set_to_none_after_fit_reaches_the_loaded_model():
    # set_params(random_state=None) after fit: the next training call draws a generator from
    # NumPy's global state, as the original and a pickled copy do. The file kept no record
    # of it, and the loaded model trained on with the old seed's generator (review39).
    X, _, y = ragged_data()
    clf = GRUClassifier((3,), max_iter=2, random_state=0, solver="sgd", momentum=0.0)
    clf.fit(X, y).set_params(random_state=None)
    loaded, pickled = load(io.BytesIO(saved_bytes(clf))), pickle.loads(pickle.dumps(clf))
    assert pickle.loads(pickle.dumps(loaded))._reseeds_next()
    for model in (clf, loaded, pickled):
        np.random.seed(5)
        model.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(pickled.predict_proba(X), clf.predict_proba(X))
    # Having reseeded, each continues its own generator, and saves say so.
    assert not loaded._reseeds_next() and not clf._reseeds_next()
    assert load(io.BytesIO(saved_bytes(loaded)))._rng.bit_generator.state == (
        clf._rng.bit_generator.state
    )


def test_a_file_without_the_reseed_and_one_step_entries_loads_as_before():
    # Format version 11 and older: the generator continues, and a model trained on a column
    # of one-step sequences warns at predict as it did.
    X = np.random.default_rng(0).normal(size=(12, 1))
    reg = GRURegressor((3,), max_iter=1, random_state=0).fit(X, X[:, 0])
    reg.set_params(random_state=None)

    def as_version_11(metadata):
        metadata["format_version"] = 11
        for name in ("rng_reseeds", "trained_on_one_step"):
            del metadata["fitted"][name]

    older = tampered(saved_bytes(reg), as_version_11)
    loaded = load(io.BytesIO(older))
    assert not loaded._reseeds_next()
    assert loaded._rng.bit_generator.state == reg._rng.bit_generator.state
    with pytest.warns(UserWarning, match="sequences of one time step"):
        loaded.predict(X)


def test_a_model_trained_on_one_step_sequences_reads_a_column_after_loading():
    # It warned at every predict that the column might be one sequence (audit39j); the flag
    # that stops it was not saved.
    X = np.random.default_rng(0).normal(size=(12, 1))
    reg = GRURegressor((3,), max_iter=1, random_state=0).fit(X, X[:, 0])
    for model in (load(io.BytesIO(saved_bytes(reg))), pickle.loads(pickle.dumps(reg))):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*sequences of one time step")
            np.testing.assert_array_equal(model.predict(X), reg.predict(X))
    sequences = GRURegressor((3,), max_iter=1, random_state=0).fit(X.reshape(4, 3), X[::3, 0])
    with pytest.warns(UserWarning, match="sequences of one time step"):
        load(io.BytesIO(saved_bytes(sequences))).predict(X)


def test_unsaveable_parameters_are_dropped_with_a_warning():
    clf, X = fitted_classifier(
        callbacks=[lambda estimator, record: None], random_state=np.random.RandomState(0)
    )
    with pytest.warns(UserWarning, match="callbacks, random_state"):
        blob = saved_bytes(clf)
    loaded = load(io.BytesIO(blob))
    assert loaded.callbacks is None and loaded.random_state is None
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_save_refuses_what_it_cannot_represent():
    class MyClassifier(GRUClassifier):
        pass

    with pytest.raises(TypeError, match="save supports"):
        save(MyClassifier(), io.BytesIO())
    clf, _ = fitted_classifier()
    clf.set_params(dropout=object())
    with pytest.raises(TypeError, match="cannot save parameter dropout"):
        save(clf, io.BytesIO())
    clf, _ = fitted_classifier()
    clf.classes_ = np.array([0, "a"], dtype=object)
    with pytest.raises(TypeError, match="class labels .*use pickle"):  # as the docstring says
        save(clf, io.BytesIO())
    clf, _ = fitted_classifier()
    clf.set_params(dtype="float64")  # changed after fit: predict would no longer match
    with pytest.raises(ValueError, match="do not match its fitted network"):
        save(clf, io.BytesIO())


# ------------------------------------------------------------------ hostile and broken files


def set_in(*path_and_value):
    *path, value = path_and_value

    def edit(metadata):
        target = metadata
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def delete(*path):
    def edit(metadata):
        target = metadata
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


def assert_refused(blob, case):
    try:
        load(io.BytesIO(blob))
    except ValueError:
        return
    pytest.fail(f"load accepted a broken file ({case})")


@pytest.fixture(scope="module")
def good_blob():
    clf, _ = fitted_classifier(hidden_layer_sizes=(3, 2), bidirectional=True)
    return saved_bytes(clf)  # 256 parameters


# case: (edit of metadata.json, what the refusal must say: the entry and what is wrong)
HOSTILE_METADATA = {
    "wrong-format": (
        set_in("format", "something-else"),
        "format is 'something-else', expected 'pygru-estimator'",
    ),
    "newer-version": (
        set_in("format_version", FORMAT_VERSION + 1),
        f"format version {FORMAT_VERSION + 1} was written by a newer pygru",
    ),
    "version-as-string": (
        set_in("format_version", "1"),
        "format_version must be a positive integer, got '1'",
    ),
    "version-as-bool": (
        set_in("format_version", True),
        "format_version must be a positive integer, got True",
    ),
    "unknown-estimator": (
        set_in("estimator", "os.system"),
        "estimator must be one of ['GRUClassifier', 'GRURegressor'], got 'os.system'",
    ),
    "estimator-as-list": (
        set_in("estimator", ["GRUClassifier"]),
        "estimator must be one of ['GRUClassifier', 'GRURegressor'], got ['GRUClassifier']",
    ),
    "params-not-a-dict": (set_in("params", [1, 2]), "params must be a dict, got list"),
    "unknown-param": (
        set_in("params", "exec", "print(1)"),
        "unknown parameter(s) for GRUClassifier: ['exec']",
    ),
    "bad-param-type": (
        set_in("params", "max_iter", "many"),
        "The 'max_iter' parameter of GRUClassifier must be",
    ),
    "bad-param-range": (
        set_in("params", "learning_rate_init", -1.0),
        "The 'learning_rate_init' parameter of GRUClassifier must be",
    ),
    "bad-param-tag": (
        set_in("params", "alpha", {"eval": "1"}),
        "parameter alpha has an unreadable value",
    ),
    "bad-float-tag": (
        set_in("params", "alpha", {"float": "1e5"}),
        "alpha: expected a number, got {'float': '1e5'}",
    ),
    "fitted-not-a-dict": (set_in("fitted", "yes"), "fitted must be a dict, got str"),
    "fitted-unknown": (
        set_in("fitted", "__class__", 1),
        "unknown fitted attribute(s) ['__class__']",
    ),
    "n-iter-as-string": (
        set_in("fitted", "n_iter_", "2"),
        "fitted attribute n_iter_ has a value of the wrong type: '2'",
    ),
    "negative-n-iter": (set_in("fitted", "n_iter_", -1), "n_iter_ must be at least 0, got -1"),
    "best-epoch-after-the-last": (
        set_in("fitted", "best_epoch_", 10**6),
        "best_epoch_=1000000 is later than n_iter_",
    ),
    "loss-curve-of-strings": (
        set_in("fitted", "loss_curve_", ["a"]),
        "fitted attribute loss_curve_ has a value of the wrong type",
    ),
    "missing-loss-curve": (
        delete("fitted", "loss_curve_"),
        "fitted attribute loss_curve_ is missing",
    ),
    "missing-features": (
        delete("fitted", "n_features_in_"),
        "fitted attribute n_features_in_ is missing",
    ),
    "features-mismatch": (
        set_in("fitted", "n_features_in_", 5),
        "input_mean_ has shape (2,), expected (5,)",
    ),
    "network-missing": (delete("fitted", "network"), "fitted attribute network is missing"),
    "network-sizes-mismatch": (
        set_in("fitted", "network", "hidden_layer_sizes", [3, 3]),
        "the parameter layout in the file differs from this pygru's network",
    ),
    "network-huge": (
        set_in("fitted", "network", "hidden_layer_sizes", [10**9, 2]),
        "the parameter layout in the file differs from this pygru's network",
    ),
    "network-negative": (
        set_in("fitted", "network", "hidden_layer_sizes", [-3, 2]),
        "fitted.network is malformed",
    ),
    "network-bad-dtype": (
        set_in("fitted", "network", "dtype", "object"),
        "fitted.network is malformed",
    ),
    "network-bad-output": (
        set_in("fitted", "network", "output", "everything"),
        "fitted.network is malformed",
    ),
    "network-layout": (
        set_in("fitted", "network", "parameter_shapes", []),
        "the parameter layout in the file differs from this pygru's network",
    ),
    "embedding-mismatch": (
        set_in("params", "embedding_dim", 2),
        "fitted attribute vocabulary_size_ is missing",
    ),
    "rng-not-pcg64": (
        set_in("fitted", "rng_state", "bit_generator", "MT19937"),
        "fitted.rng_state must be a PCG64 state",
    ),
    "rng-bad-state": (
        set_in("fitted", "rng_state", "state", "state", -5),
        "fitted.rng_state is malformed",
    ),
    "rng-reseeds-not-a-flag": (
        set_in("fitted", "rng_reseeds", 1),
        "rng_reseeds must be one of False, True, got 1",
    ),
    "one-step-not-a-flag": (
        set_in("fitted", "trained_on_one_step", "yes"),
        "trained_on_one_step must be one of False, True, got 'yes'",
    ),
    "classes-object-flag": (
        set_in("fitted", "classes_object", "no"),
        "classes_object must be one of False, True, got 'no'",
    ),
    "arrays-missing-entry": (
        delete("arrays", "classes_"),
        "unexpected ['classes_.npy'], missing []",
    ),
    "array-dtype-object": (
        set_in("arrays", "params", "dtype", "|O"),
        "arrays.params.dtype '|O' is not allowed for params",
    ),
    "array-dtype-structured": (
        set_in("arrays", "params", "dtype", [["a", "<f4"]]),
        "arrays.params.dtype [['a', '<f4']] is not allowed for params",
    ),
    "array-dtype-garbage": (
        set_in("arrays", "params", "dtype", "not a dtype"),
        "arrays.params.dtype 'not a dtype' is not allowed for params",
    ),
    "array-shape-wrong": (
        set_in("arrays", "params", "shape", [3]),
        "params.npy holds float32 (256,), the metadata says float32 (3,)",
    ),
    "array-shape-garbage": (
        set_in("arrays", "params", "shape", "(1,)"),
        "arrays.params.shape must be a list of sizes, got '(1,)'",
    ),
    "checksum-wrong": (
        set_in("arrays", "params", "sha256", "0" * 64),
        "checksum mismatch for params: the file is corrupted",
    ),
    "checksum-missing": (
        delete("arrays", "params", "sha256"),
        "arrays.params must have the keys dtype, shape and sha256",
    ),
    "scale-without-mean": (
        delete("arrays", "input_mean_"),
        "unexpected ['input_mean_.npy'], missing []",
    ),
    "patch-size-mismatch": (
        set_in("fitted", "patch_size_", 2),
        "do not match its fitted network: n_features_in_=2 and patch_size_=2",
    ),
    "patch-size-zero": (
        set_in("fitted", "patch_size_", 0),
        "patch_size_ must be at least 1, got 0",
    ),
    "patch-size-float": (
        set_in("fitted", "patch_size_", 1.5),
        "fitted attribute patch_size_ has a value of the wrong type: 1.5",
    ),
}


@pytest.mark.parametrize("edit, message", HOSTILE_METADATA.values(), ids=HOSTILE_METADATA.keys())
def test_hostile_metadata_is_refused_with_a_message_that_says_what_is_wrong(
    good_blob, edit, message
):
    with pytest.raises(ValueError, match=re.escape(message)):
        load(io.BytesIO(tampered(good_blob, edit)))


def test_huge_layout_is_refused_before_allocating(good_blob):
    """Sizes and layout consistent with each other, but not with the params really there."""
    from pygru._network import parameter_shapes

    def edit(metadata):
        spec = metadata["fitted"]["network"]
        spec["hidden_layer_sizes"] = [10**7, 10**7]
        shapes = parameter_shapes(
            spec["n_inputs"],
            spec["hidden_layer_sizes"],
            spec["n_outputs"],
            bidirectional=spec["bidirectional"],
            embedding_dim=spec["embedding_dim"],
        )
        spec["parameter_shapes"] = [[key, list(shape)] for key, shape in shapes.items()]

    with pytest.raises(ValueError, match="the network needs"):
        load(io.BytesIO(tampered(good_blob, edit)))


def test_untampered_copy_loads(good_blob):
    load(io.BytesIO(tampered(good_blob)))


def test_refusals_say_what_is_wrong(good_blob):
    with pytest.raises(ValueError, match="newer pygru"):
        load(io.BytesIO(tampered(good_blob, set_in("format_version", FORMAT_VERSION + 1))))
    with pytest.raises(ValueError, match="checksum mismatch for params"):
        load(io.BytesIO(tampered(good_blob, set_in("arrays", "params", "sha256", "0" * 64))))
    with pytest.raises(ValueError, match="estimator must be one of"):
        load(io.BytesIO(tampered(good_blob, set_in("estimator", "os.system"))))


def test_arrays_with_bad_contents_are_refused(good_blob):
    params = np.load(io.BytesIO(good_blob), allow_pickle=False)["params"]
    bad = {
        "nan-params": {
            "params": np.where(np.arange(params.size) == 3, np.nan, params).astype(params.dtype)
        },
        "float64-params": {"params": params.astype(np.float64)},
        "short-params": {"params": params[:-1]},
        "2d-params": {"params": params.reshape(1, -1)},
        "unsorted-classes": {"classes_": np.array([1, 0])},
        "duplicate-classes": {"classes_": np.array([0, 0])},
        "too-many-classes": {"classes_": np.array([0, 1, 2])},
        "complex-classes": {"classes_": np.array([0j, 1j])},
        "zero-scale": {"input_scale_": np.array([1.0, 0.0])},
        "nan-mean": {"input_mean_": np.array([np.nan, 0.0])},
        "short-mean": {"input_mean_": np.array([0.0])},
        "integer-scale": {"input_scale_": np.array([1, 1])},
    }
    for name, arrays in bad.items():
        assert_refused(tampered(good_blob, arrays=arrays), name)


def test_a_loaded_regressor_checks_y_val_against_the_training_targets_as_it_did():
    # The training targets' mean and spread, which a later fit checks y_val against (a
    # y_val that missed y's transformation), were kept in memory only: a warm fit of the
    # loaded model took y_val in other units silently (audit38a).
    rng = np.random.default_rng(0)
    X, X_val = rng.standard_normal((80, 10, 1)), rng.standard_normal((30, 10, 1))
    y, y_val = (2 * X[:, -1, 0] + 1e3) * 100, (2 * X_val[:, -1, 0] + 1e3) * 100
    reg = GRURegressor(
        hidden_layer_sizes=(3,), max_iter=2, early_stopping=True, warm_start=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y, X_val=X_val, y_val=y_val)
    blob = saved_bytes(reg)
    loaded = load(io.BytesIO(blob))
    for got, kept in zip(loaded._target_reference, reg._target_reference):
        np.testing.assert_array_equal(got, kept)
    with pytest.warns(UserWarning, match="y_val's target 0 has mean"):
        loaded.fit(X, y, X_val=X_val, y_val=y_val / 1000)  # in thousands
    spread = reg._target_reference[1]
    for arrays in (
        {"training_target_spread": -spread},
        {"training_target_spread": np.array([np.nan])},
        {"training_target_spread": np.concatenate([spread, spread])},
    ):
        assert_refused(tampered(blob, arrays=arrays), arrays)


def test_pickled_arrays_are_never_unpickled(good_blob, tmp_path):
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    payload = np.array([Payload()], dtype=object)
    for fix_metadata in (False, True):

        def edit(metadata, fix_metadata=fix_metadata):
            if fix_metadata:
                metadata["arrays"]["params"]["dtype"] = "|O"
                metadata["arrays"]["params"]["shape"] = [1]

        members = read_members(tampered(good_blob, edit))
        members["params.npy"] = npy_bytes(payload, allow_pickle=True)
        with pytest.raises(ValueError):
            load(io.BytesIO(write_members(members)))
    members = read_members(good_blob)
    members = {"params.npy": npy_bytes(payload, allow_pickle=True)}
    with pytest.raises(ValueError):
        load(io.BytesIO(write_members(members)))
    single = io.BytesIO(npy_bytes(payload, allow_pickle=True))
    with pytest.raises(ValueError):
        load(single)
    assert not marker.exists()


def test_broken_archives_are_refused(good_blob):
    members = read_members(good_blob)
    metadata = json.loads(members["metadata.json"])
    header_only = npy_bytes(np.zeros(0, np.float32))
    huge_header = header_only.replace(b"(0,)", b"(10000000000000,)".ljust(4))
    cases = {
        "empty": b"",
        "random": bytes(range(256)) * 4,
        "plain-npy": npy_bytes(np.zeros(3)),
        "text": b'{"format": "pygru-estimator"}',
        "no-metadata": write_members({k: v for k, v in members.items() if k != "metadata.json"}),
        "no-params": write_members({k: v for k, v in members.items() if k != "params.npy"}),
        "extra-member": write_members({**members, "evil.npy": npy_bytes(np.zeros(1))}),
        "metadata-not-utf8": write_members({**members, "metadata.json": b"\xff\xfe{}"}),
        "metadata-not-json": write_members({**members, "metadata.json": b"{'a': 1}"}),
        "metadata-a-list": write_members({**members, "metadata.json": b"[1, 2]"}),
        "metadata-nan": write_members(
            {
                **members,
                "metadata.json": members["metadata.json"].replace(
                    b'"alpha": 0.0001', b'"alpha": NaN'
                ),
            }
        ),
        "metadata-huge-number": write_members(
            {
                **members,
                "metadata.json": members["metadata.json"].replace(
                    b'"alpha": 0.0001', b'"alpha": 1e999'
                ),
            }
        ),
        "metadata-duplicate-key": write_members(
            {**members, "metadata.json": b'{"format": "pygru-estimator", "format": "x"}'}
        ),
        "metadata-deep": write_members({**members, "metadata.json": b"[" * 100000}),
        "params-not-npy": write_members({**members, "params.npy": b"not an array"}),
        "params-huge-shape": tampered(
            good_blob, set_in("arrays", "params", "shape", [10000000000000])
        ),
        "params-truncated": write_members({**members, "params.npy": members["params.npy"][:-4]}),
        "params-claims-huge": write_members({**members, "params.npy": huge_header}),
        "zip-bomb": write_members(
            {**members, "metadata.json": json.dumps(metadata).encode() + b" " * (50 << 20)},
            compression=zipfile.ZIP_DEFLATED,
        ),
    }
    for name, blob in cases.items():
        assert_refused(blob, name)


def with_sizes_claimed(members, name, claimed, compression):
    """A zip of ``members`` whose central directory claims ``claimed`` bytes for ``name``,
    compressed and uncompressed (the local header keeps the true sizes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        archive.getinfo(name).file_size = claimed
        if compression != zipfile.ZIP_STORED:
            archive.getinfo(name).compress_size = claimed // 50
    return buffer.getvalue()


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_sizes_the_zip_directory_claims_are_not_allocated(good_blob, compression):
    # A 3.8 KB file whose metadata and .npy header say 1e12 floats, and whose zip directory
    # claims the bytes for them: load read the member with NumPy, which allocated 3.6 TiB
    # first, and the MemoryError escaped. Sizes beyond the file are refused, and members are
    # read in bounded chunks.
    members = read_members(good_blob)
    metadata = json.loads(members["metadata.json"])
    n = 10**12
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (n,)}
    )
    metadata["arrays"]["params"] = {"dtype": "<f4", "shape": [n], "sha256": "0" * 64}
    members["metadata.json"] = json.dumps(metadata).encode()
    members["params.npy"] = header.getvalue() + bytes(64)
    for claimed in (4 * n + 128, 50 * len(good_blob)):  # beyond the file, and within it
        blob = with_sizes_claimed(members, "params.npy", claimed, compression)
        with pytest.raises(ValueError, match="params.npy|damaged|truncated"):
            load(io.BytesIO(blob))


def patched_central_directory(blob, member, offset, value):
    """``blob`` with 2 bytes of ``member``'s central directory record set to ``value``."""
    record = blob.index(b"PK\x01\x02", blob.index(b"PK\x01\x02"))
    while blob[record + 46 : record + 46 + len(member)] != member:
        record = blob.index(b"PK\x01\x02", record + 4)
    return blob[: record + offset] + value.to_bytes(2, "little") + blob[record + offset + 2 :]


def test_archives_zipfile_cannot_read_are_refused(good_blob):
    # Found by test_fuzz.py: zipfile raises RuntimeError for members flagged as encrypted
    # and NotImplementedError for unsupported zip versions and compression methods.
    cases = {
        "encrypted": patched_central_directory(good_blob, b"params.npy", 8, 1),
        "zip-version-6.4": patched_central_directory(good_blob, b"params.npy", 6, 64),
        "compression-method": patched_central_directory(good_blob, b"params.npy", 10, 99),
    }
    for name, blob in cases.items():
        assert_refused(blob, name)


def test_every_truncation_and_bit_flip_is_refused(good_blob):
    for cut in list(range(0, len(good_blob), max(1, len(good_blob) // 97))):
        with pytest.raises(ValueError):
            load(io.BytesIO(good_blob[:cut]))
    clf_params = np.load(io.BytesIO(good_blob), allow_pickle=False)["params"]
    data_start = good_blob.find(clf_params.tobytes())
    for offset in range(data_start, data_start + clf_params.nbytes, 7):
        corrupted = bytearray(good_blob)
        corrupted[offset] ^= 0x10
        with pytest.raises(ValueError):  # the zip CRC, or else the checksum, catches it
            load(io.BytesIO(bytes(corrupted)))


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.npz")


# -------------------------------------------------------------------------------- pickle


def test_pickle_still_works():
    clf, X = fitted_classifier()
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_a_pickle_from_before_newer_hyper_parameters_loads_as_the_model_it_was():
    """A model pickled by an older pygru has no attribute for each hyper-parameter added
    since (here window_warp, conv_layers and ema_momentum, as a pickle of a version before
    ema_momentum holds). Unpickled, it prints, predicts as before and trains on as it was
    trained: each missing parameter gets the value that meant what its absence meant."""
    clf, X = fitted_classifier(ema_momentum=None)
    state = clf.__getstate__()
    for name in ("window_warp", "conv_layers", "ema_momentum"):
        del state[name]
    older = pickle.loads(pickle.dumps(clf))
    older.__dict__.clear()
    older.__setstate__(state)
    assert "GRUClassifier(" in repr(older)
    params = older.get_params()
    assert params["window_warp"] is None and params["conv_layers"] is None
    assert params["ema_momentum"] is None  # not today's default, 0.99: the old weights' rule
    np.testing.assert_array_equal(older.predict_proba(X), clf.predict_proba(X))
    _, _, y = ragged_data()
    older.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(older.network_.params, clf.network_.params)


def test_unpickled_estimator_keeps_learning():
    X, _, y = ragged_data()
    clf = GRUClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, y)
    restored.partial_fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


# ---------------------------------------------------------------------------- PyTorch

TORCH_CASES = [((4,), False), ((4,), True), ((3, 3), False), ((3, 3, 3), True)]


def test_torch_state_dict_names_and_round_trip():
    # standardize=False: the exported weights are the network's own, bit for bit
    clf, X = fitted_classifier(hidden_layer_sizes=(3, 3), bidirectional=True, standardize=False)
    state = to_torch_state_dict(clf)
    assert sorted(state) == sorted(
        f"{kind}_{part}_l{layer}{suffix}"
        for kind in ("weight", "bias")
        for part in ("ih", "hh")
        for layer in (0, 1)
        for suffix in ("", "_reverse")
    )
    assert state["weight_ih_l0"].shape == (9, 2) and state["weight_ih_l1"].shape == (9, 6)
    np.testing.assert_array_equal(
        state["weight_hh_l1_reverse"], clf.network_.views["gru1.backward.w_hh"]
    )
    state["weight_hh_l0"][...] = 7  # a copy, not a view
    assert not np.any(clf.network_.views["gru0.forward.w_hh"] == 7)
    other, _ = fitted_classifier(
        hidden_layer_sizes=(3, 3), bidirectional=True, random_state=5, standardize=False
    )
    head = other.network_.views["head.weight"].copy()
    assert from_torch_state_dict(other, to_torch_state_dict(clf)) is other
    for name, view in clf.network_.views.items():
        if name.startswith("gru"):
            np.testing.assert_array_equal(other.network_.views[name], view)
    np.testing.assert_array_equal(other.network_.views["head.weight"], head)
    prefixed = to_torch_state_dict(clf, prefix="gru.")
    assert all(key.startswith("gru.") for key in prefixed)
    from_torch_state_dict(
        other.network_, {**prefixed, "head.weight": 0}, prefix="gru.", strict=False
    )


def test_torch_import_refuses_bad_state_dicts():
    clf, _ = fitted_classifier(standardize=False)
    state = to_torch_state_dict(clf)
    before = clf.network_.params.copy()
    bad = {
        "missing": {k: v for k, v in state.items() if k != "bias_hh_l0"},
        "unexpected": {**state, "weight_ih_l1": state["weight_ih_l0"]},
        "shape": {**state, "weight_hh_l0": state["weight_hh_l0"].T},
        "nan": {**state, "bias_ih_l0": np.full(9, np.nan)},
        "overflow": {**state, "bias_ih_l0": np.full(9, 1e300)},
    }
    for state_dict in bad.values():
        with pytest.raises(ValueError):
            from_torch_state_dict(clf, state_dict)
    with pytest.raises(TypeError):
        from_torch_state_dict(clf, {**state, "bias_ih_l0": np.array(["a"] * 9)})
    with pytest.raises(TypeError):
        from_torch_state_dict(clf, {**state, "bias_ih_l0": np.ones(9, bool)})
    with pytest.raises(TypeError):
        from_torch_state_dict(clf, list(state.items()))
    np.testing.assert_array_equal(clf.network_.params, before)  # nothing half-written
    with pytest.raises(NotFittedError):
        to_torch_state_dict(GRUClassifier())
    with pytest.raises(TypeError):
        to_torch_state_dict(state)
    variant, _ = fitted_classifier(reset_after=False, standardize=False)
    with pytest.raises(ValueError, match="reset_after"):
        to_torch_state_dict(variant)
    with pytest.raises(ValueError, match="reset_after"):
        from_torch_state_dict(variant, state)


def test_export_flags_and_prefixes_are_checked_by_name():
    # Read by truth value, the string "False" folded, made tensors, or stayed strict; a
    # prefix of None failed in "unsupported operand type(s) for +".
    clf, _ = fitted_classifier()
    calls = {
        "fold_standardization": lambda value: to_keras_weights(clf, fold_standardization=value),
        "as_tensors": lambda value: to_torch_state_dict(clf, as_tensors=value),
        "strict": lambda value: from_torch_state_dict(clf, {}, strict=value),
    }
    for name, call in calls.items():
        with pytest.raises(TypeError, match=f"{name} must be True or False, got 'False'"):
            call("False")
    state = to_torch_state_dict(clf, fold_standardization=True)
    for call in (
        lambda: to_torch_state_dict(clf, prefix=None),
        lambda: from_torch_state_dict(clf, state, prefix=None, fold_standardization=True),
    ):
        with pytest.raises(TypeError, match="prefix must be a str .*, got NoneType"):
            call()


def test_a_float64_peer_with_the_standardisation_folded_in_imports_exactly():
    # The importers rounded a float64 peer's arrays to the float32 network's dtype before
    # unfolding the standardisation, whose bias b - (W / s) m is large where the mean is:
    # with features at 1e5 and scale 1, b came back 3.4e-3 off and predict_proba 3e-4.
    rng = np.random.default_rng(0)
    X = 1e5 + rng.standard_normal((24, 6, 2))
    y = np.arange(24) % 2
    clf = GRUClassifier((3,), bidirectional=False, max_iter=2, random_state=0).fit(X, y)
    views = {name: value.copy() for name, value in clf.network_.views.items()}
    w_ih = views["gru0.forward.w_ih"].astype(np.float64) / clf.input_scale_
    b_ih = views["gru0.forward.b_ih"].astype(np.float64) - w_ih @ clf.input_mean_
    w_hh, b_hh = (views[f"gru0.forward.{name}"].astype(np.float64) for name in ("w_hh", "b_hh"))
    torch_state = dict(weight_ih_l0=w_ih, weight_hh_l0=w_hh, bias_ih_l0=b_ih, bias_hh_l0=b_hh)
    biases = np.stack([to_zrn_order(b_ih), to_zrn_order(b_hh)])
    keras = [to_zrn_order(w_ih).T, to_zrn_order(w_hh).T, biases]
    expected = clf.predict_proba(X)
    for load_peer in (
        lambda: from_torch_state_dict(clf, torch_state, fold_standardization=True),
        lambda: from_keras_weights(clf, [keras], fold_standardization=True),
    ):
        clf.network_.views["gru0.forward.b_ih"][...] = 0
        load_peer()
        for name in ("w_ih", "b_ih"):
            np.testing.assert_allclose(
                clf.network_.views[f"gru0.forward.{name}"],
                views[f"gru0.forward.{name}"],
                rtol=1e-6,
                atol=1e-6,
            )
        np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-6)


def test_torch_import_says_what_the_state_dict_lacks():
    # Every missing key was put down to a GRU with bias=False
    clf, _ = fitted_classifier(hidden_layer_sizes=(3, 3), bidirectional=True, standardize=False)
    state = to_torch_state_dict(clf)
    one_layer = {key: value for key, value in state.items() if "_l1" not in key}
    with pytest.raises(ValueError, match=r"\(the network has 2 layer\(s\), bidirectional\)"):
        from_torch_state_dict(clf, one_layer)
    without_biases = {key: value for key, value in state.items() if "bias" not in key}
    with pytest.raises(ValueError, match="a torch GRU with bias=False has no bias keys"):
        from_torch_state_dict(clf, without_biases)


def test_torch_tensors_without_data_are_refused_by_name():
    torch = pytest.importorskip("torch")
    clf, _ = fitted_classifier(standardize=False)
    state = {key: torch.from_numpy(value) for key, value in to_torch_state_dict(clf).items()}
    state["weight_hh_l0"] = torch.empty(state["weight_hh_l0"].shape, device="meta")
    with pytest.raises(ValueError, match="weight_hh_l0 is a tensor on torch's meta device"):
        from_torch_state_dict(clf, state)


def test_folding_needs_the_estimator_not_its_network():
    # A network holds no input statistics: fold_standardization=True on estimator.network_
    # folded nothing, silently (outputs off by 1.7 in torch), and skipped the refusal of
    # an estimator that standardises.
    clf, _ = fitted_classifier()
    state = to_torch_state_dict(clf, fold_standardization=True)
    keras = to_keras_weights(clf, fold_standardization=True)
    message = "fold_standardization=True needs the fitted estimator"
    for convert in (
        lambda: to_torch_state_dict(clf.network_, fold_standardization=True),
        lambda: from_torch_state_dict(clf.network_, state, fold_standardization=True),
        lambda: to_keras_weights(clf.network_, fold_standardization=True),
        lambda: from_keras_weights(clf.network_, keras, fold_standardization=True),
    ):
        with pytest.raises(ValueError, match=message):
            convert()


def torch_features(gru, X, lengths, bidirectional):
    """What pygru's head reads: each sequence's last state per direction, via torch."""
    import torch

    packed = torch.nn.utils.rnn.pack_padded_sequence(
        torch.from_numpy(np.nan_to_num(X)),
        torch.from_numpy(lengths),
        batch_first=True,
        enforce_sorted=False,
    )
    with torch.no_grad():
        output, h_n = gru(packed)
    directions = 2 if bidirectional else 1
    last = h_n[-directions:]  # the top layer's states, forward then reverse
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(
        output, batch_first=True, total_length=X.shape[1]
    )
    return np.concatenate(list(last.numpy()), axis=1), padded.numpy()


@pytest.mark.parametrize("sizes, bidirectional", TORCH_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exported_weights_run_in_torch_nn_gru(sizes, bidirectional, dtype):
    torch = pytest.importorskip("torch")
    X, lengths, y = ragged_data()
    clf = GRUClassifier(
        hidden_layer_sizes=sizes,
        bidirectional=bidirectional,
        pooling="last",
        max_iter=2,
        dtype=dtype,
        random_state=0,
    ).fit(X, y)
    gru = torch.nn.GRU(
        X.shape[2],
        sizes[0],
        num_layers=len(sizes),
        batch_first=True,
        bidirectional=bidirectional,
        dtype=getattr(torch, dtype),
    )
    gru.load_state_dict(to_torch_state_dict(clf, as_tensors=True, fold_standardization=True))
    features, _ = torch_features(gru, X.astype(dtype), lengths, bidirectional)
    views = clf.network_.views
    logits = features @ views["head.weight"].T + views["head.bias"]
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(clf.predict_proba(X), probabilities, rtol=tolerance, atol=tolerance)

    # and back: a torch model's weights, imported, give torch's outputs
    torch.manual_seed(0)
    fresh = torch.nn.GRU(
        X.shape[2],
        sizes[0],
        num_layers=len(sizes),
        batch_first=True,
        bidirectional=bidirectional,
        dtype=getattr(torch, dtype),
    )
    from_torch_state_dict(clf, fresh.state_dict(), fold_standardization=True)
    features, _ = torch_features(fresh, X.astype(dtype), lengths, bidirectional)
    logits = features @ views["head.weight"].T + views["head.bias"]
    np.testing.assert_allclose(clf.predict_log_proba(X).argmax(axis=1), logits.argmax(axis=1))
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1],
        1 / (1 + np.exp(logits[:, 0] - logits[:, 1])),
        rtol=tolerance,
        atol=tolerance,
    )


@pytest.mark.parametrize(
    "exporter, importer",
    [(to_torch_state_dict, from_torch_state_dict), (to_keras_weights, from_keras_weights)],
)
def test_input_standardisation_is_folded_into_exported_weights(exporter, importer):
    """Exported first-layer weights read the raw input; importing takes the scaling out."""
    X, lengths, y = ragged_data()
    X = X * np.array([100.0, 0.01]) + np.array([5.0, -3.0])  # far from unit scale
    clf = GRUClassifier(
        hidden_layer_sizes=(3, 2),
        bidirectional=True,
        pooling="last",
        max_iter=2,
        dtype="float64",
        random_state=0,
    ).fit(X, y)
    assert np.all(clf.input_scale_ != 1) and np.all(clf.input_mean_ != 0)
    with pytest.raises(ValueError, match="fold_standardization=True"):
        exporter(clf)  # never silently
    exported = exporter(clf, fold_standardization=True)
    plain = GRUClassifier(
        hidden_layer_sizes=(3, 2),
        bidirectional=True,
        pooling="last",
        max_iter=1,
        dtype="float64",
        standardize=False,
        random_state=1,
    ).fit(X, y)
    plain.network_.views["head.weight"][...] = clf.network_.views["head.weight"]
    plain.network_.views["head.bias"][...] = clf.network_.views["head.bias"]
    importer(plain, exported)  # a model without standardisation on the raw input
    np.testing.assert_allclose(plain.predict_proba(X), clf.predict_proba(X), rtol=1e-9, atol=1e-12)
    before = clf.network_.params.copy()
    with pytest.raises(ValueError, match="fold_standardization=True"):
        importer(clf, exported)
    np.testing.assert_array_equal(clf.network_.params, before)
    importer(clf, exported, fold_standardization=True)  # back into the standardising model
    np.testing.assert_allclose(clf.network_.params, before, rtol=1e-9, atol=1e-12)


def test_exports_name_the_package_they_need_when_it_is_missing(monkeypatch):
    import pygru

    clf, _ = fitted_classifier(standardize=False)
    for package in ("torch", "onnx", "skl2onnx"):
        monkeypatch.setitem(sys.modules, package, None)  # as if not installed
    calls = {
        "to_torch_module needs PyTorch: pip install torch": lambda: pygru.to_torch_module(clf),
        r"to_torch_state_dict\(as_tensors=True\) needs PyTorch": lambda: to_torch_state_dict(
            clf, as_tensors=True
        ),
        # pygru is installed from its source folder: 'pygru[onnx]' named no package.
        r"to_onnx needs the onnx package: pip install onnx onnxruntime \(from pygru's source "
        r"folder, pip install '\.\[onnx\]'\)": lambda: pygru.to_onnx(clf),
        r"needs skl2onnx: pip install skl2onnx ": register_skl2onnx_converters,
    }
    for message, call in calls.items():
        with pytest.raises(ImportError, match=message):
            call()


@pytest.mark.parametrize("converter", [to_torch_state_dict, to_keras_weights])
def test_folding_warns_where_float32_rounding_would_show(converter):
    # The folded bias cancels (W / s) m: a mean 2e4 times its scale leaves float32 about
    # 2e-3 of a standardised unit, beyond the 1e-5 the exports promise.
    X, _, y = ragged_data()
    near = GRUClassifier(hidden_layer_sizes=(3,), max_iter=1, random_state=0).fit(X + 5.0, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        converter(near, fold_standardization=True)
    far = GRUClassifier(hidden_layer_sizes=(3,), max_iter=1, random_state=0, bidirectional=True)
    far.fit(1013.0 + 0.05 * X, y)
    with pytest.warns(UserWarning, match="folded float32 layer reads the standardised input") as w:
        converter(far, fold_standardization=True)
    assert len(w) == 1  # once per export, not once per direction
    far.set_params(dtype="float64").fit(1013.0 + 0.05 * X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        converter(far, fold_standardization=True)


@pytest.mark.parametrize(
    "converter",
    [
        to_torch_state_dict,
        to_keras_weights,
        lambda clf, **kw: from_torch_state_dict(clf, {}, **kw),
        lambda clf, **kw: from_keras_weights(clf, [], **kw),
    ],
    ids=["to_torch", "to_keras", "from_torch", "from_keras"],
)
def test_layer_converters_refuse_patched_models(converter):
    """A plain GRU layer reads raw steps: weights of a patched model would load and then
    disagree with it, so the converters point to the whole-model exports instead."""
    X, _, y = ragged_data()
    clf = GRUClassifier(hidden_layer_sizes=(4,), patch_size=2, max_iter=1, random_state=0)
    clf.fit(X, y)
    before = clf.network_.params.copy()
    with pytest.raises(ValueError, match=r"patch_size_=2 .*to_torch_module or pygru.to_onnx"):
        converter(clf, fold_standardization=True)
    np.testing.assert_array_equal(clf.network_.params, before)


def test_sequence_outputs_match_torch():
    torch = pytest.importorskip("torch")
    X, lengths, _ = ragged_data()
    y = np.where(np.isnan(X[:, :, 0]), np.nan, np.nan_to_num(X[:, :, 1]))
    reg = GRURegressor(
        hidden_layer_sizes=(4, 4),
        bidirectional=True,
        output="sequence",
        max_iter=1,
        dtype="float64",
        random_state=0,
    ).fit(X, y)
    gru = torch.nn.GRU(
        2, 4, num_layers=2, batch_first=True, bidirectional=True, dtype=torch.float64
    )
    gru.load_state_dict(to_torch_state_dict(reg, as_tensors=True, fold_standardization=True))
    _, outputs = torch_features(gru, X, lengths, True)
    views = reg.network_.views
    network_output = outputs @ views["head.weight"].T + views["head.bias"]
    # on the targets' scale, once GRURegressor standardises its targets
    scaled = network_output * getattr(reg, "target_scale_", 1.0) + getattr(
        reg, "target_mean_", 0.0
    )
    expected = scaled[..., 0]
    expected[np.isnan(y)] = np.nan
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-12, atol=1e-12)


def test_torch_tensors_are_accepted_and_bfloat16_explained():
    torch = pytest.importorskip("torch")
    clf, _ = fitted_classifier(standardize=False)
    tensors = to_torch_state_dict(clf, as_tensors=True)
    assert all(isinstance(value, torch.Tensor) for value in tensors.values())
    from_torch_state_dict(clf, {k: v.requires_grad_() for k, v in tensors.items()})
    with pytest.raises(TypeError, match="float"):
        from_torch_state_dict(clf, {k: v.detach().to(torch.bfloat16) for k, v in tensors.items()})


# ------------------------------------------------------------------------------ Keras


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def keras_gru(x, mask, kernel, recurrent_kernel, bias, go_backwards=False):
    """Keras' GRU layer (``keras.layers.GRU``, sigmoid/tanh), written from its cell equations.

    Gates in Keras order [z, r, h]; ``reset_after`` is told by the bias shape. Masked steps
    carry the state and output zeros; ``go_backwards`` reverses the sequence and its mask
    (as ``Bidirectional`` does for its backward layer). Returns (outputs, last state).
    """
    hidden = recurrent_kernel.shape[0]
    reset_after = bias.ndim == 2
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
    if go_backwards:
        x, mask = x[:, ::-1], mask[:, ::-1]
    h = np.zeros((x.shape[0], hidden))
    outputs = np.zeros(x.shape[:2] + (hidden,))
    for t in range(x.shape[1]):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + input_bias, 3, axis=1)
        if reset_after:
            inner = h @ recurrent_kernel + recurrent_bias
        else:
            inner = h @ recurrent_kernel[:, : 2 * hidden]
        z = sigmoid(x_z + inner[:, :hidden])
        r = sigmoid(x_r + inner[:, hidden : 2 * hidden])
        if reset_after:
            recurrent_h = r * inner[:, 2 * hidden :]
        else:
            recurrent_h = (r * h) @ recurrent_kernel[:, 2 * hidden :]
        hh = np.tanh(x_h + recurrent_h)
        h_new = z * h + (1 - z) * hh
        step = mask[:, t][:, None]
        h = np.where(step, h_new, h)
        outputs[:, t] = np.where(step, h_new, 0)
    if go_backwards:
        outputs = outputs[:, ::-1]
    return outputs, h


def keras_features(X, lengths, layers, bidirectional):
    """Stacked Keras GRU / Bidirectional(GRU) layers; the last one's final state(s)."""
    mask = np.arange(X.shape[1])[None, :] < lengths[:, None]
    inputs = np.nan_to_num(X)
    for weights in layers:
        forward, state = keras_gru(inputs, mask, *weights[:3])
        if bidirectional:
            backward, back_state = keras_gru(inputs, mask, *weights[3:], go_backwards=True)
            inputs, state = (
                np.concatenate([forward, backward], axis=2),
                np.concatenate([state, back_state], axis=1),
            )
        else:
            inputs = forward
    return state


def keras_case_classifier(sizes, bidirectional, reset_after):
    """A float64 classifier fitted on ``ragged_data``, with its X and lengths."""
    X, lengths, y = ragged_data()
    clf = GRUClassifier(
        hidden_layer_sizes=sizes,
        bidirectional=bidirectional,
        reset_after=reset_after,
        bias_initializer="uniform",
        pooling="last",
        max_iter=2,
        dtype="float64",
        random_state=0,
    ).fit(X, y)
    return clf, X, lengths


def assert_log_proba_from_features(clf, X, features, rtol, atol):
    """The classifier's log-probabilities equal its head applied to ``features`` (the last
    GRU layer's final states computed elsewhere)."""
    views = clf.network_.views
    logits = features @ views["head.weight"].T + views["head.bias"]
    np.testing.assert_allclose(
        clf.predict_log_proba(X),
        logits - np.logaddexp(logits[:, :1], logits[:, 1:]),
        rtol=rtol,
        atol=atol,
    )


KERAS_CASES = [
    ((4,), False, True),
    ((4,), True, False),
    ((3, 3), False, False),
    ((3, 2), True, True),
]


@pytest.mark.parametrize("sizes, bidirectional, reset_after", KERAS_CASES)
def test_keras_weights_reproduce_the_model_in_keras_equations(sizes, bidirectional, reset_after):
    clf, X, lengths = keras_case_classifier(sizes, bidirectional, reset_after)
    layers = to_keras_weights(clf, fold_standardization=True)
    assert len(layers) == len(sizes)
    for layer, (size, weights) in enumerate(zip(sizes, layers)):
        inputs = X.shape[2] if layer == 0 else sizes[layer - 1] * (1 + bidirectional)
        assert len(weights) == 3 * (1 + bidirectional)
        assert weights[0].shape == (inputs, 3 * size)
        assert weights[1].shape == (size, 3 * size)
        assert weights[2].shape == ((2, 3 * size) if reset_after else (3 * size,))
    features = keras_features(X, lengths, layers, bidirectional)
    assert_log_proba_from_features(clf, X, features, rtol=1e-10, atol=1e-12)


def real_keras():
    """Keras 3, on the torch backend unless the environment chose another (KERAS_BACKEND is
    read when keras is first imported)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras", minversion="3")


@pytest.mark.parametrize("sizes, bidirectional, reset_after", KERAS_CASES)
def test_keras_weights_reproduce_the_model_in_real_keras(sizes, bidirectional, reset_after):
    # The independent oracle: keras.layers.GRU / Bidirectional(GRU) with the exported
    # weights, padding masked as Keras users mask it.
    keras = real_keras()
    floatx = keras.config.floatx()
    keras.config.set_floatx("float64")  # every weight and state in float64, like clf
    try:
        features, clf, X = keras_gru_features(keras, sizes, bidirectional, reset_after)
    finally:
        keras.config.set_floatx(floatx)
    # Measured: agreement to 4e-8 relative (Keras 3.15 on torch keeps part of the recurrence
    # below float64 precision even with floatx float64); a wrong gate order, bias layout or
    # reverse direction is off by 1e-2 or more.
    assert_log_proba_from_features(clf, X, features, rtol=1e-6, atol=1e-7)


def keras_gru_features(keras, sizes, bidirectional, reset_after):
    """A fitted float64 classifier, and its GRU layers' output computed by Keras."""
    clf, X, _ = keras_case_classifier(sizes, bidirectional, reset_after)
    inputs = keras.Input(X.shape[1:], dtype="float64")
    hidden = keras.layers.Masking(0.0, dtype="float64")(inputs)
    gru_layers = []
    for index, size in enumerate(sizes):
        gru = keras.layers.GRU(
            size,
            return_sequences=index < len(sizes) - 1,
            reset_after=reset_after,
            dtype="float64",
        )
        layer = keras.layers.Bidirectional(gru, dtype="float64") if bidirectional else gru
        hidden = layer(hidden)
        gru_layers.append(layer)
    model = keras.Model(inputs, hidden)
    for layer, weights in zip(gru_layers, to_keras_weights(clf, fold_standardization=True)):
        layer.set_weights(weights)
    return keras.ops.convert_to_numpy(model(np.nan_to_num(X))), clf, X


@pytest.mark.parametrize("reset_after", [True, False])
def test_keras_round_trip(reset_after):
    clf, X = fitted_classifier(
        hidden_layer_sizes=(3, 2),
        bidirectional=True,
        reset_after=reset_after,
        bias_initializer="uniform",
        standardize=False,
    )
    other, _ = fitted_classifier(
        hidden_layer_sizes=(3, 2),
        bidirectional=True,
        reset_after=reset_after,
        random_state=3,
        standardize=False,
    )
    other.network_.views["head.weight"][...] = clf.network_.views["head.weight"]
    other.network_.views["head.bias"][...] = clf.network_.views["head.bias"]
    assert from_keras_weights(other, to_keras_weights(clf)) is other
    if reset_after:
        np.testing.assert_array_equal(other.network_.params, clf.network_.params)
    else:  # one Keras bias = b_ih + b_hh, imported as b_ih with b_hh = 0
        views = other.network_.views
        assert not np.any(views["gru0.forward.b_hh"]) and not np.any(views["gru1.backward.b_hh"])
        np.testing.assert_allclose(
            views["gru1.backward.b_ih"],
            clf.network_.views["gru1.backward.b_ih"] + clf.network_.views["gru1.backward.b_hh"],
            rtol=1e-6,
        )
    np.testing.assert_allclose(other.predict_proba(X), clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    flat = [array for layer in to_keras_weights(clf) for array in layer]
    from_keras_weights(other.network_, flat)
    np.testing.assert_allclose(other.predict_proba(X), clf.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_keras_kernel_layout():
    """Gate blocks by hand: Keras [z, r, h] columns of a transposed kernel."""
    clf, _ = fitted_classifier(hidden_layer_sizes=(2,), standardize=False)
    views = clf.network_.views
    kernel, recurrent_kernel, bias = to_keras_weights(clf)[0][:3]  # the forward layer's
    w_r, w_z, w_n = np.split(views["gru0.forward.w_ih"], 3)
    np.testing.assert_array_equal(kernel[:, :2], w_z.T)
    np.testing.assert_array_equal(kernel[:, 2:4], w_r.T)
    np.testing.assert_array_equal(kernel[:, 4:], w_n.T)
    np.testing.assert_array_equal(
        recurrent_kernel[:, :2], np.split(views["gru0.forward.w_hh"], 3)[1].T
    )
    np.testing.assert_array_equal(bias[1, 4:], np.split(views["gru0.forward.b_hh"], 3)[2])


def test_keras_import_refuses_mismatches():
    clf, _ = fitted_classifier(hidden_layer_sizes=(3,), bidirectional=True, standardize=False)
    layers = to_keras_weights(clf)
    before = clf.network_.params.copy()
    kernel, recurrent_kernel, bias = layers[0][:3]
    cases = [
        [layers[0][:3]],  # unidirectional into bidirectional
        layers + layers,  # too many layers
        [[kernel, recurrent_kernel, bias.sum(axis=0)] * 2],  # reset_after=False bias
        [[kernel.T, recurrent_kernel, bias] * 2],  # untransposed kernel
        [[kernel, recurrent_kernel, np.full_like(bias, np.inf)] * 2],
        layers[0][:5],  # flat list, one array short
    ]
    for weights in cases:
        with pytest.raises(ValueError):
            from_keras_weights(clf, weights)
    with pytest.raises(ValueError, match="reset_after=False"):
        from_keras_weights(clf, [[kernel, recurrent_kernel, bias.sum(axis=0)] * 2])
    with pytest.raises(TypeError):
        from_keras_weights(clf, "weights")
    with pytest.raises(TypeError):
        from_keras_weights(clf, [[kernel.astype(complex), recurrent_kernel, bias] * 2])
    np.testing.assert_array_equal(clf.network_.params, before)


def test_conversions_leave_warnings_quiet():
    clf, _ = fitted_classifier(standardize=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_keras_weights(clf)
        from_torch_state_dict(clf, to_torch_state_dict(clf))
        saved_bytes(clf)


@pytest.mark.parametrize("pooling", ["mean", "max", "attention", "concat"])
def test_layer_converters_carry_the_gru_layers_of_a_pooling_model(pooling):
    """The GRU layers are exact whatever the head reads; the head (and its pooling) is not
    converted, as for every model."""
    X, _, y = ragged_data()
    clf = GRUClassifier(
        hidden_layer_sizes=(4,), pooling=pooling, standardize=False, max_iter=1, random_state=0
    ).fit(X, y)
    state = to_torch_state_dict(clf)
    views = clf.network_.views
    np.testing.assert_array_equal(state["weight_ih_l0"], views["gru0.forward.w_ih"])
    np.testing.assert_array_equal(state["bias_hh_l0"], views["gru0.forward.b_hh"])
    before = clf.predict_proba(X)
    views["gru0.forward.w_ih"][...] = 0
    from_torch_state_dict(clf, state)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_keras_weights_in_bfloat16_are_read_as_float16_ones_are():
    # A Keras layer with dtype="bfloat16" gives ml_dtypes' bfloat16 arrays (dtype kind "V"),
    # refused as "not real numbers" where float16 ones were read.
    ml_dtypes = pytest.importorskip("ml_dtypes")
    clf, _ = fitted_classifier(hidden_layer_sizes=(3,), standardize=False, random_state=0)
    weights = to_keras_weights(clf)
    low = [[a.astype(ml_dtypes.bfloat16) for a in layer] for layer in weights]
    wide = [[a.astype(ml_dtypes.bfloat16).astype(np.float32) for a in layer] for layer in weights]
    from_keras_weights(clf, low)
    from_bfloat16 = clf.network_.params.copy()
    from_keras_weights(clf, wide)
    np.testing.assert_array_equal(from_bfloat16, clf.network_.params)
