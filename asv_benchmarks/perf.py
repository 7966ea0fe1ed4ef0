"""fastbp's asv commands in one place: the CI smoke run, the regression gate, the history.

    python asv_benchmarks/perf.py smoke                      # CI: the suites still run
    python asv_benchmarks/perf.py gate [BASE] [HEAD] [--factor 1.2] [-b REGEX]
    python asv_benchmarks/perf.py history [-n 5] [-b REGEX]  # record commits of main, publish

Run from anywhere; asv itself runs in this folder. On a shared machine run ``gate`` and
``history`` under the benchmark lock: ``flock /tmp/fastbp-bench.lock python ...``.
Exit status: 0 good; 1 a slowdown (gate) or a failed step; 2 a benchmark raised an error.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMOKE_MACHINE = "fastbp-smoke"

# asv marks a benchmark (or one parameter combination) that raised with "failed". Its status
# line ends in "ok" or "failed" for a benchmark with parameters, and in its value or "failed"
# for one without.
FAILED = re.compile(r"(···.*\bfailed\b|asv: benchmark failed|asv: benchmark suite import failed)")
STATUS = re.compile(r"^\[\s*[\d.]+%\] ··· (\w+(?:\.\w+)+)\s+(\S+)\s*$")


def asv(*args: str, env: dict[str, str] | None = None, capture: bool = False):
    """Run ``asv ARGS`` in this folder; stdin closed so that asv never waits for an answer."""
    command = [sys.executable, "-m", "asv", *args]
    print("$ asv " + " ".join(args), flush=True)
    return subprocess.run(
        command,
        cwd=HERE,
        env={**os.environ, "COLUMNS": "200", **(env or {})},  # full benchmark names
        stdin=subprocess.DEVNULL,
        capture_output=capture,
        text=True,
        check=False,
    )


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def ensure_machine(name: str | None = None) -> None:
    """asv asks interactively for a machine description the first time: answer with the
    defaults (``asv machine --yes``) unless this machine is already described."""
    known = Path.home() / ".asv-machine.json"
    text = known.read_text() if known.exists() else ""
    if name is None and text:
        return
    if name is not None and f'"{name}"' in text:
        return
    extra = ["--machine", name] if name else []
    done = asv("machine", "--yes", *extra, capture=True)
    if done.returncode != 0:
        sys.exit(f"asv machine failed:\n{done.stdout}{done.stderr}")


def smoke(args: argparse.Namespace) -> int:
    """``asv check`` and one quick dry run of every benchmark against the installed package.

    Quick mode calls each parameter combination once (compile included), so its numbers are
    not measurements: they are not printed, only whether each benchmark ran.
    """
    start = time.monotonic()
    ensure_machine(SMOKE_MACHINE)
    check = asv("check", "--python=same", capture=True)
    if check.returncode != 0 or "No problems found" not in check.stdout:
        print(check.stdout + check.stderr)
        print("asv smoke: FAILED (asv check)")
        return 1
    env = {"FASTBP_ASV_SMOKE": "1"}
    if args.sizes:
        env["FASTBP_ASV_SIZES"] = args.sizes
    run_args = ["run", "--python=same", "--quick", "--dry-run", "--show-stderr"]
    run_args += ["--machine", SMOKE_MACHINE]
    for pattern in args.bench or []:
        run_args += ["-b", pattern]
    done = asv(*run_args, env=env, capture=True)
    output = done.stdout + done.stderr
    lines = output.splitlines()
    ran = [(m[1], "failed" if m[2] == "failed" else "ok") for m in map(STATUS.match, lines) if m]
    failed = done.returncode != 0 or bool(FAILED.search(output)) or not ran
    elapsed = time.monotonic() - start
    if failed:
        print(output)
        print(f"asv smoke: FAILED (asv exit status {done.returncode}) after {elapsed:.0f} s")
        return done.returncode or 2
    for name, status in ran:
        print(f"  {status:6s} {name}")
    print(
        f"asv smoke: {len(ran)} benchmarks ran without error in {elapsed:.0f} s "
        "(quick mode: one call per combination; its timings are not results, not shown)"
    )
    return 0


def gate(args: argparse.Namespace) -> int:
    """``asv continuous`` between two commits; non-zero exit on a significant slowdown."""
    base = git("rev-parse", "--verify", f"{args.base}^{{commit}}")
    head = git("rev-parse", "--verify", f"{args.head}^{{commit}}")
    if base == head:
        sys.exit(f"gate: {args.base} and {args.head} are the same commit {base[:8]}")
    ensure_machine()
    print(f"gate: {args.base} ({base[:8]}) -> {args.head} ({head[:8]}), factor {args.factor}")
    # Rounds alternate between the two commits (A B B A A B B A ...), so that a burst of
    # load from something else on the machine does not land on one commit only.
    cont = ["continuous", "--factor", str(args.factor), "--interleave-rounds", "--show-stderr"]
    cont += ["--split", "--sort", "ratio", "-a", f"rounds={args.rounds}"]
    for pattern in args.bench or []:
        cont += ["-b", pattern]
    cont += [base, head]
    done = asv(*cont)
    # asv continuous: 1 when a benchmark got slower by more than the factor (and asv's
    # statistics call the change significant), 2 when a benchmark failed.
    verdict = {0: "PASS", 1: "FAIL: significant slowdown", 2: "FAIL: a benchmark failed"}
    print(f"gate: {verdict.get(done.returncode, f'FAIL: asv exit status {done.returncode}')}")
    return done.returncode


def history(args: argparse.Namespace) -> int:
    """Record the last N first-parent commits of a branch that have no results yet, then
    publish the HTML report (asv_benchmarks/html; view it with ``asv preview``)."""
    ensure_machine()
    commits = git("rev-list", "--first-parent", "-n", str(args.n), args.branch).split()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(commits) + "\n")
    try:
        run_args = ["run", "--skip-existing-commits", "--show-stderr"]
        for pattern in args.bench or []:
            run_args += ["-b", pattern]
        done = asv(*run_args, f"HASHFILE:{listing.name}")
    finally:
        os.unlink(listing.name)
    published = asv("publish")
    if published.returncode != 0:
        return published.returncode
    print(f"history: {len(commits)} commit(s) of {args.branch}; report in {HERE / 'html'}")
    print("history: view it with: cd asv_benchmarks && asv preview  (http://127.0.0.1:8080)")
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("smoke", help="asv check + quick dry run against the installed fastbp")
    p.add_argument("--sizes", help="comma-separated sizes (default: seed)")
    p.add_argument("-b", "--bench", action="append", help="benchmark regex (repeatable)")
    p.set_defaults(func=smoke)

    p = sub.add_parser("gate", help="asv continuous BASE HEAD; exit 1 on a slowdown")
    p.add_argument("base", nargs="?", default="main", help="baseline commit (default: main)")
    p.add_argument("head", nargs="?", default="HEAD", help="commit to test (default: HEAD)")
    p.add_argument(
        "-f",
        "--factor",
        type=float,
        default=float(os.environ.get("FASTBP_GATE_FACTOR", "1.2")),
        help="slowdown ratio that fails (default 1.2, or $FASTBP_GATE_FACTOR)",
    )
    p.add_argument(
        "-r", "--rounds", type=int, default=4, help="rounds per commit, interleaved (default 4)"
    )
    p.add_argument("-b", "--bench", action="append", help="benchmark regex (repeatable)")
    p.set_defaults(func=gate)

    p = sub.add_parser("history", help="asv run over the last N commits, then asv publish")
    p.add_argument("-n", type=int, default=5, help="number of commits (default 5)")
    p.add_argument("--branch", default="main", help="branch to walk (default main)")
    p.add_argument("-b", "--bench", action="append", help="benchmark regex (repeatable)")
    p.set_defaults(func=history)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
