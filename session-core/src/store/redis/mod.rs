//! Redis store (client-server topology).
