"""
Deeper networks and per-sample SGD
==================================

Two of the course's sister tutorials, both through :func:`fastbp.fit`:

* a deeper network on the three clouds, 2-16-16-3 with tanh hidden layers, minibatches of 32
  with momentum 0.9, stopping when the loss on a held-out 20% stops improving;
* per-sample SGD with the bias trick on Iris, 4-8-3 with sigmoid hidden units, the samples
  in a new order every epoch, momentum 0.5, stopping when the training loss stalls.
"""

import matplotlib.pyplot as plt

import fastbp
from fastbp.datasets import iris, one_hot, three_clouds

X, labels = three_clouds(seed=0)
deep = fastbp.Network((2, 16, 16, 3), hidden="tanh")
result = fastbp.fit(
    deep,
    X,
    one_hot(labels, 3),
    learning_rate=0.05,
    epochs=300,
    batch_size=32,
    momentum=0.9,
    tol=1e-4,
    validation_fraction=0.2,
    seed=0,
)
print(result.stop_reason)
accuracy = (deep.predict(result.params, X).argmax(axis=1) == labels).mean()
print(f"accuracy on all points {accuracy:.4f}")

# %%
# With a held-out split, ``fit`` returns the parameters of the best validation epoch, not
# the last. The training loss is each epoch's mean over its batches, before their updates.

fig, ax = plt.subplots(figsize=(7, 4))
epochs = range(1, result.epochs + 1)
ax.plot(epochs, result.loss_curve, marker="o", label="training loss")
ax.plot(epochs, result.validation_curve, marker="o", label="held-out loss")
ax.axvline(result.params_epoch, color="grey", linestyle="--", label="returned")
ax.set(xlabel="epoch", ylabel="cross-entropy", title="2-16-16-3, minibatches of 32")
ax.legend()
fig.tight_layout()

# %%
# Per-sample SGD: ``batch_size=1`` updates after every sample. ``bias_trick=True`` computes
# with a column of ones appended to each layer's input instead of adding the bias, with the
# same results.

X, labels = iris()
X = (X - X.mean(axis=0)) / X.std(axis=0)
sgd = fastbp.Network((4, 8, 3), hidden="sigmoid", bias_trick=True)
result = fastbp.fit(
    sgd,
    X,
    one_hot(labels, 3),
    learning_rate=0.01,
    epochs=500,
    batch_size=1,
    momentum=0.5,
    tol=1e-4,
    seed=0,
)
print(result.stop_reason)
accuracy = (sgd.predict(result.params, X).argmax(axis=1) == labels).mean()
print(f"accuracy {accuracy:.4f}")

fig, ax = plt.subplots(figsize=(7, 4))
ax.semilogy(range(1, result.epochs + 1), result.loss_curve)
ax.set(xlabel="epoch", ylabel="training loss", title="4-8-3, one sample per update")
fig.tight_layout()

# %%
# From the command line: ``python -m fastbp example deep`` and ``python -m fastbp example
# sgd``.
