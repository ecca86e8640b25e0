//! `http-request`, `http-response`, `http-after-response`, `tcp-request`, `tcp-response`
//! rules and the routing keywords, validated into [`crate::model::rules`].
