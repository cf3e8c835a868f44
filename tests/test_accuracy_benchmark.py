"""benchmarks/accuracy.py: its DTW against a brute-force recursion, its 1-NN Euclidean against
scikit-learn, a --quick run on one small set, its --model-seeds option, where its reports go
and the arguments it refuses."""

import importlib.util
import os

import numpy as np
import pytest
from benchmark_scripts import load_benchmark, recorded_command, write_ts
from sklearn.neighbors import KNeighborsClassifier


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("accuracy.py")


def brute_force_dtw(a, b, window):
    """Textbook DTW of rows b against columns a, one cell at a time, same band rule."""
    n, m = len(b), len(a)
    connected = int(np.ceil((m - 1) / (n - 1) / 2)) if n > 1 else m - 1
    r = max(1, int(np.floor(window * max(n, m))), connected)
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0.0
    for i in range(n):
        for j in range(m):
            if abs(j - i * (m - 1) / max(n - 1, 1)) <= r:
                cost = np.sum((b[i] - a[j]) ** 2)
                D[i + 1, j + 1] = cost + min(D[i, j], D[i, j + 1], D[i + 1, j])
    return D[n, m]


@pytest.mark.parametrize("window", [0.1, 0.3, 1.0])
@pytest.mark.parametrize("ragged", [False, True])
def test_dtw_matches_brute_force(bench, window, ragged):
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 25, size=9) if ragged else np.full(9, 16)
    series = [rng.normal(size=(t, 2)) for t in lengths]
    test, train = series[:4], series[4:]
    got = bench.dtw_distances(test, train, window=window, max_pairs=7)  # several chunks
    want = [[brute_force_dtw(a, b, window) for a in train] for b in test]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_dtw_has_a_warping_path_for_any_two_lengths(bench):
    # A band of 10 % of 17 steps (r = 1) around the diagonal of a 7 x 17 pair left rows
    # that did not touch: distance inf, and a test series whose distances were all inf
    # went to the first training label. Every pair of lengths has a path; equal series
    # are at 0, and a band is never below the unconstrained distance.
    rng = np.random.default_rng(3)
    lengths = range(1, 31)
    zeros = [np.zeros((t, 1)) for t in lengths]
    assert not bench.dtw_distances(zeros, zeros, window=0.1).any()
    noise = [rng.normal(size=(t, 1)) for t in lengths]
    banded = bench.dtw_distances(noise, noise, window=0.1)
    assert np.isfinite(banded).all()
    assert (banded >= bench.dtw_distances(noise, noise, window=1.0) - 1e-12).all()
    # Falling and rising ramps of 7 steps against 17: told apart, as with no band.
    ramps = [np.linspace(*ends, 17)[:, None] + c for ends in ((0, 1), (1, 0)) for c in (0, 0.1)]
    falling = [np.linspace(1, 0, 7)[:, None] + c for c in (0, 0.05)]
    nearest = bench.dtw_distances(falling, ramps, window=0.1).argmin(axis=1)
    assert set(nearest) <= {2, 3}


def test_dtw_full_window_is_unconstrained(bench):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(12, 1)), rng.normal(size=(30, 1))
    full = np.full((31, 13), np.inf)
    full[0, 0] = 0.0
    for i in range(30):
        for j in range(12):
            full[i + 1, j + 1] = (b[i, 0] - a[j, 0]) ** 2 + min(
                full[i, j], full[i, j + 1], full[i + 1, j]
            )
    np.testing.assert_allclose(bench.dtw_distances([b], [a], window=1.0)[0, 0], full[30, 12])


def test_euclidean_1nn_matches_sklearn(bench):
    rng = np.random.default_rng(2)
    X_train, X_test = rng.normal(size=(40, 30)), rng.normal(size=(25, 30))
    y_train = rng.integers(0, 3, size=40)
    ours = bench.nearest_neighbour(bench.euclidean_distances(X_test, X_train), y_train)
    knn = KNeighborsClassifier(n_neighbors=1).fit(X_train, y_train)
    np.testing.assert_array_equal(ours, knn.predict(X_test))


def test_quick_run_on_one_set(bench, tmp_path, capsys):
    output = tmp_path / "accuracy.md"
    argv = ["--quick", "--datasets", "ItalyPowerDemand", "--output", str(output)]
    argv += ["--options", '{"hidden_layer_sizes": [16]}']
    (row,) = bench.main(argv)
    report = output.read_text(encoding="utf-8")
    assert '{"hidden_layer_sizes": [16]}' in report  # the options are recorded
    # ... in a command that a shell reads back as it was run (it was joined with spaces,
    # which split the JSON into two words and dropped its quotes)
    assert recorded_command(report) == ["python", "benchmarks/accuracy.py", *argv]
    assert "| ItalyPowerDemand | 67 / 1029 | 24 | 1 | 2 |" in report
    assert "### Goals (issue 16)" in report
    assert row["defaults"]["train"][0] > 0.8  # short training, still well above chance (0.5)
    assert 0.9 < row["ed"][0] < 1 and 0.9 < row["dtw"][0] < 1
    capsys.readouterr()


