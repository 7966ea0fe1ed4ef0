"""The reference training run: three clouds, 1000 epochs of full-batch gradient ascent."""

import functools

from .common import MODES, RUNG_NAMES, Suite, require_fastbp, runs_training, skipped


@functools.cache
def three_clouds():
    from fastbp.datasets import three_clouds

    return three_clouds(seed=0)


class TimeTraining(Suite):
    """``fastbp.training.train`` on the three clouds (N=1500, D=2, M=3, K=3), 1000 epochs,
    per rung, compiled and plain (plain only for rungs whose plain form is fast at every
    size: the others take 10 s to minutes per run)."""

    params = [RUNG_NAMES, MODES]
    param_names = ["rung", "mode"]
    skip_params = skipped(param_names, params, runs_training)
    repeat = (2, 5, 10.0)

    def time_train(self, rung, mode):
        require_fastbp()
        from fastbp.training import train

        X, labels = three_clouds()
        train(X, labels, rung=rung, compiled=mode == "compiled", epochs=1000)
