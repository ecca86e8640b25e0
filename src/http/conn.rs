//! Connection persistence as HAProxy 2.6's H1 mux decides it (`h1_set_cli_conn_mode()`,
//! `h1_set_srv_conn_mode()`, `h1_update_req_conn_value()`, `h1_update_res_conn_value()`).
//!
//! Each side has its own mode, decided in two passes: when the request is parsed (client)
//! or sent (server), then again with the response. `close`/`keep-alive` tokens are removed
//! from `Connection` on input, so one side's tokens never reach the other side's decision;
//! what is announced to a peer depends only on the mode and the versions.

use super::h1::{Framing, ReqHead, RespHead, Version};
use super::write::ConnHdr;

/// `option http-keep-alive` (default), `option http-server-close`, `option httpclose`
/// (`forceclose` is an alias in 2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpMode {
    #[default]
    KeepAlive,
    ServerClose,
    Close,
}

/// The options of the frontend and of the backend that handle the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modes {
    pub frontend: HttpMode,
    pub backend: HttpMode,
    /// `option http-pretend-keepalive`: do not announce `close` to the server.
    pub pretend_keepalive: bool,
    /// The frontend is stopping (soft stop): clients are not kept.
    pub fe_stopping: bool,
    /// The backend is stopping: server connections are not kept.
    pub be_stopping: bool,
}

/// A side's mode (`H1S_F_WANT_KAL/CLO/TUN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Want {
    #[default]
    KeepAlive,
    Close,
    Tunnel,
}

/// Client side, first pass (request received): HTTP/1.0 without `keep-alive`, an explicit
/// `close`, and the smuggling shapes HAProxy refuses to keep the connection after.
pub fn client_after_request(req: &ReqHead, modes: &Modes) -> Want {
    if (req.version == Version::Http10 && !req.conn.keep_alive)
        || req.conn.close
        || req.close_client
        || modes.fe_stopping
    {
        Want::Close
    } else {
        Want::KeepAlive
    }
}

/// Server side, first pass (request about to be sent).
pub fn server_for_request(req: &ReqHead, modes: &Modes) -> Want {
    let closing = |m: HttpMode| matches!(m, HttpMode::ServerClose | HttpMode::Close);
    if req.close_server || closing(modes.frontend) || closing(modes.backend) || modes.be_stopping {
        Want::Close
    } else {
        Want::KeepAlive
    }
}

/// The `Connection` value appended to the request sent to the server.
pub fn request_conn_hdr(req: &ReqHead, server: Want, modes: &Modes) -> ConnHdr {
    if server == Want::Tunnel || req.conn.upgrade {
        return ConnHdr::None;
    }
    match (
        server == Want::KeepAlive || modes.pretend_keepalive,
        req.version,
    ) {
        (true, Version::Http10) => ConnHdr::KeepAlive,
        (false, Version::Http11) => ConnHdr::Close,
        _ => ConnHdr::None,
    }
}

/// Server side, second pass (final response received): no length, an explicit `close`,
/// HTTP/1.0 without `keep-alive`, or `Content-Length` with `Transfer-Encoding` end the
/// server connection.
pub fn server_after_response(resp: &RespHead, server: Want) -> Want {
    if resp.tunnel {
        return Want::Tunnel;
    }
    if server == Want::KeepAlive
        && (resp.framing == Framing::UntilClose
            || resp.conn.close
            || resp.close_server
            || (resp.version == Version::Http10 && !resp.conn.keep_alive))
    {
        return Want::Close;
    }
    server
}

/// Client side, second pass (final response about to be sent): a response without length
/// must be delimited by the close; `option httpclose` closes too.
pub fn client_for_response(resp: &RespHead, client: Want, modes: &Modes) -> Want {
    if resp.tunnel {
        return Want::Tunnel;
    }
    // An HTTP/1.0 response cannot carry a chunked body to a keep-alive client: HAProxy
    // forwards it and closes (reg-test http-messaging/http_transfer_encoding).
    let chunked_10 = resp.version == Version::Http10 && resp.framing == Framing::Chunked;
    if client == Want::KeepAlive
        && (resp.framing == Framing::UntilClose || modes.frontend == HttpMode::Close || chunked_10)
    {
        return Want::Close;
    }
    client
}

/// The `Connection` value appended to the response sent to the client: `keep-alive`
/// whenever one side is HTTP/1.0, `close` only to an HTTP/1.1 response.
pub fn response_conn_hdr(req: &ReqHead, resp: &RespHead, client: Want) -> ConnHdr {
    if client == Want::Tunnel || resp.conn.upgrade {
        return ConnHdr::None;
    }
    match client {
        Want::KeepAlive if resp.version == Version::Http10 || req.version == Version::Http10 => {
            ConnHdr::KeepAlive
        }
        Want::Close if resp.version == Version::Http11 => ConnHdr::Close,
        _ => ConnHdr::None,
    }
}

/// Everything decided for one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnOutcome {
    pub client: Want,
    pub server: Want,
    /// What to append to the request for the server.
    pub req_conn: ConnHdr,
    /// What to append to the response for the client.
    pub resp_conn: ConnHdr,
}

impl ConnOutcome {
    /// The client connection stays open for another request.
    pub fn client_keeps(&self) -> bool {
        self.client == Want::KeepAlive
    }

    /// The server connection may go back to the idle pool.
    pub fn server_reusable(&self) -> bool {
        self.server == Want::KeepAlive
    }
}

/// Both passes at once, for an exchange whose final response is known. The engine needs
/// [`server_for_request`]/[`request_conn_hdr`] earlier, before the response exists.
pub fn keep_alive(req: &ReqHead, resp: &RespHead, modes: &Modes) -> ConnOutcome {
    let client = client_after_request(req, modes);
    let server = server_for_request(req, modes);
    let req_conn = request_conn_hdr(req, server, modes);
    let server = server_after_response(resp, server);
    let client = client_for_response(resp, client, modes);
    ConnOutcome {
        client,
        server,
        req_conn,
        resp_conn: response_conn_hdr(req, resp, client),
    }
}
