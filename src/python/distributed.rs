//! Bindings of the partition kernels a distributed fit runs on every partition (see
//! `segmint.distributed`): results are frozen objects whose arrays the Python layer merges.

use super::array::{Aligned1, Aligned2};
use ndarray::{Array1, Array2, Array3};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3};
use pyo3::prelude::*;

use super::run;
use crate::cluster::kmeans::partition::{
    self, Farthest, Nodes, PartitionLloyd, PartitionMoments, PassInput, Placement,
};
use crate::cluster::kprototypes_partition::{
    self, PartitionProtoStats, ProtoFarthest, ProtoPassInput,
};

type Matrix<'py> = Bound<'py, PyArray2<f64>>;
type Vector<'py> = Bound<'py, PyArray1<f64>>;

fn v1<'py, T: numpy::Element + Clone>(py: Python<'py>, a: &Array1<T>) -> Bound<'py, PyArray1<T>> {
    a.clone().into_pyarray(py)
}

fn v2<'py>(py: Python<'py>, a: &Array2<f64>) -> Matrix<'py> {
    a.clone().into_pyarray(py)
}

fn v3<'py>(py: Python<'py>, a: &Array3<f64>) -> Bound<'py, PyArray3<f64>> {
    a.clone().into_pyarray(py)
}

/// Column moments of one partition per node of the in-memory chunk tree.
#[pyclass(frozen, module = "segmint._core")]
pub struct MomentsPartition {
    inner: PartitionMoments,
}

#[pymethods]
impl MomentsPartition {
    /// First chunk of each node.
    #[getter]
    fn node_first<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        v1(py, &self.inner.nodes.first)
    }
    /// Chunks in each node.
    #[getter]
    fn node_count<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        v1(py, &self.inner.nodes.count)
    }
    #[getter]
    fn count<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        v2(py, &self.inner.count)
    }
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        v2(py, &self.inner.mean)
    }
    #[getter]
    fn m2<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        v2(py, &self.inner.m2)
    }
    #[getter]
    fn total_weight(&self) -> f64 {
        self.inner.total_weight
    }
}

/// Lloyd-step statistics of one partition per node of the in-memory chunk tree.
#[pyclass(frozen, module = "segmint._core")]
pub struct LloydPartition {
    inner: PartitionLloyd,
}

fn nodes_first<'py>(py: Python<'py>, n: &Nodes) -> Bound<'py, PyArray1<u64>> {
    v1(py, &n.first)
}

#[pymethods]
impl LloydPartition {
    #[getter]
    fn node_first<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        nodes_first(py, &self.inner.nodes)
    }
    #[getter]
    fn node_count<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        v1(py, &self.inner.nodes.count)
    }
    /// nodes × k × d sums of `x − offset`.
    #[getter]
    fn sums<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray3<f64>> {
        v3(py, &self.inner.sums)
    }
    /// nodes × k weights.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        v2(py, &self.inner.weights)
    }
    #[getter]
    fn inertia<'py>(&self, py: Python<'py>) -> Vector<'py> {
        v1(py, &self.inner.inertia)
    }
    #[getter]
    fn label_hash(&self) -> u64 {
        self.inner.label_hash
    }
}

/// Rows of one partition farthest from their centre (relocation candidates).
#[pyclass(frozen, module = "segmint._core")]
pub struct FarthestRows {
    inner: Farthest,
}

#[pymethods]
impl FarthestRows {
    #[getter]
    fn index<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        v1(py, &self.inner.index)
    }
    #[getter]
    fn distance<'py>(&self, py: Python<'py>) -> Vector<'py> {
        v1(py, &self.inner.distance)
    }
    #[getter]
    fn rows<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        v2(py, &self.inner.rows)
    }
    #[getter]
    fn weight<'py>(&self, py: Python<'py>) -> Vector<'py> {
        v1(py, &self.inner.weight)
    }
    #[getter]
    fn label<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        v1(py, &self.inner.label)
    }
}

/// Validates a partition and returns its column moments per chunk-tree node.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, row_start, n_total, n_threads))]
pub fn kmeans_partition_moments<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    sample_weight: Option<Aligned1<'py, f64>>,
    row_start: usize,
    n_total: usize,
    n_threads: usize,
) -> PyResult<MomentsPartition> {
    let x = x.as_array();
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let at = Placement { row_start, n_total };
    let inner = run(py, n_threads, || partition::partition_moments(x, w, at))?;
    Ok(MomentsPartition { inner })
}

/// One Lloyd step (`accumulate`) or the final assignment's inertia on a partition.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, centers, offset, row_start, n_total, accumulate, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_partition_lloyd<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    sample_weight: Option<Aligned1<'py, f64>>,
    centers: Aligned2<'py, f64>,
    offset: Aligned1<'py, f64>,
    row_start: usize,
    n_total: usize,
    accumulate: bool,
    n_threads: usize,
) -> PyResult<LloydPartition> {
    let input = PassInput {
        x: x.as_array(),
        weights: sample_weight.as_ref().map(|w| w.as_array()),
        centers: centers.as_array(),
        offset: offset.as_array(),
        at: Placement { row_start, n_total },
    };
    let inner = run(py, n_threads, || {
        partition::partition_lloyd(&input, accumulate)
    })?;
    Ok(LloydPartition { inner })
}

