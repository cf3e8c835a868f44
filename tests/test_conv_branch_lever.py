"""benchmarks/conv_branch_lever.py: a --quick run on one small set (skipped without torch)."""

import pytest
from benchmark_scripts import load_benchmark

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("conv_branch_lever.py")


def test_quick_run_on_one_set(bench, tmp_path, capsys):
    output = tmp_path / "conv_branch_lever.md"
    threads = torch.get_num_threads()
    try:
        results = bench.main(["--quick", "--sets", "ItalyPowerDemand", "--output", str(output)])
    finally:
        torch.set_num_threads(threads)  # main sets 1 thread; leave the other tests theirs
    report = output.read_text(encoding="utf-8")
    assert "--quick run" in report and "PyTorch" in report
    assert "| model | ItalyPower | mean | W / T / L vs A (fits) |" in report
    assert report.count("| ItalyPowerDemand |") == 4  # one detail row per model
    for model in "ABCD":
        r = results["ItalyPowerDemand"][model]
        assert r["epochs"][0] <= 20  # --quick: at most 20 epochs
        assert r["train"][0] > 0.8 and r["eval"][0] > 0.8  # chance is 0.5
    # B and C add a branch to A's GRU; D has no GRU: the parameter counts show it.
    params = {m: results["ItalyPowerDemand"][m]["params"] for m in "ABCD"}
    assert params["A"] < params["C"] < params["D"] < params["B"]
    capsys.readouterr()
