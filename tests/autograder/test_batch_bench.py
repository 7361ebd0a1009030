"""`make bench` finds the grader benchmark, and the benchmark builds its K submissions."""

from __future__ import annotations

from bench import grader_throughput, run
from course.config import load_config


def test_make_bench_runs_the_grader_throughput_benchmark():
    assert "grader_throughput" in run.bench_modules()


def test_benchmark_submissions_cycle_through_examples_with_release_names(tmp_path):
    folders = grader_throughput.make_submissions(tmp_path, 5)
    assert [f.name for f in folders] == [f"student_{i:03d}" for i in range(5)]
    names = sorted(load_config().notebooks.values())
    assert all(sorted(p.name for p in f.iterdir()) == names for f in folders)
    first, fifth = (folders[i] / names[0] for i in (0, 4))
    assert first.read_bytes() == fifth.read_bytes()  # 4 examples, then round again
    assert first.read_bytes() != (folders[1] / names[0]).read_bytes()
