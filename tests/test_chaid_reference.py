"""segmint.CHAID against its references.

1. The trees of the R-Forge CHAID package's regression tests that were checked against IBM
   SPSS ("passt" / "ok" in ../shared/data/chaid/regtest_SPSS.R), read by hand from
   regtest_SPSS.Rout.save:
   split variables, merged category groups (restricted to the categories present in the node; R
   also lists absent ones), node sizes, predicted class and error rate. R's `chaid()` defaults are
   used: minsplit = 20 (min_parent_size), minbucket = 7 (min_child_size), alpha2 = alpha4 = 0.05,
   no depth limit; `auto.tempo`, `kaffee.einkm` and `kaffee.preis` are ordered factors.
2. The `CHAID` PyPI package (no Bonferroni adjustment) on Titanic: root χ² equal where the merged
   groups are the same, equal trees where the adjustment changes no decision, and a constructed
   case where it does.
3. Frequency weights give the tree of the expanded data; the F test equals scipy's f_oneway.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import segmint

#: R chaid()'s defaults (no depth limit, minsplit 20, minbucket 7).
R_DEFAULTS = {"max_depth": None, "min_parent_size": 20, "min_child_size": 7}
#: R prints error rates rounded to 0.1 %.
ERR_TOL = 0.05 + 1e-9


def _frame(df: pd.DataFrame, cols: list[str], ordered: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Categorical(df[c], ordered=c in ordered) for c in cols})


def _leaves(model: segmint.CHAID) -> dict[tuple, tuple[float, str, float]]:
    """{path: (n, predicted class, error %)}; a path is ((variable, categories), ...)."""
    t = model.tree_
    out = {}
    for v in t.index[t["leaf"]]:
        path = []
        node = v
        while t.at[node, "parent"] >= 0:
            parent = t.at[node, "parent"]
            path.append((t.at[parent, "split"], frozenset(t.at[node, "categories"])))
            node = parent
        row = t.loc[v]
        pred = row["prediction"]
        out[tuple(path[::-1])] = (row["weighted_n"], str(pred), 100 - row[f"%[{pred}]"])
    return out


def _check(model: segmint.CHAID, expected: list[tuple]) -> None:
    got = _leaves(model)
    want = {
        tuple((var, frozenset(cats)) for var, cats in path): (n, pred, err)
        for path, n, pred, err in expected
    }
    assert set(got) == set(want), f"tree differs:\n{model.export_text()}"
    for path, (n, pred, err) in want.items():
        gn, gpred, gerr = got[path]
        assert gn == n, (path, gn, n)
        assert gpred == pred, (path, gpred, pred)
        assert abs(gerr - err) <= ERR_TOL, (path, gerr, err)


N, T, M, B = "nutzung", "tempo", "modell", "beruf"

AUTO = {
    "tmpauto1": (
        [M],
        [([(M, {1, 2})], 606, "1", 10.4), ([(M, {3, 4})], 187, "1", 27.8)],
    ),
    "tmpauto2": (
        [N],
        [
            ([(N, {1})], 293, "1", 1.4),
            ([(N, {2})], 456, "1", 20.2),
            ([(N, {3})], 44, "1", 43.2),
        ],
    ),
    "tmpauto3": (
        [T],
        [([(T, {1, 2})], 416, "1", 8.4), ([(T, {3, 4})], 377, "1", 21.2)],
    ),
    "tmpauto4": (
        [M, N],
        [
            ([(N, {1})], 293, "1", 1.4),
            ([(N, {2}), (M, {1, 2})], 306, "1", 16.3),
            ([(N, {2}), (M, {3, 4})], 150, "1", 28.0),
            ([(N, {3})], 44, "1", 43.2),
        ],
    ),
    "tmpauto5": (
        [M, T],
        [
            ([(M, {1, 2}), (T, {1, 2})], 377, "1", 7.7),
            ([(M, {1, 2}), (T, {3, 4})], 229, "1", 14.8),
            ([(M, {3, 4})], 187, "1", 27.8),
        ],
    ),
    "tmpauto6": (
        [N, T],
        [
            ([(N, {1})], 293, "1", 1.4),
            ([(N, {2}), (T, {1, 2})], 193, "1", 14.5),
            ([(N, {2}), (T, {3, 4})], 263, "1", 24.3),
            ([(N, {3})], 44, "1", 43.2),
        ],
    ),
    "tmpauto7": (
        [N, T, M],
        [
            ([(N, {1})], 293, "1", 1.4),
            ([(N, {2}), (M, {1, 2})], 306, "1", 16.3),
            ([(N, {2}), (M, {3, 4})], 150, "1", 28.0),
            ([(N, {3})], 44, "1", 43.2),
        ],
    ),
    "tmpauto8": (
        [B],
        [([(B, {1, 2})], 387, "1", 23.8), ([(B, {3})], 406, "1", 5.7)],
    ),
    "tmpauto9": (
        [M, B],
        [
            ([(B, {1, 2}), (M, {1, 2})], 231, "1", 18.6),
            ([(B, {1, 2}), (M, {3, 4})], 156, "1", 31.4),
            ([(B, {3})], 406, "1", 5.7),
        ],
    ),
}

K, E, P = "klasse", "einkm", "preis"

KAFFEE = {
    "tmpkaffee1": (
        [K],
        [
            ([(K, {1, 2})], 46505, "1", 42.8),
            ([(K, {3})], 49052, "1", 44.4),
            ([(K, {4, 5})], 35429, "1", 40.2),
        ],
    ),
    "tmpkaffee2": (
        [K, E],
        [
            ([(K, {1, 2}), (E, {1, 2, 3}), (K, {1}), (E, {1})], 11857, "1", 42.0),
            ([(K, {1, 2}), (E, {1, 2, 3}), (K, {1}), (E, {2})], 654, "2", 45.4),
            ([(K, {1, 2}), (E, {1, 2, 3}), (K, {1}), (E, {3})], 4496, "1", 42.2),
            ([(K, {1, 2}), (E, {1, 2, 3}), (K, {2}), (E, {1})], 4974, "1", 45.5),
            ([(K, {1, 2}), (E, {1, 2, 3}), (K, {2}), (E, {2})], 1935, "1", 39.2),
            ([(K, {1, 2}), (E, {1, 2, 3}), (K, {2}), (E, {3})], 8293, "1", 44.4),
            ([(K, {1, 2}), (E, {4})], 14296, "1", 41.8),
            ([(K, {3}), (E, {1})], 3842, "2", 48.9),
            ([(K, {3}), (E, {2})], 13094, "1", 44.9),
            ([(K, {3}), (E, {3, 4})], 32116, "1", 43.3),
            ([(K, {4, 5})], 35429, "1", 40.2),
        ],
    ),
    "tmpkaffee3": (
        [P],
        [
            ([(P, {1})], 29637, "1", 40.2),
            ([(P, {2})], 67374, "1", 45.0),
            ([(P, {3})], 33975, "1", 40.2),
        ],
    ),
    "tmpkaffee4": (
        [E, P],
        [
            ([(P, {1}), (E, {1, 2})], 15802, "1", 41.6),
            ([(P, {1}), (E, {3, 4})], 13835, "1", 38.7),
            ([(P, {2}), (E, {1, 2})], 34650, "1", 44.6),
            ([(P, {2}), (E, {3, 4})], 32724, "1", 45.5),
            ([(P, {3}), (E, {1})], 9057, "1", 40.4),
            ([(P, {3}), (E, {2})], 8514, "1", 38.5),
            ([(P, {3}), (E, {3})], 10129, "1", 42.1),
            ([(P, {3}), (E, {4})], 6275, "1", 39.1),
        ],
    ),
    "tmpkaffee5": (
        [E],
        [
            ([(E, {1})], 33480, "1", 43.0),
            ([(E, {2})], 34543, "1", 42.1),
            ([(E, {3})], 40557, "1", 43.2),
            ([(E, {4})], 22406, "1", 42.2),
        ],
    ),
}

V, F = "verm", "famges"

KREDIT = {
    "tempkredit1": (
        [V, F],
        [
            ([(V, {1}), (F, {1, 2})], 106, "1", 31.1),
            ([(V, {1}), (F, {3, 4})], 176, "1", 15.3),
            ([(V, {2, 3})], 564, "1", 30.7),
            ([(V, {4})], 154, "1", 43.5),
        ],
    ),
    "tempkredit2": (
        [V],
        [
            ([(V, {1})], 282, "1", 21.3),
            ([(V, {2, 3})], 564, "1", 30.7),
            ([(V, {4})], 154, "1", 43.5),
        ],
    ),
    "tempkredit3": (
        [F],
        [([(F, {1, 2})], 360, "1", 35.8), ([(F, {3, 4})], 640, "1", 26.7)],
    ),
}


@pytest.fixture(scope="module")
def chaid_data(shared_data: Path) -> Path:
    path = shared_data / "chaid"
    if not path.is_dir():
        pytest.skip(f"CHAID reference data not found: {path}")
    return path


@pytest.fixture(scope="module")
def kaffee(chaid_data: Path) -> pd.DataFrame:
    return pd.read_csv(chaid_data / "kaffee.csv", usecols=["treue", K, E, P])


@pytest.mark.parametrize("case", sorted(AUTO))
def test_auto_trees_match_spss(chaid_data: Path, case: str) -> None:
    # reference: R CHAID regression tests checked against IBM SPSS (regtest_SPSS.Rout.save): split
    # variables, groups, node sizes, predicted class, error rate to R's 0.1 %
    auto = pd.read_csv(chaid_data / "auto.csv")
    cols, expected = AUTO[case]
    X = _frame(auto, cols, ordered=(T,))
    model = segmint.CHAID(**R_DEFAULTS).fit(X, auto["lease"].astype(str))
    _check(model, expected)


@pytest.mark.parametrize("case", sorted(KAFFEE))
def test_kaffee_trees_match_spss(kaffee: pd.DataFrame, case: str) -> None:
    # reference: R CHAID regression tests checked against IBM SPSS (regtest_SPSS.Rout.save): split
    # variables, groups, node sizes, predicted class, error rate to R's 0.1 %
    cols, expected = KAFFEE[case]
    X = _frame(kaffee, cols, ordered=(E, P))
    model = segmint.CHAID(**R_DEFAULTS).fit(X, kaffee["treue"].astype(str))
    _check(model, expected)


@pytest.mark.parametrize("case", sorted(KREDIT))
def test_kredit_trees_match_spss(chaid_data: Path, case: str) -> None:
    # reference: R CHAID regression tests checked against IBM SPSS (regtest_SPSS.Rout.save): split
    # variables, groups, node sizes, predicted class, error rate to R's 0.1 %
    kredit = pd.read_csv(chaid_data / "kredit.csv")
    cols, expected = KREDIT[case]
    model = segmint.CHAID(**R_DEFAULTS).fit(_frame(kredit, cols), kredit["kredit"].astype(str))
    _check(model, expected)


def test_auto_nutzung_beruf_matches_r(chaid_data: Path) -> None:
    """tmpauto10/11 ("passt nicht": SPSS differs from R at the second split). segmint gives R's
    tree; recorded so a change is noticed."""
    # reference: R chaid()'s tree (regtest_SPSS.Rout.save; SPSS differs here, so this is R, not
    # SPSS)
    auto = pd.read_csv(chaid_data / "auto.csv")
    expected = [
        ([(N, {1})], 293, "1", 1.4),
        ([(N, {2}), (B, {1})], 200, "1", 27.5),
        ([(N, {2}), (B, {2, 3})], 256, "1", 14.5),
        ([(N, {3})], 44, "1", 43.2),
    ]
    for cols in ([N, B], [M, N, B]):
        model = segmint.CHAID(**R_DEFAULTS).fit(_frame(auto, cols), auto["lease"].astype(str))
        _check(model, expected)


def test_orders_with_frequency_weights(chaid_data: Path) -> None:
    """R's orders tree (FREQ weights, rows with missing values omitted as R's na.omit does).
    Identical except under BUSIVOL >= 1.000.000 / SPEC all the time, where R splits on FIRMSIZE
    {1-10, 10-100} 483 / {over 100} 436. No SPSS output is available for that node, so it is
    not checked against R: the leaves elsewhere are R's (reference: regtest_SPSS.Rout.save), and
    the node is checked in ``test_orders_disputed_node_by_scipy`` below."""
    orders = pd.read_csv(chaid_data / "orders.csv")
    cols = ["REG", "BUSIVOL", "FIRMSIZE", "SPEC", "AGE"]
    orders = orders.dropna(subset=cols)
    model = segmint.CHAID(**R_DEFAULTS).fit(
        orders[cols].astype("category"), orders["RESP"], sample_weight=orders["FREQ"]
    )
    cities, rest = {"mostly in cities"}, {"mostly rural", "half rural, half cities"}
    low, mid, high, top = ORDERS_BUSIVOL
    seldom, lot, always = ORDERS_SPEC
    no = "no order"
    # reference: R chaid() on the orders data (regtest_SPSS.Rout.save), every leaf outside the
    # disputed node.
    expected = [
        ([("BUSIVOL", {low}), ("REG", cities)], 1241, no, 4.8),
        ([("BUSIVOL", {low}), ("REG", rest)], 2853, no, 2.6),
        ([("BUSIVOL", {mid}), ("REG", cities)], 3079, no, 7.3),
        ([("BUSIVOL", {mid}), ("REG", rest)], 3954, no, 3.9),
        ([("BUSIVOL", {high}), ("REG", cities), ("SPEC", {seldom})], 1332, no, 8.3),
        ([("BUSIVOL", {high}), ("REG", cities), ("SPEC", {lot, always})], 2081, no, 11.6),
        ([("BUSIVOL", {high}), ("REG", rest)], 1721, no, 5.1),
        ([("BUSIVOL", {top}), ("SPEC", {seldom})], 791, no, 8.6),
        ([("BUSIVOL", {top}), ("SPEC", {lot})], 799, no, 12.8),
    ]
    disputed = (("BUSIVOL", frozenset({top})), ("SPEC", frozenset({always})))
    got = _leaves(model)
    outside = {p: v for p, v in got.items() if p[:2] != disputed}
    want = {
        tuple((var, frozenset(cats)) for var, cats in path): (n, pred, err)
        for path, n, pred, err in expected
    }
    assert set(outside) == set(want), f"tree differs:\n{model.export_text()}"
    for path, (n, pred, err) in want.items():
        gn, gpred, gerr = outside[path]
        assert (gn, gpred) == (n, pred), path
        assert abs(gerr - err) <= ERR_TOL, (path, gerr, err)
    # The disputed node is split (below it: see the next test) and weighs 919 as in R.
    assert sum(v[0] for p, v in got.items() if p[:2] == disputed) == 919


ORDERS_BUSIVOL = (
    "< 250.000 Euro",
    "250.000-500.000 Euro",
    "500.000-1.000.000 Euro",
    ">= 1.000.000 Euro",
)
ORDERS_SPEC = (
    "working seldom with bitumen",
    "working a lot with bitumen",
    "working with bitumen all the time",
)


def test_orders_disputed_node_by_scipy(chaid_data: Path) -> None:
    """At BUSIVOL >= 1.000.000 / SPEC all the time (919 weighted cases, 22 rows), every
    predictor's merged groups and Bonferroni-adjusted p computed independently
    (tests/reference_chaid.py: SPSS's merging rules, scipy's chi2_contingency on the
    frequency-weighted table): REG p_adj 0.0074 < FIRMSIZE 0.0169 < AGE 0.23, so CHAID with
    frequency weights as counts (SPSS) splits on REG, 120 / 799. R counts rows for minbucket:
    the REG group "half rural, half cities" is 6 rows (< 7), so R cannot use REG and takes the
    runner-up, FIRMSIZE, whose groups weigh 483 / 436 exactly as R prints. The weighted tree
    also equals the tree grown on the expanded rows (one row per unit of FREQ)."""
    from reference_chaid import Table, merge

    orders = pd.read_csv(chaid_data / "orders.csv")
    cols = ["REG", "BUSIVOL", "FIRMSIZE", "SPEC", "AGE"]
    orders = orders.dropna(subset=cols)
    X = orders[cols].astype("category")
    model = segmint.CHAID(**R_DEFAULTS).fit(X, orders["RESP"], sample_weight=orders["FREQ"])
    node = orders[(orders["BUSIVOL"] == ORDERS_BUSIVOL[3]) & (orders["SPEC"] == ORDERS_SPEC[2])]
    assert (len(node), node["FREQ"].sum()) == (22, 919)
    classes = sorted(orders["RESP"].unique())
    refs = {}
    for c in ["REG", "FIRMSIZE", "AGE"]:
        table = node.pivot_table(
            index=c, columns="RESP", values="FREQ", aggfunc="sum", fill_value=0, observed=True
        ).reindex(columns=classes, fill_value=0)
        ref = merge(Table(table.to_numpy()), ordinal=False)
        groups = [{table.index[i] for i in g} for g in ref["groups"]]
        sizes = [table.to_numpy()[list(g)].sum() for g in ref["groups"]]
        rows = [int(node[c].isin(g).sum()) for g in groups]
        refs[c] = (ref, groups, sizes, rows)
    ranking = sorted(refs, key=lambda c: refs[c][0]["p_adjusted"])
    assert ranking == ["REG", "FIRMSIZE", "AGE"]
    # reference: R's FIRMSIZE split at this node, 483 / 436 (regtest_SPSS.Rout.save)
    assert sorted(refs["FIRMSIZE"][2]) == [436, 483]
    # The REG group that R's row count forbids: 120 cases in 6 rows.
    reg_ref, reg_groups, reg_sizes, reg_rows = refs["REG"]
    assert sorted(zip(reg_sizes, reg_rows, strict=True)) == [(120, 6), (799, 16)]
    # segmint's node: the split, groups, statistic (scipy, relative 1e-9) and adjusted p.
    t = model.tree_
    path = t[(t["parent"] >= 0)]

    def child(parent: int, label: str) -> int:
        kids = t.index[t["parent"] == parent]
        return next(int(k) for k in kids if label in t.at[k, "categories"])

    v = child(child(0, ORDERS_BUSIVOL[3]), ORDERS_SPEC[2])
    assert t.at[v, "split"] == "REG"
    children = path.index[path["parent"] == v]
    assert sorted(map(set, t.loc[children, "categories"]), key=len) == sorted(reg_groups, key=len)
    assert t.at[v, "statistic"] == pytest.approx(reg_ref["statistic"], rel=1e-9)
    assert t.at[v, "p_adjusted"] == pytest.approx(reg_ref["p_adjusted"], rel=1e-9)
    # reference: the same data as one row per unit of frequency weight (SPSS's definition of
    # frequency weights): the same tree.
    reps = orders["FREQ"].to_numpy().astype(int)
    expanded = segmint.CHAID(**R_DEFAULTS).fit(
        X.loc[X.index.repeat(reps)].reset_index(drop=True),
        orders["RESP"].repeat(reps).reset_index(drop=True),
    )
    same = ["parent", "depth", "weighted_n", "split", "categories", "df"]
    pd.testing.assert_frame_equal(model.tree_[same], expanded.tree_[same])


def test_frequency_weights_equal_expanded_data(chaid_data: Path) -> None:
    # reference: the same data with each row repeated FREQ times (SPSS's definition of frequency
    # weights): same tree, statistics relative 1e-9
    orders = pd.read_csv(chaid_data / "orders.csv")
    cols = ["REG", "BUSIVOL", "FIRMSIZE", "SPEC", "AGE"]
    X = orders[cols].astype("category")  # missing values stay: a category of their own
    weighted = segmint.CHAID(max_depth=4, min_parent_size=200, min_child_size=50).fit(
        X, orders["RESP"], sample_weight=orders["FREQ"]
    )
    reps = orders["FREQ"].to_numpy().astype(int)
    expanded = segmint.CHAID(max_depth=4, min_parent_size=200, min_child_size=50).fit(
        X.loc[X.index.repeat(reps)].reset_index(drop=True),
        orders["RESP"].repeat(reps).reset_index(drop=True),
    )
    a, b = weighted.tree_, expanded.tree_
    assert len(a) > 5
    cols_same = ["parent", "depth", "weighted_n", "split", "categories", "df", "rule"]
    pd.testing.assert_frame_equal(a[cols_same], b[cols_same])
    # Sums in a different order: relative 1e-9.
    np.testing.assert_allclose(a["statistic"], b["statistic"], rtol=1e-9)
    np.testing.assert_allclose(a["log_p_adjusted"], b["log_p_adjusted"], rtol=1e-9)
    assert (b["n"] == b["weighted_n"]).all()


def _titanic(chaid_data: Path) -> pd.DataFrame:
    t = pd.read_csv(chaid_data / "titanic.csv")
    df = t[["survived", "sex", "pclass", "embarked", "sibsp", "parch"]].copy()
    df["embarked"] = df["embarked"].fillna("NA")
    return df


def _package_tree(df: pd.DataFrame, types: dict[str, str], **kw):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from CHAID import Tree
    return Tree.from_pandas_df(df, types, "survived", **kw)


def test_titanic_root_chi2_equals_chaid_package(chaid_data: Path) -> None:
    """The package's root statistic is the unadjusted Pearson χ² of the merged table; where it
    merged the categories the same way, segmint's statistic and p are the same numbers. (For
    parch the package keeps the value 9 apart: its ordinal columns only merge consecutive
    integers, and 7 and 8 do not occur.)"""
    # reference: the CHAID PyPI package's root χ², df and p (relative 1e-12 / 1e-9)
    pytest.importorskip("CHAID")
    df = _titanic(chaid_data)
    types = {"sex": "nominal", "pclass": "ordinal", "embarked": "nominal", "parch": "ordinal"}
    compared = 0
    for col, kind in types.items():
        ref = (
            _package_tree(df[[col, "survived"]], {col: kind}, max_depth=1, min_child_node_size=0)
            .tree_store[0]
            .split
        )
        X = df[[col]].astype(pd.CategoricalDtype(ordered=kind == "ordinal"))
        ours = segmint.CHAID(max_depth=1, min_parent_size=0, min_child_size=0).fit(
            X, df["survived"]
        )
        root = ours.tree_.loc[0]
        kids = ours.tree_[ours.tree_["parent"] == 0]
        groups = sorted(sorted(c) for c in kids["categories"])
        ref_groups = sorted(sorted(g) for g in ref.split_map)
        if groups != ref_groups:
            continue
        compared += 1
        # Same table, same formula: equal up to summation order.
        assert root["statistic"] == pytest.approx(ref.score, rel=1e-12)
        assert root["df"] == ref.dof
        assert root["p"] == pytest.approx(ref.p, rel=1e-9)
    assert compared >= 3


def _partition(model: segmint.CHAID) -> set[tuple]:
    """Leaves as paths of (variable, frozenset of labels as strings)."""
    return {
        tuple((var, frozenset(map(str, cats))) for var, cats in path) for path in _leaves(model)
    }


def _package_partition(tree) -> set[tuple]:  # type: ignore[no-untyped-def]
    nodes = {n.node_id: n for n in tree.tree_store}
    leaves = set()
    for n in tree.tree_store:
        if any(m.parent == n.node_id for m in tree.tree_store):
            continue
        path = []
        while n.parent is not None:
            parent = nodes[n.parent]
            path.append((parent.split.column, frozenset(map(str, n.choices))))
            n = parent
        leaves.add(tuple(path[::-1]))
    return leaves


def test_titanic_tree_equals_chaid_package_where_bonferroni_changes_nothing(
    chaid_data: Path,
) -> None:
    # reference: the CHAID PyPI package's tree (same leaves)
    pytest.importorskip("CHAID")
    df = _titanic(chaid_data)
    types = {"sex": "nominal", "pclass": "ordinal", "embarked": "nominal"}
    ref = _package_tree(
        df[[*types, "survived"]],
        types,
        max_depth=2,
        min_parent_node_size=30,
        min_child_node_size=0,
    )
    X = pd.DataFrame(
        {c: df[c].astype(pd.CategoricalDtype(ordered=k == "ordinal")) for c, k in types.items()}
    )
    ours = segmint.CHAID(max_depth=2, min_parent_size=31, min_child_size=0).fit(X, df["survived"])
    assert _partition(ours) == _package_partition(ref)
    # The adjustment was not decisive: every split's adjusted p is far below alpha.
    assert (ours.tree_["p_adjusted"].dropna() < 1e-4).all()


def _stirling2(n: int, k: int) -> int:
    from math import comb, factorial

    return sum((-1) ** i * comb(k, i) * (k - i) ** n for i in range(k + 1)) // factorial(k)


def test_bonferroni_changes_the_split_as_in_spss() -> None:
    """A 10-category predictor whose merged table is a little stronger than a binary
    predictor's: unadjusted (the package) it wins; with SPSS's Bonferroni multiplier S(10, r)
    (Stirling number of the second kind) the binary predictor does."""
    # reference: the CHAID PyPI package (no Bonferroni) and the Stirling-number multiplier computed
    # in the test
    pytest.importorskip("CHAID")
    rng = np.random.default_rng(7)
    n = 3000
    many = rng.integers(0, 10, n)
    high = many >= 5
    binary = np.where(rng.random(n) < 0.04, ~high, high)
    y = (rng.random(n) < np.where(high, 0.58, 0.42)).astype(int)
    df = pd.DataFrame({"many": many.astype(str), "binary": binary.astype(str), "survived": y})
    ref = _package_tree(df, {"many": "nominal", "binary": "nominal"}, max_depth=1)
    ours = segmint.CHAID(max_depth=1).fit(df[["many", "binary"]], df["survived"])
    root_ref = ref.tree_store[0].split
    assert root_ref.column == "many"
    assert ours.tree_.at[0, "split"] == "binary"
    # The premise: "many" merges to two groups with a smaller unadjusted p ...
    only_many = segmint.CHAID(max_depth=1).fit(df[["many"]], df["survived"]).tree_.loc[0]
    only_binary = segmint.CHAID(max_depth=1).fit(df[["binary"]], df["survived"]).tree_.loc[0]
    assert only_many["p"] < only_binary["p"]
    # ... that the multiplier S(10, r) turns into a larger adjusted one.
    r = int(
        (ours_many := segmint.CHAID(max_depth=1).fit(df[["many"]], df["survived"]))
        .tree_["parent"]
        .eq(0)
        .sum()
    )
    assert ours_many.n_leaves_ == r
    assert only_many["log_p_adjusted"] == pytest.approx(
        np.log(only_many["p"]) + np.log(_stirling2(10, r)), rel=1e-12
    )
    assert only_many["p_adjusted"] > only_binary["p_adjusted"]


def test_continuous_target_f_equals_scipy(chaid_data: Path) -> None:
    # reference: scipy.stats.f_oneway on the leaves (F relative 1e-9, p 1e-6)
    kredit = pd.read_csv(chaid_data / "kredit.csv")
    X = _frame(kredit, ["verm", "famges", "laufkont"])
    y = kredit["hoehe"].astype(float)
    model = segmint.CHAID(max_depth=1, target_type="continuous").fit(X, y)
    root = model.tree_.loc[0]
    assert root["split"] is not None
    leaves = model.apply(X)
    groups = [y[leaves == v] for v in sorted(leaves.unique())]
    ref = scipy.stats.f_oneway(*groups)
    assert root["statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    assert root["p"] == pytest.approx(ref.pvalue, rel=1e-6)
    assert (root["df"], root["df2"]) == (len(groups) - 1, len(y) - len(groups))
