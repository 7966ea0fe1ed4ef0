"""A Sphinx directive that renders the output of ``python -m fastbp study --json FILE``.

In a page::

    ```{study-results} study.json
    ```

renders the machine the numbers were measured on (versions, date, load average) and a table
per part of the study that the file holds: the gradient step per size, the public call's
overhead, the three-clouds training run, the general network's epochs, the estimators
against scikit-learn, the Dask epochs, the compile times, the threads sweep and the time
per sample against N, each with the load average when it was measured. The path is
relative to the page; the page is rebuilt when the file changes; ``:only:`` names the parts
to show. Reads the JSON only: imports no fastbp.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from sphinx.application import Sphinx

NOT_RECORDED = "not recorded"
# The environment's keys in the order shown, with their labels; other keys follow as they are.
ENVIRONMENT = {
    "date": "date (UTC)",
    "load_average": "load average",
    "cpu": "CPU (LLVM's name)",
    "python": "Python",
    "numpy": "NumPy",
    "numba": "Numba",
    "numpy_blas": "BLAS behind NumPy",
    "kernel_blas": "BLAS of the kernels (SciPy's)",
    "numba_threads": "Numba threads",
    "threading_layer_requested": "threading layer requested",
    "cpu_count": "CPUs",
    "torch": "PyTorch",
    "torch_threads": "PyTorch threads",
}


def format_time(seconds: float) -> str:
    """``seconds`` in the largest unit of s, ms, us and ns that keeps it at least 1."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.1f} {unit}"
    return f"{seconds * 1e9:.1f} ns"


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    """The fastest and slowest round against the median, e.g. ``-3%/+12%``."""
    middle = median(values)
    return f"-{1 - min(values) / middle:.0%}/+{max(values) / middle - 1:.0%}"


def ratio(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}x"


def table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> nodes.table:
    """A docutils table; the columns from ``numeric_from`` on are right-aligned."""
    group = nodes.tgroup(cols=len(header))
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head, body = nodes.thead(), nodes.tbody()
    for cells, part in [(header, head)] + [(row, body) for row in rows]:
        line = nodes.row()
        for column, text in enumerate(cells):
            entry = nodes.entry()
            if column >= numeric_from:
                entry["classes"].append("text-end")
            entry += nodes.paragraph(text=str(text))
            line += entry
        part += line
    group += head
    group += body
    out = nodes.table(classes=["colwidths-auto"])
    out += group
    return out


def section(title: str, *content: nodes.Node, text: str = "") -> nodes.section:
    out = nodes.section(ids=["study-" + nodes.make_id(title)])
    out += nodes.title(text=title)
    if text:
        out += nodes.paragraph(text=text)
    for node in content:
        out += node
    return out


def environment(env: dict) -> nodes.section:
    """The machine: every environment key, ``date`` and ``load_average`` first."""
    shown = {key: env.get(key) for key in ("date", "load_average")}
    shown.update((key, value) for key, value in env.items() if key not in shown)
    rows = []
    for key, value in shown.items():
        if value is None:
            value = NOT_RECORDED
        elif key == "load_average":
            value = ", ".join(f"{load:.2f}" for load in value) + " (1, 5 and 15 minutes)"
        rows.append([ENVIRONMENT.get(key, key), str(value)])
    return section("Machine", table(["", "value"], rows, numeric_from=2))


