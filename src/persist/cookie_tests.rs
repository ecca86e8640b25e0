//! Unit tests of the cookie logic. The expected bytes follow HAProxy 2.6.12, checked
//! against the real binary by `tests/cookie_diff.rs`.

use super::*;

type Srv<'a> = (Option<&'a [u8]>, bool);

const SRVS: &[Srv<'static>] = &[
    (Some(b"c1"), true),
    (Some(b"c2"), true),
    (Some(b"c3"), false),
];

fn cfg(mode: CookieMode, indirect: bool) -> CookieConfig {
    CookieConfig {
        name: "SRV".into(),
        mode,
        indirect,
        ..CookieConfig::default()
    }
}

fn req(c: &CookieConfig, hdrs: &[&str]) -> RequestOutcome {
    req_with(c, SRVS, hdrs, RequestInput::default())
}

fn req_with(
    c: &CookieConfig,
    srvs: &[Srv<'_>],
    hdrs: &[&str],
    input: RequestInput,
) -> RequestOutcome {
    let h: Vec<&[u8]> = hdrs.iter().map(|s| s.as_bytes()).collect();
    manage_request(c, srvs, &h, &input)
}

/// The Cookie headers after the edits.
fn after(hdrs: &[&str], out: &RequestOutcome) -> Vec<String> {
    let mut v: Vec<Option<String>> = hdrs.iter().map(|s| Some(s.to_string())).collect();
    for (i, e) in &out.edits {
        v[*i] = match e {
            HeaderEdit::Remove => None,
            HeaderEdit::Set(b) => Some(String::from_utf8(b.clone()).unwrap()),
        };
    }
    v.into_iter().flatten().collect()
}

fn ins_ind() -> CookieConfig {
    cfg(CookieMode::Insert, true)
}

#[test]
fn removal_first_middle_last_and_whole() {
    let c = ins_ind();
    for (h, want) in [
        ("SRV=c2", vec![]),
        ("SRV=c2; a=1", vec!["a=1"]),
        ("a=1; SRV=c2", vec!["a=1"]),
        ("a=1; SRV=c2; b=2", vec!["a=1; b=2"]),
        // A space is added after the delimiter when there is room for it.
        ("a=1;SRV=c2;b=2", vec!["a=1; b=2"]),
        ("a=1 ;  SRV=c2 ;  b=2", vec!["a=1; b=2"]),
        ("a=1\t;\tSRV=c2\t;\tb=2", vec!["a=1; b=2"]),
        // A pending removal at the end of the line only cuts there.
        ("a=1 ; SRV=c2", vec!["a=1 "]),
        // Commas delimit cookies too; the delimiter kept is the one after the cookie.
        ("a=1, SRV=c2, b=2", vec!["a=1, b=2"]),
        // Removing from the start eats up to the next delimiter: nothing is left.
        (";SRV=c2;", vec![]),
    ] {
        let out = req(&c, &[h]);
        assert_eq!(out.server, Some(1), "{h}");
        assert_eq!(out.status, ClientCookie::Valid, "{h}");
        assert_eq!(after(&[h], &out), want, "{h}");
    }
}

#[test]
fn unchanged_headers_are_not_copied() {
    let c = ins_ind();
    let out = req(&c, &["a=1; b=2"]);
    assert!(out.edits.is_empty());
    assert_eq!(out.status, ClientCookie::None);
    // Without indirect, insert mode leaves the request alone.
    let out = req(&cfg(CookieMode::Insert, false), &["a=1; SRV=c2"]);
    assert!(out.edits.is_empty());
    assert_eq!(out.server, Some(1));
}

#[test]
fn spaces_around_equal_are_stripped_everywhere() {
    let c = ins_ind();
    let h = "a = 1; SRV = c2; b= 2";
    let out = req(&c, &[h]);
    assert_eq!(out.server, Some(1));
    assert_eq!(after(&[h], &out), ["a=1; b=2"]);
    // Even when no persistence cookie is there.
    let out = req(&c, &["x = y"]);
    assert_eq!(after(&["x = y"], &out), ["x=y"]);
}

#[test]
fn valueless_cookies_and_dollar_attributes() {
    let c = ins_ind();
    let out = req(&c, &["a=1; SRV=c2 ; flag"]);
    assert_eq!(after(&["a=1; SRV=c2 ; flag"], &out), ["a=1; flag"]);
    let out = req(&c, &["flag; SRV=c2"]);
    assert_eq!(after(&["flag; SRV=c2"], &out), ["flag"]);
    // `$` attributes are neither kept nor a reason to keep the header.
    let h = "$Version=1; SRV=c2; $Path=/";
    let out = req(&c, &[h]);
    assert_eq!(out.server, Some(1));
    assert!(after(&[h], &out).is_empty());
    let h = "$Version=1; a=1; SRV=c2; $Path=/; b=2";
    let out = req(&c, &[h]);
    assert_eq!(after(&[h], &out), ["$Version=1; a=1; b=2"]);
}

#[test]
fn quoted_values_hide_delimiters() {
    let c = ins_ind();
    let h = r#"a="x;y"; SRV=c2; b="q,r""#;
    let out = req(&c, &[h]);
    assert_eq!(out.server, Some(1));
    assert_eq!(after(&[h], &out), [r#"a="x;y"; b="q,r""#]);
    // Quotes are part of the value: no server is called `"c2"`.
    let out = req(&c, &[r#"SRV="c2""#]);
    assert_eq!((out.server, out.status), (None, ClientCookie::Invalid));
}

#[test]
fn several_headers_and_occurrences() {
    let c = ins_ind();
    let hs = ["a=1", "SRV=c2", "b=2"];
    let out = req(&c, &hs);
    assert_eq!(out.server, Some(1));
    assert_eq!(after(&hs, &out), ["a=1", "b=2"]);
    assert_eq!(out.edits, [(1, HeaderEdit::Remove)]);
    // The first valid occurrence wins and the status stays "valid".
    let out = req(&c, &["SRV=c1", "SRV=c2"]);
    assert_eq!((out.server, out.status), (Some(0), ClientCookie::Valid));
    let out = req(&c, &["SRV=c2; SRV=c1"]);
    assert_eq!((out.server, out.status), (Some(1), ClientCookie::Valid));
    // An invalid one then a valid one: the valid one is used.
    let out = req(&c, &["SRV=nope; SRV=c1"]);
    assert_eq!((out.server, out.status), (Some(0), ClientCookie::Valid));
    // A valid one then an invalid one: still valid.
    let out = req(&c, &["SRV=c1; SRV=nope"]);
    assert_eq!((out.server, out.status), (Some(0), ClientCookie::Valid));
    // Names are case-sensitive and exact.
    let out = req(&c, &["srv=c2; SRVX=c1; XSRV=c1"]);
    assert_eq!((out.server, out.status), (None, ClientCookie::None));
}

#[test]
fn unknown_empty_and_down() {
    let c = ins_ind();
    assert_eq!(req(&c, &["SRV=zz"]).status, ClientCookie::Invalid);
    assert_eq!(req(&c, &["SRV="]).status, ClientCookie::Invalid);
    // Down server: not used unless persist or force-persist.
    let out = req(&c, &["SRV=c3"]);
    assert_eq!((out.server, out.status), (None, ClientCookie::Down));
    let input = RequestInput {
        persist: true,
        ..RequestInput::default()
    };
    let out = req_with(&c, SRVS, &["SRV=c3"], input);
    assert_eq!((out.server, out.status), (Some(2), ClientCookie::Down));
    let input = RequestInput {
        force_persist: true,
        ..RequestInput::default()
    };
    let out = req_with(&c, SRVS, &["SRV=c3"], input);
    assert_eq!((out.server, out.status), (Some(2), ClientCookie::Down));
    // A shared cookie goes to the first running server carrying it.
    let shared: &[Srv<'_>] = &[(Some(b"c"), false), (Some(b"c"), true), (Some(b"c"), true)];
    let out = req_with(&c, shared, &["SRV=c"], RequestInput::default());
    assert_eq!((out.server, out.status), (Some(1), ClientCookie::Valid));
}

#[test]
fn redispatch_turns_valid_into_down() {
    let mut out = req(&ins_ind(), &["SRV=c1"]);
    out.redispatched();
    assert_eq!((out.server, out.status), (None, ClientCookie::Down));
    let mut out = req(&ins_ind(), &["SRV=zz"]);
    out.redispatched();
    assert_eq!(out.status, ClientCookie::Invalid);
}

#[test]
fn ignore_persist_and_use_server_leave_cookie_unused_but_removed() {
    let c = ins_ind();
    let input = RequestInput {
        ignore_persist: true,
        ..RequestInput::default()
    };
    let out = req_with(&c, SRVS, &["a=1; SRV=c1"], input);
    assert_eq!((out.server, out.status), (None, ClientCookie::Unused));
    assert_eq!(after(&["a=1; SRV=c1"], &out), ["a=1"]);
    let input = RequestInput {
        assigned: Some(1),
        ..RequestInput::default()
    };
    let out = req_with(&c, SRVS, &["SRV=c1"], input);
    assert_eq!((out.server, out.status), (None, ClientCookie::Unused));
    // Servers are not even looked up then, so a down server's cookie is unused too.
    let out = req_with(&c, SRVS, &["SRV=c3"], input);
    assert_eq!(out.status, ClientCookie::Unused);
}

#[test]
fn prefix_mode_strips_server_part() {
    let c = CookieConfig {
        name: "JSESSIONID".into(),
        mode: CookieMode::Prefix,
        ..CookieConfig::default()
    };
    for (h, srv, st, want) in [
        (
            "JSESSIONID=c2~abc",
            Some(1),
            ClientCookie::Valid,
            "JSESSIONID=abc",
        ),
        (
            "x=1; JSESSIONID=c2~abc; y=2",
            Some(1),
            ClientCookie::Valid,
            "x=1; JSESSIONID=abc; y=2",
        ),
        (
            "JSESSIONID=c2~a~b",
            Some(1),
            ClientCookie::Valid,
            "JSESSIONID=a~b",
        ),
        // No `~`: the whole value is the server part, left as is.
        (
            "JSESSIONID=c2",
            Some(1),
            ClientCookie::Valid,
            "JSESSIONID=c2",
        ),
        (
            "JSESSIONID=~abc",
            None,
            ClientCookie::Invalid,
            "JSESSIONID=abc",
        ),
        (
            "JSESSIONID=zz~abc",
            None,
            ClientCookie::Invalid,
            "JSESSIONID=abc",
        ),
    ] {
        let out = req(&c, &[h]);
        assert_eq!((out.server, out.status), (srv, st), "{h}");
        assert_eq!(after(&[h], &out), [want], "{h}");
    }
}

#[test]
fn base64_dates_roundtrip() {
    for v in [1u32, 63, 64, 0x3fff_ffff, 444_000_000] {
        assert_eq!(b64tos30(&s30tob64(v)), v as i32);
    }
    assert_eq!(&s30tob64(0), b"AAAAA");
    assert_eq!(b64tos30(b"AAAA="), -1);
    assert_eq!(b64tos30(b"AA!AA"), -1);
    assert_eq!(b64tos30(b"AAAA"), -1);
}

fn dated(srv: &str, last: Option<u32>, first: Option<u32>) -> String {
    let mut s = format!("SRV={srv}");
    for d in [last, first].into_iter().flatten() {
        s.push('|');
        s.push_str(std::str::from_utf8(&s30tob64(d >> 2)).unwrap());
    }
    s
}

#[test]
fn maxidle_and_maxlife_expiry() {
    let now = 1_700_000_000u32;
    let c = CookieConfig {
        maxidle: 600,
        maxlife: 3600,
        ..ins_ind()
    };
    let run = |h: &str| {
        req_with(
            &c,
            SRVS,
            &[h],
            RequestInput {
                now,
                ..RequestInput::default()
            },
        )
    };
    // Fresh, with both dates.
    let out = run(&dated("c1", Some(now), Some(now - 100)));
    assert_eq!((out.server, out.status), (Some(0), ClientCookie::Valid));
    assert_eq!(out.last_date, now & !3);
    assert_eq!(out.first_date, (now - 100) & !3);
    // Idle too long.
    let out = run(&dated("c1", Some(now - 1000), None));
    assert_eq!((out.server, out.status), (None, ClientCookie::Expired));
    assert_eq!((out.last_date, out.first_date), (0, 0));
    // More than a day in the future.
    let out = run(&dated("c1", Some(now + 90_000), None));
    assert_eq!(out.status, ClientCookie::Expired);
    // Too old wins over idle.
    let out = run(&dated("c1", Some(now - 1000), Some(now - 4000)));
    assert_eq!(out.status, ClientCookie::Old);
    let out = run(&dated("c1", Some(now), Some(now + 90_000)));
    assert_eq!(out.status, ClientCookie::Old);
    // No date: accepted. Garbage dates: ignored.
    assert_eq!(run("SRV=c1").status, ClientCookie::Valid);
    assert_eq!(run("SRV=c1|!!!!!").status, ClientCookie::Valid);
    assert_eq!(run("SRV=c1|AAAA").status, ClientCookie::Valid);
    // Without maxidle/maxlife, dates are decoded but never expire.
    let out = req_with(
        &ins_ind(),
        SRVS,
        &[&dated("c1", Some(now - 100_000), None)],
        RequestInput {
            now,
            ..RequestInput::default()
        },
    );
    assert_eq!(out.status, ClientCookie::Valid);
    assert_ne!(out.last_date, 0);
}

fn resp(
    c: &CookieConfig,
    r: &RequestOutcome,
    sc: &[&str],
    input: ResponseInput,
) -> ResponseOutcome {
    let h: Vec<&[u8]> = sc.iter().map(|s| s.as_bytes()).collect();
    manage_response(c, SRVS, r, &h, &[], &input)
}

fn ins_str(o: &ResponseOutcome) -> Option<String> {
    o.insert
        .as_ref()
        .map(|v| String::from_utf8(v.clone()).unwrap())
}

#[test]
fn insertion_and_its_conditions() {
    let c = ins_ind();
    let none = RequestOutcome::default();
    let lb = ResponseInput {
        server: Some(0),
        status: 200,
        ..ResponseInput::default()
    };
    let o = resp(&c, &none, &[], lb);
    assert_eq!(ins_str(&o).as_deref(), Some("SRV=c1; path=/"));
    assert_eq!(o.status, ServerCookie::Inserted);
    assert_eq!(log_chars(Some(&c), none.status, o.status), *b"NI");
    // Direct access: nothing to insert.
    let direct = ResponseInput { direct: true, ..lb };
    let o = resp(&c, &req(&c, &["SRV=c1"]), &[], direct);
    assert_eq!((o.insert, o.status), (None, ServerCookie::None));
    // No server (e.g. 503 generated by HAProxy): nothing.
    let o = resp(&c, &none, &[], ResponseInput { server: None, ..lb });
    assert!(o.insert.is_none());
    // Interim responses are not handled.
    let o = resp(&c, &none, &["SRV=x"], ResponseInput { status: 100, ..lb });
    assert_eq!(o, ResponseOutcome::default());
    // postonly.
    let p = CookieConfig {
        postonly: true,
        ..ins_ind()
    };
    assert!(resp(&p, &none, &[], lb).insert.is_none());
    let post = ResponseInput {
        is_post: true,
        ..lb
    };
    assert!(resp(&p, &none, &[], post).insert.is_some());
    // ignore-persist.
    let ign = ResponseInput {
        ignore_persist: true,
        ..lb
    };
    let o = resp(&c, &none, &["SRV=x"], ign);
    assert!(o.insert.is_none() && o.edits.is_empty());
    assert_eq!(o.status, ServerCookie::None);
    // A cookie-less server: the client's cookie is cleared.
    let nock: &[Srv<'_>] = &[(None, true)];
    let o = manage_response(&c, nock, &none, &[], &[], &lb);
    assert_eq!(
        ins_str(&o).as_deref(),
        Some("SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/")
    );
}

#[test]
fn attribute_order() {
    let c = CookieConfig {
        httponly: true,
        secure: true,
        domains: vec![".example.com".into(), ".b.org".into()],
        attrs: vec!["SameSite=Lax".into(), "Partitioned".into()],
        ..ins_ind()
    };
    let lb = ResponseInput {
        server: Some(1),
        status: 200,
        ..ResponseInput::default()
    };
    let o = resp(&c, &RequestOutcome::default(), &[], lb);
    assert_eq!(
        ins_str(&o).as_deref(),
        Some("SRV=c2; path=/; domain=.example.com; domain=.b.org; HttpOnly; Secure; SameSite=Lax; Partitioned")
    );
}

#[test]
fn dated_insertion_and_refresh() {
    let now = 1_700_000_001u32;
    let stamp = std::str::from_utf8(&s30tob64((now + 3) >> 2))
        .unwrap()
        .to_string();
    let c = CookieConfig {
        maxidle: 600,
        ..ins_ind()
    };
    let lb = ResponseInput {
        server: Some(0),
        status: 200,
        now,
        ..ResponseInput::default()
    };
    let o = resp(&c, &RequestOutcome::default(), &[], lb);
    assert_eq!(ins_str(&o), Some(format!("SRV=c1|{stamp}; path=/")));
    // Direct with a past last-seen date: refreshed ("updated").
    let mut r = req(&c, &["SRV=c1"]);
    r.last_date = now - 100;
    let direct = ResponseInput { direct: true, ..lb };
    let o = resp(&c, &r, &[], direct);
    assert_eq!(o.status, ServerCookie::Updated);
    // maxlife keeps the first date.
    let c = CookieConfig {
        maxlife: 3600,
        ..ins_ind()
    };
    let mut r = req(&c, &["SRV=c1"]);
    r.last_date = now - 100;
    r.first_date = now - 1000;
    let o = resp(&c, &r, &[], direct);
    let first = std::str::from_utf8(&s30tob64((now - 1000) >> 2))
        .unwrap()
        .to_string();
    assert_eq!(ins_str(&o), Some(format!("SRV=c1|{stamp}|{first}; path=/")));
    // Dates present but no longer wanted: re-inserted without them.
    let o = resp(&ins_ind(), &r, &[], direct);
    assert_eq!(ins_str(&o).as_deref(), Some("SRV=c1; path=/"));
}

#[test]
fn server_cookies_in_insert_rewrite_prefix_preserve() {
    let lb = ResponseInput {
        server: Some(1),
        status: 200,
        ..ResponseInput::default()
    };
    let none = RequestOutcome::default();
    // Insert: the server's own cookie is deleted, ours inserted.
    let o = resp(&ins_ind(), &none, &["other=1", "SRV=x; path=/"], lb);
    assert_eq!(o.edits, [(1, HeaderEdit::Remove)]);
    assert_eq!(o.status, ServerCookie::Inserted);
    // Preserve: left alone, and nothing inserted.
    let p = CookieConfig {
        preserve: true,
        ..ins_ind()
    };
    let o = resp(&p, &none, &["SRV=x"], lb);
    assert!(o.edits.is_empty() && o.insert.is_none());
    assert_eq!(o.status, ServerCookie::Found);
    // Rewrite.
    let rw = CookieConfig {
        name: "JSESSIONID".into(),
        mode: CookieMode::Rewrite,
        ..CookieConfig::default()
    };
    let o = resp(&rw, &none, &["JSESSIONID = abc123 ; path=/"], lb);
    assert_eq!(
        o.edits,
        [(0, HeaderEdit::Set(b"JSESSIONID=c2 ; path=/".to_vec()))]
    );
    assert_eq!(o.status, ServerCookie::Replaced);
    // Prefix.
    let pfx = CookieConfig {
        mode: CookieMode::Prefix,
        ..rw.clone()
    };
    let o = resp(&pfx, &none, &["JSESSIONID=abc; path=/"], lb);
    assert_eq!(
        o.edits,
        [(0, HeaderEdit::Set(b"JSESSIONID=c2~abc; path=/".to_vec()))]
    );
    // Only the first cookie of a Set-Cookie line counts.
    let o = resp(&pfx, &none, &["other=1; JSESSIONID=abc"], lb);
    assert!(o.edits.is_empty());
    assert_eq!(o.status, ServerCookie::None);
    // Passive + indirect: deleted on direct access only.
    let pind = cfg(CookieMode::Passive, true);
    let o = resp(&pind, &none, &["SRV=c2"], lb);
    assert_eq!(o.status, ServerCookie::Found);
    let o = resp(
        &pind,
        &none,
        &["SRV=c2"],
        ResponseInput { direct: true, ..lb },
    );
    assert_eq!(o.status, ServerCookie::Deleted);
    // Passive without indirect logs "--".
    let psv = cfg(CookieMode::Passive, false);
    assert_eq!(
        log_chars(Some(&psv), ClientCookie::Valid, ServerCookie::Found),
        *b"--"
    );
    assert_eq!(
        log_chars(Some(&pind), ClientCookie::Valid, ServerCookie::Found),
        *b"VP"
    );
}

#[test]
fn set_cookie2_partial_deletion_keeps_length() {
    // HAProxy 2.6 moves the rest of the line but never shortens the value.
    let lb = ResponseInput {
        server: Some(1),
        status: 200,
        ..ResponseInput::default()
    };
    let sc2: [&[u8]; 2] = [b"a=1, SRV=x; Version=1, b=2", b"SRV=only"];
    let o = manage_response(&ins_ind(), SRVS, &RequestOutcome::default(), &[], &sc2, &lb);
    assert_eq!(
        o.edits2,
        [
            (0, HeaderEdit::Set(b"a=1, b=2=x; Version=1, b=2".to_vec())),
            (1, HeaderEdit::Remove)
        ]
    );
    assert!(o.present);
}

#[test]
fn nocache_needs_cacheable_response() {
    let c = CookieConfig {
        nocache: true,
        ..ins_ind()
    };
    let h = |n: &'static str, v: &'static str| (n.as_bytes(), v.as_bytes());
    assert!(!response_cacheable(b"GET", 200, []));
    assert!(response_cacheable(b"GET", 200, [h("Expires", "x")]));
    assert!(response_cacheable(b"GET", 200, [h("ETag", "\"x\"")]));
    assert!(response_cacheable(
        b"GET",
        200,
        [h("Cache-Control", "max-age=60")]
    ));
    assert!(!response_cacheable(
        b"POST",
        200,
        [h("Cache-Control", "max-age=60")]
    ));
    assert!(response_cacheable(
        b"POST",
        200,
        [h("Cache-Control", "public, max-age=60")]
    ));
    assert!(!response_cacheable(b"GET", 302, [h("Expires", "x")]));
    assert!(response_cacheable(b"GET", 404, [h("Expires", "x")]));
    assert!(!response_cacheable(
        b"GET",
        200,
        [
            h("Cache-Control", "max-age=60"),
            h("Cache-Control", "private")
        ]
    ));
    assert!(!response_cacheable(
        b"GET",
        200,
        [h("Pragma", "no-cache"), h("Expires", "x")]
    ));
    assert!(!response_cacheable(
        b"GET",
        200,
        [h("Cache-Control", "max-age=0"), h("ETag", "x")]
    ));
    let lb = ResponseInput {
        server: Some(0),
        status: 200,
        cacheable: true,
        ..ResponseInput::default()
    };
    let o = resp(&c, &RequestOutcome::default(), &[], lb);
    assert!(o.cache_control_private);
    let o = resp(
        &c,
        &RequestOutcome::default(),
        &[],
        ResponseInput {
            cacheable: false,
            ..lb
        },
    );
    assert!(!o.cache_control_private);
}

#[test]
fn dynamic_cookie_format() {
    let a = dynamic_cookie(b"s3cr3t", "127.0.0.1".parse().unwrap(), 8080);
    assert_eq!(a.len(), 16);
    assert!(a
        .bytes()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(
        a,
        dynamic_cookie(b"s3cr3t", "127.0.0.1".parse().unwrap(), 8081)
    );
    assert_ne!(
        a,
        dynamic_cookie(b"other", "127.0.0.1".parse().unwrap(), 8080)
    );
    let b = dynamic_cookie(b"k", "::1".parse().unwrap(), 80);
    assert_eq!(b.len(), 16);
}
