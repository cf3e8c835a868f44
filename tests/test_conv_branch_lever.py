"""benchmarks/conv_branch_lever.py: a --quick run on one small set (skipped without torch)."""

import pytest
from benchmark_scripts import load_benchmark, recorded_command

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("conv_branch_lever.py")


def test_quick_run_on_one_set(bench, tmp_path, capsys):
    output = tmp_path / "my results" / "conv_branch_lever.md"
    argv = ["--quick", "--sets", "ItalyPowerDemand", "--output", str(output)]
    threads = torch.get_num_threads()
    try:
        results = bench.main(argv)
    finally:
        torch.set_num_threads(threads)  # main sets 1 thread; leave the other tests theirs
    report = output.read_text(encoding="utf-8")
    assert "--quick run" in report and "PyTorch" in report
    assert recorded_command(report) == ["python", "benchmarks/conv_branch_lever.py", *argv]
    assert "| model | ItalyPower | mean | W / T / L vs A (fits) |" in report
    # By default the four models of results/conv_branch_lever.md and benchmarks/README.md,
    # so that the command recorded there reproduces it (it ran six).
    assert list(results["ItalyPowerDemand"]) == ["A", "B", "C", "D"]
    assert report.count("| ItalyPowerDemand |") == 4  # one detail row per model
    for model in "ABCD":
        r = results["ItalyPowerDemand"][model]
        assert r["epochs"][0] <= 20  # --quick: at most 20 epochs
        assert r["train"][0] > 0.8 and r["eval"][0] > 0.8  # chance is 0.5
    # B and C add a branch to A's GRU; D has no GRU: the parameter counts show it.
    params = {m: results["ItalyPowerDemand"][m]["params"] for m in "ABCD"}
    assert params["A"] < params["C"] < params["D"] < params["B"]
    capsys.readouterr()


def test_layer_normalised_models_have_the_parameters_of_their_batch_normalised_twins(bench):
    # E and F are C and B with layer normalisation, which has the same scale and shift per
    # channel as batch normalisation.
    params = {
        m: sum(p.numel() for p in bench.build_model(m, 24, 1, 2).parameters()) for m in "BCEF"
    }
    assert (params["E"], params["F"]) == (params["C"], params["B"])


@pytest.mark.parametrize("model_name", ["A", "E", "F"])
def test_models_without_batch_norm_ignore_the_padding_and_the_batch(bench, model_name):
    # A series' logits are the same alone and in a batch beside a longer series, after
    # which it is padded with zeros: the layer normalisation of E and F reads the valid steps
    # only (GroupNorm over the padded array would not). (B, C and D are batch-independent
    # too, but only in evaluation mode.)
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = bench.build_model(model_name, 40, 2, 3).eval()
    long, short = torch.randn(40, 2, generator=generator), torch.randn(31, 2, generator=generator)
    batch = torch.zeros(2, 40, 2)
    batch[0], batch[1, :31] = long, short
    with torch.no_grad():
        together = model(batch, torch.tensor([40, 31]))
        alone = model(short[None], torch.tensor([31]))
    torch.testing.assert_close(together[1:], alone, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(together[0], together[1])


@pytest.mark.parametrize("option", ["--seeds", "--model-seeds"])
def test_no_seeds_at_all_is_a_usage_error(bench, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main([option, "0"])
    assert exit_info.value.code == 2
    assert f"argument {option}: expected a positive integer, got '0'" in capsys.readouterr().err


@pytest.mark.parametrize("threads", ["0", "-1"])
def test_no_threads_is_a_usage_error(bench, threads, capsys):
    # It was a RuntimeError traceback from torch.set_num_threads.
    argv = ["--threads", threads, "--quick", "--sets", "ItalyPowerDemand", "--no-write"]
    with pytest.raises(SystemExit) as exit_info:
        bench.main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"argument --threads: expected a positive integer, got '{threads}'" in error
