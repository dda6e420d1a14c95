//! Read-only NumPy arguments whose data the kernels may view: aligned for their element type.
//!
//! NumPy arrays need not be aligned: a view into a byte buffer at an odd offset, a field of a
//! packed structured array, or a buffer unpickled from the network (Dask's pickle protocol 5
//! frames) can start anywhere. An `ndarray` view of such data is undefined behaviour (debug
//! builds panic with "The pointer must be aligned"), so every array argument of the bindings is
//! an [`Aligned`]: an unaligned array is copied once by `numpy.require(a, requirements="A")`
//! before any view is taken; aligned arrays (nearly all of them) pass through without a copy.

use std::ops::Deref;

use numpy::ndarray::{Dimension, Ix1, Ix2};
use numpy::{Element, PyReadonlyArray, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// A [`PyReadonlyArray`] whose data pointer is aligned for `T` (copied when the caller's was
/// not). Dereferences to the read-only array, so `.as_array()` / `.as_slice()` work as usual.
pub struct Aligned<'py, T: Element, D: Dimension>(PyReadonlyArray<'py, T, D>);

/// One-dimensional [`Aligned`].
pub type Aligned1<'py, T> = Aligned<'py, T, Ix1>;
/// Two-dimensional [`Aligned`].
pub type Aligned2<'py, T> = Aligned<'py, T, Ix2>;

impl<'py, T: Element, D: Dimension> Deref for Aligned<'py, T, D> {
    type Target = PyReadonlyArray<'py, T, D>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// NumPy's ALIGNED flag: the data pointer *and* every stride are multiples of the element's
/// alignment (a strided view into a packed structured array can fail on its strides alone).
fn is_aligned<T: Element, D: Dimension>(array: &PyReadonlyArray<'_, T, D>) -> bool {
    array.is_aligned()
}

impl<'a, 'py, T: Element + 'a, D: Dimension + 'a> FromPyObject<'a, 'py> for Aligned<'py, T, D> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let array: PyReadonlyArray<'py, T, D> = obj.extract()?;
        if is_aligned(&array) {
            return Ok(Self(array));
        }
        drop(array);
        let py = obj.py();
        let copy = py
            .import("numpy")?
            .call_method1("require", (obj, py.None(), "A"))?;
        let array: PyReadonlyArray<'py, T, D> = copy.extract()?;
        Ok(Self(array))
    }
}
