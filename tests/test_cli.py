"""The `segmint` command line, end to end in subprocesses: `segment` on the bundled wholesale
data and on a customer table derived from Online Retail, `demo`, `onedim`, `--help`, and the
one-line errors (exit code 2) for a missing column, an empty file and a non-CSV file."""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import subprocess
import sys
from pathlib import Path

import html5lib
import numpy as np
import pandas as pd
import pytest

import segmint as sg
from segmint.cli import build_parser
from segmint.datasets import SPEND_COLUMNS


def run(*args, cwd=None, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "segmint", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def wholesale_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    df = sg.datasets.load_wholesale()
    df.insert(0, "CUSTOMER", [f"W{i:03d}" for i in range(len(df))])
    csv = folder / "customers.csv"
    df.to_csv(csv, index=False)
    toml = folder / "criteria.toml"
    toml.write_text(
        'environmental = ["Channel"]\norganisational = ["Region"]\n'
        f"individual = {SPEND_COLUMNS!r}\n".replace("'", '"')
        + '\n[order]\nRegion = ["Lisbon", "Oporto", "Other"]\n'
    )
    return folder, csv, toml, df


def _segments_table(stdout):
    """The (segment, customers) rows printed by `segment`."""
    rows = {}
    for line in stdout.splitlines():
        parts = line.rsplit(maxsplit=2)
        if len(parts) == 3 and parts[0].split()[0].isdigit() and parts[1].isdigit():
            rows[int(parts[0].split()[0])] = int(parts[1])
    return rows


def test_segment_wholesale_end_to_end(wholesale_files):
    # reference: pandas value_counts of the written segments (printed sizes), the file's ids
    folder, csv, toml, df = wholesale_files
    out, rep = folder / "segments.csv", folder / "report.html"
    res = run(
        "segment",
        csv,
        "--id",
        "CUSTOMER",
        "--k",
        "auto",
        "--criteria",
        toml,
        "--log",
        "--out",
        out,
        "--report",
        rep,
    )
    assert res.returncode == 0, res.stderr
    assert "kprototypes" in res.stdout  # numbers and categories -> k-prototypes
    seg = pd.read_csv(out, index_col="CUSTOMER")
    assert list(seg.columns) == ["segment", "segment_name"]
    assert list(seg.index) == list(df["CUSTOMER"])  # every customer, in file order
    k = seg["segment"].nunique()
    assert 2 <= k <= 8 and f"k = {k}" in res.stdout
    # one name per segment, all distinct
    names = seg.groupby("segment")["segment_name"].unique()
    assert all(len(v) == 1 for v in names) and len({v[0] for v in names}) == k
    # the printed sizes are the counts in the output file (pandas reference)
    assert _segments_table(res.stdout) == seg["segment"].value_counts().sort_index().to_dict()
    text = rep.read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(text)
    for name, size in seg.groupby("segment_name").size().items():
        assert name in text and f"{size:,} customers" in text
    assert "Rules that describe each segment" in text and ">Organisational<" in text


def test_segment_numeric_columns_use_kmeans(wholesale_files):
    # reference: segmint.KMeans on a pandas-prepared standardised log1p table (the documented
    # preparation; segmint vs itself through the command line)
    folder, csv, _, df = wholesale_files
    out = folder / "numeric.csv"
    res = run(
        "segment",
        csv,
        "--id",
        "CUSTOMER",
        "--k",
        "3",
        "--log",
        "--columns",
        ",".join(SPEND_COLUMNS),
        "--out",
        out,
    )
    assert res.returncode == 0, res.stderr
    assert "kmeans" in res.stdout
    seg = pd.read_csv(out, index_col="CUSTOMER")["segment"]
    # reference: segmint's KMeans on the same standardised log1p spend (pandas preparation),
    # i.e. the command adds nothing but the preparation it documents
    x = np.log1p(df.set_index("CUSTOMER")[SPEND_COLUMNS].astype(float))
    z = (x - x.mean()) / x.std()
    expected = sg.KMeans(3, random_state=0).fit(z).labels_
    np.testing.assert_array_equal(seg.to_numpy(), expected.to_numpy())


@pytest.fixture(scope="module")
def retail_customers(shared_data, tmp_path_factory):
    path = shared_data / "customers" / "online_retail.csv.gz"
    if not path.is_file():
        pytest.skip(f"Online Retail not found: {path}")
    lines = pd.read_csv(path, dtype={"CustomerID": "string", "InvoiceNo": "string"})
    lines = lines.dropna(subset=["CustomerID"])
    lines = lines[~lines["InvoiceNo"].str.startswith("C")]
    lines = lines[(lines["Quantity"] > 0) & (lines["UnitPrice"] > 0)]
    lines = lines.assign(amount=lines["Quantity"] * lines["UnitPrice"])
    g = lines.groupby("CustomerID")
    table = pd.DataFrame(
        {
            "revenue": g["amount"].sum(),
            "invoices": g["InvoiceNo"].nunique(),
            "lines": g.size(),
            "products": g["StockCode"].nunique(),
            "country": g["Country"].first(),
        }
    )
    top = table["country"].value_counts().index[:5]
    table["country"] = table["country"].where(table["country"].isin(top), "Other")
    csv = tmp_path_factory.mktemp("retail") / "retail_customers.csv.gz"
    table.rename_axis("CustomerID").to_csv(csv)
    return csv, table


def test_segment_online_retail(retail_customers, tmp_path):
    # reference: pandas group-by of the cleaned invoice lines: 4,338 customers (the usual count)
    csv, table = retail_customers
    out, rep = tmp_path / "segments.csv", tmp_path / "report.html"
    res = run(
        "segment", csv, "--id", "CustomerID", "--k", "4", "--log", "--out", out, "--report", rep
    )
    assert res.returncode == 0, res.stderr
    assert "kprototypes" in res.stdout and "k = 4" in res.stdout
    seg = pd.read_csv(out, dtype={"CustomerID": "string"}).set_index("CustomerID")
    assert len(seg) == len(table) == 4338  # the usual cleaning: 4,338 customers
    assert set(seg.index) == set(table.index)
    assert seg["segment"].nunique() == 4
    html5lib.HTMLParser(strict=True).parse(rep.read_text(encoding="utf-8"))


def _one_line_error(res, *needles):
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("segmint: error: ")
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0]


