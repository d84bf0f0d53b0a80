//! placeholder until the bindings issue lands
