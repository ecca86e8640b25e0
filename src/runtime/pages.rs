//! HAProxy 2.6's built-in error pages (`http_err_msgs[]` in `src/http.c`).
//!
//! Clients and monitoring scripts match these bytes, so they are copied verbatim. Two
//! renderings exist in HAProxy and both are reproduced: pages produced by the stream layer
//! (503, `deny`, `return default-errorfiles`) go through HTX and come out with lower-case header
//! names and the multiplexer's `connection` header (see [`super::errors`]), while the errors
//! the H1 connection layer detects itself (400, 408, 413, 422, 501) are sent raw, headers as
//! written in the source.

/// One built-in page: the status, the reason phrase HAProxy writes and the HTML body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrPage {
    pub status: u16,
    pub reason: &'static str,
    pub body: &'static str,
}

const fn p(status: u16, reason: &'static str, body: &'static str) -> ErrPage {
    ErrPage {
        status,
        reason,
        body,
    }
}

const PAGES: &[ErrPage] = &[
    p(200, "OK", "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n"),
    p(400, "Bad request", "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n"),
    p(401, "Unauthorized", "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"),
    p(403, "Forbidden", "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n"),
    p(404, "Not Found", "<html><body><h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>\n"),
    p(405, "Method Not Allowed", "<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a request method not supported by that resource\n</body></html>\n"),
    p(407, "Unauthorized", "<html><body><h1>407 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"),
    p(408, "Request Time-out", "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n"),
    p(410, "Gone", "<html><body><h1>410 Gone</h1>\nThe resource is no longer available and will not be available again.\n</body></html>\n"),
    p(413, "Payload Too Large", "<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n"),
    p(421, "Misdirected Request", "<html><body><h1>421 Misdirected Request</h1>\nRequest sent to a non-authoritative server.\n</body></html>\n"),
    p(422, "Unprocessable Content", "<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n"),
    p(425, "Too Early", "<html><body><h1>425 Too Early</h1>\nYour browser sent early data.\n</body></html>\n"),
    p(429, "Too Many Requests", "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n"),
    p(500, "Internal Server Error", "<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n"),
    p(501, "Not Implemented", "<html><body><h1>501 Not Implemented</h1>\n.The server does not support the functionality required to fulfill the request.\n</body></html>\n"),
    p(502, "Bad Gateway", "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n"),
    p(503, "Service Unavailable", "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"),
    p(504, "Gateway Time-out", "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n"),
];

/// The built-in page for `status`, if HAProxy has one.
pub fn page(status: u16) -> Option<&'static ErrPage> {
    PAGES.iter().find(|p| p.status == status)
}

/// The exact text of `http_err_msgs[]` for `status` (statuses without a page share the
/// 500 one, as `http_get_status_idx()` maps them). In 2.6 only the 400 and 408 messages
/// carry `Connection: close`: the others leave the connection mode to the multiplexer.
pub fn raw_message(status: u16) -> Vec<u8> {
    let pg = page(status).unwrap_or_else(|| page(500).expect("500 page exists"));
    let conn = if matches!(pg.status, 400 | 408) {
        "Connection: close\r\n"
    } else {
        ""
    };
    format!(
        "HTTP/1.1 {} {}\r\nContent-length: {}\r\nCache-Control: no-cache\r\n{conn}Content-Type: text/html\r\n\r\n{}",
        pg.status,
        pg.reason,
        pg.body.len(),
        pg.body
    )
    .into_bytes()
}

/// The page as the H1 connection layer sends it (`h1_send_error()`: 400 on a malformed
/// request, 408 on `timeout http-request`, 413, 422, 501…): the raw source bytes, never
/// an `errorfile` (see [`super::errors::ErrorTable::raw_mux_error`] for the one exception).
pub fn raw_mux_error(status: u16) -> Vec<u8> {
    raw_message(status)
}

pub use crate::http::reason_phrase as reason;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_lengths_match_haproxy_source() {
        // The lengths HAProxy hard-codes in http_err_msgs[].
        for (st, len) in [
            (200, 58),
            (400, 90),
            (403, 93),
            (404, 83),
            (408, 110),
            (503, 107),
        ] {
            assert_eq!(page(st).unwrap().body.len(), len, "status {st}");
        }
    }

    #[test]
    fn raw_400_is_byte_exact() {
        let want = "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";
        assert_eq!(raw_mux_error(400), want.as_bytes());
    }

    #[test]
    fn only_400_and_408_say_close() {
        // `strings /usr/sbin/haproxy` (2.6.12): the other pages have no Connection header.
        let raw = |s| String::from_utf8(raw_mux_error(s)).unwrap();
        assert!(raw(408).contains("\r\nConnection: close\r\n"));
        assert_eq!(raw(422), "HTTP/1.1 422 Unprocessable Content\r\nContent-length: 116\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n");
        assert!(
            raw(418).starts_with("HTTP/1.1 500 Internal Server Error\r\nContent-length: 97\r\n")
        );
    }

    #[test]
    fn reasons_fall_back_by_class() {
        assert_eq!(reason(200), "OK");
        assert_eq!(reason(299), "Success");
        assert_eq!(reason(302), "Moved Temporarily");
        assert_eq!(reason(600), "Other");
    }
}
