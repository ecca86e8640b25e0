//! The C ABI (`include/haproxy_rs.h`): opaque handles, `hap_<type>_<verb>` names, a panic
//! boundary on every function. Only this module contains the C face.
