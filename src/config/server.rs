//! `server` / `default-server` lines and their options (HAProxy's `server.c`).
