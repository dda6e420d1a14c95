"""The conversion layer between user data and the Rust core: the one place that knows pandas,
polars and numpy dtypes.

- `table`: numeric blocks, weights and per-row results on the caller's rows;
- `measured`: tables with measurement levels and targets (CHAID, mixed clustering);
- `cluster`: mixed tables for k-prototypes and Gower, segment labels as codes;
- `conjoint`: attribute levels, effects coding, long choice data, rating matrices.

The estimators import the names below; each lives in the module named above.
"""

from .cluster import (
    ClusterData,
    GowerData,
    class_codes,
    cluster_table,
    gower_table,
    observed_classes,
    segment_codes,
)
from .measured import CONTINUOUS, MeasuredTable, measured_table, target
from .measured_parts import (
    column_levels,
    label_summary,
    merged_encoding,
    merged_target,
    target_codes,
    target_summary,
    target_values,
)
from .table import (
    MISSING_CODE,
    MISSING_POLICIES,
    NumericData,
    check_features,
    check_numeric_dtype,
    frame,
    is_dask,
    labels_series,
    numeric,
    numeric_input,
    positive_weights,
    sample_weight,
    to_pandas,
)

__all__ = [
    "CONTINUOUS",
    "MISSING_CODE",
    "MISSING_POLICIES",
    "ClusterData",
    "GowerData",
    "MeasuredTable",
    "NumericData",
    "check_features",
    "check_numeric_dtype",
    "class_codes",
    "cluster_table",
    "column_levels",
    "frame",
    "gower_table",
    "is_dask",
    "label_summary",
    "labels_series",
    "measured_table",
    "merged_encoding",
    "merged_target",
    "numeric",
    "numeric_input",
    "observed_classes",
    "positive_weights",
    "sample_weight",
    "segment_codes",
    "target",
    "target_codes",
    "target_summary",
    "target_values",
    "to_pandas",
]
