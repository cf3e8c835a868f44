"""benchmarks/bench_conv.py: one small shape, every branch; the shapes it and bench_cpu.py
refuse (skipped without torch)."""

import pytest
from benchmark_scripts import load_benchmark

torch = pytest.importorskip("torch")


def test_a_small_run_times_every_branch_against_torch(capsys):
    bench = load_benchmark("bench_conv.py")
    threads = torch.get_num_threads()
    try:
        rows = bench.main(["--threads", "1", "--repeats", "1", "--shapes", "4,9,2"])
    finally:
        torch.set_num_threads(threads)  # main sets its own; leave the other tests theirs
    assert [name for _, name, _, _ in rows] == ["none", "small", "GRU-FCN"]
    for _, _, ours, theirs in rows:
        assert all(seconds > 0 for seconds in (*ours, *theirs))
    output = capsys.readouterr().out
    assert "ratio = torch / pygru" in output and output.count("4,9,2") == 3


def test_bad_shapes_are_usage_errors():
    bench = load_benchmark("bench_conv.py")
    for shape in ["4,9", "4,0,2", "a,b,c"]:
        with pytest.raises(SystemExit) as exit_info:
            bench.main(["--shapes", shape])
        assert exit_info.value.code == 2


@pytest.mark.parametrize("shape", ["4,10,2,0", "0,10,2,8", "4,10,2", "a,10,2,8"])
def test_bench_cpu_refuses_bad_shapes_with_a_usage_error(shape, capsys):
    # A size of 0 ended in a traceback from the kernels or torch.
    bench_cpu = load_benchmark("bench_cpu.py")
    with pytest.raises(SystemExit) as exit_info:
        bench_cpu.main(["--threads", "1", "--repeats", "1", "--shapes", shape])
    assert exit_info.value.code == 2
    assert f"shape must be B,T,I,H of positive ints, got '{shape}'" in capsys.readouterr().err
