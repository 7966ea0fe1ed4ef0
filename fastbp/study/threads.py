"""The threads sweep: the study's timings again at several thread counts, with Numba's
threads, the BLAS and OpenMP pools (threadpoolctl) and PyTorch's intra-op threads all
limited to the same count, so that no candidate uses more cores than another (JAX, whose
pool no limit reaches once it runs, is left out: ``peers.UNLIMITED_PEERS``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba
from threadpoolctl import threadpool_limits


def check_counts(counts: list[int]) -> list[int]:
    """``counts`` sorted without repeats; a ValueError naming ``threads`` unless each is
    from 1 to Numba's thread pool size (``NUMBA_NUM_THREADS``)."""
    most = numba.config.NUMBA_NUM_THREADS
    if not counts or any(not 1 <= count <= most for count in counts):
        raise ValueError(
            f"threads must be thread counts from 1 to {most} (NUMBA_NUM_THREADS on this "
            f"machine), got {counts}"
        )
    return sorted(set(counts))


@contextlib.contextmanager
def limited(count: int, peers: bool = False) -> Iterator[None]:
    """Inside: Numba's threads (of this thread), every BLAS and OpenMP pool threadpoolctl
    finds and, with ``peers``, PyTorch's intra-op threads when it is installed, limited to
    ``count``; all restored on the way out."""
    torch = _torch() if peers else None
    numba_before = numba.get_num_threads()
    torch_before = torch.get_num_threads() if torch else None
    numba.set_num_threads(count)
    if torch:
        torch.set_num_threads(count)
    try:
        with threadpool_limits(limits=count):
            yield
    finally:
        numba.set_num_threads(numba_before)
        if torch:
            torch.set_num_threads(torch_before)


def _torch():
    """PyTorch if installed (imported here, before its candidates are made), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch
