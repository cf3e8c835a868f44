"""benchmarks/regression.py: a --quick run on regression sets written in the archive's .ts
layout, and the sets it refuses."""

import numpy as np
import pytest
from benchmark_scripts import load_benchmark, recorded_command, write_ts


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("regression.py")


def linear_set(rng, n, length=12):
    """Series whose target is a linear function of their last steps, on a raw scale."""
    series = rng.normal(size=(n, length))
    return series, 30 + 10 * series[:, -3:].sum(axis=1)


def test_quick_run_scores_the_regression_sets_and_reports_the_others(bench, tmp_path, capsys):
    rng = np.random.default_rng(0)
    (tmp_path / "Lin").mkdir()
    for part, n in (("TRAIN", 60), ("TEST", 30)):
        series, y = linear_set(rng, n)
        write_ts(tmp_path / "Lin" / f"Lin_{part}.ts", series, y, "@targetLabel true")
        write_ts(tmp_path / f"Cls_{part}.ts", series, ["a", "b"] * (n // 2))
    output = tmp_path / "regression.md"
    argv = ["--quick", "--ts-dir", str(tmp_path), "--options", '{"max_iter": 5}']
    (row,) = bench.main(argv + ["--output", str(output)])
    assert row["name"] == "Lin" and row["n"] == "60 / 30" and row["length"] == "12"
    assert row["ridge"]["r2"] > 0.99 > row["mean"]["r2"]  # the linear baseline finds it
    assert len(row["gru"]) == 1 and np.isfinite(row["gru"][0]["rmse"])
    report = output.read_text(encoding="utf-8")
    assert report.startswith(f"# pygru sequence regression on the sets in `{tmp_path}`")
    # a command a shell reads back as it was run (joined with spaces, the JSON fell apart)
    assert recorded_command(report) == [
        "python",
        "benchmarks/regression.py",
        *argv,
        "--output",
        str(output),
    ]
    assert "| Lin | 60 / 30 | 12 | 1 |" in report
    assert "Not run: Cls: no @targetLabel" in report
    capsys.readouterr()


def test_padding_is_cut_and_gaps_inside_a_series_are_reported(bench, tmp_path, capsys):
    rng = np.random.default_rng(1)
    for name, gap in (("Padded", slice(9, None)), ("Gappy", slice(4, 5))):
        for part in ("TRAIN", "TEST"):
            series, y = linear_set(rng, 20)
            series[0, gap] = np.nan
            write_ts(tmp_path / f"{name}_{part}.ts", series, y, "@targetLabel true")
    for part in ("TRAIN", "TEST"):  # one file that cannot be read stops nothing else
        (tmp_path / f"Odd_{part}.ts").write_text("@targetLabel true\n@data\n1,2:3:0.5\n")
    (row,) = bench.main(["--quick", "--ts-dir", str(tmp_path), "--no-write"])
    assert row["name"] == "Padded" and row["length"] == "9-12"
    assert row["ridge"] is None  # ragged: no flat layout for the linear baseline
    report = capsys.readouterr().out
    assert "Gappy: values missing inside a series" in report
    assert "Odd: not readable (" in report


def test_impute_fills_gaps_inside_series_for_every_method(bench, tmp_path, capsys):
    rng = np.random.default_rng(2)
    for part in ("TRAIN", "TEST"):
        series, y = linear_set(rng, 20)
        series[3, 5] = np.nan  # a gap inside the series (not padding)
        write_ts(tmp_path / f"Gappy_{part}.ts", series, y, "@targetLabel true")
    (X_train, _, X_test, _), had_gaps = bench.load_regression_set(str(tmp_path), "Gappy", "linear")
    assert had_gaps and not np.isnan(X_train).any() and not np.isnan(X_test).any()
    np.testing.assert_allclose(X_train[3, 5], (X_train[3, 4] + X_train[3, 6]) / 2)
    (row,) = bench.main(["--quick", "--ts-dir", str(tmp_path), "--impute", "ffill", "--no-write"])
    assert row["name"] == "Gappy (gaps filled: ffill)" and row["ridge"] is not None
    assert np.isfinite(row["gru"][0]["rmse"])
    assert "| Gappy (gaps filled: ffill) | 20 / 20 |" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "is not a folder"),
        ({}, "no NAME_TRAIN.ts with a NAME_TEST.ts"),
        ({"Cls": "@classLabel true a b"}, "no regression set in"),
    ],
)
def test_a_folder_without_regression_sets_is_a_usage_error(
    bench, tmp_path, capsys, content, message
):
    folder = tmp_path / "sets"
    if content is not None:
        folder.mkdir()
        for name, tag in content.items():
            for part in ("TRAIN", "TEST"):
                write_ts(folder / f"{name}_{part}.ts", np.zeros((4, 5)), ["a", "b"] * 2, tag)
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--ts-dir", str(folder), "--no-write"])
    assert message in capsys.readouterr().err