def steps(results: dict) -> list[nodes.section]:
    """One table per size: median, spread, speedup over the classic code and over plain,
    and the time as a multiple of the step's products alone (the floor; studies before it
    was measured have none)."""
    classic, floor = results.get("classic"), results.get("floor")
    out = []
    for size, entry in results.get("sizes", {}).items():
        timings = {t["name"]: median(t["seconds"]) for t in entry["timings"]}
        baseline, least = timings.get(classic), timings.get(floor)
        rows = []
        for t in entry["timings"]:
            name, middle = t["name"], timings[t["name"]]
            plain = timings.get(name.replace("/compiled", "/plain"))
            vs_plain = plain / middle if name.endswith("/compiled") and plain else None
            vs_classic = baseline / middle if baseline else None
            row = [name, format_time(middle), spread(t["seconds"]), ratio(vs_classic)]
            row.append(ratio(vs_plain, 0))
            if least:
                row.append(ratio(middle / least, 2))
            rows.append(row)
        header = ["candidate", "median", "spread", "vs classic", "vs plain"]
        text = f"vs classic: against {classic}"
        if least:
            header.append("x floor")
            text += f"; x floor: the time over that of {floor} (the step's five products)"
        N, D, M, K = entry["shape"]
        out.append(
            section(
                f"One gradient step: {size}",
                table(header, rows),
                text=f"N={N}, D={D}, M={M}, K={K}; {text}.",
            )
        )
    return out


def call_overhead(rows: list[dict]) -> nodes.section:
    body = [[t["name"], f"{median(t['seconds']) * 1e6:.2f} us", spread(t["seconds"])] for t in rows]
    return section(
        "The public call's overhead",
        table(["", "median", "spread"], body),
        text="One step at N=8, D=2, M=3, K=3 through the public call and as the bare kernel.",
    )


def training(rows: list[dict], classic: str | None) -> nodes.section:
    baseline = next((median(t["seconds"]) for t in rows if t["name"] == f"train: {classic}"), None)
    body = []
    for t in rows:
        middle = median(t["seconds"])
        body.append(
            [t["name"], format_time(middle), ratio(baseline / middle if baseline else None)]
        )
    return section(
        "The three-clouds training run",
        table(["run", "median", "vs classic"], body),
        text="1000 epochs of full-batch gradient ascent, N=1500, D=2, M=3, K=3.",
    )


def network(cases: dict, floor: str | None) -> nodes.section:
    """Per case and candidate: per epoch, per step, spread, the ratio to PyTorch and the
    time as a multiple of the epoch's products alone (``floor``; none in older studies)."""
    rows, floors = [], False
    for name, case in cases.items():
        timings = {t["name"]: median(t["seconds"]) for t in case["timings"]}
        torch, least = timings.get("pytorch"), timings.get(floor)
        floors = floors or bool(least)
        sizes = "-".join(map(str, case["sizes"]))
        batch = f"batch {case['batch_size']}" if case["batch_size"] else "full batch"
        for t in case["timings"]:
            middle = timings[t["name"]]
            rows.append(
                [
                    name,
                    f"{sizes}, {batch}",
                    t["name"],
                    format_time(middle),
                    format_time(middle / case["steps"]),
                    spread(t["seconds"]),
                    ratio(torch / middle if torch else None, 2),
                    ratio(middle / least if least else None, 2),
                ]
            )
    header = ["case", "network", "candidate", "per epoch", "per step", "spread", "vs PyTorch"]
    header.append("x floor")
    text = (
        "One epoch of SGD with momentum through fastbp.fit and the bare compiled epoch "
        "(and PyTorch when it was installed)"
    )
    if floors:
        text += f"; x floor: the time over that of {floor} (the epoch's matrix products)"
    else:
        header, rows = header[:-1], [row[:-1] for row in rows]
    return section(
        "The general network's epochs", table(header, rows, numeric_from=3), text=text + "."
    )


