"""The HTML report: valid HTML5 (html5lib, strict), self-contained, rendered by headless
Chromium without console errors, with every segment's name and size on the page."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import warnings

import html5lib
import numpy as np
import pandas as pd
import pytest

import segmint as sg
from segmint.datasets import SPEND_COLUMNS

CRITERIA = sg.Criteria(
    environmental=["Channel"], organisational=["Region"], individual=SPEND_COLUMNS
)


@pytest.fixture(scope="module")
def parts():
    df = sg.datasets.load_wholesale()
    df.index = pd.Index([f"C{i:04d}" for i in range(len(df))], name="customer")
    log_spend = np.log(df[SPEND_COLUMNS])
    X = (log_spend - log_spend.mean()) / log_spend.std()
    km = sg.KMeans(4, random_state=0).fit(X)
    ours = df["Region"] != "Other"
    market = sg.market_map(km, X[ours], X[~ours], value=df.loc[ours, SPEND_COLUMNS].sum(axis=1))
    stab = sg.stability(sg.KMeans(4), X, n_boot=8, random_state=0)
    before = sg.KMeans(3, random_state=1).fit(X).labels_
    mig = sg.migration(before, km.labels_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sg.SmallSegmentWarning)
        prof = sg.profile(df, km.labels_, criteria=CRITERIA, min_size=0.15)
    return df, km, prof, market, stab, mig


@pytest.fixture(scope="module")
def full_report(parts, tmp_path_factory):
    df, km, prof, market, stab, mig = parts
    rep = sg.report(
        prof,
        data=df,
        labels=km.labels_,
        tree=True,
        stability=stab,
        migration=mig,
        market=market,
        title="Wholesale <customers> & co",
    )
    path = rep.save(tmp_path_factory.mktemp("report") / "report.html")
    return rep, prof, path


def test_html_parses_without_errors(full_report):
    # reference: html5lib's strict HTML5 parser (no parse error)
    _, _, path = full_report
    text = path.read_text(encoding="utf-8")
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(text)  # strict: raises on the first parse error
    assert parser.errors == []
    assert text.startswith("<!DOCTYPE html>")


def test_self_contained_and_printable(full_report):
    _, _, path = full_report
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    # no external resource: every src is an embedded data URI, links are in-page anchors
    for src in re.findall(r"src='([^']*)'", text):
        assert src.startswith("data:image/png;base64,")
    for href in re.findall(r"href='([^']*)'", text):
        assert href.startswith("#")
    assert not re.search(r"(src|href)=\"?https?:", text)
    assert "@media print" in text
    assert "&lt;customers&gt; &amp; co" in text  # the title is escaped


def test_sections_and_content(full_report, parts):
    # reference: pandas value_counts of the labels for the sizes; the profile's names and personas
    rep, prof, path = full_report
    km = parts[1]
    headings = [h for _, h, _ in rep.sections]
    assert headings == [
        "Overview",
        "Profile by criteria family",
        "What differs between segments",
        "Stability",
        "Rules that describe each segment",
        "Market potential",
        "Migration since the last segmentation",
    ]
    text = path.read_text(encoding="utf-8")
    for seg, name in prof.names_.items():
        size = int((km.labels_ == seg).sum())  # pandas reference for the size
        assert html.escape(name) in text
        assert f"{size:,} customers" in text
    for persona in prof.personas:
        assert html.escape(persona) in text
    # The heatmap and the tests list the families in the criteria's order.
    body = dict((a, b) for a, _, b in rep.sections)
    for section in ("profile", "tests"):
        positions = [
            body[section].index(f">{t}<")
            for t in ("Environmental", "Organisational", "Individual")
        ]
        assert positions == sorted(positions)
    # Small segments (below 15 %) are flagged.
    small = prof.summary.index[prof.summary["small"]]
    assert len(small) > 0 and body["overview"].count("below min_size") == len(small)


def test_chaid_rules_cover_every_leaf(parts):
    # reference: the tree's own node table (tree_: leaf sizes and class shares)
    df, km, prof, *_ = parts
    tree = sg.CHAID(max_depth=2, min_parent_size=60, min_child_size=30).fit(df, km.labels_)
    rep = sg.report(prof, data=df, tree=tree)
    rules = dict((a, b) for a, _, b in rep.sections)["rules"]
    assert rules.count("<li>") == tree.n_leaves_
    leaves = tree.tree_[tree.tree_["leaf"]]
    for _, row in leaves.iterrows():  # the size of each leaf, from the tree's own table
        share = row[f"%[{row['prediction']}]"]
        assert f"{int(row['weighted_n']):,} customers, {share:.0f}%" in rules
    # plain language: no set braces or "<=" of the technical rules
    assert "{" not in rules and "&lt;=" not in rules


def test_report_from_a_model_and_errors(parts):
    # reference: pandas value_counts of KMeans.labels_ for the sizes
    df, km, prof, *_ = parts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sg.SmallSegmentWarning)
        rep = sg.report(km, data=df)  # labels from km.labels_ (same index as df)
    ref = km.labels_.value_counts()  # pandas reference for the sizes
    for seg, size in ref.items():
        assert f"segment {seg} · {size:,} customers" in rep.to_html()
    assert [h for _, h, _ in rep.sections][:3] == [
        "Overview",
        "Profile",
        "What differs between segments",
    ]
    assert "segmint-report" in rep._repr_html_()
    with pytest.raises(sg.InvalidInputError, match="labels"):
        sg.report(prof, data=df, tree=True)
    # A profile made without criteria is profiled again with them when the labels are given.
    plain = sg.profile(df, km.labels_)
    with pytest.raises(sg.InvalidInputError, match="criteria"):
        sg.report(plain, data=df, criteria=CRITERIA)
    regrouped = sg.report(plain, data=df, criteria=CRITERIA, labels=km.labels_)
    assert ">Organisational<" in regrouped.to_html()
    with pytest.raises(sg.InvalidInputError, match="data"):
        sg.report(prof, data=df.to_numpy())
    with pytest.raises(sg.InvalidInputError, match="profile_or_model"):
        sg.report(object(), data=df)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium not installed (make chromium installs Debian's package)")


def test_renders_in_headless_chromium(full_report, tmp_path):
    # reference: Chromium's rendered DOM, its console log and its PDF output
    chromium = _chromium()
    _, prof, path = full_report
    shot = tmp_path / "report.png"
    common = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    run = subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1280,2000", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    # No console messages at all (the page has no script; a broken resource would log one).
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    dom = subprocess.run(
        [*common, "--dump-dom", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert [line for line in dom.stderr.splitlines() if "CONSOLE" in line] == []
    # It prints: Chromium's PDF output (print stylesheet applied) has several pages.
    pdf = tmp_path / "report.pdf"
    printed = subprocess.run(
        [*common, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 3
    rendered = dom.stdout
    assert "<h1>Wholesale &lt;customers&gt; &amp; co</h1>" in rendered
    for seg, name in prof.names_.items():
        size = int(prof.summary.loc[seg, "size"])
        assert html.escape(name) in rendered, name
        assert f"{size:,} customers" in rendered