/// The `m` rows of a partition farthest from their nearest centre.
#[pyfunction]
#[pyo3(signature = (x, *, sample_weight, centers, offset, row_start, n_total, m, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_partition_farthest<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    sample_weight: Option<Aligned1<'py, f64>>,
    centers: Aligned2<'py, f64>,
    offset: Aligned1<'py, f64>,
    row_start: usize,
    n_total: usize,
    m: usize,
    n_threads: usize,
) -> PyResult<FarthestRows> {
    let input = PassInput {
        x: x.as_array(),
        weights: sample_weight.as_ref().map(|w| w.as_array()),
        centers: centers.as_array(),
        offset: offset.as_array(),
        at: Placement { row_start, n_total },
    };
    let inner = run(py, n_threads, || partition::partition_farthest(&input, m))?;
    Ok(FarthestRows { inner })
}

/// One batch k-prototypes assignment pass on a partition, per chunk-tree node.
#[pyclass(frozen, module = "segmint._core")]
pub struct ProtoStatsPartition {
    inner: PartitionProtoStats,
}

#[pymethods]
impl ProtoStatsPartition {
    #[getter]
    fn node_first<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        v1(py, &self.inner.nodes.first)
    }
    #[getter]
    fn node_count<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        v1(py, &self.inner.nodes.count)
    }
    /// nodes × k × p numeric sums.
    #[getter]
    fn sums<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray3<f64>> {
        v3(py, &self.inner.sums)
    }
    /// nodes × k weights.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        v2(py, &self.inner.weights)
    }
    /// nodes × k × levels category counts.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray3<f64>> {
        v3(py, &self.inner.counts)
    }
    /// nodes × k member counts.
    #[getter]
    fn members<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u64>> {
        self.inner.members.clone().into_pyarray(py)
    }
    #[getter]
    fn cost<'py>(&self, py: Python<'py>) -> Vector<'py> {
        v1(py, &self.inner.cost)
    }
    #[getter]
    fn label_hash(&self) -> u64 {
        self.inner.label_hash
    }
}

/// The rows of a partition farthest from their nearest prototype.
#[pyclass(frozen, module = "segmint._core")]
pub struct ProtoFarthestRows {
    inner: ProtoFarthest,
}

#[pymethods]
impl ProtoFarthestRows {
    #[getter]
    fn index<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        v1(py, &self.inner.index)
    }
    #[getter]
    fn distance<'py>(&self, py: Python<'py>) -> Vector<'py> {
        v1(py, &self.inner.distance)
    }
    #[getter]
    fn numeric<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        v2(py, &self.inner.numeric)
    }
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u32>> {
        self.inner.codes.clone().into_pyarray(py)
    }
}

/// One batch k-prototypes assignment pass on a partition, per chunk-tree node.
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, sample_weight, centers, modes, gamma, row_start, n_total, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kprototypes_partition_stats<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    sample_weight: Option<Aligned1<'py, f64>>,
    centers: Aligned2<'py, f64>,
    modes: Aligned2<'py, u32>,
    gamma: f64,
    row_start: usize,
    n_total: usize,
    n_threads: usize,
) -> PyResult<ProtoStatsPartition> {
    let input = ProtoPassInput {
        numeric: x.as_array(),
        codes: codes.as_array(),
        n_levels: &n_levels,
        weights: sample_weight.as_ref().map(|w| w.as_array()),
        centres: centers.as_array(),
        modes: modes.as_array(),
        gamma,
        at: Placement { row_start, n_total },
    };
    let inner = run(py, n_threads, || {
        kprototypes_partition::partition_stats(&input)
    })?;
    Ok(ProtoStatsPartition { inner })
}

/// The `m` rows of a partition farthest from their nearest prototype.
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, centers, modes, gamma, row_start, n_total, m, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kprototypes_partition_farthest<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    centers: Aligned2<'py, f64>,
    modes: Aligned2<'py, u32>,
    gamma: f64,
    row_start: usize,
    n_total: usize,
    m: usize,
    n_threads: usize,
) -> PyResult<ProtoFarthestRows> {
    let input = ProtoPassInput {
        numeric: x.as_array(),
        codes: codes.as_array(),
        n_levels: &n_levels,
        weights: None,
        centres: centers.as_array(),
        modes: modes.as_array(),
        gamma,
        at: Placement { row_start, n_total },
    };
    let inner = run(py, n_threads, || {
        kprototypes_partition::partition_farthest(&input, m)
    })?;
    Ok(ProtoFarthestRows { inner })
}
