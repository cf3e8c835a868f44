"""``python -m pygru``: the README's first command."""

import re

import pytest

from pygru.__main__ import main


def test_trains_on_italy_power_demand_and_prints_the_test_accuracy(capsys):
    main([])
    out = capsys.readouterr().out
    match = re.search(
        r"ItalyPowerDemand: bidirectional GRU\(64\) trained on 67 sequences .* test accuracy "
        r"on 1029 sequences: (0\.\d+)",
        out,
    )
    assert match, out
    assert float(match.group(1)) > 0.93  # 1-NN Euclidean: 0.955


@pytest.mark.parametrize("name", ["GunPoint", "gunpoint"])  # in any case, as load_ucr reads it
def test_long_series_use_patches(name, capsys):
    main(["--dataset", name, "--epochs", "3", "--hidden", "8", "--no-bidirectional"])
    assert "GunPoint: GRU(8) trained on 50 sequences for 3 epochs" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["0", "-2", "many", "1.5"])
def test_bad_patch_size_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--patch-size", bad])
    assert exit_info.value.code == 2
    assert "--patch-size" in capsys.readouterr().err


@pytest.mark.parametrize("patch", ["25", "1000000", "99999999999999999999"])
def test_a_patch_longer_than_the_data_is_a_usage_error(patch, capsys):
    # ItalyPowerDemand's series have 24 steps: 10**6 allocated until the process was
    # killed, 10**20 ended in OverflowError, each with a traceback.
    with pytest.raises(SystemExit) as exit_info:
        main(["--patch-size", patch])
    assert exit_info.value.code == 2
    assert "more than the longest sequence given (24 time steps)" in capsys.readouterr().err


def test_running_out_of_memory_is_a_usage_error_that_names_it(capsys, monkeypatch):
    # Python's own MemoryError has no message: the error line read ":  (--hidden ...".
    import pygru

    def out_of_memory(self, X, y):
        raise MemoryError()

    monkeypatch.setattr(pygru.GRUClassifier, "fit", out_of_memory)
    with pytest.raises(SystemExit) as exit_info:
        main(["--hidden", "2"])
    assert exit_info.value.code == 2
    assert "error: MemoryError (--hidden 2, --patch-size auto)" in capsys.readouterr().err


def test_a_reader_that_leaves_early_gets_no_traceback():
    # python -m pygru | true: BrokenPipeError and its traceback at the print.
    import subprocess
    import sys

    command = [sys.executable, "-m", "pygru", "--epochs", "1", "--hidden", "2"]
    reader = subprocess.Popen(["true"], stdin=subprocess.PIPE)
    reader.wait()
    run = subprocess.run(command, stdout=reader.stdin, stderr=subprocess.PIPE, timeout=300)
    reader.stdin.close()
    assert run.returncode == 1 and run.stderr == b"", run.stderr[-2000:]


@pytest.mark.parametrize(
    "option, bad",
    [
        ("--hidden", "0"),
        ("--hidden", "-3"),
        ("--hidden", "\u00b2"),
        ("--epochs", "0"),
        ("--epochs", "2.5"),
    ]
    + [("--seed", "-1"), ("--seed", str(2**32)), ("--seed", "x")],
)
def test_bad_numbers_are_usage_errors_not_tracebacks(option, bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([option, bad])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: expected" in err and repr(bad) in err


def test_version_and_help_read_as_plain_text(capsys):
    import pygru

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"pygru {pygru.__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "``" not in capsys.readouterr().out  # no reStructuredText markup


def test_help_gives_the_defaults_and_the_examples(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # as wrapped for any terminal width
    assert "(default: ItalyPowerDemand)" in out and "(default: 300)" in out
    assert "--seed SEED" in out and "(default: 0)" in out
    assert "python -m pygru --dataset ArrowHead --no-bidirectional" in out


def test_the_command_runs_without_docstrings():
    # python -OO strips docstrings; the help's examples came from the module docstring, and
    # every invocation, --version included, failed with an AttributeError.
    import subprocess
    import sys

    for arguments in (["--version"], ["--help"]):
        done = subprocess.run(
            [sys.executable, "-OO", "-m", "pygru", *arguments], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "usage" in done.stdout or "pygru" in done.stdout


def test_a_bad_kernel_choice_in_the_environment_is_a_usage_error():
    # PYGRU_CPU_KERNELS=AVX2 (the names are lower case): every call, --help and --version
    # included, ended in a traceback from the import of the estimators (audit39i).
    import os
    import subprocess
    import sys

    environment = dict(os.environ, PYGRU_CPU_KERNELS="AVX2")
    for arguments, code in ((["--version"], 0), (["--help"], 0), (["--epochs", "1"], 2)):
        done = subprocess.run(
            [sys.executable, "-m", "pygru", *arguments],
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
        )
        assert done.returncode == code and "Traceback" not in done.stderr, done.stderr
    assert "error: PYGRU_CPU_KERNELS must be one of baseline, avx2, avx512" in done.stderr


def test_ctrl_c_scores_the_last_epoch_and_exits_as_interrupted(capsys, monkeypatch):
    # The estimator keeps the last completed epoch on Ctrl-C; the command used to print its
    # score as if the run had completed and exit 0, so a script could not tell.
    import functools
    import signal

    import pygru.__main__

    def ctrl_c_in_the_third_epoch(estimator, record):
        if record["epoch"] == 2:
            signal.raise_signal(signal.SIGINT)

    classifier = functools.partial(pygru.GRUClassifier, callbacks=ctrl_c_in_the_third_epoch)
    monkeypatch.setattr(pygru, "GRUClassifier", classifier)  # main imports it from there
    # As Python sets it up, whatever the suite inherited (a background job of a shell
    # script starts with Ctrl-C ignored); put back at the end.
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.warns(UserWarning, match="fit interrupted after 2 epochs"):
            status = main(["--epochs", "5", "--hidden", "4"])
        assert status == 130
        assert "for 2 epochs (interrupted) in" in capsys.readouterr().out
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
        assert main(["--epochs", "1", "--hidden", "4"]) == 0
        assert "for 1 epoch in" in capsys.readouterr().out
        # A process started to ignore Ctrl-C went on to be interrupted by it: main's handler
        # replaced the inherited SIG_IGN.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        assert main(["--epochs", "5", "--hidden", "4"]) == 0
        assert "for 5 epochs in" in capsys.readouterr().out
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, handler)
