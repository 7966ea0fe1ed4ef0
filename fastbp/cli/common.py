"""What the commands share: option types checked at the validation boundary, option
defaults read from the functions they feed, and the ways a command fails."""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable, Collection

import numpy as np

from .._validation import ParameterError, check_parameters
from ..fitting import DivergenceError
from ..study.plot import MISSING, pyplot


def defaults(function: Callable) -> dict[str, object]:
    """The keyword defaults of ``function``: the options' defaults live there alone."""
    parameters = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def setting(kind: type, name: str) -> Callable[[str], object]:
    """An argparse ``type``: a ``kind`` (int or float) that the validation boundary accepts
    as ``name`` (fastbp._validation.PARAMETERS: one table for the API and the options)."""

    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            value = text  # not a number: the boundary rejects it, saying what it expects
        try:
            check_parameters({name: value})
        except ParameterError as error:
            raise argparse.ArgumentTypeError(f"must be {error.expected}, got {text!r}") from None
        return value

    return parse


def diverged(parser: argparse.ArgumentParser, error: DivergenceError) -> int:
    """A diverged run is no usage error: one line on stderr, and status 1."""
    print(f"{parser.prog}: error: {error}", file=sys.stderr)
    return 1


def check_plot(parser: argparse.ArgumentParser, path: str | None) -> None:
    """Fail before any work when --plot cannot be drawn."""
    if path:
        try:
            pyplot()
        except ImportError:
            parser.error(MISSING)


def names(
    parser: argparse.ArgumentParser, option: str, given: str, known: Collection[str]
) -> list[str]:
    """The comma-separated names of ``option``, each one of ``known``."""
    chosen = [s.strip() for s in given.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in known]
    if unknown or not chosen:
        parser.error(f"{option}: unknown {unknown}; choose from {', '.join(known)}")
    return chosen


def training_options(parser: argparse.ArgumentParser, given: dict, default: str) -> None:
    """The options train and example share, with defaults from ``given``; ``default`` says
    what a missing one means."""
    for flag, kind in (("--epochs", int), ("--learning-rate", float)):
        name = flag[2:].replace("-", "_")
        parser.add_argument(
            flag, type=setting(kind, name), default=given[name], help=f"default: {default}"
        )
    parser.add_argument(
        "--seed",
        type=setting(int, "seed"),
        default=given["seed"],
        help="seed of the data and the weights (default: %(default)s)",
    )
    parser.add_argument(
        "--report-every",
        type=setting(int, "report_every"),
        default=given["report_every"],
        help=f"epochs between reports (default: {default})",
    )
    parser.add_argument(
        "--dtype", choices=["float64", "float32"], default=np.dtype(given["dtype"]).name
    )