def estimators(results: dict) -> nodes.section:
    """fit and predict against scikit-learn, then the held-out scores."""
    rows = []
    for name, case in results.get("fits", {}).items():
        for t in case["timings"]:
            rows.append([name, t["name"], format_time(median(t["seconds"])), spread(t["seconds"])])
        for step, speedup in case["speedups"].items():
            rows.append([name, f"{step}: fastbp faster by", ratio(speedup), ""])
    scores = [
        [problem, solver, f"{ours:.3f}", f"{theirs:.3f}", f"{ours - theirs:+.3f}"]
        for problem, solvers in results.get("held_out", {}).items()
        for solver, (ours, theirs) in solvers.items()
    ]
    return section(
        "The estimators against scikit-learn",
        table(["case", "candidate", "median", "spread"], rows, numeric_from=2),
        nodes.paragraph(
            text="Held-out score (accuracy or R², 70/30 split, mean of 3 random_states):"
        ),
        table(["problem", "solver", "fastbp", "scikit-learn", "difference"], scores, 2),
        text="MLPClassifier's fit and predict, same parameters in both libraries.",
    )


def dask(cases: dict) -> nodes.section:
    rows = []
    for name, case in cases.items():
        memory = case.get("in-memory parallel")
        base = median(memory["seconds"]) if memory else None
        for candidate, entry in case.items():
            if not isinstance(entry, dict):
                continue
            middle = median(entry["seconds"])
            peak = entry.get("client_peak_bytes")
            rows.append(
                [
                    f"{name} ({case['chunks']} chunks of {case['chunk']})",
                    candidate,
                    format_time(middle),
                    f"{case['N'] / middle:.3g}",
                    ratio(middle / base if base else None, 2),
                    "" if peak is None else f"{peak / 2**20:.0f} MiB",
                ]
            )
    header = ["case", "candidate", "median", "samples/s", "vs memory", "client peak"]
    return section(
        "Dask: one full-batch epoch",
        table(header, rows, numeric_from=2),
        text="Forward, four gradients and cost over every sample, D=2, M=3, K=3.",
    )


def sweep(curves: dict) -> nodes.section:
    """Nanoseconds per sample of each candidate at each N (what ``--plot`` draws)."""
    counts = sorted({int(n) for points in curves.values() for n in points})
    rows = [
        [name] + [f"{points[str(n)] * 1e9:.1f}" if str(n) in points else "" for n in counts]
        for name, points in curves.items()
    ]
    return section(
        "Time per sample against N",
        table(["ns per sample, N ="] + [f"{n:,}" for n in counts], rows),
        text="One gradient step at the first size's widths, divided by N (what --plot draws).",
    )


def compile_times(results: dict) -> list[nodes.section]:
    """Cold and warm first calls, in new processes, wherever the study measured them."""
    out = []
    if "compile" in results:
        rows = [
            [
                name,
                f"{row['import_cold']:.2f}",
                f"{row['first_call_cold']:.2f}",
                f"{row['first_call_warm']:.3f}",
            ]
            for name, row in results["compile"].items()
        ]
        header = ["rung", "import", "1st call, empty cache", "1st call, warm cache"]
        out.append(section("Compile and cold start: the rungs (s)", table(header, rows)))
    if "network_compile" in results:
        rows = [
            [name, f"{row['first_call_cold']:.2f}", f"{row['first_call_warm']:.3f}"]
            for name, row in results["network_compile"].items()
        ]
        header = ["", "empty cache", "warm cache"]
        out.append(section("Compile and cold start: the network (s)", table(header, rows)))
    if "entry_compile" in results:
        rows = [
            [
                name,
                f"{row['import_cold'] + row['first_call_cold']:.2f}",
                f"{row['import_warm'] + row['first_call_warm']:.2f}",
            ]
            for name, row in results["entry_compile"].items()
        ]
        out.append(
            section(
                "First call of each entry point (s)",
                table(["entry point", "empty cache", "warm cache"], rows),
                text="In a new process, import fastbp included.",
            )
        )
    return out