def test_model_seeds_fit_each_split_with_several_gru_seeds(bench, tmp_path, capsys, monkeypatch):
    fitted_with = []
    original_fit = bench.GRUClassifier.fit

    def recording_fit(self, X, y, **kwargs):
        fitted_with.append(self.random_state)
        return original_fit(self, X, y, **kwargs)

    monkeypatch.setattr(bench.GRUClassifier, "fit", recording_fit)
    output = tmp_path / "accuracy.md"
    argv = ["--quick", "--split", "validation", "--datasets", "ItalyPowerDemand"]
    argv += ["--model-seeds", "2", "--output", str(output), "--options", '{"max_iter": 3}']
    (row,) = bench.main(argv)
    assert fitted_with == [0, bench.MODEL_SEED_STRIDE]
    assert len(row["defaults"]["test"]) == 2 and len(row["mlp"]) == 1
    report = output.read_text(encoding="utf-8")
    assert "1 seed(s) × 2 model seeds" in report
    capsys.readouterr()


def test_model_seeds_must_be_positive(bench, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--model-seeds", "0", "--no-write"])
    assert "--model-seeds must be at least 1, got 0" in capsys.readouterr().err


def test_an_output_that_cannot_be_written_is_a_usage_error_before_the_run(bench, tmp_path, capsys):
    # It was found at the end, after every fit, as a FileNotFoundError traceback.
    blocked = tmp_path / "a file"
    blocked.write_text("")
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--datasets", "ItalyPowerDemand", "--output", f"{blocked}/x.md"])
    assert "cannot write" in capsys.readouterr().err
    fresh = tmp_path / "new folder" / "report.md"
    assert bench.writable_file(str(fresh)) == str(fresh)
    assert fresh.parent.is_dir() and not fresh.exists()  # tried, then left for the report


def test_ts_dir_runs_the_sets_found_there(bench, tmp_path, capsys):
    rng = np.random.default_rng(0)
    labels = np.array(["a", "b"] * 6)
    series = rng.normal(size=(12, 10)) + (labels == "b")[:, None] * 3.0
    series[0, 7:] = np.nan  # padded with missing values at the end, as ragged sets are
    (tmp_path / "Toy").mkdir()  # the archive's zip has a folder per set
    write_ts(tmp_path / "Toy" / "Toy_TRAIN.ts", series, labels)
    write_ts(tmp_path / "Toy" / "Toy_TEST.ts", series[::-1], labels[::-1])
    (tmp_path / "Lonely_TRAIN.ts").write_text("no test part beside it", encoding="utf-8")
    output = tmp_path / "accuracy.md"
    argv = ["--quick", "--ts-dir", str(tmp_path), "--tasks", "classification"]
    (row,) = bench.main(argv + ["--output", str(output), "--options", '{"max_iter": 5}'])
    assert row["name"] == "Toy" and row["length"] == "7-10"  # the padding is cut off
    assert row["ed"] == [1.0]  # each test series is a training series
    report = output.read_text(encoding="utf-8")
    assert report.startswith(f"# pygru accuracy on the sets in `{tmp_path}`")
    assert "| Toy | 12 / 12 | 7-10 | 1 | 2 |" in report
    capsys.readouterr()


def test_ts_dir_skips_regression_sets_and_gaps_unless_told_how_to_fill_them(
    bench, tmp_path, capsys
):
    rng = np.random.default_rng(1)
    labels = np.array(["a", "b"] * 6)
    series = rng.normal(size=(12, 10)) + (labels == "b")[:, None] * 3.0
    series[2, 4] = np.nan  # a gap inside a series, as in a few UCR sets
    for part in ("TRAIN", "TEST"):
        write_ts(tmp_path / f"Gappy_{part}.ts", series, labels)
        write_ts(
            tmp_path / f"Reg_{part}.ts", series[:4], [1.5, 2.0, 0.5, 1.0], "@targetLabel true"
        )
        (tmp_path / f"Odd_{part}.ts").write_text("@classLabel true a\n@data\n1,2:3:a\n")
    argv = ["--quick", "--ts-dir", str(tmp_path), "--tasks", "classification"]
    argv += ["--options", '{"max_iter": 5}', "--no-write"]
    with pytest.raises(SystemExit):  # nothing left to run: a usage error that says why
        bench.main(argv)
    error = capsys.readouterr().err
    assert "Gappy: values missing inside a series (--impute ffill|linear fills them)" in error
    assert "Reg: a regression set (@targetLabel: benchmarks/regression.py --ts-dir)" in error
    assert "Odd: not readable (" in error and "different lengths [1, 2])" in error
    (row,) = bench.main(argv + ["--impute", "linear"])
    assert row["name"] == "Gappy (gaps filled: linear)" and row["length"] == "10"
    assert row["ed"] == [1.0]  # test = training series, the gap filled the same way in both
    report = capsys.readouterr().out
    assert "| Gappy (gaps filled: linear) | 12 / 12 | 10 | 1 | 2 |" in report
    assert "Not run: Odd: not readable (" in report and "; Reg: a regression set" in report
    data, gaps_filled = bench.load_ts_set(str(tmp_path), "Gappy", "linear")
    assert gaps_filled
    np.testing.assert_allclose(data.X_train[2, 4, 0], (series[2, 3] + series[2, 5]) / 2)


def test_ts_dir_without_sets_is_a_usage_error(bench, tmp_path, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--ts-dir", str(tmp_path), "--no-write"])
    assert "no NAME_TRAIN.ts with a NAME_TEST.ts in" in capsys.readouterr().err


def test_a_validation_run_writes_its_own_report_never_the_test_table(
    bench, tmp_path, monkeypatch, capsys
):
    # Without --output, `--split validation` (the README's and the docstring's commands)
    # replaced the published test table results/accuracy.md.
    written = []
    monkeypatch.setattr(bench, "publish", lambda report, path: written.append(path))
    argv = ["--seeds", "1", "--datasets", "ItalyPowerDemand", "--tasks", "classification"]
    argv += ["--options", '{"max_iter": 3}']
    bench.main(argv + ["--split", "validation"])
    bench.main(argv)
    output = str(tmp_path / "mine.md")
    bench.main(argv + ["--split", "validation", "--output", output])
    assert [os.path.basename(path) for path in written[:2]] == [
        "accuracy_validation.md",
        "accuracy.md",
    ]
    assert written[2] == output  # --output still decides
    capsys.readouterr()


def test_options_that_make_the_defaults_unidirectional_fit_them_once(bench, tmp_path, capsys):
    # The README's validation example set bidirectional=False and got two identical columns
    # ("defaults" and "unidirectional"), half the run wasted, under a text that called the
    # first bidirectional and the validation accuracies test accuracies.
    output = tmp_path / "accuracy.md"
    argv = ["--seeds", "1", "--split", "validation", "--datasets", "ItalyPowerDemand"]
    argv += ["--tasks", "classification", "--output", str(output)]
    argv += ["--options", '{"bidirectional": false, "max_iter": 3}']
    (row,) = bench.main(argv)
    assert "unidirectional" not in row
    report = output.read_text(encoding="utf-8")
    assert "*unidirectional*" not in report and "pygru unidirectional" not in report
    assert "Validation and train accuracy" in report and "Test and train" not in report
    assert "| data set | archive's train / test |" in report
    capsys.readouterr()


@pytest.mark.parametrize("mode", [["--split", "validation"], ["--quick"]])
def test_text_alone_where_text_is_left_out_is_a_usage_error(bench, monkeypatch, mode, capsys):
    # It ran nothing, exited 0 and wrote a report without a table over results/accuracy.md.
    written = []
    monkeypatch.setattr(bench, "publish", lambda report, path: written.append(path))
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--tasks", "text", *mode])
    assert exit_info.value.code == 2 and written == []
    error = capsys.readouterr().err
    assert "--tasks text: no task is left to run" in error
    assert f"left out of {mode[0]}" in error


@pytest.mark.parametrize(
    "options, message",
    [
        ('{"random_state": 7}', "random_state is set by the script, one per seed"),
        ('{"max_iter": -5}', "The 'max_iter' parameter of GRUClassifier must be"),
        ('{"hidden_layer_sizes": [0]}', "hidden_layer_sizes must be a positive int"),
        pytest.param(
            '{"device": "cuda"}',
            "device='cuda' is not available",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("cupy") is not None, reason="CuPy is installed"
            ),
        ),
    ],
)
def test_options_the_classifier_would_refuse_are_usage_errors_before_the_run(
    bench, monkeypatch, options, message, capsys
):
    # They passed the check of the names and crashed mid-run, after the first set's baselines.
    monkeypatch.setattr(bench, "run_classification", lambda *_: pytest.fail("it ran"))
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--quick", "--datasets", "ItalyPowerDemand", "--options", options])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "argument --options: " in error and message in error
