"""The classic course functions of docs/math.md §2-§3, restated as a user runs them: plain
NumPy functions called one after another, with no validation, dtype or layout handling. The
study's baseline ("vs classic") is this module's ``step`` and ``train``.

As in the course, softmax is ``exp(A) / sum(exp(A))`` without subtracting the row maximum,
and sigmoid is ``1 / (1 + exp(-a))``: neither overflows at the study's data.
"""

from __future__ import annotations

import numpy as np


def forward(X, W1, b1, W2, b2):
    """(Y, Z): the softmax outputs and the sigmoid hidden layer."""
    Z = 1 / (1 + np.exp(-X.dot(W1) - b1))
    expA = np.exp(Z.dot(W2) + b2)
    return expA / expA.sum(axis=1, keepdims=True), Z


def derivative_w2(Z, T, Y):
    return Z.T.dot(T - Y)


def derivative_b2(T, Y):
    return (T - Y).sum(axis=0)


def derivative_w1(X, Z, T, Y, W2):
    return X.T.dot((T - Y).dot(W2.T) * Z * (1 - Z))


def derivative_b1(T, Y, W2, Z):
    return ((T - Y).dot(W2.T) * Z * (1 - Z)).sum(axis=0)


def cost(T, Y):
    return (T * np.log(Y)).sum()


def classification_rate(Y, P):
    return np.mean(Y == P)


def step(X, T, W1, b1, W2, b2):
    """What ``fastbp.gradients`` returns, the course's way: (dW1, db1, dW2, db2, cost)."""
    Y, Z = forward(X, W1, b1, W2, b2)
    return (
        derivative_w1(X, Z, T, Y, W2),
        derivative_b1(T, Y, W2, Z),
        derivative_w2(Z, T, Y),
        derivative_b2(T, Y),
        cost(T, Y),
    )


def train(X, labels, W1, b1, W2, b2, learning_rate=1e-3, epochs=1000, report_every=100):
    """The course's training loop on copies of the given weights (docs/math.md §5): full-batch
    gradient ascent, all four gradients from the same parameters, then ``P += lr * dP``; the
    cost and classification rate every ``report_every`` epochs and after the last update.
    Returns the trained (W1, b1, W2, b2) and the reports as (epoch, cost, rate)."""
    W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()
    T = np.zeros((len(labels), W2.shape[1]))
    T[np.arange(len(labels)), labels] = 1
    reports = []

    def report(epoch, Y):
        reports.append((epoch, cost(T, Y), classification_rate(labels, Y.argmax(axis=1))))

    for epoch in range(epochs):
        Y, Z = forward(X, W1, b1, W2, b2)
        if epoch % report_every == 0:
            report(epoch, Y)
        dW2, db2 = derivative_w2(Z, T, Y), derivative_b2(T, Y)
        dW1, db1 = derivative_w1(X, Z, T, Y, W2), derivative_b1(T, Y, W2, Z)
        W2 += learning_rate * dW2
        b2 += learning_rate * db2
        W1 += learning_rate * dW1
        b1 += learning_rate * db1
    report(epochs, forward(X, W1, b1, W2, b2)[0])
    return (W1, b1, W2, b2), reports