def scaling(results: dict) -> list[nodes.section]:
    """The threads sweep (``--threads``): per size or case, each candidate's median at each
    thread count and its speedup over the fewest threads."""
    out = []
    for name, by_count in results.get("threads", {}).items():
        counts = sorted(by_count, key=int)
        medians = {c: {t["name"]: median(t["seconds"]) for t in by_count[c]} for c in counts}
        rows = []
        for candidate, first in medians[counts[0]].items():
            times = [medians[c].get(candidate) for c in counts]
            rows.append(
                [candidate]
                + [format_time(t) if t else "" for t in times]
                + [ratio(first / t if t else None, 2) for t in times[1:]]
            )
        header = ["candidate"] + [f"{c} threads" for c in counts]
        header += [f"speedup at {c}" for c in counts[1:]]
        out.append(
            section(
                f"Scaling with threads: {name}",
                table(header, rows),
                text="Numba's threads, the BLAS and OpenMP pools and PyTorch's limited alike.",
            )
        )
    return out


def with_loads(node: nodes.section, results: dict, *keys: str) -> nodes.section:
    """``node`` with the load average when each of its tables was measured beneath it (the
    study's ``load_average`` map, by where the numbers are in the results)."""
    recorded = results.get("load_average", {})
    loads = [
        (key, ", ".join(f"{value:.2f}" for value in recorded[key]))
        for key in keys
        if recorded.get(key)
    ]
    if len(loads) == 1:
        text = loads[0][1]
    else:
        text = "; ".join(f"{key.rsplit('.', 1)[-1]} {load}" for key, load in loads)
    node += nodes.paragraph(
        text=f"Load average (1, 5, 15 minutes) when measured: {text or NOT_RECORDED}."
    )
    return node


def render(results: dict) -> list[nodes.Node]:
    """Every part of the study that ``results`` holds, in the study's order, each with the
    load average when it was measured (``only``: just those of its top-level keys, with the
    machine)."""
    out: list[nodes.Node] = [environment(results.get("environment", {}))]
    out += [
        with_loads(node, results, f"sizes.{size}")
        for node, size in zip(steps(results), results.get("sizes", {}))
    ]
    if "call_overhead" in results:
        out.append(with_loads(call_overhead(results["call_overhead"]), results, "call_overhead"))
    if "training" in results:
        node = training(results["training"], results.get("classic"))
        out.append(with_loads(node, results, "training"))
    if "network" in results:
        keys = [f"network.{name}" for name in results["network"]]
        node = network(results["network"], results.get("floor"))
        out.append(with_loads(node, results, *keys))
    if "estimators" in results:
        keys = [f"estimators.fits.{name}" for name in results["estimators"].get("fits", {})]
        node = estimators(results["estimators"])
        out.append(with_loads(node, results, *keys, "estimators.held_out"))
    if "dask" in results:
        out.append(with_loads(dask(results["dask"]), results, "dask"))
    compiled = [key for key in ("compile", "network_compile", "entry_compile") if key in results]
    out += [with_loads(node, results, key) for node, key in zip(compile_times(results), compiled)]
    for node, name in zip(scaling(results), results.get("threads", {})):
        counts = results["threads"][name]
        keys = [f"threads.{count}.{name}" for count in counts] + [f"threads.scaling.{name}"]
        out.append(with_loads(node, results, *keys))
    if "sweep" in results:
        out.append(sweep(results["sweep"]))
    return out


class StudyResults(Directive):
    """``study-results PATH``: the tables of a study's JSON file; ``:only: KEY KEY``: just
    those parts of it (top-level keys of the file, e.g. ``compile entry_compile``)."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict] = {"only": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        relative, path = env.relfn2path(self.arguments[0], env.docname)
        env.note_dependency(relative)
        try:
            results = json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise self.error(f"study-results: cannot read {relative}: {error}") from error
        only = self.options.get("only")
        if only is not None:
            kept = set(only.split()) | {"environment", "load_average"}
            results = {key: value for key, value in results.items() if key in kept}
        rendered = render(results)
        for node in rendered:  # ids of their own for each file shown on a page
            node["ids"] = [f"{Path(relative).stem}-{name}" for name in node["ids"]]
        return rendered


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("study-results", StudyResults)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
