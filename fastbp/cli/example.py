"""``python -m fastbp example NAME``: a tutorial of the general network."""

from __future__ import annotations

import argparse

import numpy as np

from .. import examples
from ..fitting import DivergenceError
from .common import defaults, diverged, training_options


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``example`` subcommand and its options."""
    ex = commands.add_parser(
        "example",
        help="a tutorial of the general network: " + ", ".join(examples.EXAMPLES),
        description="Trains a tutorial's network with fastbp.fit and prints the loss and "
        "accuracy as it goes. "
        + "; ".join(f"{name}: {example.summary}" for name, example in examples.EXAMPLES.items()),
    )
    ex.add_argument("name", choices=list(examples.EXAMPLES), help="which tutorial")
    training_options(ex, defaults(examples.run), "the tutorial's")
    ex.set_defaults(run=run, parser=ex)


def run(args: argparse.Namespace) -> int:
    """Train the tutorial ``args.name``; the exit status."""
    try:
        examples.run(
            args.name,
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            seed=args.seed,
            report_every=args.report_every,
            dtype=np.dtype(args.dtype).type,
        )
    except DivergenceError as error:  # the learning rate is too large
        return diverged(args.parser, error)
    return 0
