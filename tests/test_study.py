"""The study command runs end to end (tiny settings; its timings are not checked here)."""

import json
import subprocess
import sys

import numpy as np
import pytest
import reference

import fastbp
from fastbp import study
from fastbp.peers import PEERS
from fastbp.registry import RUNGS


def test_study_times_every_rung_and_writes_json(tmp_path, capsys):
    out = tmp_path / "study.json"
    results = study.run(["seed"], repeat=2, min_time=0.001, json_path=str(out), settle=0)
    names = [t["name"] for t in results["sizes"]["seed"]["timings"]]
    for rung in RUNGS:
        assert f"{rung}/compiled" in names and f"{rung}/plain" in names
    assert any(name.startswith("default (") for name in names)
    assert all(len(t["seconds"]) == 2 for t in results["sizes"]["seed"]["timings"])
    assert json.loads(out.read_text())["environment"]["numba"]
    assert [t["name"] for t in results["training"]][:2] == ["train: matrix/plain", "train: default"]
    printed = capsys.readouterr().out
    assert "vs classic" in printed and "loops/compiled" in printed and "1000 epochs" in printed


def test_slow_rungs_are_left_out_of_large_sizes():
    calls = study._candidates((100_000, 2, 3, 3), study.problem(10, 2, 3, 3), peers=False)
    assert "loops/plain" not in calls and study.CLASSIC in calls and "loops/compiled" in calls
    wide = study._candidates((10_000, 784, 256, 10), study.problem(10, 2, 3, 3), peers=False)
    assert "loops/compiled" not in wide and "fused/compiled" in wide


def test_study_cli_rejects_unknown_sizes():
    done = subprocess.run(
        [sys.executable, "-m", "fastbp", "study", "--sizes", "huge"],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "unknown ['huge']" in done.stderr


@pytest.mark.parametrize("peer", list(PEERS))
def test_peers_compute_the_same_gradients(peer):
    """The study compares like with like: each peer's step gives fastbp's gradients."""
    pytest.importorskip({"pytorch": "torch", "jax": "jax"}[peer])
    args = reference.problem(40, 3, 4, 5)
    expected = fastbp.gradients(*args)
    for got, ref in zip(PEERS[peer](*args)(), expected[:4]):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
