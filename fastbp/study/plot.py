"""The study's plot: time per sample against N for every rung (needs ``fastbp[plot]``)."""

from __future__ import annotations

MISSING = "--plot needs matplotlib: pip install 'fastbp[plot]'"


def pyplot():
    """matplotlib.pyplot drawing to files (the Agg backend); ImportError naming the extra
    when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(MISSING) from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def sweep_plot(curves: dict[str, dict[int, float]], widths: tuple[int, ...], path: str) -> None:
    """Log-log nanoseconds per sample against N of each curve of ``rungs.sweep``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name, points in curves.items():
        counts = sorted(points)
        style = "--" if "plain" in name else "-"
        ax.loglog(counts, [points[n] * 1e9 for n in counts], style, marker="o", label=name)
    ax.set(
        xlabel="N (samples)",
        ylabel="time per sample per step (ns)",
        title="one gradient step, D={}, M={}, K={} (float64)".format(*widths),
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
