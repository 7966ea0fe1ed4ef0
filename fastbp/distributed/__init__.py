"""Beyond one machine: the gradients, predictions and full-batch training of fastbp over dask
arrays chunked along the samples (docs/user-guide/dask.md).

Every full-data quantity is a sum over samples, so it is one map-reduce: a compiled kernel
per chunk (on the worker that holds the chunk), then the per-chunk sums added in chunk order
by a tree of tasks (``split_every`` at a time), so the result does not depend on which worker
ran what. The parameters travel once per map-reduce (one graph key, which each worker
fetches once), never inside every task.

The data: X (N x D) and T (N x K) or labels (N) are dask arrays (or NumPy arrays, cut to X's
chunks) split along the samples only; a split along the features is merged. Each chunk is
validated on its worker as in memory (dtype, finiteness, naming the offending rows) and
converted to the computation dtype. For training they are persisted on the workers when
they fit in half the workers' memory, and otherwise read (or generated) chunk by chunk from
their source in every epoch.

Threads: a task's kernel uses the worker's Numba threads divided among its Dask threads
(one each on the 2 x 1 cluster, so rung=None picks a one-thread rung per chunk); the
workers of the clusters ``local_cluster`` starts share as many Numba threads as they have
Dask threads (``tasks.WORKER_THREADS``).

The package, by job: ``tasks`` (what runs in a task), ``chunks`` (the data on the workers
and the map-reduce), ``classic`` (the classic network's gradients and ``fastbp.train``'s
data), ``network`` (the general network's loss, predictions and ``fastbp.fit``),
``streaming`` (minibatches over streamed chunks), ``sources`` (generated and stored data
sets) and ``cluster`` (a LocalCluster, and the kernels compiled on every worker). The
docstrings have no Examples sections: they need dask and its workers; docs/user-guide/dask.md
shows them in use.
"""

from .chunks import SPLIT_EVERY, Chunks
from .classic import ClassicData, gradients
from .cluster import local_cluster, warm_up
from .network import engine, fit, loss_gradient, predict, shape_carriers
from .sources import GENERATION_BLOCK, load, three_clouds
from .tasks import SHOWN_ROWS, task_threads

__all__ = [
    "GENERATION_BLOCK",
    "SHOWN_ROWS",
    "SPLIT_EVERY",
    "Chunks",
    "ClassicData",
    "engine",
    "fit",
    "gradients",
    "load",
    "local_cluster",
    "loss_gradient",
    "predict",
    "shape_carriers",
    "task_threads",
    "three_clouds",
    "warm_up",
]
