"""
The course's three clouds
=========================

The reference run of the classic course: three Gaussian clouds of 500 points each, a
network with one sigmoid hidden layer of three units and a softmax output, trained by
full-batch gradient ascent on the log-likelihood (:doc:`/math` §5). ``fastbp.train`` runs
the epochs between two reports in one compiled call.
"""

import matplotlib.pyplot as plt
import numpy as np

import fastbp

X, labels = fastbp.datasets.three_clouds(seed=0)
result = fastbp.train(X, labels, hidden=3, learning_rate=1e-3, epochs=1000, seed=0)

for report in result.history:
    print(f"epoch {report.epoch:5d}   cost {report.cost:10.3f}   rate {report.rate:.3f}")

# %%
# The cost (the log-likelihood, which rises towards 0) at every report, and the classes the
# trained network gives each point of the plane.

W1, b1, W2, b2 = result.W1, result.b1, result.W2, result.b2
xx, yy = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-5, 6, 200))
grid = np.column_stack([xx.ravel(), yy.ravel()])
Y, _ = fastbp.forward(grid, W1, b1, W2, b2)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot([r.epoch for r in result.history], [r.cost for r in result.history], marker="o")
left.set(xlabel="epoch", ylabel="cost (log-likelihood)", title="training")
right.contourf(xx, yy, Y.argmax(axis=1).reshape(xx.shape), alpha=0.25, cmap="viridis")
right.scatter(X[:, 0], X[:, 1], c=labels, s=4, cmap="viridis")
right.set(xlabel="x1", ylabel="x2", title=f"classification rate {result.final.rate:.3f}")
fig.tight_layout()

# %%
# The same run from the command line: ``python -m fastbp train`` (``--plot FILE.png`` saves
# this figure; ``--rung`` picks a rung of :doc:`/user-guide/ladder`).
