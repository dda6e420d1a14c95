"""The ``segmint`` command line: ``segmint demo``, ``segmint segment``, ``segmint onedim``.

Also run as ``python -m segmint``. Bad files, columns and options end with one line on stderr
(``segmint: error: ...``) and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import SegmintError

#: Exit code of every usage or input error (argparse uses it too).
EXIT_USAGE = 2

_DEMO_REPORT = Path(tempfile.gettempdir()) / "segmint-demo" / "wholesale_report.html"


class CliError(Exception):
    """An input problem to report on one line (exit code 2).

    See Also
    --------
    main : prints it as ``segmint: error: ...`` and returns 2.

    Examples
    --------
    >>> from segmint.cli import read_table, CliError
    >>> try:
    ...     read_table("no-such-file.csv")
    ... except CliError as e:
    ...     print(e)
    no-such-file.csv: no such file
    """


# --- reading input -----------------------------------------------------------------------------


def read_table(path: str, *, sep: str = ",") -> pd.DataFrame:
    """Read a CSV file (optionally gzip / zip / bz2 / xz compressed, by extension), or raise
    :class:`CliError` with one readable line.

    Parameters
    ----------
    path : str
        The file.
    sep : str, default ","
        Field separator.

    Returns
    -------
    DataFrame
        The table.

    Raises
    ------
    CliError
        No such file, an empty file, a file that is not CSV.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from segmint.cli import read_table, CliError
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = p.write_text("")
    >>> try:
    ...     read_table(str(p))
    ... except CliError as e:
    ...     print(str(e).endswith("empty.csv: the file is empty"))
    True
    """
    p = Path(path)
    if not p.exists():
        raise CliError(f"{path}: no such file")
    if not p.is_file():
        raise CliError(f"{path}: not a file")
    if p.stat().st_size == 0:
        raise CliError(f"{path}: the file is empty")
    compressed = p.suffix.lower() in (".gz", ".bz2", ".zip", ".xz", ".zst")
    if not compressed:
        with open(p, "rb") as f:
            head = f.read(8192)
        if b"\x00" in head:
            raise CliError(f"{path}: not a CSV file (it holds binary data)")
    try:
        df = pd.read_csv(p, sep=sep, low_memory=False)
    except UnicodeDecodeError:
        raise CliError(f"{path}: not a CSV file (not readable as UTF-8 text)") from None
    except pd.errors.EmptyDataError:
        raise CliError(f"{path}: the file is empty (no header line)") from None
    except pd.errors.ParserError as e:
        first = str(e).strip().splitlines()[-1] if str(e).strip() else "cannot parse it"
        raise CliError(f"{path}: not a valid CSV file ({first})") from None
    except (OSError, EOFError, ValueError) as e:
        raise CliError(f"{path}: cannot read it as CSV ({e})") from None
    if df.shape[1] == 0 or len(df) == 0:
        raise CliError(f"{path}: the file has a header but no rows")
    return df


def _column(df: pd.DataFrame, name: str, flag: str, path: str) -> str:
    if name not in df.columns:
        shown = ", ".join(map(str, df.columns[:8])) + (", ..." if df.shape[1] > 8 else "")
        raise CliError(f"{flag}: no column {name!r} in {path} (columns: {shown})")
    return name


# --- segment -----------------------------------------------------------------------------------


def _feature_columns(
    df: pd.DataFrame, args: argparse.Namespace, criteria: Any
) -> tuple[list[str], list[str]]:
    """Columns to cluster on, and text columns left out (nearly one value per row)."""
    if args.columns:
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
        for c in columns:
            _column(df, c, "--columns", args.file)
    elif args.family:
        columns = []
        for family in args.family:
            if criteria is None:
                raise CliError("--family: needs --criteria")
            try:
                columns += list(criteria.select(df, family).columns)
            except SegmintError as e:
                raise CliError(f"--family: {e}") from None
    else:
        columns = list(df.columns)
    skipped = []
    kept = []
    for c in columns:
        col = df[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            if col.notna().sum() == 0:
                skipped.append(c)
            else:
                kept.append(c)
            continue
        distinct = col.nunique(dropna=True)
        if distinct <= 1 or (distinct > 50 and distinct > 0.5 * len(col)):
            skipped.append(c)  # an identifier or free text: describes no group
        else:
            kept.append(c)
    if not kept:
        raise CliError(f"{args.file}: no column to segment on (numbers or categories)")
    return kept, skipped


def _prepare(df: pd.DataFrame, log: bool) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Numbers standardised (optionally log1p first), everything else as categories."""
    out = pd.DataFrame(index=df.index)
    numeric, categorical = [], []
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            x = col.astype(np.float64)
            if log and bool((x.dropna() >= 0).all()):
                x = np.log1p(x)
            sd = x.std()
            out[c] = (x - x.mean()) / (sd if sd > 0 else 1.0)
            numeric.append(c)
        else:
            out[c] = col.astype("category")
            categorical.append(c)
    return out, numeric, categorical


