"""``python -m fastbp study``: time every rung, plain and compiled, and the general network's
SGD epochs, and show the speedups.

- ``cases``: the sizes, data, skip policy and network cases (shared with the asv suites);
- ``timing``: the interleaved timing harness;
- ``course``: the course code's own NumPy step and training loop, every ratio's baseline;
- ``rungs`` and ``networks``: the two studies; ``probe``: compile and cold-start times;
- ``environment``, ``tables`` and ``plot``: what it ran on and how the results are shown;
- ``main.run``: all of it, as the command runs it.
"""
