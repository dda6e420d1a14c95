"""Polars and pyarrow tables give the same results as the pandas frame they hold (issue 16):
they are converted through Arrow, categoricals keep their categories and Enum its order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import segmint as sg


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 400
    g = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "spend": rng.normal(size=n) + 2.0 * g,
            "visits": rng.poisson(2 + g).astype(np.int64),
            "industry": np.array(["retail", "horeca", "wholesale"])[g],
            "size": pd.Categorical(
                np.array(["small", "medium", "large"])[rng.integers(0, 3, n)],
                categories=["small", "medium", "large"],
                ordered=True,
            ),
        }
    )


def _as_polars(df: pd.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "spend": df["spend"].to_numpy(),
            "visits": df["visits"].to_numpy(),
            "industry": df["industry"].astype(str).tolist(),
            "size": pl.Series(df["size"].astype(str).tolist()).cast(
                pl.Enum(list(df["size"].cat.categories))
            ),
        }
    )


def test_polars_and_pyarrow_convert_to_the_same_frame(mixed: pd.DataFrame) -> None:
    from segmint._frame.table import to_pandas

    for native in (_as_polars(mixed), pa.Table.from_pandas(mixed, preserve_index=False)):
        back = to_pandas(native)
        assert back is not None
        # reference: the pandas frame itself (values, categories and their order).
        np.testing.assert_array_equal(back["spend"].to_numpy(), mixed["spend"].to_numpy())
        assert back["industry"].astype(str).tolist() == mixed["industry"].tolist()
        assert list(back["size"].cat.categories) == ["small", "medium", "large"]
        assert back["size"].cat.ordered


def test_estimators_identical_on_polars_pandas_pyarrow(mixed: pd.DataFrame) -> None:
    natives = [_as_polars(mixed), pa.Table.from_pandas(mixed, preserve_index=False)]
    kp = sg.KPrototypes(3, random_state=0).fit(mixed)
    tree = sg.CHAID(max_depth=2).fit(mixed.drop(columns="industry"), mixed["industry"])
    gower = sg.gower_distances(mixed)
    for native in natives:
        # reference: the same estimator on the pandas frame (bit-identical expected).
        other = sg.KPrototypes(3, random_state=0).fit(native)
        np.testing.assert_array_equal(other.labels_.to_numpy(), kp.labels_.to_numpy())
        assert other.cost_ == kp.cost_
        x = (
            native.drop("industry")
            if isinstance(native, pl.DataFrame)
            else native.drop(["industry"])
        )
        t = sg.CHAID(max_depth=2).fit(x, mixed["industry"])
        assert t.export_text() == tree.export_text()
        np.testing.assert_array_equal(np.asarray(sg.gower_distances(native)), np.asarray(gower))
