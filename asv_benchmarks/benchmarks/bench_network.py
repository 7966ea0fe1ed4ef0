"""The general network: one epoch of SGD with momentum through ``fastbp.fit``, per network and
SGD mode, timed and as the cost of one step (one parameter update)."""

from .common import BROKEN, SMOKE, Suite, cases, median_call_seconds, probe, require_fastbp

# The networks and their data: fastbp.study.cases.NETWORKS (2-64-64-3 on the three clouds,
# 784-128-10 on 10,000 random samples). The CI smoke run (FASTBP_ASV_SMOKE=1) runs the
# small network only.
NETWORK_NAMES = [BROKEN] if cases is None else list(cases.NETWORKS)[: 1 if SMOKE else None]
SGD_MODES: dict[str, int | None] = {"full": None, "minibatch-32": 32, "per-sample": 1}
MODE_NAMES = list(SGD_MODES)


def one_epoch(name: str, mode: str):
    """One epoch of ``fastbp.fit`` from the network's fixed start, as a user runs it
    (validation, the epoch's shuffle and the compiled epoch)."""
    network, X, T, params = cases.network_problem(name)
    return require_fastbp().fit(
        network,
        X,
        T,
        learning_rate=cases.LEARNING_RATE,
        momentum=cases.MOMENTUM,
        epochs=1,
        batch_size=SGD_MODES[mode],
        params=params,
    )


def warm_network_kernels() -> None:
    """Compile the network's epoch kernel into Numba's on-disk cache on tiny data (the same
    float64 C-contiguous signature as the benchmarks use)."""
    require_fastbp()
    probe.network_calls()[probe.FIT_CALL]()


class NetworkSuite(Suite):
    """Suite with the network kernels, not the rungs, precompiled by ``setup_cache``."""

    def setup_cache(self):
        warm_network_kernels()

    setup_cache.timeout = 300  # one cold compile of train_epochs: about 11 s here


class TimeNetworkEpoch(NetworkSuite):
    """``fastbp.fit(..., epochs=1)`` per network and SGD mode: full batch (one update an
    epoch), minibatches of 32, per-sample SGD (one update per sample), with momentum and the
    default shuffle. An epoch of per-sample SGD at 784-128-10 is 10,000 updates, about 1 s."""

    params = [NETWORK_NAMES, MODE_NAMES]
    param_names = ["network", "mode"]
    repeat = (2, 10, 10.0)

    def time_epoch(self, network, mode):
        one_epoch(network, mode)


class TrackNetworkStep(NetworkSuite):
    """Microseconds per step (one parameter update: its batch's forward and backward pass
    and the momentum update) of the same epochs, lower is better: per-call overhead shows
    here at small batches."""

    params = [NETWORK_NAMES, MODE_NAMES]
    param_names = ["network", "mode"]
    timeout = 300.0

    def track_us_per_step(self, network, mode):
        seconds = median_call_seconds(lambda: one_epoch(network, mode))
        n = len(cases.network_problem(network)[1])
        return seconds / cases.steps_per_epoch(n, SGD_MODES[mode]) * 1e6

    track_us_per_step.unit = "us/step"


class TimeNetworkCalls(Suite):
    """``Network.predict`` and ``Network.loss_gradient`` of each network on its data, at its
    fixed start: what the estimators' ``predict`` and L-BFGS (and the held-out loss of
    ``validation_fraction``) run."""

    params = [NETWORK_NAMES, ["predict", "loss_gradient"]]
    param_names = ["network", "call"]
    repeat = (2, 10, 10.0)

    def setup(self, network, call):
        require_fastbp()
        self.time_call(network, call)  # compiled, or loaded from the cache, before timing

    def time_call(self, network, call):
        net, X, T, params = cases.network_problem(network)
        if call == "predict":
            net.predict(params, X)
        else:
            net.loss_gradient(params, X, T)


class TimeNetworkOnGpu(Suite):
    """``Network.predict`` and ``Network.loss_gradient`` of the classic network (2-3-3) on the
    tall problem's data (N = 1e6) held on a GPU (numba device arrays): its kernels generated
    per network, the parameters copied there and the sums back on each call. Skipped without
    a real GPU (numba-cuda's simulator is far too slow to time)."""

    params = [["predict", "loss_gradient"]]
    param_names = ["call"]

    def setup(self, call):
        fastbp = require_fastbp()
        from fastbp.kernels import cuda as cuda_kernels

        if not cuda_kernels.gpu_present():
            raise NotImplementedError("no CUDA GPU here")
        from numba import cuda

        problem = cases.problem("tall")
        self.network = fastbp.Network((2, 3, 3))
        self.params = self.network.init_params()
        self.X, self.T = cuda.to_device(problem.X), cuda.to_device(problem.T)
        self.time_call(call)  # generated and compiled before timing

    def time_call(self, call):
        if call == "predict":
            self.network.predict(self.params, self.X)
        else:
            self.network.loss_gradient(self.params, self.X, self.T)
