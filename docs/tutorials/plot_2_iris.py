"""
The Iris network
================

The course's Iris tutorial as a :class:`fastbp.Network`: four inputs, two sigmoid hidden
units, three sigmoid outputs, the squared error, no biases, full-batch gradient descent with
learning rate 0.1 (:doc:`/math` §6.2). The features are standardised first: on the raw
centimetres the same run ends anywhere between a third and most of the flowers right,
depending on the seed.
"""

import matplotlib.pyplot as plt
import numpy as np

import fastbp
from fastbp.datasets import iris, one_hot

X, labels = iris()
X = (X - X.mean(axis=0)) / X.std(axis=0)
T = one_hot(labels, 3)

net = fastbp.Network((4, 2, 3), hidden="sigmoid", output="sigmoid", bias=False)
print(net.sizes, net.hidden, net.output, net.loss)

# %%
# ``fit`` minimises ``sum((Y - T)**2) / (2N)``; the tutorial reports the mean squared error
# over the entries of T, ``sum((Y - T)**2) / T.size``, and the accuracy, which a callback
# records after every 500th epoch. The 20,000 epochs take well under a second.

params = net.init_params(0, scheme="normal")
epochs, mse, accuracy = [], [], []


def record(epoch, loss, params):
    if epoch % 500 == 0:
        Y = net.predict(params, X)
        epochs.append(epoch)
        mse.append(np.sum((Y - T) ** 2) / T.size)
        accuracy.append(np.mean(Y.argmax(axis=1) == labels))


result = fastbp.fit(
    net, X, T, learning_rate=0.1, epochs=20_000, params=params, seed=0, callback=record
)
print(result.stop_reason)
print(f"final mse {mse[-1]:.4f}, accuracy {accuracy[-1]:.4f}")

fig, left = plt.subplots(figsize=(7, 4))
left.plot(epochs, mse, color="C0")
left.set(xlabel="epoch", ylabel="mean squared error")
right = left.twinx()
right.plot(epochs, accuracy, color="C1")
right.set_ylabel("accuracy", color="C1")
fig.tight_layout()

# %%
# The same run from the command line: ``python -m fastbp example iris``.
