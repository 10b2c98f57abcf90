"""A PNG beside a benchmark's JSON: p50 against N for each request (matplotlib, from
the ``bench`` extra), so the growth of each cost with the number of people shows at
a glance. Written as ``<kind>-<time>.png`` beside the newest ``<kind>-<time>.json``
and as ``<kind>-latest.png``."""

from pathlib import Path


def series(report):
    """``{request: [(people, p50 ms), ...]}`` over the sizes of a serve report."""
    lines = {}
    for size in report["sizes"]:
        for name, entry in size["requests"].items():
            if not name.startswith("_"):
                lines.setdefault(name, []).append((size["people"], entry["service"]["p50"]))
    return lines


def plot(report, path, title):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    figure, axes = pyplot.subplots(figsize=(11, 5.5))
    for name, points in series(report).items():
        points.sort()
        axes.plot([n for n, _ in points], [p for _, p in points], marker="o", label=name)
    axes.set_xscale("log")
    axes.set_yscale("log")
    for axis in (axes.xaxis, axes.yaxis):
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_formatter(NullFormatter())
    axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    axes.set_xticks(sorted({n for points in series(report).values() for n, _ in points}))
    axes.set_xlabel("people loaded (N)")
    axes.set_ylabel("p50 (ms, log scale)")
    axes.set_title(title, fontsize=9)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def beside_latest(out, kind, report):
    out = Path(out)
    newest = max((p for p in out.glob(f"{kind}-2*.json")), key=lambda p: p.stat().st_mtime)
    title = f"{kind}: p50 against N ({report['when']}, commit {report['commit']}, {report.get('workers', '?')} workers)"
    written = [plot(report, newest.with_suffix(".png"), title)]
    written.append(plot(report, out / f"{kind}-latest.png", title))
    return written
