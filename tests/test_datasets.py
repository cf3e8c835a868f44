"""Tests of pygru.datasets: bundled data against published metadata, .ts parser, windows."""

import bz2
import gzip
import hashlib
import io
import lzma
import warnings
import zipfile
from collections import Counter
from importlib import resources

import numpy as np
import pytest
from sklearn.utils import Bunch

from pygru import datasets
from pygru.datasets import (
    load_airline,
    load_lynx,
    load_movie_reviews,
    load_nile,
    load_sunspots,
    load_tweets,
    load_ucr,
    make_windows,
    read_ts,
)
from pygru.datasets._base import read_data_text
from pygru.datasets._text import _read_ground_truth
from pygru.datasets._ts import parse_ts

# Published metadata of the archive (timeseriesclassification.com, Dau et al. 2019,
# Bagnall et al. 2018; JapaneseVowels also UCI): train/test sizes, length
# (an int, or the (min, max) range over both splits), dimensions, classes.
UCR_METADATA = {
    "ItalyPowerDemand": (67, 1029, 24, 1, 2),
    "GunPoint": (50, 150, 150, 1, 2),
    "JapaneseVowels": (270, 370, (7, 29), 12, 9),
    "BasicMotions": (40, 40, 100, 6, 4),
    "ArrowHead": (36, 175, 251, 1, 3),
    "PickupGestureWiimoteZ": (50, 50, (29, 361), 1, 10),
}

CONVENIENCE_LOADERS = {
    "ItalyPowerDemand": datasets.load_italy_power_demand,
    "GunPoint": datasets.load_gunpoint,
    "JapaneseVowels": datasets.load_japanese_vowels,
    "BasicMotions": datasets.load_basic_motions,
    "ArrowHead": datasets.load_arrowhead,
    "PickupGestureWiimoteZ": datasets.load_pickup_gesture_wiimote_z,
}


@pytest.fixture(scope="module", params=sorted(UCR_METADATA))
def ucr(request):
    return load_ucr(request.param)


def test_ucr_catalog_lists_the_bundled_sets():
    assert set(datasets.UCR_DATASETS) == set(UCR_METADATA)


def test_ucr_matches_published_metadata(ucr):
    n_train, n_test, length, n_dims, n_classes = UCR_METADATA[ucr.name]
    assert len(ucr.X_train) == len(ucr.y_train) == n_train
    assert len(ucr.X_test) == len(ucr.y_test) == n_test
    lengths = []
    for X in (ucr.X_train, ucr.X_test):
        if isinstance(length, int):
            assert isinstance(X, np.ndarray)
            assert X.shape[1:] == (length, n_dims)
            assert X.dtype == np.float64 and X.flags.c_contiguous
        else:
            assert isinstance(X, list)
            assert all(x.ndim == 2 and x.shape[1] == n_dims for x in X)
            assert all(x.dtype == np.float64 for x in X)
            lengths += [len(x) for x in X]
        assert all(np.isfinite(x).all() for x in X)
    if not isinstance(length, int):
        assert (min(lengths), max(lengths)) == length
        assert len(set(lengths)) > 1
    assert len(ucr.class_labels) == n_classes
    for y in (ucr.y_train, ucr.y_test):
        assert y.dtype.kind == "U"
        assert set(y) <= set(ucr.class_labels)
    assert set(ucr.y_train) == set(ucr.class_labels)


def test_ucr_bunch_documents_itself(ucr):
    assert isinstance(ucr, Bunch)
    assert ucr.name in ucr.DESCR
    assert ucr.citation in ucr.DESCR
    archive = "Bagnall" if UCR_METADATA[ucr.name][3] > 1 else "Dau"
    assert archive in ucr.citation
    n_train, n_test = UCR_METADATA[ucr.name][:2]
    assert f"train: {n_train} series" in ucr.DESCR
    assert f"test: {n_test} series" in ucr.DESCR


@pytest.mark.parametrize(
    "name, split, counts",
    [
        # UCI description: 30 utterances per speaker for training, and
        # 31 35 88 44 29 24 40 50 29 for testing.
        ("JapaneseVowels", "train", dict(zip("123456789", [30] * 9))),
        ("JapaneseVowels", "test", dict(zip("123456789", [31, 35, 88, 44, 29, 24, 40, 50, 29]))),
        ("BasicMotions", "train", {"Standing": 10, "Running": 10, "Walking": 10, "Badminton": 10}),
        ("BasicMotions", "test", {"Standing": 10, "Running": 10, "Walking": 10, "Badminton": 10}),
        ("ArrowHead", "train", {"0": 12, "1": 12, "2": 12}),
        ("ItalyPowerDemand", "train", {"1": 34, "2": 33}),
        ("GunPoint", "train", {"1": 24, "2": 26}),
        ("PickupGestureWiimoteZ", "test", {str(k): 5 for k in range(1, 11)}),
    ],
)
def test_ucr_class_counts(name, split, counts):
    _, y = load_ucr(name, split=split, return_X_y=True)
    assert Counter(y.tolist()) == counts


def test_ucr_split_and_return_x_y():
    both = load_ucr("GunPoint")
    test = load_ucr("gunpoint", split="TEST")
    assert test.split == "test" and test.name == "GunPoint"
    np.testing.assert_array_equal(test.X, both.X_test)
    np.testing.assert_array_equal(test.y, both.y_test)
    X_train, y_train, X_test, y_test = load_ucr("GunPoint", return_X_y=True)
    np.testing.assert_array_equal(X_train, both.X_train)
    np.testing.assert_array_equal(y_test, both.y_test)
    X, y = load_ucr("GunPoint", split="train", return_X_y=True)
    assert X.shape == (50, 150, 1) and y.shape == (50,)


