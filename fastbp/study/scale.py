"""``python -m fastbp study --dask``: one full-batch epoch (the four gradients and the cost
over every sample, the map-reduce of ``fastbp.train --dask``) of the tall problem's network
on the generated three clouds, in memory (the parallel rung on every core), on dask's
threaded scheduler and on a LocalCluster (processes, 2 workers x 1 thread), with the
client's peak memory while the Dask epochs ran."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dask
import numpy as np
import psutil
from distributed import Client

import fastbp
from fastbp import distributed

from .cases import DASK_CASES, SEED, DaskCase
from .timing import progress

HIDDEN = 3  # the tall problem's M


@contextmanager
def peak_memory() -> Iterator[list[float]]:
    """The client process's peak resident memory above its level at the start, in bytes,
    sampled every 10 ms (the one-element list is filled in at the end)."""
    process = psutil.Process()
    start, peak, done = process.memory_info().rss, [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], process.memory_info().rss - start)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def seconds_per_call(call: Callable[[], object], repeat: int) -> list[float]:
    """``repeat`` timed calls after one untimed call."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def _layers() -> list[np.ndarray]:
    network = fastbp.Network((2, HIDDEN, 3))
    return [
        a for layer in network.unpack(network.init_params(SEED, scheme="normal")) for a in layer
    ]


def _dask_epoch(case: DaskCase, repeat: int) -> dict[str, object]:
    """One Dask candidate on the scheduler dask uses now: the data generated and persisted
    where its tasks run, then timed epochs."""
    X, labels = distributed.three_clouds(case.N, case.chunk, seed=SEED)
    layers = _layers()
    with peak_memory() as peak:
        start = time.perf_counter()
        data = distributed.ClassicData(X, labels, HIDDEN, np.float64, None, True, persist=True)
        prepare = time.perf_counter() - start
        times = seconds_per_call(lambda: data.gradients(*layers), repeat)
        data.release()
    return {"seconds": times, "prepare_seconds": prepare, "client_peak_bytes": peak[0]}


def run_case(name: str, case: DaskCase, client: Client, repeat: int) -> dict[str, object]:
    out: dict[str, object] = {
        "N": case.N,
        "chunk": case.chunk,
        "chunks": math.ceil(case.N / case.chunk),
    }
    if case.in_memory:
        progress(f"{name}: in memory (the parallel rung)")
        X, labels = dask.compute(*distributed.three_clouds(case.N, case.chunk, seed=SEED))
        T = fastbp.datasets.one_hot(labels, 3)
        layers = _layers()
        out["in-memory parallel"] = {
            "seconds": seconds_per_call(
                lambda: fastbp.gradients(X, T, *layers, rung="parallel"), repeat
            )
        }
        del X, labels, T
        progress(f"{name}: dask threaded scheduler")
        with dask.config.set(scheduler="threads"):
            out["dask threads"] = _dask_epoch(case, repeat)
    progress(f"{name}: dask LocalCluster")
    with client.as_current():
        out["dask LocalCluster 2x1"] = _dask_epoch(case, repeat)
    return out


def run(repeat: int = 7, cases: list[str] | None = None) -> dict[str, object]:
    """Each case of ``DASK_CASES`` (or the named ones): the candidates' seconds per epoch,
    with a LocalCluster of 2 workers x 1 thread started for the study."""
    results: dict[str, object] = {}
    with distributed.local_cluster(2, 1, dashboard_address=":0") as cluster:
        with Client(cluster, set_as_default=False) as client:
            distributed.warm_up(client)
            for name in cases or list(DASK_CASES):
                results[name] = run_case(name, DASK_CASES[name], client, repeat)
    return results


def table(results: dict[str, object]) -> str:
    """The study table: per case and candidate, the median epoch, its spread, samples per
    second, the ratio to the in-memory epoch and the client's peak memory."""
    lines = [
        "dask: one full-batch epoch (forward, four gradients, cost), D=2, M=3, K=3",
        f"  {'case':11} {'candidate':22} {'median':>10} {'spread':>17} {'samples/s':>10} "
        f"{'vs memory':>9} {'client peak':>11}",
    ]
    for name, case in results.items():
        memory = case.get("in-memory parallel")
        base = float(np.median(memory["seconds"])) if memory else None
        for candidate, entry in case.items():
            if not isinstance(entry, dict):
                continue
            seconds = entry["seconds"]
            median = float(np.median(seconds))
            spread = f"{min(seconds) * 1e3:.1f}-{max(seconds) * 1e3:.1f} ms"
            ratio = f"{median / base:8.2f}x" if base else ""
            peak = entry.get("client_peak_bytes")
            peak = f"{peak / 2**20:8.0f} MiB" if peak is not None else ""
            lines.append(
                f"  {name:11} {candidate:22} {median * 1e3:7.1f} ms {spread:>17} "
                f"{case['N'] / median:10.3g} {ratio:>9} {peak:>11}"
            )
        lines.append(
            f"  {'':11} ({case['chunks']} chunks of {case['chunk']}; reduction tree depth "
            f"{max(1, math.ceil(math.log(case['chunks'], distributed.SPLIT_EVERY)))})"
        )
    return "\n".join(lines)
