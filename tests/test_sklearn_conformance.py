"""Every estimator through scikit-learn's `parametrize_with_checks` (issue 16). Expected failures
are listed per estimator with the reason, as scikit-learn's own `_xfail_checks` do; `KMeans` is
checked in test_kmeans_api.py."""

from __future__ import annotations

from typing import Any

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import segmint as sg
from segmint.conjoint import MNL, HierarchicalBayes, LatentClassMNL, RatingConjoint

#: scikit-learn's checks that fit on a numeric X (and y). The conjoint models fit on other
#: shapes of data (long choice data with respondent / task / chosen columns; profiles and a
#: respondents × profiles rating table), so each of these fails at the conversion of the data,
#: by design. The API checks (construction, get/set_params, clone, repr, no attributes set in
#: __init__, tags) run and pass.
NOT_X_Y = "fits on conjoint data (long choice data, or profiles and ratings), not a numeric X, y"
FITS_ON_X = dict.fromkeys(
    (
        "check_complex_data",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimator_sparse_tag",
        "check_estimators_dtypes",
        "check_estimators_empty_data_messages",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit1d",
        "check_fit2d_1feature",
        "check_fit2d_1sample",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
    ),
    NOT_X_Y,
)

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "KPrototypes": {
        "check_sample_weight_equivalence_on_dense_data": (
            "the seeding draws from the rows, so weights are not equivalent to repeated rows "
            "under a fixed seed (as for KMeans)"
        ),
    },
    "KMedoids": {
        # The check scatters NaN over a 3-column table when allow_nan is set (Gower metric).
        "check_estimators_pickle": (
            "Gower distance is undefined for rows that share no non-missing column; "
            "KMedoids refuses such data rather than invent a distance"
        ),
    },
    "MNL": FITS_ON_X,
    "HierarchicalBayes": FITS_ON_X,
    "LatentClassMNL": FITS_ON_X,
    "RatingConjoint": FITS_ON_X,
}


def _expected(estimator: Any) -> dict[str, str]:
    name = type(estimator).__name__
    if name == "KMedoids" and estimator.metric != "gower":
        return {}
    failures = dict(EXPECTED_FAILURES.get(name, {}))
    if "check_estimators_pickle" in failures:
        failures["check_estimators_pickle(readonly_memmap=True)"] = failures[
            "check_estimators_pickle"
        ]
    return failures


@parametrize_with_checks(
    [
        sg.KPrototypes(3, n_init=2, random_state=0),
        sg.KMedoids(3, random_state=0),
        sg.KMedoids(3, metric="euclidean", random_state=0),
        sg.Ward(3),
        sg.CHAID(),
        RatingConjoint(),
        MNL(),
        HierarchicalBayes(n_iter=20, burn_in=10, thin=1),
        LatentClassMNL(n_classes=2, n_starts=1),
    ],
    expected_failed_checks=_expected,
)
def test_scikit_learn_checks(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


def test_chaid_score_is_accuracy_or_r2() -> None:
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import cross_val_score

    customers = sg.datasets.load_wholesale()
    X = customers.drop(columns=["Channel", "Fresh"])
    tree = sg.CHAID(max_depth=2).fit(X, customers["Channel"])
    # reference: scikit-learn's metrics on the same predictions.
    expected = accuracy_score(customers["Channel"], tree.predict(X))
    assert tree.score(X, customers["Channel"]) == pytest.approx(expected, rel=1e-12)
    reg = sg.CHAID(max_depth=2, target_type="continuous").fit(X, customers["Fresh"])
    expected = r2_score(customers["Fresh"], reg.predict(X))
    assert reg.score(X, customers["Fresh"]) == pytest.approx(expected, rel=1e-12)
    scores = cross_val_score(sg.CHAID(max_depth=2), X, customers["Channel"], cv=3)
    assert scores.shape == (3,) and (scores > 0.5).all()
