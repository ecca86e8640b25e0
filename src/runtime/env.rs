//! What sample fetches ask of the running proxy (`nbsrv`, `queue`, `srv_is_up`,
//! `http_auth`…), answered from the shared backends and the configuration's userlists.

use super::shared::Shared;
use crate::queue::ServerState;
use crate::sample::fetch::{BackendStat, Env};

/// The proxy as seen from a stream whose current backend is `be`.
pub struct RtEnv<'a> {
    pub shared: &'a Shared,
    pub be: Option<usize>,
    /// The connection's stick-counter slots, for `sc*_` fetches and `track-sc*`.
    pub stk: Option<std::sync::Arc<crate::stick::Trackers>>,
}

impl RtEnv<'_> {
    fn backend_index(&self, name: Option<&str>) -> Option<usize> {
        match name {
            None => self.be,
            Some(n) => self.shared.backends.iter().position(|b| b.name == n),
        }
    }
}

fn usable(st: ServerState) -> bool {
    matches!(st, ServerState::Up | ServerState::Starting)
}

impl Env for RtEnv<'_> {
    fn backend(&self, name: Option<&str>) -> Option<BackendStat> {
        let b = &self.shared.backends[self.backend_index(name)?];
        let q = &b.queue;
        let servers = q.servers();
        let live = || {
            servers
                .iter()
                .filter(|s| !s.is_deleted() && usable(s.state()))
        };
        let active = live().filter(|s| !s.is_backup()).count() as i64;
        let backup = live().filter(|s| s.is_backup()).count() as i64;
        // `be_usable_srv()`: active servers, else the backups.
        let nbsrv = if active > 0 { active } else { backup };
        let mut connslots = Some(0i64);
        let mut conn_free = Some(0i64);
        for s in servers
            .iter()
            .filter(|s| !s.is_deleted() && s.state() != ServerState::Down)
        {
            if s.maxconn() == 0 || s.maxqueue() == 0 {
                connslots = None;
            }
            if s.maxconn() == 0 {
                conn_free = None;
            }
            let free = s.maxconn() as i64 - s.served() as i64;
            connslots = connslots.map(|c| c + free + s.maxqueue() as i64 - s.queued() as i64);
            conn_free = conn_free.map(|c| c + free.max(0));
        }
        Some(BackendStat {
            nbsrv,
            active,
            conn: q.beconn() as i64,
            queue: q.totpend() as i64,
            connslots,
            conn_free,
        })
    }

    fn server_up(&self, backend: Option<&str>, server: &str) -> Option<bool> {
        let b = &self.shared.backends[self.backend_index(backend)?];
        let i = b.queue.server_index(server)?;
        Some(usable(b.queue.server(i)?.state()))
    }

    fn server_stat(&self, backend: Option<&str>, server: &str) -> Option<(i64, i64)> {
        let b = &self.shared.backends[self.backend_index(backend)?];
        let s = b.queue.server(b.queue.server_index(server)?)?;
        Some((s.served() as i64, s.queued() as i64))
    }

    fn server_weight(&self, backend: Option<&str>, server: &str) -> Option<i64> {
        let b = &self.shared.backends[self.backend_index(backend)?];
        let s = b.queue.server(b.queue.server_index(server)?)?;
        Some(s.weight() as i64)
    }

    fn frontend_conn(&self, name: &str) -> Option<i64> {
        let f = self.shared.frontends.iter().find(|f| f.name == name)?;
        Some(f.limit.current() as i64)
    }

    fn timeout(&self, proxy: Option<&str>, which: &str) -> Option<i64> {
        let ms = |d: Option<std::time::Duration>| d.map_or(0, |d| d.as_millis() as i64);
        match proxy {
            Some(fe) => {
                let f = self.shared.frontends.iter().find(|f| f.name == fe)?;
                Some(ms(f.px.timeouts.client))
            }
            None => {
                let b = &self.shared.backends[self.be?];
                Some(match which {
                    "tunnel" => ms(b.tunnel),
                    _ => ms(b.server),
                })
            }
        }
    }

    fn auth(&self, userlist: &str, user: &[u8], pass: &[u8]) -> Option<Vec<String>> {
        let ul = self.shared.userlists.iter().find(|u| u.name == userlist)?;
        let u = ul.users.iter().find(|u| u.name.as_bytes() == user)?;
        let ok = if u.insecure {
            u.password.as_bytes() == pass
        } else {
            pwhash::unix::verify(std::str::from_utf8(pass).ok()?, &u.password)
        };
        if !ok {
            return None;
        }
        // A user's groups: its own `groups` list, and the groups that list it.
        let mut groups: Vec<String> = Vec::new();
        for (g, members) in &ul.groups {
            let listed = members
                .iter()
                .flat_map(|m| m.split(','))
                .any(|m| m == u.name);
            if listed || u.groups.iter().flat_map(|x| x.split(',')).any(|x| x == g) {
                groups.push(g.clone());
            }
        }
        Some(groups)
    }
}
