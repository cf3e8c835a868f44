"""The README's and the user guide's copies of the committed benchmark tables say what the
tables in ``benchmarks/results/`` say: a table re-run without its copies brought along fails
here, cell by cell."""

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
COPIES = {"README": ROOT / "README.md", "guide": ROOT / "docs" / "guide" / "speed_accuracy.rst"}


def _read(path):
    return Path(path).read_text(encoding="utf-8")


def markdown_table(text, first_header):
    """The first Markdown table in ``text`` whose header row begins with ``first_header``, as
    one dict per row (header → cell)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [dict(zip(rows[0], row)) for row in rows[2:]]


def csv_table(text, first_header):
    """The first reStructuredText csv-table in ``text`` whose header begins with
    ``first_header``, as one dict per row."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if f':header: "{first_header}"' in line)
    header = next(csv.reader([lines[start].split(":header:")[1]], skipinitialspace=True))
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        rows.append(next(csv.reader([line.strip()], skipinitialspace=True)))
    return [dict(zip(header, row)) for row in rows]


def copied_table(copy, first_header):
    read = markdown_table if COPIES[copy].suffix == ".md" else csv_table
    return read(_read(COPIES[copy]), first_header)


def accuracy_as_copied():
    """``results/accuracy.md``'s measured and published tables, in the copies' columns: the
    MLP's mean alone, FCN and ResNet without their spread."""
    text = _read(RESULTS / "accuracy.md")
    published_text = text.split("### Published results", 1)[1]
    published = {row["data set"]: row for row in markdown_table(published_text, "data set")}
    rows = []
    for row in markdown_table(text, "data set"):
        paper = [published[row["data set"]][name].split(" ")[0] for name in ("FCN", "ResNet")]
        rows.append(
            {
                "data set": row["data set"],
                "length": row["length"],
                "pygru defaults (bidirectional)": row["pygru defaults"].strip("*"),
                "bidirectional=False": row["pygru unidirectional"].strip("*"),
                "1-NN ED": row["1-NN ED"],
                "1-NN DTW": row["1-NN DTW"],
                "MLP (sklearn)": row["MLP"].split(" ± ")[0],
                "MiniRocket (aeon)": row["MiniRocket"],
                "FCN / ResNet (published)": "–" if paper == ["–", "–"] else " / ".join(paper),
            }
        )
    return rows


@pytest.mark.parametrize("copy", sorted(COPIES))
def test_the_accuracy_table_copies_results_accuracy(copy):
    expected = accuracy_as_copied()
    copied = copied_table(copy, "data set")
    assert [row["data set"] for row in copied] == [row["data set"] for row in expected]
    for row, measured in zip(copied, expected):
        if row["MiniRocket (aeon)"] == "– (ragged)":  # the copies say why MiniRocket is absent
            row["MiniRocket (aeon)"] = "–"
        assert row == measured


@pytest.mark.parametrize("copy", sorted(COPIES))
def test_the_forecasting_table_copies_results_forecasting(copy):
    assert copied_table(copy, "method") == markdown_table(
        _read(RESULTS / "forecasting.md"), "method"
    )
