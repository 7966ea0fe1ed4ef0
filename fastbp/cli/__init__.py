"""Command line: ``python -m fastbp train`` (the reference run), ``python -m fastbp example
NAME`` (the general network's tutorials), ``python -m fastbp study`` (the timings) and
``python -m fastbp compile`` (fill the compile cache ahead of time)."""

from __future__ import annotations

import argparse

from . import compile, example, study, train

COMMANDS = (train, example, study, compile)  # a module per command, owning its subparser


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m fastbp``.

    Returns
    -------
    argparse.ArgumentParser
        A subcommand per module of ``fastbp.cli`` (train, example, study, compile); the
        parsed namespace's ``run(args)`` runs the command chosen.
    """
    parser = argparse.ArgumentParser(prog="python -m fastbp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m fastbp`` with the arguments ``argv``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program's name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0, 1 for a run that diverged, 130 for one stopped by Ctrl-C.

    Raises
    ------
    SystemExit
        With status 2 for a usage error (argparse's), after printing the usage.
    """
    args = build_parser().parse_args(argv)
    return args.run(args)
