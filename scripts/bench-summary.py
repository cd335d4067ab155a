#!/usr/bin/env python3
"""Compare benchmark runs of the base and series kernels.

    bench-summary.py DIR [TITLE]

DIR holds one file per boot, base-<i>.tsv and series-<i>.tsv, each with
"case<TAB>metric<TAB>value" lines (what guest/bench/* write). For every
case and metric, prints the median over the boots of each kernel with its
range, and the ratio series/base of the medians; writes the same to
DIR/summary.tsv (numbers only, for scripts) and DIR/summary.md (under
TITLE, for people). Lines of DIR/<tree>-<i>.not-measured.txt ("what: why")
are listed under the table, once each, with the kernels they came from.
"""
import glob
import os
import re
import statistics
import sys

TREES = ("base", "series")


def read_runs(directory, tree):
    """{(case, metric): [value per boot]}, and the keys in first-seen order."""
    values, order = {}, []
    files = sorted(glob.glob(os.path.join(directory, f"{tree}-*.tsv")),
                   key=lambda path: int(re.search(r"-(\d+)\.tsv$", path).group(1)))
    if not files:
        sys.exit(f"bench-summary.py: no {tree}-*.tsv in {directory}")
    for path in files:
        with open(path) as f:
            for line in f:
                case, metric, value = line.rstrip("\n").split("\t")
                key = (case, metric)
                if key not in values:
                    values[key] = []
                    order.append(key)
                values[key].append(float(value))
    return values, order


def not_measured(directory):
    """["what: why (kernels)"] from the boots' not-measured.txt files."""
    seen = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.not-measured.txt"))):
        tree = os.path.basename(path).split("-")[0]
        with open(path) as f:
            for line in f:
                if line.strip():
                    seen.setdefault(line.strip(), set()).add(tree)
    return [f"{line} ({', '.join(t for t in TREES if t in trees)})"
            for line, trees in seen.items()]


def decimals(values):
    """Enough digits to compare a row, no more: 123456, 123, 12.3, 1.23."""
    largest = max(abs(value) for value in values)
    if all(value == int(value) for value in values) or largest >= 100:
        return 0
    return 1 if largest >= 10 else 2


def exact(value):
    """For summary.tsv: every digit, and counts without a ".0"."""
    return str(int(value)) if value == int(value) else repr(value)


def ratio(base, series):
    if base == 0:
        return "both 0" if series == 0 else "n/a (base 0)"
    return f"{series / base:.2f}"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: bench-summary.py DIR [TITLE]")
    directory = sys.argv[1]
    title = sys.argv[2] if len(sys.argv) == 3 else "Benchmark: base and series kernels"
    runs, order = {}, []
    for tree in TREES:
        runs[tree], tree_order = read_runs(directory, tree)
        order += [key for key in tree_order if key not in order]

    header = ("case", "metric", "base median [min–max]", "series median [min–max]",
              "series/base")
    rows, tsv = [], ["\t".join(("case", "metric", "base_median", "base_min", "base_max",
                                "series_median", "series_min", "series_max", "ratio"))]
    for case, metric in order:
        cells, numbers, medians = [case, metric], [case, metric], {}
        places = decimals([value for tree in TREES for value in runs[tree].get((case, metric), [])])
        for tree in TREES:
            values = runs[tree].get((case, metric))
            if not values:
                cells.append("-")
                numbers += ["", "", ""]
                continue
            medians[tree] = statistics.median(values)
            cells.append(f"{medians[tree]:.{places}f} [{min(values):.{places}f}–{max(values):.{places}f}]")
            numbers += [exact(medians[tree]), exact(min(values)), exact(max(values))]
        both = len(medians) == 2
        cells.append(ratio(medians["base"], medians["series"]) if both else "-")
        numbers.append(f"{medians['series'] / medians['base']:.4f}" if both and medians["base"] else "")
        rows.append(cells)
        tsv.append("\t".join(numbers))

    missing = not_measured(directory)
    widths = [max(len(row[col]) for row in rows + [list(header)]) for col in range(len(header))]
    text = [title, ""]
    for row in [list(header)] + rows:
        text.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if missing:
        text += ["", "Not measured:"] + [f"  {line}" for line in missing]
    print("\n".join(text))

    with open(os.path.join(directory, "summary.tsv"), "w") as f:
        f.write("\n".join(tsv) + "\n")
    with open(os.path.join(directory, "summary.md"), "w") as f:
        f.write(f"## {title}\n\n")
        f.write("| " + " | ".join(header) + " |\n")
        f.write("|" + "|".join(["---", "---", "---:", "---:", "---:"]) + "|\n")
        for row in rows:
            f.write("| " + " | ".join(row) + " |\n")
        if missing:
            f.write("\nNot measured:\n\n" + "".join(f"- {line}\n" for line in missing))


if __name__ == "__main__":
    main()