def _choose_method(requested: str, X: pd.DataFrame, numeric: list[str], cat: list[str]) -> str:
    if requested != "auto":
        return requested
    missing = bool(X.isna().any().any())
    if not cat:
        return "kmedoids" if missing else "kmeans"
    if not numeric or missing:
        return "kmedoids"
    return "kprototypes"


def _fit(method: str, X: pd.DataFrame, k_arg: str, k_max: int, seed: int) -> tuple[Any, int]:
    from . import KMeans, KMedoids, KPrototypes, select_k

    n = len(X)
    if method in ("kmedoids",) and n > 20_000:
        raise CliError(
            f"--method kmedoids: {n:,} rows need a {n:,} × {n:,} distance matrix; use "
            "--method kprototypes (no missing values) or a sample"
        )
    if k_arg == "auto":
        ks = range(2, max(2, min(k_max, n - 1)) + 1)
        if method == "kmedoids":
            from sklearn.metrics import silhouette_score

            from .gower import gower_distances

            d = np.asarray(gower_distances(X))
            best = max(
                ks,
                key=lambda k: silhouette_score(
                    d,
                    KMedoids(k, metric="precomputed").fit(d).labels_.to_numpy(),
                    metric="precomputed",
                ),
            )
            k = int(best)
        else:
            base = (
                KMeans(random_state=seed)
                if method == "kmeans"
                else KPrototypes(random_state=seed, n_init=4)
            )
            table = select_k(X, ks, estimator=base, n_refs=5, random_state=seed)
            k = int(table.index[table["recommended"]][0])
    else:
        try:
            k = int(k_arg)
        except ValueError:
            raise CliError(f"--k: expected 'auto' or a number, got {k_arg!r}") from None
        if not 2 <= k <= n:
            raise CliError(f"--k: must be between 2 and the number of rows ({n}), got {k}")
    model: Any
    if method == "kmeans":
        model = KMeans(k, random_state=seed)
    elif method == "kprototypes":
        model = KPrototypes(k, random_state=seed)
    elif method == "kmedoids":
        model = KMedoids(k, metric="gower", random_state=seed)
    else:  # pragma: no cover - argparse restricts the choices
        raise CliError(f"--method: unknown method {method!r}")
    return model.fit(X), k


