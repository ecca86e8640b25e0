//! Address parsing: HAProxy's `str2sa_range()` (families, ports, ranges, `fd@`, `unix@`…).
