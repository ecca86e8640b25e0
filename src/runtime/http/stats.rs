//! The HTTP session's side of the stats page and of `use-service`: where HAProxy's
//! `http_process_req_common()` hands a request to the stats applet (after a proxy's
//! `http-request` rules) or to a service, the session answers it itself. The page is
//! built by `runtime::stats_page`.

use super::HttpSession;
use crate::model::proxy::StatsAction;
use crate::rules::http::{Flow, Service};
use crate::runtime::env::RtEnv;
use crate::runtime::errors::Rendered;
use crate::runtime::http_return::Reply;
use crate::runtime::stats_page::{self, PageOut};
use crate::runtime::worker::Ctx;
use crate::stats::page::{PageReq, DEFAULT_REALM};

/// `be_pending` values at and above this mean "an admin POST of the stats page waits for
/// its body" (the frontend's page at the base, backend `b`'s at base + 1 + b) instead of
/// a backend to dispatch to.
pub(super) const STATS_PENDING: usize = usize::MAX / 2;

impl HttpSession {
    /// The stats page of the frontend (`be` `None`) or of backend `be`, when the request
    /// is for it: true when answered (or waiting for an admin form's body).
    pub(super) fn stats_page(&mut self, cx: &mut Ctx, be: Option<usize>) -> bool {
        let sh = cx.shared;
        let px = match be {
            None => &sh.frontends[self.fe].px,
            Some(b) => &sh.backends[b].px,
        };
        let Some(page) = px.stats.as_deref() else {
            return false;
        };
        let req = &self.req.req;
        if !page.cfg.matches(&req.method, &req.uri) {
            return false;
        }
        let auth = req.headers.values("authorization", false).next();
        if !page.cfg.authorized(auth) {
            // `http_action_auth()` counts the 401 as intercepted when the frontend's own
            // page asked for it.
            if be.is_none() {
                super::super::counters::ruled(cx, self.fe, false);
            }
            return self.apply_request_flow_end(cx, be, Flow::Auth(page.cfg.realm()));
        }
        if !page.rules.is_empty() {
            let env = RtEnv {
                shared: sh,
                be,
                stk: self.stk.clone(),
            };
            let s = self.session(cx, &env);
            let mut t = self.txn(s);
            let hit = page
                .rules
                .iter()
                .find(|(_, c)| c.as_ref().is_none_or(|c| c.eval(&mut t)));
            match hit.map(|(a, _)| a) {
                Some(StatsAction::Deny) => {
                    super::super::counters::ruled(cx, self.fe, true);
                    self.local_reply(cx, be, &Reply::error_page(403));
                    return true;
                }
                Some(StatsAction::Auth(realm)) => {
                    if be.is_none() {
                        super::super::counters::ruled(cx, self.fe, false);
                    }
                    let realm = realm.as_deref().unwrap_or(DEFAULT_REALM);
                    return self.apply_request_flow_end(cx, be, Flow::Auth(realm));
                }
                Some(StatsAction::Allow) | None => {}
            }
        }
        let req = &self.req.req;
        let preq = PageReq::parse(&page.cfg, &req.method, &req.uri);
        let admin = !page.admin.is_empty() && {
            let env = RtEnv {
                shared: sh,
                be,
                stk: self.stk.clone(),
            };
            let s = self.session(cx, &env);
            let mut t = self.txn(s);
            page.admin.iter().any(|c| c.eval(&mut t))
        };
        let mut post = None;
        if preq.method_post && admin {
            let body = self.cin.bytes().get(self.req.head_len..).unwrap_or(&[]);
            match self.req_fwd.complete_in(self.req.framing(), body) {
                Ok(true) => post = Some(body.to_vec()),
                Ok(false) => {
                    // Wait for the whole form (HAProxy's `AN_REQ_HTTP_BODY`).
                    self.be_pending = STATS_PENDING + be.map_or(0, |b| b + 1);
                    self.st = super::St::WaitBody;
                    self.wait_body(cx);
                    return true;
                }
                Err(e) => {
                    self.close_after = true;
                    self.error(cx, e.status);
                    return true;
                }
            }
        }
        super::super::counters::ruled(cx, self.fe, false);
        let out = stats_page::respond(sh, cx.peers, page, &preq, admin, post.as_deref());
        self.send_page(cx, be, &out);
        true
    }

    /// The admin form's body arrived (`be_pending` was set by [`Self::stats_page`]).
    pub(super) fn stats_body_done(&mut self, cx: &mut Ctx, pending: usize) {
        let be = (pending > STATS_PENDING).then(|| pending - STATS_PENDING - 1);
        if !self.stats_page(cx, be) {
            self.error(cx, 400);
        }
    }

    /// `use-service <name>` from the `http-request` rules.
    pub(super) fn service(&mut self, cx: &Ctx, be: Option<usize>, sv: Service) {
        match sv {
            Service::Prometheus => {
                super::super::counters::ruled(cx, self.fe, false);
                let out = stats_page::prometheus(cx.shared, cx.peers, &self.req.req.uri);
                self.send_page(cx, be, &out);
            }
        }
    }

    fn send_page(&mut self, cx: &Ctx, be: Option<usize>, out: &PageOut) {
        let (bytes, close) = stats_page::frame(
            out,
            self.req.req.minor >= 1,
            self.req.is_head(),
            self.close_after,
        );
        self.send_local(cx, be, Rendered { bytes, close });
    }
}
