//! Sample expressions (`fetch(args),conv(args)…`), ACL lines and conditions, log-format
//! strings: parsed and validated against HAProxy 2.6's keyword lists.
