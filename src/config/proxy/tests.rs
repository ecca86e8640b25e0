//! Tests of the proxy sections.
