"""``ChoiceModel("mnl")`` on a Dask LocalCluster (issue 14).

The promise checked here is the issue's: an MNL fitted on a Dask DataFrame of long choice data
equals the in-memory fit on the same rows — coefficients, standard errors (robust ones too),
covariances, log-likelihoods and iterations to the last bit — on 1, 3, 7 and uneven partitions,
with tasks and respondents cut by partition boundaries, rows in any order and empty partitions.
The in-memory fit is itself checked against xlogit, R mlogit / Greene and statsmodels in
test_conjoint_reference.py; the real data here are the same published files (Train's
electricity panel, the camera CBC). A worker killed mid-fit gives the same model; bad input
raises on the client the in-memory error, naming the column.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import segmint as sg  # noqa: E402
from segmint import distributed as sd  # noqa: E402
from segmint.errors import InvalidInputError, InvalidTypeError  # noqa: E402

ELEC_VARS = ["pf", "cl", "loc", "wk", "tod", "seas"]
ELEC_ROLES = {"respondent": "id", "task": "chid", "chosen": "choice", "attributes": []}
CAMERA_IDS = ["respondent", "task", "alternative", "chosen"]
ATTRS = ["brand", "support", "delivery", "contract", "warranty", "price"]

FITTED = [
    "coef_",
    "se_",
    "robust_se_",
    "covariance_",
    "robust_covariance_",
    "loglik_",
    "loglik_null_",
    "rho2_",
    "aic_",
    "bic_",
    "n_iter_",
    "part_worths_",
    "parameter_names_",
    "n_tasks_",
    "n_respondents_",
]


@pytest.fixture(scope="module")
def electricity(shared_data: Path) -> pd.DataFrame:
    d = pd.read_csv(shared_data / "conjoint" / "electricity_long.csv")
    return d[["id", "chid", "choice", *ELEC_VARS]]


@pytest.fixture(scope="module")
def camera(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "conjoint" / "camera_long.csv")


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    data, _ = sg.datasets.make_choice_data(700, 8, 3, random_state=3)
    return data


def parts(df: pd.DataFrame, n: int):  # type: ignore[no-untyped-def]
    return dd.from_pandas(df, npartitions=n, sort=False)


def uneven(df: pd.DataFrame, cuts: list[int]):  # type: ignore[no-untyped-def]
    """Partitions cut at the given row positions (an empty one where two cuts coincide)."""
    import dask

    bounds = [0, *cuts, len(df)]
    pieces = [df.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    return dd.from_delayed([dask.delayed(p) for p in pieces], meta=df.iloc[:0])


def assert_same_fit(dist: sg.conjoint.MNL, mem: sg.conjoint.MNL) -> None:
    # reference: the in-memory fit on the same rows (itself checked against xlogit, R mlogit /
    # Greene and statsmodels in test_conjoint_reference.py); compared bit for bit.
    for name in FITTED:
        a, b = getattr(dist, name), getattr(mem, name)
        if isinstance(a, pd.Series):
            pd.testing.assert_series_equal(a, b, check_exact=True)
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
        elif isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
        else:
            assert a == b, name
    pd.testing.assert_index_equal(dist.respondents_, mem.respondents_, exact=True)
    assert dist.coding_ == mem.coding_


@pytest.mark.parametrize("n", [1, 3, 7])
def test_electricity_equals_in_memory(client, electricity, n):
    mem = sg.ChoiceModel("mnl").fit(electricity, linear=ELEC_VARS, **ELEC_ROLES)
    dist = sg.ChoiceModel("mnl").fit(parts(electricity, n), linear=ELEC_VARS, **ELEC_ROLES)
    assert mem.n_tasks_ > 4 * sd.CHUNK_ROWS  # several chunks of tasks
    assert_same_fit(dist, mem)


@pytest.mark.parametrize("n", [1, 3, 7])
def test_camera_equals_in_memory(client, camera, n):
    names = list(camera.columns.drop(CAMERA_IDS))
    frame = camera[["respondent", "task", "chosen", *names]]
    mem = sg.ChoiceModel("mnl").fit(frame, attributes=[], linear=names)
    dist = sg.ChoiceModel("mnl").fit(parts(frame, n), attributes=[], linear=names)
    assert_same_fit(dist, mem)


def test_planted_attributes_and_constants_equal_in_memory(client, planted):
    # Effects-coded attributes (levels from the data), alternative-specific constants, price.
    opts = dict(attributes=ATTRS, linear=["price"], alternative="alternative")
    mem = sg.conjoint.MNL(**opts).fit(planted)
    for n in (3, 7):
        assert_same_fit(sg.conjoint.MNL(**opts).fit(parts(planted, n)), mem)
    assert mem.n_tasks_ == 5600


def test_uneven_partitions_split_tasks_and_respondents(client, planted):
    # Cuts inside tasks (one alternative on each side) and inside respondents, and an empty
    # partition: rows of a task are gathered again, in the in-memory order.
    mem = sg.conjoint.MNL(linear=["price"]).fit(planted)
    cuts = [1, 2500, 2500, 7001, 16000]
    assert planted["task"].iloc[2499] == planted["task"].iloc[2500]
    ddf = uneven(planted, cuts)
    assert ddf.npartitions == 6
    assert_same_fit(sg.conjoint.MNL(linear=["price"]).fit(ddf), mem)


def test_shuffled_rows_respondents_across_partitions(client, planted):
    # Rows in random order: every respondent and most tasks span several partitions, the
    # in-memory order (respondents and tasks by first appearance) is rebuilt on the cluster.
    shuffled = planted.sample(frac=1.0, random_state=1)
    mem = sg.conjoint.MNL(linear=["price"]).fit(shuffled)
    assert_same_fit(sg.conjoint.MNL(linear=["price"]).fit(parts(shuffled, 5)), mem)


def test_long_respondent_spans_three_partitions(client, electricity):
    # One respondent with 2,100 tasks runs through more than two partitions of 1,024 tasks:
    # its sandwich score is summed over its tasks in order, as in memory.
    d = electricity.copy()
    d.loc[d["id"] <= 180, "id"] = 1
    mem = sg.ChoiceModel("mnl").fit(d, linear=ELEC_VARS, **ELEC_ROLES)
    assert d.groupby("id")["chid"].nunique().max() > 2 * sd.CHUNK_ROWS
    assert_same_fit(sg.ChoiceModel("mnl").fit(parts(d, 7), linear=ELEC_VARS, **ELEC_ROLES), mem)


def test_categorical_and_string_ids(client, planted):
    d = planted.copy()
    d["respondent"] = "r" + d["respondent"].astype(str)
    d["brand"] = d["brand"].astype("category")
    ddf = parts(d, 4)
    # The same rows as Dask holds them (Dask stores text as pyarrow strings).
    mem = sg.conjoint.MNL(linear=["price"]).fit(ddf.compute())
    assert_same_fit(sg.conjoint.MNL(linear=["price"]).fit(ddf), mem)


def test_estimator_reuse_and_input_untouched(client, electricity):
    before = electricity.copy()
    model = sg.conjoint.MNL(linear=ELEC_VARS, **ELEC_ROLES)
    model.fit(parts(electricity, 3))
    pd.testing.assert_frame_equal(electricity, before)
    assert model.get_params()["linear"] == ELEC_VARS


def test_worker_killed_mid_fit_gives_the_same_model(client, electricity, kill_worker_at):
    mem = sg.ChoiceModel("mnl").fit(electricity, linear=ELEC_VARS, **ELEC_ROLES)
    assert mem.n_iter_ >= 3
    calls = kill_worker_at(4)  # after the read and totals passes and a first Newton point
    dist = sg.ChoiceModel("mnl").fit(parts(electricity, 3), linear=ELEC_VARS, **ELEC_ROLES)
    assert calls["n"] > 4
    assert_same_fit(dist, mem)
    client.wait_for_workers(2, timeout=60)


# --- bad input: the in-memory error, raised on the client ---------------------------------------


def same_error(client, frame: pd.DataFrame, n: int = 3, **opts):  # type: ignore[no-untyped-def]
    """The in-memory and the distributed error (type, message, column) for `frame`."""
    ddf = parts(frame, n)
    # The same rows as Dask holds them (Dask stores text as pyarrow strings).
    with pytest.raises((InvalidInputError, InvalidTypeError)) as mem:
        sg.conjoint.MNL(**opts).fit(ddf.compute())
    with pytest.raises((InvalidInputError, InvalidTypeError)) as dist:
        sg.conjoint.MNL(**opts).fit(ddf)
    assert type(dist.value) is type(mem.value)
    assert str(dist.value) == str(mem.value)
    assert dist.value.what == mem.value.what
    return dist.value


def test_nan_in_linear_attribute(client, planted):
    d = planted.copy()
    d.loc[9000, "price"] = np.nan
    assert same_error(client, d, linear=["price"]).what == "price"


def test_nan_in_attribute(client, planted):
    d = planted.copy()
    d["brand"] = d["brand"].astype(object)
    d.loc[9000, "brand"] = None
    assert same_error(client, d, linear=["price"]).what == "brand"


def test_text_linear_attribute(client, planted):
    d = planted.copy()
    d["price"] = d["price"].astype(str)
    assert same_error(client, d, linear=["price"]).what == "price"


def test_task_without_a_chosen_alternative(client, planted):
    d = planted.copy()
    task = (d["respondent"] == d["respondent"].iloc[9000]) & (d["task"] == d["task"].iloc[9000])
    d.loc[task, "chosen"] = 0
    e = same_error(client, d, linear=["price"])
    assert e.what == "chosen" and "has 0" in str(e)


def test_task_with_two_chosen_alternatives(client, planted):
    d = planted.copy()
    task = (d["respondent"] == d["respondent"].iloc[300]) & (d["task"] == d["task"].iloc[300])
    d.loc[task, "chosen"] = 1
    assert same_error(client, d, linear=["price"]).what == "chosen"


def test_single_alternative_task(client, planted):
    d = planted.drop(index=[9001, 9002])
    assert same_error(client, d, linear=["price"]).what == "task"


def test_bad_chosen_values_and_missing_ids(client, planted):
    d = planted.copy()
    d.loc[5, "chosen"] = 2
    assert same_error(client, d, linear=["price"]).what == "chosen"
    d = planted.copy()
    d["respondent"] = d["respondent"].astype(float)
    d.loc[7000, "respondent"] = np.nan
    assert same_error(client, d, linear=["price"]).what == "respondent"


def test_missing_role_column_and_unknown_reference(client, planted):
    assert same_error(client, planted, linear=["cost"]).what == "linear"
    e = same_error(
        client, planted, linear=["price"], alternative="alternative", asc_reference="zzz"
    )
    assert e.what == "asc_reference"


def test_one_level_attribute(client, planted):
    d = planted.copy()
    d["support"] = "email"
    assert same_error(client, d, linear=["price"]).what == "support"


def test_not_a_dataframe(client, planted):
    import dask.array as da

    with pytest.raises(InvalidTypeError, match="data"):
        sg.conjoint.MNL().fit(da.from_array(np.zeros((10, 3)), chunks=5))
