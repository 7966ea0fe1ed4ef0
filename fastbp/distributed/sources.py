"""Data sets on the workers: the three clouds generated chunk by chunk, and stored data
sets (.npy files, zarr stores) read chunk by chunk."""

from __future__ import annotations

from pathlib import Path

import dask
import dask.array as da
import numpy as np

from .._validation import check_parameters
from ..datasets import THREE_CLOUD_CENTRES

GENERATION_BLOCK = 1 << 16  # samples per seed of generated data, whatever the chunking


def _clouds_block(seed: int, block_info: dict | None = None) -> np.ndarray:
    """Rows [start, stop) of the generated three clouds, as (x1, x2, label) float64 rows.
    Every GENERATION_BLOCK samples come from their own seed (seed, block), so a row is the
    same for any chunking."""
    (start, stop), _ = block_info[None]["array-location"]
    first, last = start // GENERATION_BLOCK, (stop - 1) // GENERATION_BLOCK
    blocks = []
    for block in range(first, last + 1):
        rng = np.random.default_rng((seed, block))
        labels = rng.integers(0, len(THREE_CLOUD_CENTRES), GENERATION_BLOCK)
        X = rng.standard_normal((GENERATION_BLOCK, 2)) + THREE_CLOUD_CENTRES[labels]
        blocks.append(np.column_stack((X, labels)))
    offset = first * GENERATION_BLOCK
    return np.concatenate(blocks)[start - offset : stop - offset]


def _row_chunks(n: int, chunk: int) -> tuple[int, ...]:
    return (chunk,) * (n // chunk) + ((n % chunk,) if n % chunk else ())


def three_clouds(samples: int, chunk: int, seed: int = 0) -> tuple[da.Array, da.Array]:
    """The three clouds of docs/math.md §5 as dask arrays, generated chunk by chunk where
    they are computed, never in the client.

    Parameters
    ----------
    samples : int
        Rows N.
    chunk : int
        Rows per chunk (the last one holds the rest).
    seed : int, default 0
        Every ``GENERATION_BLOCK`` samples come from their own seed (seed, block), so a
        sample is the same for any chunking.

    Returns
    -------
    X : dask.array.Array
        N x 2, float64.
    labels : dask.array.Array
        N int64 classes 0, 1, 2, each sample's drawn uniformly.

    Raises
    ------
    ValueError
        If ``samples`` or ``chunk`` is not a positive integer, or ``seed`` a negative one.
    """
    check_parameters({"samples": samples, "chunk": chunk, "seed": seed})
    rows = da.map_blocks(
        _clouds_block,
        seed,
        chunks=(_row_chunks(samples, chunk), (3,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
        name=f"three-clouds-{seed}-{samples}-{chunk}",
    )
    return rows[:, :2], rows[:, 2].astype(np.int64)


def _npy_rows(path: str, block_info: dict | None = None) -> np.ndarray:
    """Rows of a .npy file read through a memory map (never unpickling objects)."""
    location = block_info[None]["array-location"]
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    return np.array(array[tuple(slice(*bounds) for bounds in location)])


def _from_npy(path: Path, chunk: int) -> da.Array:
    try:
        header = np.load(path, mmap_mode="r", allow_pickle=False)  # reads the header only
    except ValueError as error:
        raise ValueError(
            f"{path}: {error} (.npy files are read through a memory map, never unpickled)"
        ) from None
    chunks = (_row_chunks(header.shape[0], chunk), *((size,) for size in header.shape[1:]))
    return da.map_blocks(
        _npy_rows,
        str(path),
        chunks=chunks,
        dtype=header.dtype,
        meta=np.empty((0,) * header.ndim, header.dtype),
        name=f"npy-{dask.base.tokenize(str(path.resolve()), path.stat().st_mtime_ns, chunk)}",
    )


def load(path: str | Path, chunk: int) -> tuple[da.Array, da.Array]:
    """A stored data set as dask arrays, read chunk by chunk where they are computed.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder holding ``X.npy`` and ``labels.npy`` (read through memory maps, never
        unpickled), or a zarr store with arrays ``X`` and ``labels`` (needs zarr:
        ``pip install 'fastbp[zarr]'``).
    chunk : int
        Rows per chunk.

    Returns
    -------
    X, labels : dask.array.Array
        The stored arrays, in chunks of ``chunk`` rows.

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    ImportError
        If ``path`` holds no .npy pair and zarr is not installed.
    ValueError
        If ``chunk`` is not a positive integer, or a .npy file holds objects.
    """
    check_parameters({"chunk": chunk})
    path = Path(path)
    if (path / "X.npy").is_file() and (path / "labels.npy").is_file():
        return _from_npy(path / "X.npy", chunk), _from_npy(path / "labels.npy", chunk)
    if not path.exists():
        raise FileNotFoundError(f"no data set at {path}")
    try:
        import zarr  # noqa: F401  (dask's from_zarr needs it)
    except ModuleNotFoundError:
        raise ImportError(
            f"{path} holds no X.npy and labels.npy; reading a zarr store needs zarr: "
            "pip install 'fastbp[zarr]'"
        ) from None
    X, labels = (da.from_zarr(str(path), component=name) for name in ("X", "labels"))
    return X.rechunk({0: chunk}), labels.rechunk(chunk)