@pytest.mark.parametrize("name", sorted(CONVENIENCE_LOADERS))
def test_convenience_loaders(name):
    X, y = CONVENIENCE_LOADERS[name](split="train", return_X_y=True)
    X_ref, y_ref = load_ucr(name, split="train", return_X_y=True)
    np.testing.assert_array_equal(y, y_ref)
    for series, reference in zip(X, X_ref):
        np.testing.assert_array_equal(series, reference)
    assert CONVENIENCE_LOADERS[name]().name == name


def test_ucr_bad_arguments():
    with pytest.raises(ValueError, match="unknown data set 'Nope'.*GunPoint"):
        load_ucr("Nope")
    with pytest.raises(ValueError, match="split must be"):
        load_ucr("GunPoint", split="validation")


def test_ucr_values_against_the_first_line_of_the_file():
    X, y = load_ucr("ItalyPowerDemand", split="train", return_X_y=True)
    assert X[0, :3, 0].tolist() == [-0.71051757, -1.1833204, -1.3724416]
    assert y[0] == "1"
    X, y = load_ucr("BasicMotions", split="train", return_X_y=True)
    assert X.shape == (40, 100, 6)
    # each dimension of a BasicMotions series is a separate ':'-field of the line
    assert not np.allclose(X[0, :, 0], X[0, :, 1])


# ---------------------------------------------------------------- .ts parser

HEADER = "@problemName Toy\n@univariate true\n@equalLength true\n@seriesLength 3\n"


def write(tmp_path, text, name="toy.ts"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_ts_equal_length_univariate(tmp_path):
    text = (
        "# a comment\n\n" + HEADER + "@classLabel true a b\n@data\n"
        "1,2,3:a\n# comment among the data\n\n4,?,6:b\n"
    )
    X, y, header = read_ts(write(tmp_path, text))
    assert X.shape == (2, 3, 1) and X.dtype == np.float64
    np.testing.assert_array_equal(X[:, :, 0], [[1, 2, 3], [4, np.nan, 6]])
    assert y.tolist() == ["a", "b"]
    assert header["problem_name"] == "Toy"
    assert header["series_length"] == 3
    assert header["class_labels"] == ["a", "b"]
    # Under "@missing false" the "?" was read silently; it is read (as aeon and sktime read
    # it), with a warning naming the line (audit39g).
    contradicted = text.replace("@data", "@missing false\n@data")
    with pytest.warns(UserWarning, match=r"line 13: a missing value, though the header says"):
        again = read_ts(write(tmp_path, contradicted))[0]
    np.testing.assert_array_equal(again, X)


def test_read_ts_skips_arff_style_percent_comments(tmp_path):
    # Files converted from the archive's .arff keep ARFF's '%' comments (aeon's UnitTest does)
    text = "%# cut down from ChinaTown\n%\n" + HEADER + "@classLabel true a b\n@data\n"
    X, y, _ = read_ts(write(tmp_path, text + "1,2,3:a\n% among the data\n4,5,6:b\n"))
    np.testing.assert_array_equal(X[:, :, 0], [[1, 2, 3], [4, 5, 6]])
    assert y.tolist() == ["a", "b"]


def test_read_ts_keeps_the_first_of_two_problem_names(tmp_path):
    # aeon's UnitTest_TEST.ts names itself twice (UnitTest, then Chinatown); the name
    # changes nothing that is read, so it is not refused as tags that do are (below)
    text = HEADER.replace("@problemName Toy\n", "@problemName Toy\n@problemName Other\n")
    X, _, header = read_ts(write(tmp_path, text + "@classLabel true a b\n@data\n1,2,3:a\n"))
    assert header["problem_name"] == "Toy" and X.shape == (1, 3, 1)


def test_read_ts_multivariate_unequal_length(tmp_path):
    text = (
        "@problemname Toy\n@UNIVARIATE false\n@dimensions 2\n@equallength false\n"
        "@classlabel true 1 2\n@DATA\n1,2,3:4,5,6:1\n7,8:9,10:2\n"
    )
    X, y, header = read_ts(write(tmp_path, text))
    assert isinstance(X, list) and len(X) == 2
    np.testing.assert_array_equal(X[0], [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(X[1], [[7, 9], [8, 10]])
    assert y.tolist() == ["1", "2"]
    assert header["dimensions"] == 2 and header["equal_length"] is False


def test_read_ts_infers_equal_length_when_the_header_is_silent(tmp_path):
    base = "@problemName Toy\n@classLabel true 0 1\n@data\n"
    X, _, _ = read_ts(write(tmp_path, base + "1,2:0\n3,4:1\n"))
    assert isinstance(X, np.ndarray) and X.shape == (2, 2, 1)
    X, _, _ = read_ts(write(tmp_path, base + "1,2:0\n3,4,5:1\n"))
    assert isinstance(X, list) and [len(x) for x in X] == [2, 3]


def test_read_ts_regression_and_unlabelled(tmp_path):
    X, y, header = read_ts(
        write(tmp_path, "@problemName R\n@targetLabel true\n@data\n1,2:0.5\n3,4:-2e1\n")
    )
    assert y.dtype == np.float64 and y.tolist() == [0.5, -20.0]
    assert header["target_label"] is True
    X, y, _ = read_ts(write(tmp_path, "@problemName U\n@classLabel false\n@data\n1,2\n3,4\n"))
    assert y is None and X.shape == (2, 2, 1)


@pytest.mark.parametrize("no_label", ["@classLabel false", "@targetlabel false"])
def test_read_ts_reads_unlabelled_series_ended_by_a_colon(tmp_path, no_label):
    # aeon's save_to_ts_file and sktime's writer end every unlabelled series with ':'; the
    # empty field after it was read as a dimension ("found 2 dimension(s), expected 1",
    # or "empty dimension").
    for dims, lines, expected in [
        (1, "1,2,3:\n4,5,6:\n", [[[1], [2], [3]], [[4], [5], [6]]]),
        (2, "1,2:3,4:\n5,6:7,8:\n", [[[1, 3], [2, 4]], [[5, 7], [6, 8]]]),
    ]:
        univariate = "true" if dims == 1 else "false"
        text = f"@problemName U\n@univariate {univariate}\n@dimension {dims}\n{no_label}\n"
        X, y, header = read_ts(write(tmp_path, text + "@data\n" + lines))
        assert y is None and header["dimensions"] == dims
        np.testing.assert_array_equal(X, expected)
    with pytest.raises(ValueError, match=r"line 5: found 2 dimension\(s\), expected 1"):
        read_ts(write(tmp_path, "@problemName U\n@classLabel false\n@data\n1,2:\n1,2::\n"))


def test_read_ts_gzip_and_file_objects(tmp_path):
    text = HEADER + "@classLabel true a\n@data\n1,2,3:a\n"
    path = tmp_path / "toy.ts.gz"
    path.write_bytes(gzip.compress(text.encode()))
    X_gz, _, _ = read_ts(path)
    X_obj, _, _ = read_ts(io.BytesIO(text.encode()))
    X_lines, _, _ = parse_ts(text.splitlines())
    np.testing.assert_array_equal(X_gz, X_obj)
    np.testing.assert_array_equal(X_gz, X_lines)
    # a byte-order mark, as some editors write, and a file opened in text mode
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    np.testing.assert_array_equal(read_ts(path)[0], X_gz)
    for encoding in ("utf-8", "utf-8-sig"):
        with open(path, encoding=encoding) as handle:
            np.testing.assert_array_equal(read_ts(handle)[0], X_gz)
    with pytest.raises(TypeError, match="file must be a path or an open file, got NoneType"):
        read_ts(None)
    # a file's contents: the message held all of them (252,525 characters for GunPoint)
    with pytest.raises(TypeError, match=r"got bytes of \d+ bytes; .* io.BytesIO\(file\)$"):
        read_ts(path.read_bytes())


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_read_ts_takes_every_line_ending_open_takes(tmp_path, newline):
    # A path read the bytes and split them at "\n" only: a file with bare CR line endings
    # (classic Mac OS) was one long line, refused as "no @data line", while the same file
    # opened in text mode read fine.
    text = HEADER + "@classLabel true a b\n@data\n1,2,3:a\n3,?,1:b\n"
    path = tmp_path / "toy.ts"
    path.write_bytes(text.replace("\n", newline).encode())
    X, y, _ = read_ts(path)
    expected_X, expected_y, _ = parse_ts(text.splitlines())
    np.testing.assert_array_equal(X, expected_X)
    np.testing.assert_array_equal(y, expected_y)
    with open(path) as handle:
        np.testing.assert_array_equal(read_ts(handle)[0], expected_X)


@pytest.mark.parametrize(
    "compress, kind",
    [
        (lambda data: _zipped(data), "a zip archive"),
        (bz2.compress, "a bzip2-compressed file"),
        (lzma.compress, "an xz-compressed file"),
    ],
)
def test_read_ts_names_an_archive_rather_than_calling_it_bad_text(tmp_path, compress, kind):
    # The archive distributes its data sets as zip files; passing one said "not UTF-8 text"
    # with a codec's detail.
    path = tmp_path / "toy.ts"
    path.write_bytes(compress((HEADER + "@data\n1,2,3\n").encode()))
    with pytest.raises(ValueError, match=f"toy.ts: {kind}, not a text file; extract the file"):
        read_ts(path)


def _zipped(data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("toy.ts", data)
    return buffer.getvalue()


# HEADER + one label line + @data: the first data line is line 7
LABELLED = HEADER + "@classLabel true a b\n@data\n"
TARGETS = HEADER + "@targetLabel true\n@data\n"
TWO_DIMS = "@dimensions 2\n@classLabel true a\n@data\n"  # data from line 4


@pytest.mark.parametrize(
    "text, message",
    [
        (HEADER + "@classLabel true a\n", r"no @data line"),
        (HEADER + "1,2,3:a\n@data\n", r"line 5: expected a '@tag'"),
        ("@univariate maybe\n@data\n1:a\n", r"line 1: @univariate must be 'true' or 'false'"),
        ("@seriesLength -3\n@data\n1\n", r"line 1: @seriesLength needs one positive integer"),
        ("@seriesLength\n@data\n1\n", r"line 1: @seriesLength needs one positive integer"),
        ("@seriesLength \u00b2\n@data\n1\n", r"line 1: @seriesLength needs one positive integer"),
        ("@classLabel true\n@data\n1:a\n", r"line 1: @classLabel true needs the class labels"),
        ("@classLabel yes a b\n@data\n1:a\n", r"line 1: @classLabel must be"),
        # headers that contradict themselves (read silently before; audit39g)
        ("@classLabel false a b\n@data\n1\n", r"line 1: @classLabel false takes no labels"),
        ("@classLabel true a a b\n@data\n1:a\n", r"line 1: @classLabel lists \['a'\] more than"),
        ("@problemName\n@data\n1\n", r"line 1: @problemName needs a name"),
        ("@seriesLength 3\n@serieslength 4\n@data\n1\n", r"line 2: tag @serieslength given twice"),
        ("@dimensions 2\n@dimension 2\n@data\n1\n", r"line 2: tag @dimension given twice"),
        ("@data now\n1\n", r"line 1: @data takes no value"),
        ("@timeStamps true\n@data\n(0,1):a\n", r"time-stamped"),
        ("@classLabel true a\n@targetLabel true\n@data\n1:a\n", r"both @classLabel"),
        ("@univariate true\n@dimensions 3\n@data\n1\n", r"@univariate true but @dimensions 3"),
        (LABELLED + "1,2,3:a\n1,2,3:c\n", r"line 8: class label 'c' is not among"),
        (LABELLED + "1,2,x:a\n", r"line 7: 'x' is not a number"),
        (LABELLED + "1,,3:a\n", r"line 7: an empty value \(a doubled or trailing comma\?\)"),
        (LABELLED + "1,2,3,:a\n", r"line 7: an empty value"),
        (LABELLED + "1?,2,3:a\n", r"line 7: '1\?' is not a number"),
        (LABELLED + ":a\n", r"line 7: empty dimension"),
        (LABELLED + "1,2,3\n", r"line 7: expected values followed by ':label'"),
        (LABELLED + "1,2,3:a\n1,2,3:4,5,6:a\n", r"line 8: found 2 dimension\(s\), expected 1"),
        (LABELLED + "1,2,3:a\n1,2,3,4:a\n", r"line 8: series of length 4, header says @seriesL"),
        (LABELLED + "# only a comment\n", r"no series after @data"),
        (TARGETS + "1,2,3:big\n", r"line 7: target 'big' is not a number"),
        (TWO_DIMS + "1,2:3:a\n", r"line 4: the dimensions of one series have different len"),
        (TWO_DIMS + "1,2:3,4:5,6:a\n", r"line 4: found 3 dimension\(s\), expected 2"),
        # the specification's spelling of the tag, which aeon writes, is checked too
        ("@dimension 3\n@data\n1,2:3,4\n", r"line 3: found 2 dimension\(s\), expected 3"),
        (
            "@equalLength true\n@classLabel true a\n@data\n1,2:a\n1,2,3:a\n",
            r"line 5: series of length 3.*@equalLength true",
        ),
    ],
)
def test_read_ts_malformed_files_name_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text, name="broken.ts")
    with pytest.raises(ValueError, match=message) as error:
        read_ts(path)
    assert str(path) in str(error.value)


def test_read_ts_rejects_non_utf8(tmp_path):
    path = tmp_path / "latin1.ts"
    path.write_bytes("@problemName Caf\xe9\n@data\n1\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.ts: not UTF-8"):
        read_ts(path)


# ---------------------------------------------------------------- forecasting


def test_airline():
    airline = load_airline()
    assert airline.data.shape == (144,) and airline.data.dtype == np.float64
    assert airline.data[:3].tolist() == [112.0, 118.0, 132.0]
    assert airline.data[-1] == 432.0
    assert airline.data.sum() == 40363.0
    assert airline.index.dtype == np.dtype("datetime64[M]")
    assert str(airline.index[0]) == "1949-01" and str(airline.index[-1]) == "1960-12"
    assert np.all(np.diff(airline.index) == np.timedelta64(1, "M"))
    assert "Box" in airline.citation and airline.citation in airline.DESCR


def test_lynx():
    lynx = load_lynx()
    assert lynx.data.shape == (114,) and lynx.data.dtype == np.float64
    assert lynx.data[:3].tolist() == [269.0, 321.0, 585.0]
    assert lynx.data[-1] == 3396.0 and lynx.data.max() == 6991.0
    assert str(lynx.index[np.argmax(lynx.data)]) == "1904"
    assert str(lynx.index[0]) == "1821" and str(lynx.index[-1]) == "1934"
    assert "Campbell" in lynx.citation and lynx.citation in lynx.DESCR


def test_nile():
    # values of R's datasets::Nile (Durbin & Koopman 2001)
    nile = load_nile()
    assert nile.data.shape == (100,) and nile.data.dtype == np.float64
    assert nile.data[:4].tolist() == [1120.0, 1160.0, 963.0, 1210.0]
    assert nile.data[-1] == 740.0 and nile.data.sum() == 91935.0
    assert nile.data.min() == 456.0 and str(nile.index[np.argmin(nile.data)]) == "1913"
    assert str(nile.index[0]) == "1871" and str(nile.index[-1]) == "1970"
    assert np.all(np.diff(nile.index) == np.timedelta64(1, "Y"))
    assert "Cobb" in nile.citation and nile.citation in nile.DESCR
    assert "statsmodels" in nile.DESCR and "public domain" in nile.DESCR


def test_sunspots():
    # version 1 of the yearly sunspot number: 5 in 1700, the maximum 190.2 in 1957
    sunspots = load_sunspots()
    assert sunspots.data.shape == (309,) and sunspots.data.dtype == np.float64
    assert sunspots.data[:4].tolist() == [5.0, 11.0, 16.0, 23.0]
    assert sunspots.data[-1] == 2.9 and sunspots.data.max() == 190.2
    assert str(sunspots.index[np.argmax(sunspots.data)]) == "1957"
    assert str(sunspots.index[0]) == "1700" and str(sunspots.index[-1]) == "2008"
    assert np.all(np.diff(sunspots.index) == np.timedelta64(1, "Y"))
    assert "SILSO" in sunspots.citation and sunspots.citation in sunspots.DESCR


def _bundled_data_files():
    """(folder, filename) of every data file under pygru/datasets/data/<folder>/, listed
    through importlib.resources as the loaders read them (so also from an installed wheel)."""
    data = resources.files("pygru.datasets") / "data"
    return [
        (folder.name, entry.name)
        for folder in sorted(data.iterdir(), key=lambda path: path.name)
        if folder.is_dir() and not folder.name.startswith(("_", "."))
        for entry in sorted(folder.iterdir(), key=lambda path: path.name)
        if entry.is_file() and entry.name != "SOURCE.md"
    ]


def test_every_data_folder_is_listed():
    folders = {folder for folder, _ in _bundled_data_files()}
    assert {"Nile", "Sunspots", "VADER", "Airline", "Lynx"} | set(UCR_METADATA) <= folders


@pytest.mark.parametrize(
    "folder, filename", _bundled_data_files(), ids=lambda value: value.removesuffix(".gz")
)
def test_data_files_carry_their_source_and_licence(folder, filename):
    # every shipped data file has a SOURCE.md beside it with its licence and the SHA-256 of
    # its (uncompressed) content; a digest line may wrap, so compare with whitespace folded
    source = " ".join(read_data_text(folder, "SOURCE.md").split())
    assert source.startswith(f"# {folder}: source and licence ")
    assert "Licence: " in source
    raw = (resources.files("pygru.datasets") / "data" / folder / filename).read_bytes()
    if filename.endswith(".gz"):
        raw = gzip.decompress(raw)
    digest = hashlib.sha256(raw).hexdigest()
    assert f"(first 16 hex digits): {digest[:16]}." in source


@pytest.mark.parametrize("folder, filename", [("Nile", "nile.csv"), ("Sunspots", "sunspots.csv")])
def test_statsmodels_series_carry_their_source_and_licence(folder, filename):
    source = read_data_text(folder, "SOURCE.md")
    assert f"statsmodels/datasets/{folder.lower()}/{filename}" in source
    assert "Licence: public domain" in source
    digest = hashlib.sha256(read_data_text(folder, filename).encode()).hexdigest()
    assert f"SHA-256 (first 16 hex digits): {digest[:16]}." in source


def test_make_windows_univariate_values():
    X, y = make_windows(np.arange(6), lookback=3)
    assert X.shape == (3, 3, 1) and X.dtype == np.float64
    np.testing.assert_array_equal(X[:, :, 0], [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(y, [3, 4, 5])


def test_make_windows_horizon_and_step():
    X, y = make_windows(np.arange(10.0), lookback=4, horizon=2, step=3)
    np.testing.assert_array_equal(X[:, :, 0], [[0, 1, 2, 3], [3, 4, 5, 6]])
    np.testing.assert_array_equal(y, [[4, 5], [7, 8]])
    # exactly lookback + horizon points: one window
    X, y = make_windows([1.0, 2.0, 3.0], lookback=2)
    assert X.shape == (1, 2, 1) and y.tolist() == [3.0]


def test_make_windows_multivariate():
    series = np.arange(12, dtype=np.float32).reshape(6, 2)
    X, y = make_windows(series, lookback=2)
    assert X.shape == (4, 2, 2) and X.dtype == np.float32
    np.testing.assert_array_equal(X[1], series[1:3])
    np.testing.assert_array_equal(y, series[2:6])
    # all columns, several steps ahead: one row per window, step-major columns
    X, y = make_windows(series, lookback=2, horizon=3)
    assert y.shape == (2, 6)
    np.testing.assert_array_equal(y[1], series[3:6].ravel())
    np.testing.assert_array_equal(y.reshape(2, 3, 2)[:, 2], series[4:6])
    X, y = make_windows(series, lookback=2, horizon=3, target=-1)
    np.testing.assert_array_equal(y, [[5, 7, 9], [7, 9, 11]])
    X, y = make_windows(series, lookback=2, target=0)
    np.testing.assert_array_equal(y, [4, 6, 8, 10])


def test_make_windows_sequence_targets_follow_every_step():
    series = np.arange(7.0)
    X, y = make_windows(series, lookback=3, output="sequence")
    assert X.shape == (4, 3, 1) and y.shape == (4, 3)
    np.testing.assert_array_equal(y, X[:, :, 0] + 1)
    X, y = make_windows(series, lookback=3, horizon=2, step=2, output="sequence")
    assert y.shape == (2, 3, 2)
    np.testing.assert_array_equal(y[1], [[3, 4], [4, 5], [5, 6]])


def test_make_windows_sequence_multivariate_and_target():
    series = np.arange(12.0).reshape(6, 2)
    X, y = make_windows(series, lookback=2, horizon=2, output="sequence")
    assert X.shape == (3, 2, 2) and y.shape == (3, 2, 4)
    np.testing.assert_array_equal(y[0, 1], series[2:4].ravel())
    X, y = make_windows(series, lookback=2, output="sequence", target=1)
    assert y.shape == (4, 2)
    np.testing.assert_array_equal(y[0], [3, 5])


def test_make_windows_reads_numbers_held_as_objects_and_names_several_series():
    # An object array of numbers was refused while the same pandas object Series worked;
    # series of different lengths (several series at once) got NumPy's inhomogeneous-shape
    # message, which names neither the argument nor the mistake.
    values = np.array([1, 2, 3, 4, 5], dtype=object)
    np.testing.assert_array_equal(make_windows(values, 2)[1], [3.0, 4.0, 5.0])
    with pytest.raises(TypeError, match="series must be numeric, got dtype object"):
        make_windows(np.array(["a", "b", "c"], dtype=object), 1)
    with pytest.raises(ValueError, match="series must be one series.*window each alone"):
        make_windows([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0]], lookback=2)


def test_make_windows_one_column_series_keeps_its_column_axis():
    series = np.arange(6.0)[:, None]
    assert make_windows(series, lookback=2)[1].shape == (4, 1)
    assert make_windows(series, lookback=2, output="sequence")[1].shape == (4, 2, 1)
    assert make_windows(series, lookback=2, target=0)[1].shape == (4,)


@pytest.mark.parametrize(
    "series",
    [np.arange(9.0), np.arange(9.0)[:, None], np.arange(18.0).reshape(9, 2)],
    ids=["1-D", "one column", "2-D"],
)
@pytest.mark.parametrize("horizon", [1, 3])
def test_make_windows_sequence_ends_with_the_last_target(series, horizon):
    X_last, y_last = make_windows(series, lookback=4, horizon=horizon)
    X_seq, y_seq = make_windows(series, lookback=4, horizon=horizon, output="sequence")
    np.testing.assert_array_equal(X_seq, X_last)
    np.testing.assert_array_equal(y_seq[:, -1], y_last)


def test_make_windows_returns_copies():
    series = np.arange(5.0)
    X, y = make_windows(series, lookback=2)
    X[0, 0, 0] = 99.0
    y[0] = 99.0
    assert series.tolist() == [0, 1, 2, 3, 4]


def test_make_windows_refuses_an_index_out_of_time_order_and_warns_of_gaps():
    # make_windows read the rows in their order whatever the index said: a newest-first
    # export gave windows running backwards in time ([70, 60, 50] -> 40), and a gap of 29
    # days was crossed as one step, silently.
    pd = pytest.importorskip("pandas")
    days = pd.date_range("2024-01-01", periods=10, freq="D")
    series = pd.Series(np.arange(10.0) * 10, index=days)
    with pytest.raises(ValueError, match=r"not in time order .*series.sort_index\(\)"):
        make_windows(series[::-1], lookback=3)
    X, y = make_windows(series[::-1].sort_index(), lookback=3)
    assert X[0, :, 0].tolist() == [0, 10, 20] and y[0] == 30
    # Dates as a CSV gives them without parse_dates (with offsets that change at summer
    # time, too), and as datetime.date objects.
    paris = pd.date_range("2024-03-27", periods=10, freq="D", tz="Europe/Paris")
    for dates in (days.strftime("%Y-%m-%d"), days.date, paris.map(lambda t: t.isoformat())):
        with pytest.raises(ValueError, match="not in time order"):
            make_windows(series.set_axis(dates)[::-1], lookback=3)
    with pytest.raises(ValueError, match=r"repeats a time \(2024-01-01.*several series"):
        make_windows(pd.concat([series, series]).sort_index(), lookback=3)
    gapped = series.set_axis(days.where(days < "2024-01-06", days + pd.Timedelta(days=29)))
    with pytest.warns(UserWarning, match="steps of different sizes .*asfreq"):
        make_windows(gapped, lookback=3)
    # A PeriodIndex always has a frequency, gaps or not: its gaps went unwarned.
    months = pd.period_range("2024-01", periods=12, freq="M")
    with pytest.warns(UserWarning, match="steps of different sizes"):
        make_windows(series.set_axis(months.delete([4, 9])), lookback=3)
    # A missing time was "not in time order", and sort_index() did not help.
    with pytest.raises(ValueError, match="missing time \\(NaT, or NaN\\) at row 2"):
        make_windows(series.set_axis(days.insert(2, pd.NaT).delete(3)), lookback=3)
    # An infinite time went through, with NumPy's "rtol or atol is not valid" on the way.
    for row, time in [(9, np.inf), (0, -np.inf)]:
        steps = np.arange(10.0)
        steps[row] = time
        with pytest.raises(ValueError, match=f"infinite time \\({time}\\) at row {row}"):
            make_windows(series.set_axis(steps), lookback=3)
    # Numbers held as objects were not checked at all (audit36b).
    with pytest.raises(ValueError, match="not in time order"):
        make_windows(series.set_axis(pd.Index(np.arange(10.0)[::-1], dtype=object)), 3)
    with pytest.raises(ValueError, match=r"infinite time \(inf\) at row 9"):
        make_windows(series.set_axis(pd.Index([*range(9), np.inf], dtype=object)), 3)
    # Trading days around a holiday: the warning says how to keep the rows as the steps.
    trading = pd.bdate_range("2024-01-01", periods=11).delete(1)  # no 2 January
    with pytest.warns(UserWarning, match="rows are the steps already .*CustomBusinessDay"):
        make_windows(series.set_axis(trading), lookback=3)
    # Datetimes whose offsets change at summer time were not checked at all.
    with pytest.raises(ValueError, match="not in time order"):
        make_windows(series.set_axis(list(paris.to_pydatetime()))[::-1], lookback=3)
    # The hour the end of summer time repeats on a naive local clock.
    autumn = pd.DatetimeIndex(["2021-10-31 01:00", "2021-10-31 02:00"] * 1)
    clock = autumn.append(pd.DatetimeIndex(["2021-10-31 02:00"])).append(
        pd.date_range("2021-10-31 03:00", periods=7, freq="h")
    )
    with pytest.raises(ValueError, match="repeats a time .*end of summer time .*ambiguous"):
        make_windows(series.set_axis(clock), lookback=3)
    regular = [
        series,
        series.set_axis(pd.date_range("2024-01-01", periods=10, freq="MS")),  # 28-31 days
        series.set_axis(pd.DatetimeIndex(list(pd.date_range("2024-01", periods=10, freq="MS")))),
        series.set_axis(pd.period_range("2024-01", periods=10, freq="M")),
        series.set_axis(np.arange(1821, 1831)),  # years as numbers
        series.set_axis(np.arange(10) * 0.1),  # steps equal up to rounding
        series.set_axis((np.arange(10) * 0.1).astype(np.float32)),  # in float32's (audit36b)
        series.set_axis(pd.Index(np.arange(1821, 1831), dtype=object)),  # numbers as objects
        series.set_axis(1.7e9 + np.arange(10) / 10),  # epoch seconds at 10 Hz
        series.set_axis(1_700_000_000_000_000_000 + np.arange(10) * 1_000_000),  # epoch ns
        series.set_axis(days.strftime("%Y-%m-%d")),
        series.set_axis(pd.DatetimeIndex([f"2024-{m:02d}-15" for m in range(1, 11)])),  # 15th
        series.set_axis(paris.map(lambda t: t.isoformat())),  # local midnights, DST between
        series.set_axis(days.strftime("%d/%m/%Y")[::-1]),  # not ISO 8601: not read
        series.set_axis(list("abcdefghij")),  # labels say nothing of time
        series.reset_index(drop=True)[::-1].reset_index(drop=True),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for given in regular:
            make_windows(given, lookback=3)


def test_make_windows_names_a_channels_first_series_and_several_series_in_one():
    # aeon lays a multivariate series out as (n_channels, n_timepoints): a (3, 200) series
    # was "too short" without a word on the layout, and a (20, 200) one cut into windows
    # of 200 values per step silently. sktime's (instance, time) rows were cut into
    # windows across the instances' boundaries.
    pandas = pytest.importorskip("pandas")
    channels_first = np.arange(600.0).reshape(3, 200)
    with pytest.raises(ValueError, match=r"too short.*If time runs along the columns.*series\.T"):
        make_windows(channels_first, lookback=12)
    with pytest.warns(UserWarning, match=r"20 time points \(rows\) of 200 columns.*series\.T"):
        make_windows(np.zeros((20, 200)), lookback=12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert make_windows(channels_first.T, lookback=12)[0].shape == (188, 12, 3)
    index = pandas.MultiIndex.from_product([range(3), range(10)], names=["instance", "time"])
    stacked = pandas.Series(np.arange(30.0), index=index)
    advice = r"2 levels \['instance', 'time'\].*make_windows\(part\.droplevel\(0\)"
    with pytest.warns(UserWarning, match=advice):
        make_windows(stacked, lookback=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parts = stacked.groupby(level=0, sort=False)  # as it says
        windows = [make_windows(part.droplevel(0), lookback=4)[0] for _, part in parts]
    assert sum(map(len, windows)) == 3 * 6  # 6 per series, none across two
    # It said part.to_numpy(), which dropped the times: a series out of order went through.
    shuffled = stacked.iloc[[0, 2, 1] + list(range(3, 30))]
    with pytest.raises(ValueError, match="not in time order"):
        [make_windows(part.droplevel(0), lookback=4) for _, part in shuffled.groupby(level=0)]


@pytest.mark.parametrize("output, horizon", [("sequence", 1), ("sequence", 3), ("last", 3)])
def test_the_documented_gap_leaves_no_validation_target_among_the_training_ones(output, horizon):
    # validation_split="last" on such windows validated on targets it had trained on (23 %
    # of them for lookback 24); the docstrings give the gap that keeps them apart.
    lookback, k = 6, 40
    X, y = make_windows(np.arange(100.0), lookback, horizon=horizon, output=output)
    trained, validated = set(y[:k].ravel()), set(y[k + lookback + horizon :].ravel())
    assert validated and not trained & validated
    assert trained & set(y[k:].ravel())  # without the gap they share targets


def test_make_windows_on_a_real_series():
    airline = load_airline().data
    X, y = make_windows(airline, lookback=12, horizon=3)
    assert X.shape == (130, 12, 1) and y.shape == (130, 3)
    np.testing.assert_array_equal(y[-1], airline[-3:])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(lookback=0), ValueError, "lookback must be at least 1, got 0"),
        (dict(lookback=2, horizon=0), ValueError, "horizon must be at least 1, got 0"),
        (dict(lookback=2, step=-1), ValueError, "step must be at least 1, got -1"),
        (dict(lookback=2.5), TypeError, "lookback must be an integer"),
        (dict(lookback=True), TypeError, "lookback must be an integer"),
        (dict(lookback=8, horizon=3), ValueError, "length 10 is too short.*at least 11"),
        (dict(lookback=2, target=1), ValueError, "target 1 is out of range for 1 column"),
        (dict(lookback=2, target="a"), TypeError, "target must be an integer"),
        (dict(lookback=2, output="seq"), ValueError, "output must be .*, got 'seq'"),
        (dict(lookback=2, output=None), ValueError, "output must be .*, got None"),
    ],
)
def test_make_windows_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_windows(np.arange(10.0), **kwargs)


def test_make_windows_keeps_float32_and_float64_and_widens_other_floats():
    # float16 was kept, where the docstring names float32 and float64 (audit31).
    series = np.arange(20.0)
    for given, kept in [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.float16, np.float64),
        (np.longdouble, np.float64),
        (int, np.float64),
        (np.dtype(">f4"), np.dtype(">f4")),  # big-endian float32 is float32 (review31)
    ]:
        X, y = make_windows(series.astype(given), 4)
        assert X.dtype == y.dtype == kept
        np.testing.assert_array_equal(X, make_windows(series, 4)[0])


def test_make_windows_reads_numpys_small_integers_as_counts():
    # Lengths were computed in the argument's own type: OverflowError for np.int8(10) on 300
    # points, and a check that wrapped around past 127 into NumPy's own error.
    series = np.arange(300.0)
    for kind in (np.int8, np.uint8, np.int16):
        X, y = make_windows(series, kind(10), horizon=kind(2), step=kind(7), target=kind(0))
        expected = make_windows(series, 10, horizon=2, step=7, target=0)
        np.testing.assert_array_equal(X, expected[0])
        np.testing.assert_array_equal(y, expected[1])
    with pytest.raises(ValueError, match="length 20 is too short for lookback=127"):
        make_windows(series[:20], np.int8(127), horizon=np.int8(1))


@pytest.mark.parametrize(
    "load, kwargs",
    [
        (load_ucr, dict(name="GunPoint", return_X_y="False")),
        (load_tweets, dict(return_X_y="False")),
        (load_tweets, dict(return_X_y=None)),
    ],
)
def test_loaders_take_return_X_y_as_a_bool_only(load, kwargs):
    # Read by truth value, the string "False" returned tuples.
    with pytest.raises(TypeError, match="return_X_y must be True or False, got"):
        load(**kwargs)


def test_a_bool_test_size_is_refused_by_name():
    # scikit-learn reads True as 1 text; the error that followed blamed the threshold.
    with pytest.raises(TypeError, match="test_size must be a float .*, got True"):
        load_tweets(test_size=True)
    # and None as a quarter of the texts, silently
    with pytest.raises(TypeError, match="test_size must be a float .*, got None"):
        load_tweets(test_size=None)


@pytest.mark.parametrize("given, same", [(np.float32(0.25), 0.25), (np.int64(100), 100)])
def test_numpy_test_sizes_split_as_python_numbers_do(given, same):
    # train_test_split refused np.float32 with a message naming itself.
    _, y_test = load_tweets(test_size=given, return_X_y=True)[2:]
    assert len(y_test) == len(load_tweets(test_size=same, return_X_y=True)[3])


def test_make_windows_reads_pandas_nullable_frames():
    # Their missing value is pd.NA, so np.asarray gives an object array.
    pandas = pytest.importorskip("pandas")
    values = np.arange(20.0).reshape(10, 2)
    frame = pandas.DataFrame(values, columns=["a", "b"]).astype("Float64")
    frame.iloc[-1, 1] = pandas.NA
    X, y = make_windows(frame, lookback=3)
    expected = values.copy()
    expected[-1, 1] = np.nan
    np.testing.assert_array_equal(X, make_windows(expected, lookback=3)[0])
    np.testing.assert_array_equal(y, make_windows(expected, lookback=3)[1])
    # Float32 columns keep float32, with a pd.NA or without, as a Float32 Series does (one
    # holding a pd.NA became float64; audit38c); mixed with Float64, float64.
    for missing in (False, True):
        single = frame.astype("Float32")
        if missing:
            single.iloc[-1, 1] = pandas.NA
        windows = make_windows(single, lookback=3)[0]
        assert windows.dtype == np.float32
        assert make_windows(single["b"], lookback=3)[0].dtype == np.float32
        np.testing.assert_array_equal(np.isnan(windows), np.isnan(X) & missing)
        mixed = single.astype({"a": "Float64"})
        assert make_windows(mixed, lookback=3)[0].dtype == np.float64
        # beside a NumPy float32 column too (float64 before; audit39b)
        beside_numpy = single.astype({"a": np.float32})
        assert make_windows(beside_numpy, lookback=3)[0].dtype == np.float32
    # A masked float32 series keeps float32 as well, its masked values NaN.
    masked = np.ma.masked_array(values.astype(np.float32), mask=np.isnan(expected))
    windows = make_windows(masked, lookback=3)[0]
    assert windows.dtype == np.float32
    np.testing.assert_array_equal(windows, make_windows(expected.astype(np.float32), 3)[0])


def test_make_windows_bad_series():
    with pytest.raises(ValueError, match="got shape \\(2, 2, 2\\)"):
        make_windows(np.zeros((2, 2, 2)), lookback=1)
    with pytest.raises(TypeError, match="numeric"):
        make_windows(["a", "b", "c"], lookback=1)
    with pytest.raises(ValueError, match="length 0 is too short") as refused:
        make_windows([], lookback=1)
    # The hint on aeon's (n_channels, n_timepoints) layout is for 2-D series alone.
    assert str(refused.value).endswith("at least 2 time points.")


# ---------------------------------------------------------------- VADER texts


def test_vader_files_have_the_published_counts():
    # Hutto & Gilbert (2014): 10,605 movie-review snippets and 4,200 tweets.
    texts, ratings = _read_ground_truth("movieReviewSnippets_GroundTruth.txt.gz")
    assert len(texts) == len(ratings) == 10605
    assert ratings.min() >= -4 and ratings.max() <= 4
    assert texts[0].startswith("The Rock is destined to be the 21st Century's new")
    assert not any("\r" in text or "\t" in text for text in texts)
    texts, ratings = _read_ground_truth("tweets_GroundTruth.txt.gz")
    assert len(texts) == 4200


def test_movie_reviews_default_split():
    reviews = load_movie_reviews()
    assert (len(reviews.X_train), len(reviews.X_test)) == (8057, 2015)
    assert all(isinstance(text, str) for text in reviews.X_train + reviews.X_test)
    y = np.concatenate([reviews.y_train, reviews.y_test])
    assert y.dtype == np.int64 and set(y) == {0, 1}
    assert (y == 1).sum() == 4996 and (y == 0).sum() == 5076
    # stratified: the same share of positives on both sides
    assert abs(reviews.y_train.mean() - reviews.y_test.mean()) < 0.005
    ratings = np.concatenate([reviews.rating_train, reviews.rating_test])
    np.testing.assert_array_equal(y, ratings > 0)
    assert np.abs(ratings).min() >= 0.5
    assert reviews.target_names.tolist() == ["negative", "positive"]
    assert "Hutto" in reviews.citation and reviews.citation in reviews.DESCR


def test_movie_reviews_is_deterministic_and_threshold_filters():
    first = load_movie_reviews(return_X_y=True)
    second = load_movie_reviews(return_X_y=True)
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[3], second[3])
    everything = load_movie_reviews(threshold=0)
    assert len(everything.X_train) + len(everything.X_test) == 10605 - 37  # 37 exact zeros
    strict = load_movie_reviews(threshold=2.0, test_size=0.5)
    assert abs(len(strict.X_train) - len(strict.X_test)) <= 1
    assert np.abs(strict.rating_train).min() >= 2.0


@pytest.mark.parametrize(
    "threshold, error",
    [(-0.1, ValueError), (4.5, ValueError), ("0.5", TypeError), (None, TypeError)],
)
def test_movie_reviews_bad_threshold(threshold, error):
    with pytest.raises(error, match="threshold"):
        load_movie_reviews(threshold=threshold)


@pytest.mark.parametrize("load", [load_movie_reviews, load_tweets])
@pytest.mark.parametrize("test_size", [0, 1.0, -0.5, "0.2"])
def test_a_bad_test_size_is_named_rather_than_the_threshold(load, test_size):
    with pytest.raises(ValueError, match=r"^The 'test_size' parameter .* Got"):
        load(test_size=test_size)


@pytest.mark.parametrize(
    "load, threshold, left",
    [
        (load_movie_reviews, 3.9, "1 positive and 0 negative"),
        (load_tweets, 3.5, "1 positive and 9 negative"),
        (load_tweets, 4, "0 positive and 0 negative"),
    ],
)
def test_a_threshold_that_leaves_too_few_texts_says_so(load, threshold, left):
    with pytest.raises(ValueError, match=f"threshold={threshold} .* leaves {left} texts"):
        load(threshold=threshold)


def test_tweets():
    X_train, y_train, X_test, y_test = load_tweets(return_X_y=True)
    assert (len(X_train), len(X_test)) == (2745, 687)
    assert y_train.sum() + y_test.sum() == 2345
