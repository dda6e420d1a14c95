"""The bundled wholesale sample and the `python -m segmint demo` command, checked against the
raw UCI file in the shared data folder."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from segmint.datasets import SPEND_COLUMNS, load_wholesale

# UCI codes: Channel 1 = Horeca (hotel/restaurant/café), 2 = Retail;
# Region 1 = Lisbon, 2 = Oporto, 3 = Other.
CHANNELS = {1: "Horeca", 2: "Retail"}
REGIONS = {1: "Lisbon", 2: "Oporto", 3: "Other"}


@pytest.fixture(scope="module")
def raw(wholesale_csv):
    return pd.read_csv(wholesale_csv)


def test_shape_and_columns(raw):
    # reference: the raw UCI CSV read with pandas
    df = load_wholesale()
    assert len(df) == 440 == len(raw)
    assert list(df.columns) == ["Channel", "Region", *SPEND_COLUMNS]
    assert list(raw.columns) == ["Channel", "Region", *SPEND_COLUMNS]


def test_categoricals(raw):
    # reference: the raw UCI CSV's codes and their documented meanings
    df = load_wholesale()
    for col, names in (("Channel", CHANNELS), ("Region", REGIONS)):
        assert isinstance(df[col].dtype, pd.CategoricalDtype), col
        assert set(df[col].cat.categories) == set(names.values())
        assert not df[col].isna().any()
        # Row by row, the label is the raw code's meaning.
        expected = raw[col].map(names)
        assert (df[col].astype(str) == expected).all(), col
        # counts match the raw file (computed from it, not hard-coded)
        got = df[col].value_counts().to_dict()
        want = raw[col].map(names).value_counts().to_dict()
        assert got == want, col


def test_channel_counts_by_hand(raw):
    # The published counts of the UCI file (298 Horeca, 142 Retail), confirmed on the raw CSV.
    # reference: the published UCI counts (298 Horeca, 142 Retail), confirmed on the raw CSV
    assert (raw["Channel"] == 1).sum() == 298
    assert (raw["Channel"] == 2).sum() == 142
    counts = load_wholesale()["Channel"].value_counts()
    assert counts["Horeca"] == 298
    assert counts["Retail"] == 142


def test_spend_matches_raw_file(raw):
    # reference: the raw UCI CSV read with pandas
    df = load_wholesale()
    np.testing.assert_array_equal(df[SPEND_COLUMNS].to_numpy(), raw[SPEND_COLUMNS].to_numpy())
    assert (df[SPEND_COLUMNS] > 0).all().all()  # log spend is defined


def test_loader_returns_a_fresh_frame():
    a = load_wholesale()
    a.loc[0, "Fresh"] = -1
    assert load_wholesale().loc[0, "Fresh"] != -1


def _run_demo(*args):
    out = subprocess.run(
        [sys.executable, "-m", "segmint", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def _segment_table(stdout):
    """Rows (segment, customers, share %) of the segment table printed by the demo."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\s*customers\s+share %", line))
    rows = []
    for line in lines[start + 1 :]:
        m = re.match(r"\s*(\d+)\s+(\d+)\s+([\d.]+)\s*$", line)
        if m is None:
            if rows:
                break
            continue  # the index-name line ("segment")
        rows.append((int(m.group(1)), int(m.group(2)), float(m.group(3))))
    return rows


def _segment_sizes(stdout):
    return {s: n for s, n, _ in _segment_table(stdout)}


def _segment_shares(stdout):
    return {s: share for s, _, share in _segment_table(stdout)}


@pytest.mark.parametrize(
    ("args", "segments"),
    [((), None), (("--segments", "5", "--seed", "1"), 5)],
    ids=["default", "5"],
)
def test_demo_runs_and_sizes_sum_to_440(raw, args, segments):
    # reference: the data's row count (440); the demo's output is parsed
    stdout = _run_demo(*args)
    assert stdout.startswith("440 wholesale customers")
    if segments is None:  # the k flagged as recommended in the printed "Choosing k" table
        flagged = re.findall(r"^(\d+) .* True$", stdout, flags=re.MULTILINE)
        assert len(flagged) == 1
        segments = int(flagged[0])
    assert f"k-means, {segments} segments" in stdout
    sizes = _segment_sizes(stdout)
    assert sorted(sizes) == list(range(segments))
    assert all(n > 0 for n in sizes.values())
    assert sum(sizes.values()) == 440 == len(raw)
    # the printed shares are the sizes over 440, rounded to 0.1 %
    shares = _segment_shares(stdout)
    for seg, n in sizes.items():
        assert shares[seg] == pytest.approx(100 * n / 440, abs=0.05 + 1e-9)


def test_demo_requires_a_command():
    # reference: none numeric: API contract (argparse usage error) checked directly
    out = subprocess.run(
        [sys.executable, "-m", "segmint"], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 2
    assert "usage" in out.stderr