def _segment(args: argparse.Namespace) -> int:
    from . import Criteria, profile, report

    df = read_table(args.file, sep=args.sep)
    if args.id is not None:
        _column(df, args.id, "--id", args.file)
        if df[args.id].isna().any():
            raise CliError(f"--id: column {args.id!r} has missing ids")
        if not df[args.id].is_unique:
            dup = df[args.id][df[args.id].duplicated()].iloc[0]
            raise CliError(f"--id: column {args.id!r} is not unique ({dup!r} repeats)")
        df = df.set_index(args.id)
    criteria = None
    if args.criteria is not None:
        if not Path(args.criteria).is_file():
            raise CliError(f"--criteria: no such file {args.criteria}")
        try:
            criteria = Criteria.from_toml(args.criteria)
        except SegmintError as e:
            raise CliError(f"--criteria: {e}") from None
        for columns in criteria.families.values():
            for c in columns:
                _column(df, c, "--criteria", args.file)
        try:
            df = criteria.apply_order(df)
        except SegmintError as e:
            raise CliError(f"--criteria: {e}") from None
    features, skipped = _feature_columns(df, args, criteria)
    for c in skipped:
        print(
            f"segmint: note: column {c!r} left out (an identifier, text or constant)",
            file=sys.stderr,
        )
    X, numeric, categorical = _prepare(df[features], args.log)
    method = _choose_method(args.method, X, numeric, categorical)
    if method == "kmeans" and categorical:
        raise CliError("--method kmeans: needs numeric columns only; use kprototypes or kmedoids")
    if method in ("kmeans", "kprototypes") and X.isna().any().any():
        bad = X.columns[X.isna().any()][0]
        raise CliError(
            f"--method {method}: column {bad!r} has missing values; use --method kmedoids "
            "(Gower distances skip them)"
        )
    model, k = _fit(method, X, args.k, args.k_max, args.seed)
    labels = pd.Series(np.asarray(model.labels_), index=df.index, name="segment")
    describe = df.drop(columns=skipped)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small segments are flagged in the report instead
        prof = profile(describe, labels, criteria=criteria, min_size=args.min_size)
    names = prof.names_
    print(f"{len(df):,} rows, {len(features)} columns, {method}, k = {k}")
    summary = pd.DataFrame(
        {
            "name": names,
            "customers": prof.summary["size"].astype(int),
            "share %": (100 * prof.summary["share"]).round(1),
        }
    )
    print(summary.to_string())
    if args.out is not None:
        out = pd.DataFrame({"segment": labels, "segment_name": labels.map(names.to_dict())})
        out.index.name = args.id or "row"
        try:
            out.to_csv(args.out)
        except OSError as e:
            raise CliError(f"--out: cannot write {args.out} ({e.strerror})") from None
        print(f"Segments written to {args.out}")
    if args.report is not None:
        title = args.title or f"Segments of {Path(args.file).name}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rep = report(
                prof, data=describe, labels=labels, criteria=criteria, tree=True, title=title
            )
        try:
            path = rep.save(args.report)
        except OSError as e:
            raise CliError(f"--report: cannot write {args.report} ({e.strerror})") from None
        print(f"Report written to {path}")
    return 0


# --- onedim ------------------------------------------------------------------------------------


def _onedim(args: argparse.Namespace) -> int:
    try:
        from . import onedim  # type: ignore[attr-defined]
    except ImportError:
        raise CliError(
            "onedim: this installation has no one-dimensional segmentation module "
            "(segmint.onedim); install a segmint version that includes it"
        ) from None
    df = read_table(args.file, sep=args.sep)
    for flag, name in (
        ("--customer", args.customer),
        ("--date", args.date),
        ("--amount", args.amount),
        ("--quantity", args.quantity),
        ("--price", args.price),
        ("--invoice", args.invoice),
    ):
        if name is not None:
            _column(df, name, flag, args.file)
    if args.amount is None and (args.quantity is None or args.price is None):
        raise CliError("onedim: give --amount, or --quantity and --price")
    summary = onedim.customer_summary(
        df,
        customer=args.customer,
        date=args.date,
        amount=args.amount,
        quantity=args.quantity,
        price=args.price,
        invoice=args.invoice,
    )
    out = summary.copy()
    abc = onedim.abc(summary["monetary"])
    out["abc"] = abc.labels_
    rfm = onedim.rfm(summary)
    out = out.join(rfm.scores_.add_prefix("rfm_"))
    out["rfm_cell"] = rfm.cell_
    if rfm.segment_ is not None:
        out["rfm_segment"] = rfm.segment_
    print(f"{len(out):,} customers")
    print(out["abc"].value_counts().sort_index().rename("customers").to_string())
    if args.out is not None:
        try:
            out.to_csv(args.out)
        except OSError as e:
            raise CliError(f"--out: cannot write {args.out} ({e.strerror})") from None
        print(f"Customer table written to {args.out}")
    return 0


