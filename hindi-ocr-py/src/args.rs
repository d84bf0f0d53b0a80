//! Integer arguments checked against their range.
//!
//! pyo3 turns a Python int that the Rust type cannot hold (negative for an unsigned parameter, or huge) into a
//! bare `OverflowError`, while a value that fits but is out of range is our `InvalidArgumentError`. Both are the
//! same mistake, so integer arguments go through [`int_in`] (with `#[pyo3(from_py_with = ...)]`): every
//! out-of-range value is an `InvalidArgumentError` that names the argument.

use std::fmt::Display;

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;

use crate::errors;

/// `obj` as an integer of at least `min` and, if given, at most `max`; anything else that is an int raises
/// `InvalidArgumentError`. Not an int at all stays a `TypeError`.
pub fn int_in<T>(obj: &Bound<'_, PyAny>, name: &str, min: T, max: Option<T>) -> PyResult<T>
where
    T: TryFrom<i64> + PartialOrd + Display + Copy,
{
    let py = obj.py();
    let value = match obj.extract::<i64>() {
        Ok(v) => T::try_from(v).ok(),
        Err(e) if e.is_instance_of::<PyOverflowError>(py) => None,
        Err(e) => return Err(e),
    };
    if let Some(v) = value
        && v >= min
        && max.is_none_or(|max| v <= max)
    {
        return Ok(v);
    }
    let message = match max {
        Some(max) => format!("{name} must be between {min} and {max}, got {obj}"),
        // Only a positive int too big for the type gets here without being below `min`.
        None if value.is_none() && obj.gt(0)? => format!("{name} is too large, got {obj}"),
        None => format!("{name} must be at least {min}, got {obj}"),
    };
    Err(errors::invalid_argument(py, message))
}

/// [`int_in`] for an optional argument: `None` stays `None`.
pub fn optional_int_in<T>(obj: &Bound<'_, PyAny>, name: &str, min: T, max: Option<T>) -> PyResult<Option<T>>
where
    T: TryFrom<i64> + PartialOrd + Display + Copy,
{
    if obj.is_none() { Ok(None) } else { int_in(obj, name, min, max).map(Some) }
}
