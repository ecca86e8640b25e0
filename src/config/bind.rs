//! `bind` lines and their options (HAProxy's `listener.c` and `cfgparse-ssl.c` bind keywords).