# --- demo --------------------------------------------------------------------------------------


def demo_report(path: str | Path, n_segments: int | None = None, seed: int = 0) -> Path:
    """Write the wholesale demo's report (segments, rules, stability, market) to `path`.

    Parameters
    ----------
    path : str or Path
        Where to write the HTML file.
    n_segments : int, optional
        Default: the gap statistic's k, as in the demo.
    seed : int, default 0
        Seed of the clustering, the gap statistic and the stability resamples.

    Returns
    -------
    Path
        The path written.

    See Also
    --------
    segmint.report : reports of your own segmentations.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from segmint.cli import demo_report
    >>> out = demo_report(pathlib.Path(tempfile.mkdtemp()) / "demo.html", n_segments=3)
    >>> out.name, out.stat().st_size > 10_000
    ('demo.html', True)
    """
    import segmint as sg
    from segmint.datasets import SPEND_COLUMNS, load_wholesale

    customers = load_wholesale()
    customers.index = pd.Index([f"C{i:03d}" for i in range(len(customers))], name="customer")
    log_spend = np.log(customers[SPEND_COLUMNS])
    X = (log_spend - log_spend.mean()) / log_spend.std()
    if n_segments is None:
        choice = sg.select_k(X, range(2, 8), n_refs=5, random_state=seed)
        n_segments = int(choice.index[choice["recommended"]][0])
    km = sg.KMeans(n_clusters=n_segments, random_state=seed).fit(X)
    criteria = sg.Criteria(
        environmental=["Channel"], organisational=["Region"], individual=SPEND_COLUMNS
    )
    stable = sg.stability(sg.KMeans(n_clusters=n_segments), X, n_boot=30, random_state=seed)
    # Market view: Lisbon and Oporto clients are our customers, the rest of the country the
    # market to win; value = annual spend.
    ours = customers["Region"] != "Other"
    market = sg.market_map(
        km, X[ours], X[~ours], value=customers.loc[ours, SPEND_COLUMNS].sum(axis=1)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = sg.report(
            km,
            data=customers,
            criteria=criteria,
            tree=True,
            stability=stable,
            market=market,
            title="Wholesale customers: segments",
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return rep.save(path)


def _demo(args: argparse.Namespace) -> int:
    from .__main__ import demo

    demo(args.segments, args.seed)
    if args.report != "":
        path = demo_report(args.report, args.segments, args.seed)
        print(f"\nReport: {path}")
    return 0


# --- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``segmint`` command (every flag documented in ``--help``).

    Returns
    -------
    argparse.ArgumentParser
        The parser, with the subcommands ``demo``, ``segment`` and ``onedim``.

    Examples
    --------
    >>> from segmint.cli import build_parser
    >>> args = build_parser().parse_args(["segment", "customers.csv", "--k", "4"])
    >>> args.command, args.file, args.k
    ('segment', 'customers.csv', '4')
    """
    parser = argparse.ArgumentParser(
        prog="segmint",
        description="B2B customer segmentation from the command line.",
        epilog="Errors in files, columns or options end with one line on stderr and exit code 2.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "demo",
        help="segment the bundled wholesale customer sample and write its report",
        description="Segment the 440 bundled wholesale customers end to end and write the "
        "HTML report.",
    )
    p.add_argument(
        "--segments",
        type=int,
        default=None,
        help="number of segments (default: the gap statistic's k)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--report",
        default=str(_DEMO_REPORT),
        metavar="PATH",
        help=f"where to write the HTML report (default {_DEMO_REPORT}; '' for none)",
    )
    p.set_defaults(run=_demo)

    p = sub.add_parser(
        "segment",
        help="segment the rows of a customer table (CSV)",
        description="Segment the customers of a CSV table: k-means for numbers only, "
        "k-prototypes for numbers and categories, Gower distances + k-medoids when there are "
        "only categories or missing values. Numbers are standardised.",
    )
    p.add_argument("file", help="customer table, one row per customer (CSV; .gz etc. allowed)")
    p.add_argument("--id", metavar="COLUMN", help="column with the customer ids (unique)")
    p.add_argument(
        "--k",
        default="auto",
        metavar="K",
        help="number of segments, or 'auto' to choose it with the gap statistic "
        "(k-means, k-prototypes) or the silhouette (k-medoids); default auto",
    )
    p.add_argument(
        "--k-max", type=int, default=8, metavar="N", help="largest k tried by --k auto (default 8)"
    )
    p.add_argument(
        "--criteria",
        metavar="TOML",
        help="criteria families: environmental / organisational / individual = "
        "[columns], optional [order] table of ordinal categories",
    )
    p.add_argument(
        "--family",
        action="append",
        metavar="NAME",
        help="segment on the columns of this criteria family only (repeatable)",
    )
    p.add_argument(
        "--columns",
        metavar="A,B,...",
        help="segment on these columns only (default: all but the id)",
    )
    p.add_argument(
        "--method",
        default="auto",
        choices=["auto", "kmeans", "kprototypes", "kmedoids"],
        help="clustering method (default auto: chosen by the column types)",
    )
    p.add_argument(
        "--log",
        action="store_true",
        help="log(1 + x) non-negative numbers before standardising (skewed spend)",
    )
    p.add_argument(
        "--min-size",
        type=float,
        default=0.05,
        metavar="SIZE",
        help="flag segments smaller than this share (< 1) or count (default 0.05)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--sep", default=",", help="field separator of the CSV (default ',')")
    p.add_argument("--out", metavar="CSV", help="write id, segment and segment name per row")
    p.add_argument("--report", metavar="HTML", help="write the HTML report here")
    p.add_argument("--title", help="title of the report (default: from the file name)")
    p.set_defaults(run=_segment)

    p = sub.add_parser(
        "onedim",
        help="one-dimensional segmentation of a transaction log (ABC, RFM)",
        description="Customer summary, ABC classes and RFM scores from invoice lines (needs "
        "the segmint.onedim module).",
    )
    p.add_argument("file", help="transaction lines (CSV; .gz etc. allowed)")
    p.add_argument("--customer", required=True, metavar="COLUMN", help="customer id column")
    p.add_argument("--date", required=True, metavar="COLUMN", help="date column")
    p.add_argument("--amount", metavar="COLUMN", help="line amount column")
    p.add_argument("--quantity", metavar="COLUMN", help="quantity column (with --price)")
    p.add_argument("--price", metavar="COLUMN", help="unit price column (with --quantity)")
    p.add_argument(
        "--invoice",
        metavar="COLUMN",
        help="invoice number column (frequency counts distinct invoices)",
    )
    p.add_argument("--sep", default=",", help="field separator of the CSV (default ',')")
    p.add_argument("--out", metavar="CSV", help="write the per-customer table here")
    p.set_defaults(run=_onedim)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``segmint`` command; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, default None
        The arguments (None: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a usage or input error (one line on stderr), 1 for any other
        failure, 130 when interrupted.

    Examples
    --------
    >>> from segmint.cli import main
    >>> main(["segment", "no-such-file.csv"])
    2
    """
    parser = build_parser()
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        return int(args.run(args))
    except CliError as e:
        print(f"segmint: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except SegmintError as e:
        print(f"segmint: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("segmint: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback: one line, with the kind of failure
        text = str(e).strip().splitlines()[0] if str(e).strip() else ""
        print(f"segmint: error: {type(e).__name__}: {text}", file=sys.stderr)
        return 1


__all__ = ["CliError", "build_parser", "demo_report", "main", "read_table"]