def test_missing_column(wholesale_files):
    _, csv, _toml, _ = wholesale_files
    _one_line_error(run("segment", csv, "--id", "NOPE"), "--id", "'NOPE'")
    _one_line_error(run("segment", csv, "--id", "CUSTOMER", "--columns", "Milk,Tea"), "'Tea'")


def test_missing_criteria_column(wholesale_files, tmp_path):
    _, csv, _, _ = wholesale_files
    toml = tmp_path / "c.toml"
    toml.write_text('individual = ["Revenue"]\n')
    _one_line_error(run("segment", csv, "--id", "CUSTOMER", "--criteria", toml), "'Revenue'")
    toml.write_text("individual = [\n")
    _one_line_error(run("segment", csv, "--id", "CUSTOMER", "--criteria", toml), "TOML")


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _one_line_error(run("segment", empty, "--id", "X"), "empty")
    header = tmp_path / "header.csv"
    header.write_text("id,a,b\n")
    _one_line_error(run("segment", header, "--id", "id"), "no rows")


def test_not_a_csv(tmp_path):
    png = tmp_path / "picture.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    _one_line_error(run("segment", png, "--id", "X"), "not a CSV")
    packed = tmp_path / "packed.csv.gz"
    packed.write_bytes(b"this is not gzip data")
    _one_line_error(run("segment", packed, "--id", "X"), "packed.csv.gz")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,name\n1,Caf\xe9\n".encode("latin-1"))
    _one_line_error(run("segment", latin, "--id", "id"), "UTF-8")
    _one_line_error(run("segment", tmp_path / "absent.csv"), "no such file")


def test_help_documents_every_flag():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == {"demo", "segment", "onedim"}
    for name, subparser in sub.choices.items():
        res = run(name, "--help")
        assert res.returncode == 0, res.stderr
        for action in subparser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (name, action.dest)  # every flag has a help text
            for flag in action.option_strings:
                assert flag in res.stdout, (name, flag)
    top = run("--help")
    assert top.returncode == 0 and all(c in top.stdout for c in ("demo", "segment", "onedim"))


def test_console_script():
    script = Path(sys.executable).with_name("segmint")
    if not script.exists():
        pytest.skip("the segmint console script is not installed in this environment")
    res = subprocess.run(
        [script, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert res.returncode == 0 and "segment" in res.stdout


def test_demo_writes_the_report(tmp_path):
    path = tmp_path / "demo" / "wholesale.html"
    res = run("demo", "--segments", "3", "--report", path, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("440 wholesale customers")
    assert res.stdout.rstrip().endswith(f"Report: {path}")
    text = path.read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(text)
    assert "Market potential" in text and "Stability" in text


HAS_ONEDIM = importlib.util.find_spec("segmint.onedim") is not None


@pytest.mark.skipif(HAS_ONEDIM, reason="segmint.onedim is installed")
def test_onedim_without_the_module_says_so(tmp_path):
    csv = tmp_path / "lines.csv"
    csv.write_text("c,d,a\n1,2020-01-01,3\n")
    _one_line_error(
        run("onedim", csv, "--customer", "c", "--date", "d", "--amount", "a"), "segmint.onedim"
    )


@pytest.mark.skipif(
    not HAS_ONEDIM,
    reason="needs segmint.onedim (one-dimensional segmentation, issue 11), not in this build",
)
def test_onedim_online_retail(shared_data, tmp_path):
    path = shared_data / "customers" / "online_retail.csv.gz"
    if not path.is_file():
        pytest.skip(f"Online Retail not found: {path}")
    with gzip.open(path, "rt") as f:
        sample = pd.read_csv(f, nrows=50_000)
    csv = tmp_path / "lines.csv"
    sample.to_csv(csv, index=False)
    out = tmp_path / "customers.csv"
    res = run(
        "onedim",
        csv,
        "--customer",
        "CustomerID",
        "--date",
        "InvoiceDate",
        "--quantity",
        "Quantity",
        "--price",
        "UnitPrice",
        "--invoice",
        "InvoiceNo",
        "--out",
        out,
    )
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out)
    # reference: pandas on the same lines: customers with at least one line that is not a
    # cancellation (customers whose every line is a cancellation are left out and counted).
    kept = sample.loc[(sample["Quantity"] > 0) & sample["CustomerID"].notna(), "CustomerID"]
    assert len(table) == kept.nunique()
    assert set(table["abc"]) <= {"A", "B", "C"}
    assert {"rfm_cell", "rfm_segment"} <= set(table.columns)
    _one_line_error(
        run("onedim", csv, "--customer", "Nope", "--date", "InvoiceDate", "--amount", "UnitPrice"),
        "'Nope'",
    )
