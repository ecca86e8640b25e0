//! The stats page's HTML, as HAProxy 2.6's `stats_dump_html_*()` and
//! `stats_dump_fields_html()` write it: the same head and style sheet, process block,
//! legend, display options, one pair of tables per proxy with the same column groups,
//! row classes (`frontend`, `active_up`, `backup_no_check`, `maintain`, `backend`…),
//! tooltips and admin form. Values come from the `show stat` rows ([`super::csv::rows`]),
//! so the page and the CSV never disagree.

use std::fmt::Write as _;

use super::csv::{ProxyRows, Row};
use super::page::{PageCfg, PageReq};
use super::{Proc, ProxyView};

/// The style sheet HAProxy 2.6 sends (captured from `/usr/sbin/haproxy`).
const STYLE: &str = include_str!("html_style.txt");

/// HAProxy's `U2H()`: digits grouped by three, each group but the last in a
/// `<span class="rls">`.
fn u2h(v: i64) -> String {
    let s = v.to_string();
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::from(sign);
    let first = digits.len() % 3;
    let mut groups: Vec<&str> = Vec::new();
    if first > 0 {
        groups.push(&digits[..first]);
    }
    let mut i = first;
    while i < digits.len() {
        groups.push(&digits[i..i + 3]);
        i += 3;
    }
    let n = groups.len();
    for (k, g) in groups.into_iter().enumerate() {
        if k + 1 < n {
            let _ = write!(out, "<span class=\"rls\">{g}</span>");
        } else {
            out.push_str(g);
        }
    }
    out
}

/// `LIM2A(v, "-")`.
fn lim(v: i64) -> String {
    if v != 0 {
        v.to_string()
    } else {
        "-".into()
    }
}

/// HAProxy's `human_time(t, 1)`.
fn human_time(t: i64) -> String {
    if t < 0 {
        return "?".into();
    }
    let (day, hour, min) = (86400, 3600, 60);
    let mut out = String::new();
    let mut cnt = 2;
    if t >= day {
        let _ = write!(out, "{}d", t / day);
        cnt -= 1;
    }
    if cnt > 0 && t % day / hour != 0 {
        let _ = write!(out, "{}h", t % day / hour);
        cnt -= 1;
    }
    if cnt > 0 && t % hour / min != 0 {
        let _ = write!(out, "{}m", t % hour / min);
        cnt -= 1;
    }
    if (cnt > 0 && t % min != 0) || t == 0 {
        let _ = write!(out, "{}s", t % min);
    }
    out
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn pct(a: i64, b: i64) -> i64 {
    if b != 0 {
        100 * a / b
    } else {
        0
    }
}

/// The stats modules of HAProxy 2.6 (`stats show-modules`): their columns of the
/// `show stat` rows after `-`, with the descriptions the page shows.
const MODULES: &[(&str, &[(&str, &str)])] = &[
    (
        "ssl",
        &[
            ("ssl_sess", "Total number of ssl sessions established"),
            ("ssl_reused_sess", "Total number of ssl sessions reused"),
            ("ssl_failed_handshake", "Total number of failed handshake"),
        ],
    ),
    (
        "h2",
        &[
            ("h2_headers_rcvd", "Total number of received HEADERS frames"),
            ("h2_data_rcvd", "Total number of received DATA frames"),
            (
                "h2_settings_rcvd",
                "Total number of received SETTINGS frames",
            ),
            (
                "h2_rst_stream_rcvd",
                "Total number of received RST_STREAM frames",
            ),
            ("h2_goaway_rcvd", "Total number of received GOAWAY frames"),
            (
                "h2_detected_conn_protocol_errors",
                "Total number of connection protocol errors",
            ),
            (
                "h2_detected_strm_protocol_errors",
                "Total number of stream protocol errors",
            ),
            (
                "h2_rst_stream_resp",
                "Total number of RST_STREAM sent on detected error",
            ),
            (
                "h2_goaway_resp",
                "Total number of GOAWAY sent on detected error",
            ),
            ("h2_open_connections", "Count of currently open connections"),
            ("h2_backend_open_streams", "Count of currently open streams"),
            ("h2_total_connections", "Total number of connections"),
            ("h2_backend_total_streams", "Total number of streams"),
        ],
    ),
    (
        "h1",
        &[
            ("h1_open_connections", "Count of currently open connections"),
            ("h1_open_streams", "Count of currently open streams"),
            ("h1_total_connections", "Total number of connections"),
            ("h1_total_streams", "Total number of streams"),
            ("h1_bytes_in", "Total number of bytes received"),
            ("h1_bytes_out", "Total number of bytes send"),
            (
                "h1_spliced_bytes_in",
                "Total number of bytes received using kernel splicing",
            ),
            (
                "h1_spliced_bytes_out",
                "Total number of bytes sendusing kernel splicing",
            ),
        ],
    ),
];

/// A row's module cells: a tooltip with the module's counters where the row has them
/// (the module applies to that kind of object), an empty cell otherwise.
fn modules(out: &mut String, r: &Row, o: &Opts) {
    if !o.cfg.show_modules {
        return;
    }
    for (name, fields) in MODULES {
        if r.get(fields[0].0).is_empty() {
            out.push_str("<td></td>");
            continue;
        }
        let _ = write!(out, "<td><u>{name}<div class=tips><table class=det>");
        for (col, desc) in *fields {
            let _ = write!(out, "<tr><th>{desc}</th><td>{}</td></tr>", u2h(r.num(col)));
        }
        out.push_str("</table></div></u></td>");
    }
}

/// What one rendering needs besides the process.
pub struct Opts<'a> {
    pub cfg: &'a PageCfg,
    pub req: &'a PageReq,
    /// `stats admin` matched: checkboxes and the action form.
    pub admin: bool,
    /// The process's version line (`HAProxy version …, released …`).
    pub version: &'a str,
}

/// The whole page.
pub fn render(p: &dyn Proc, o: &Opts) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let info = p.info();
    let node = match o.cfg.show_node.as_deref() {
        Some("") => Some(info.node.as_str()),
        Some(n) => Some(n),
        None => None,
    };
    let on_node = node.map(|n| format!(" on {n}")).unwrap_or_default();
    let _ = write!(
        out,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"\n\
         \"http://www.w3.org/TR/html4/loose.dtd\">\n\
         <html><head><title>Statistics Report for HAProxy{on_node}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n"
    );
    out.push_str(STYLE);
    info_block(&mut out, p, o, &on_node);
    for pr in super::csv::rows(p, o.req.hide_down, o.req.no_maint, o.cfg.show_legends) {
        if pr.px.disabled || !in_scope(pr.px, o) {
            continue;
        }
        proxy(&mut out, &pr, o);
    }
    out.push_str("</body></html>\n");
    out
}

/// `stats scope` and the page's `scope=` search (a case-insensitive substring).
fn in_scope(px: &ProxyView, o: &Opts) -> bool {
    if !o.cfg.scope.is_empty() && !o.cfg.scope.contains(&px.name) {
        return false;
    }
    match o.req.scope.as_deref() {
        Some(s) if !s.is_empty() => px.name.to_lowercase().contains(&s.to_lowercase()),
        _ => true,
    }
}

fn info_block(out: &mut String, p: &dyn Proc, o: &Opts, on_node: &str) {
    let info = p.info();
    let up = info.uptime_ms / 1000;
    let desc = o.cfg.show_desc.as_deref().map(|d| {
        if d.is_empty() {
            info.description.clone()
        } else {
            d.to_string()
        }
    });
    let desc = desc.map(|d| format!(": {d}")).unwrap_or_default();
    let version = if o.cfg.hide_version { "" } else { o.version };
    let _ = write!(
        out,
        "<body><h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy{version}</a></h1>\n\
         <h2>Statistics Report for pid {pid}{on_node}{desc}</h2>\n\
         <hr width=\"100%\" class=\"hr\">\n\
         <h3>&gt; General process information</h3>\n\
         <table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n\
         <p><b>pid = </b> {pid} (process #1, nbproc = 1, nbthread = {nbt})<br>\n\
         <b>uptime = </b> {d}d {h}h{m:02}m{s:02}s<br>\n\
         <b>system limits:</b> memmax = unlimited; ulimit-n = {ulim}<br>\n\
         <b>maxsock = </b> {maxsock}; <b>maxconn = </b> {maxconn}; <b>maxpipes = </b> 0<br>\n\
         current conns = {cur}; current pipes = 0/0; conn rate = 0/sec; bit rate = 0.000 kbps<br>\n\
         Running tasks: 0/0; idle = 100 %<br>\n\
         </td><td align=\"center\" nowrap>\n\
         <table class=\"lgd\"><tr>\n\
         <td class=\"active_up\">&nbsp;</td><td class=\"noborder\">active UP </td>\
         <td class=\"backup_up\">&nbsp;</td><td class=\"noborder\">backup UP </td>\
         </tr><tr>\n\
         <td class=\"active_going_down\"></td><td class=\"noborder\">active UP, going down </td>\
         <td class=\"backup_going_down\"></td><td class=\"noborder\">backup UP, going down </td>\
         </tr><tr>\n\
         <td class=\"active_going_up\"></td><td class=\"noborder\">active DOWN, going up </td>\
         <td class=\"backup_going_up\"></td><td class=\"noborder\">backup DOWN, going up </td>\
         </tr><tr>\n\
         <td class=\"active_down\"></td><td class=\"noborder\">active or backup DOWN &nbsp;</td>\
         <td class=\"active_no_check\"></td><td class=\"noborder\">not checked </td>\
         </tr><tr>\n\
         <td class=\"maintain\"></td><td class=\"noborder\" colspan=\"3\">active or backup DOWN for maintenance (MAINT) &nbsp;</td>\
         </tr><tr>\n\
         <td class=\"active_draining\"></td><td class=\"noborder\" colspan=\"3\">active or backup SOFT STOPPED for maintenance &nbsp;</td>\
         </tr></table>\n\
         Note: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.\
         </td>\
         <td align=\"left\" valign=\"top\" nowrap width=\"1%\">\
         <b>Display option:</b><ul style=\"margin-top: 0.25em;\">",
        version = if version.is_empty() {
            String::new()
        } else {
            format!(" version {version}")
        },
        pid = info.pid,
        nbt = info.nbthread,
        d = up / 86400,
        h = (up % 86400) / 3600,
        m = (up % 3600) / 60,
        s = up % 60,
        ulim = info.ulimit_n,
        maxsock = info.maxsock,
        maxconn = info.maxconn,
        cur = info.curr_conns,
    );
    let uri = o.cfg.uri.as_str();
    let r = o.req;
    let scope = r.scope.clone().unwrap_or_default();
    let _ = writeln!(
        out,
        "<li><form method=\"GET\">Scope : <input value=\"{}\" name=\"scope\" size=\"8\" maxlength=\"20\" tabindex=\"1\"/></form>",
        esc(&scope)
    );
    let scope_txt = if scope.is_empty() {
        String::new()
    } else {
        format!("?scope={scope}")
    };
    let nr = if r.no_refresh { ";norefresh" } else { "" };
    let upf = if r.hide_down { ";up" } else { "" };
    if r.hide_down {
        let _ = writeln!(
            out,
            "<li><a href=\"{uri}{nr}{scope_txt}\">Show all servers</a><br>"
        );
    } else {
        let _ = writeln!(
            out,
            "<li><a href=\"{uri};up{nr}{scope_txt}\">Hide 'DOWN' servers</a><br>"
        );
    }
    if o.cfg.refresh > 0 {
        if r.no_refresh {
            let _ = writeln!(
                out,
                "<li><a href=\"{uri}{upf}{scope_txt}\">Enable refresh</a><br>"
            );
        } else {
            let _ = writeln!(
                out,
                "<li><a href=\"{uri}{upf};norefresh{scope_txt}\">Disable refresh</a><br>"
            );
        }
    }
    let _ = writeln!(
        out,
        "<li><a href=\"{uri}{upf}{nr}{scope_txt}\">Refresh now</a><br>"
    );
    let cnr = if o.cfg.refresh > 0 { ";norefresh" } else { "" };
    let _ = writeln!(
        out,
        "<li><a href=\"{uri};csv{cnr}{scope_txt}\">CSV export</a><br>"
    );
    let _ = writeln!(
        out,
        "<li><a href=\"{uri};json{cnr}{scope_txt}\">JSON export</a> (<a href=\"{uri};json-schema\">schema</a>)<br>"
    );
    out.push_str(
        "</ul></td>\
         <td align=\"left\" valign=\"top\" nowrap width=\"1%\">\
         <b>External resources:</b><ul style=\"margin-top: 0.25em;\">\n\
         <li><a href=\"http://www.haproxy.org/\">Primary site</a><br>\n\
         <li><a href=\"http://www.haproxy.org/#down\">Updates (v2.6)</a><br>\n\
         <li><a href=\"http://www.haproxy.org/#docs\">Online manual</a><br>\n\
         </ul>\
         </td>\
         </tr></table>\n",
    );
    if let Some(st) = r.st {
        let link = format!(
            "<a class=lfsb href=\"{uri}{upf}{nr}{scope_txt}\" title=\"Remove this message\">[X]</a> "
        );
        let (class, text) = match st {
            "DONE" => ("active_up", "Action processed successfully."),
            "NONE" => ("active_going_down", "Nothing has changed."),
            "PART" => ("active_going_down", "Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend)."),
            "ERRP" => ("active_down", "Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>"),
            "EXCD" => ("active_down", "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>"),
            "DENY" => ("active_down", "<b>Action denied.</b>"),
            "IVAL" => ("active_down", "<b>Invalid requests (unsupported method or chunked encoded request).</b>"),
            _ => ("active_no_check", "Unexpected result."),
        };
        let _ = writeln!(out, "<p><div class={class}>{link}{text}</div>");
        out.push_str("<p>\n");
    }
}

fn cap_str(px: &ProxyView) -> &'static str {
    match (px.cap.fe, px.cap.be) {
        // `proxy_cap_str()` names a `listen` "proxy".
        (true, true) => "proxy",
        (true, false) => "frontend",
        (false, true) => "backend",
        _ => "",
    }
}

fn proxy(out: &mut String, pr: &ProxyRows, o: &Opts) {
    let px = pr.px;
    let lg = o.cfg.show_legends;
    let form = px.cap.be && !px.servers.is_empty() && o.admin;
    if form {
        out.push_str("<form method=\"post\">");
    }
    let name = esc(&px.name);
    let _ = write!(
        out,
        "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%\"><a name=\"{name}\"></a>{}<a class=px href=\"#{name}\">{name}</a>",
        if lg { "<u>" } else { "" }
    );
    if lg {
        let _ = write!(
            out,
            "<div class=tips>cap: {}, mode: {}, id: {}</div>",
            cap_str(px),
            px.mode,
            px.id
        );
    }
    let _ = write!(
        out,
        "{}</th><th class=\"empty\" width=\"90%\"></th></tr>\n</table>\n<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\">",
        if lg { "</u>" } else { "" }
    );
    if o.admin {
        if px.cap.be && !px.servers.is_empty() {
            let _ = write!(
                out,
                "<th rowspan=2 width=1><input type=\"checkbox\" onclick=\"for(c in document.getElementsByClassName('{name}-checkbox')) document.getElementsByClassName('{name}-checkbox').item(c).checked = this.checked\"></th>"
            );
        } else {
            out.push_str("<th rowspan=2></th>");
        }
    }
    out.push_str(
        "<th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>\
         <th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th>\
         <th colspan=9>Server</th>",
    );
    if o.cfg.show_modules {
        let _ = write!(out, "<th colspan={}>Extra modules</th>", MODULES.len());
    }
    out.push_str(
        "</tr>\n<tr class=\"titre\">\
         <th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>\
         <th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th>\
         <th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th>\
         <th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th>\
         <th>Thrtle</th>\n",
    );
    if o.cfg.show_modules {
        for (name, _) in MODULES {
            let _ = write!(out, "<th>{name}</th>");
        }
    }
    out.push_str("</tr>");
    if let Some(r) = &pr.fe {
        frontend(out, r, o);
    }
    for (_, r) in &pr.servers {
        server(out, r, o);
    }
    if let Some(r) = &pr.be {
        backend(out, r, o);
    }
    out.push_str("</table>");
    if form {
        let _ = write!(
            out,
            "Choose the action to perform on the checked servers : <select name=action>\
             <option value=\"\"></option><option value=\"ready\">Set state to READY</option>\
             <option value=\"drain\">Set state to DRAIN</option><option value=\"maint\">Set state to MAINT</option>\
             <option value=\"dhlth\">Health: disable checks</option><option value=\"ehlth\">Health: enable checks</option>\
             <option value=\"hrunn\">Health: force UP</option><option value=\"hnolb\">Health: force NOLB</option>\
             <option value=\"hdown\">Health: force DOWN</option><option value=\"dagent\">Agent: disable checks</option>\
             <option value=\"eagent\">Agent: enable checks</option><option value=\"arunn\">Agent: force UP</option>\
             <option value=\"adown\">Agent: force DOWN</option><option value=\"shutdown\">Kill Sessions</option>\
             </select><input type=\"hidden\" name=\"b\" value=\"#{}\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>",
            px.id
        );
    }
    out.push_str("<p>\n");
}

fn http_tips_fe(out: &mut String, r: &Row) {
    let n = |k| u2h(r.num(k));
    let _ = write!(
        out,
        "<tr><th>Cum. HTTP requests:</th><td>{}</td></tr><tr><th>- HTTP 1xx responses:</th><td>{}</td></tr>\
         <tr><th>- HTTP 2xx responses:</th><td>{}</td></tr><tr><th>&nbsp;&nbsp;Compressed 2xx:</th><td>{}</td><td>({}%)</td></tr>\
         <tr><th>- HTTP 3xx responses:</th><td>{}</td></tr><tr><th>- HTTP 4xx responses:</th><td>{}</td></tr>\
         <tr><th>- HTTP 5xx responses:</th><td>{}</td></tr><tr><th>- other responses:</th><td>{}</td></tr>",
        n("req_tot"),
        n("hrsp_1xx"),
        n("hrsp_2xx"),
        n("comp_rsp"),
        pct(r.num("comp_rsp"), r.num("hrsp_2xx")),
        n("hrsp_3xx"),
        n("hrsp_4xx"),
        n("hrsp_5xx"),
        n("hrsp_other"),
    );
}

fn bytes_out(out: &mut String, r: &Row) {
    let n = |k| u2h(r.num(k));
    let comp = r.num("comp_in") != 0 || r.num("comp_byp") != 0;
    let (ci, co) = (r.num("comp_in"), r.num("comp_out"));
    let _ = write!(
        out,
        "<td>{}{}<div class=tips><table class=det><tr><th>Response bytes in:</th><td>{}</td></tr>\
         <tr><th>Compression in:</th><td>{}</td></tr><tr><th>Compression out:</th><td>{}</td><td>({}%)</td></tr>\
         <tr><th>Compression bypass:</th><td>{}</td></tr><tr><th>Total bytes saved:</th><td>{}</td><td>({}%)</td></tr>\
         </table></div>{}</td>",
        if comp { "<u>" } else { "" },
        n("bout"),
        n("bout"),
        n("comp_in"),
        n("comp_out"),
        if ci != 0 { co * 100 / ci } else { 0 },
        n("comp_byp"),
        u2h(ci - co),
        pct(ci - co, r.num("bout")),
        if comp { "</u>" } else { "" },
    );
}

fn frontend(out: &mut String, r: &Row, o: &Opts) {
    let n = |k| u2h(r.num(k));
    let px = esc(r.get("pxname"));
    let http = r.get("mode") == "http";
    out.push_str("<tr class=\"frontend\">");
    if o.admin {
        out.push_str("<td></td>");
    }
    let _ = write!(
        out,
        "<td class=ac><a name=\"{px}/Frontend\"></a><a class=lfsb href=\"#{px}/Frontend\">Frontend</a></td><td colspan=3></td>\
         <td><u>{}<div class=tips><table class=det><tr><th>Current connection rate:</th><td>{}/s</td></tr>\
         <tr><th>Current session rate:</th><td>{}/s</td></tr>",
        n("rate"),
        n("conn_rate"),
        n("rate")
    );
    if http {
        let _ = write!(
            out,
            "<tr><th>Current request rate:</th><td>{}/s</td></tr>",
            n("req_rate")
        );
    }
    let _ = write!(
        out,
        "</table></div></u></td><td><u>{}<div class=tips><table class=det><tr><th>Max connection rate:</th><td>{}/s</td></tr>\
         <tr><th>Max session rate:</th><td>{}/s</td></tr>",
        n("rate_max"),
        n("conn_rate_max"),
        n("rate_max")
    );
    if http {
        let _ = write!(
            out,
            "<tr><th>Max request rate:</th><td>{}/s</td></tr>",
            n("req_rate_max")
        );
    }
    let _ = write!(
        out,
        "</table></div></u></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td><u>{}<div class=tips><table class=det><tr><th>Cum. connections:</th><td>{}</td></tr>\
         <tr><th>Cum. sessions:</th><td>{}</td></tr>",
        lim(r.num("rate_lim")),
        n("scur"),
        n("smax"),
        n("slim"),
        n("stot"),
        n("conn_tot"),
        n("stot")
    );
    if http {
        http_tips_fe(out, r);
        let _ = write!(
            out,
            "<tr><th>Intercepted requests:</th><td>{}</td></tr><tr><th>Cache lookups:</th><td>{}</td></tr>\
             <tr><th>Cache hits:</th><td>{}</td><td>({}%)</td></tr><tr><th>Failed hdr rewrites:</th><td>{}</td></tr>\
             <tr><th>Internal errors:</th><td>{}</td></tr>",
            n("intercepted"),
            n("cache_lookups"),
            n("cache_hits"),
            pct(r.num("cache_hits"), r.num("cache_lookups")),
            n("wrew"),
            n("eint")
        );
    }
    let _ = write!(
        out,
        "</table></div></u></td><td></td><td></td><td>{}</td>",
        n("bin")
    );
    bytes_out(out, r);
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td>{}</td><td></td><td></td><td></td><td></td><td class=ac>{}</td><td class=ac colspan=8></td>",
        n("dreq"),
        n("dresp"),
        n("ereq"),
        esc(r.get("status"))
    );
    modules(out, r, o);
    out.push_str("</tr>");
}

fn server(out: &mut String, r: &Row, o: &Opts) {
    let n = |k| u2h(r.num(k));
    let status = r.get("status");
    let health_max = r.num("check_health") == r.num("check_rise") + r.num("check_fall") - 1;
    let style = if status == "DOWN" || status == "DOWN (agent)" {
        "down"
    } else if status.starts_with("DOWN ") {
        "going_up"
    } else if status == "DRAIN" {
        "draining"
    } else if status.starts_with("NOLB ") {
        "going_down"
    } else if status == "NOLB" {
        "nolb"
    } else if status == "no check" {
        "no_check"
    } else if r.get("chkfail").is_empty() || health_max {
        if r.num("weight") != 0 {
            "up"
        } else {
            "draining"
        }
    } else {
        "going_down"
    };
    let bck = r.num("bck") != 0;
    if status.starts_with("MAINT") {
        out.push_str("<tr class=\"maintain\">");
    } else {
        let _ = write!(
            out,
            "<tr class=\"{}_{style}\">",
            if bck { "backup" } else { "active" }
        );
    }
    let pxn = esc(r.get("pxname"));
    let sv = esc(r.get("svname"));
    if o.admin {
        let _ = write!(
            out,
            "<td><input class='{pxn}-checkbox' type=\"checkbox\" name=\"s\" value=\"{sv}\"></td>"
        );
    }
    let lg = o.cfg.show_legends;
    let _ = write!(
        out,
        "<td class=ac><a name=\"{pxn}/{sv}\"></a>{}<a class=lfsb href=\"#{pxn}/{sv}\">{sv}</a>",
        if lg { "<u>" } else { "" }
    );
    if lg {
        out.push_str("<div class=tips>");
        let addr = r.get("addr");
        if addr.starts_with(|c: char| c.is_ascii_digit()) {
            let _ = write!(out, "IPv4: {addr}, ");
        } else if addr.starts_with('[') {
            let _ = write!(out, "IPv6: {addr}, ");
        } else if !addr.is_empty() {
            let _ = write!(out, "{addr}, ");
        }
        let _ = write!(out, "id: {}", r.get("sid"));
        let ck = r.get("cookie");
        if !ck.is_empty() {
            let _ = write!(out, ", cookie: '{}'", esc(ck));
        }
        out.push_str("</div>");
    }
    let _ = write!(
        out,
        "{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td>",
        if lg { "</u>" } else { "" },
        n("qcur"),
        n("qmax"),
        lim(r.num("qlimit")),
        n("rate"),
        n("rate_max")
    );
    let _ = write!(
        out,
        "<td><u>{}<div class=tips><table class=det><tr><th>Current active connections:</th><td>{}</td></tr>\
         <tr><th>Current used connections:</th><td>{}</td></tr><tr><th>Current idle connections:</th><td>{}</td></tr>\
         <tr><th>- unsafe:</th><td>{}</td></tr><tr><th>- safe:</th><td>{}</td></tr>\
         <tr><th>Estimated need of connections:</th><td>{}</td></tr><tr><th>Active connections limit:</th><td>{}</td></tr>\
         <tr><th>Idle connections limit:</th><td>{}</td></tr></table></div></u></td><td>{}</td><td>{}</td>\
         <td><u>{}<div class=tips><table class=det><tr><th>Cum. sessions:</th><td>{}</td></tr>",
        n("scur"),
        n("scur"),
        n("used_conn_cur"),
        n("srv_icur"),
        n("idle_conn_cur"),
        n("safe_conn_cur"),
        n("need_conn_est"),
        lim(r.num("slim")),
        if r.get("src_ilim").is_empty() {
            "-".to_string()
        } else {
            n("src_ilim")
        },
        n("smax"),
        lim(r.num("slim")),
        n("stot"),
        n("stot")
    );
    let http = r.get("mode") == "http";
    if http {
        let rt = r.num("req_tot");
        let _ = write!(
            out,
            "<tr><th>New connections:</th><td>{}</td></tr><tr><th>Reused connections:</th><td>{}</td><td>({}%)</td></tr>\
             <tr><th>Cum. HTTP requests:</th><td>{}</td></tr>",
            n("connect"),
            n("reuse"),
            pct(r.num("reuse"), r.num("connect") + r.num("reuse")),
            n("req_tot")
        );
        for (label, k) in [
            ("1xx", "hrsp_1xx"),
            ("2xx", "hrsp_2xx"),
            ("3xx", "hrsp_3xx"),
            ("4xx", "hrsp_4xx"),
            ("5xx", "hrsp_5xx"),
        ] {
            let _ = write!(
                out,
                "<tr><th>- HTTP {label} responses:</th><td>{}</td><td>({}%)</td></tr>",
                n(k),
                pct(r.num(k), rt)
            );
        }
        let _ = write!(
            out,
            "<tr><th>- other responses:</th><td>{}</td><td>({}%)</td></tr><tr><th>Failed hdr rewrites:</th><td>{}</td></tr>\
             <tr><th>Internal error:</th><td>{}</td></tr>",
            n("hrsp_other"),
            pct(r.num("hrsp_other"), rt),
            n("wrew"),
            n("eint")
        );
    }
    times(out, r, http);
    let _ = write!(
        out,
        "</table></div></u></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td><td>{}</td><td></td><td>{}</td>\
         <td><u>{}<div class=tips>Connection resets during transfers: {} client, {} server</div></u></td><td>{}</td><td>{}</td>",
        n("lbtot"),
        human_time(r.num("lastsess")),
        n("bin"),
        n("bout"),
        n("dresp"),
        n("econ"),
        n("eresp"),
        r.num("cli_abrt"),
        r.num("srv_abrt"),
        r.num("wretr"),
        r.num("wredis")
    );
    out.push_str("<td class=ac>");
    let lastchg = human_time(r.num("lastchg"));
    if status.starts_with("MAINT") {
        let _ = write!(out, "{lastchg} MAINT");
    } else if status == "no check" {
        out.push_str("<i>no check</i>");
    } else {
        let _ = write!(out, "{lastchg} {}", esc(status));
        if status.starts_with("DOWN") {
            if r.num("check_health") != 0 {
                out.push_str(" &uarr;");
            }
        } else if r.get("check_rise").is_empty()
            || r.num("check_health") < r.num("check_rise") + r.num("check_fall") - 1
        {
            // Unchecked servers compare 0 with HAProxy's unsigned `0 + 0 - 1`.
            out.push_str(" &darr;");
        }
    }
    let cs = r.get("check_status");
    if !cs.is_empty() {
        let _ = write!(out, "</td><td class=ac><u> {}", esc(cs));
        if !r.get("check_code").is_empty() {
            let _ = write!(out, "/{}", r.get("check_code"));
        }
        if !r.get("check_duration").is_empty() {
            let _ = write!(out, " in {}ms", r.get("check_duration"));
        }
        let _ = write!(out, "<div class=tips>{}", esc(r.get("check_desc")));
        let lc = r.get("last_chk");
        if !lc.is_empty() {
            let _ = write!(out, ": {}", esc(lc));
        }
        out.push_str("</div></u>");
    } else {
        out.push_str("</td><td>");
    }
    let _ = write!(
        out,
        "</td><td class=ac>{}/{}</td><td class=ac>{}</td><td class=ac>{}</td>",
        r.num("weight"),
        r.num("uweight"),
        if bck { "-" } else { "Y" },
        if bck { "Y" } else { "-" }
    );
    if !r.get("chkfail").is_empty() {
        let _ = write!(
            out,
            "<td><u>{}<div class=tips>Failed Health Checks</div></u></td><td>{}</td><td>{}</td>",
            r.num("chkfail"),
            r.num("chkdown"),
            human_time(r.num("downtime"))
        );
    } else {
        out.push_str("<td colspan=3></td>");
    }
    out.push_str("<td class=ac>-</td>");
    modules(out, r, o);
    out.push_str("</tr>\n");
}

fn times(out: &mut String, r: &Row, http: bool) {
    let n = |k| u2h(r.num(k));
    let _ = write!(
        out,
        "<tr><th colspan=3>Max / Avg over last 1024 success. conn.</th></tr>\
         <tr><th>- Queue time:</th><td>{} / {}</td><td>ms</td></tr><tr><th>- Connect time:</th><td>{} / {}</td><td>ms</td></tr>",
        n("qtime_max"),
        n("qtime"),
        n("ctime_max"),
        n("ctime")
    );
    if http {
        let _ = write!(
            out,
            "<tr><th>- Responses time:</th><td>{} / {}</td><td>ms</td></tr>",
            n("rtime_max"),
            n("rtime")
        );
    }
    let _ = write!(
        out,
        "<tr><th>- Total time:</th><td>{} / {}</td><td>ms</td></tr>",
        n("ttime_max"),
        n("ttime")
    );
}

fn backend(out: &mut String, r: &Row, o: &Opts) {
    let n = |k| u2h(r.num(k));
    let px = esc(r.get("pxname"));
    let lg = o.cfg.show_legends;
    out.push_str("<tr class=\"backend\">");
    if o.admin {
        out.push_str("<td></td>");
    }
    let _ = write!(
        out,
        "<td class=ac>{}<a name=\"{px}/Backend\"></a><a class=lfsb href=\"#{px}/Backend\">Backend</a>",
        if lg { "<u>" } else { "" }
    );
    if lg {
        let _ = write!(out, "<div class=tips>balancing: {}", r.get("algo"));
        let ck = r.get("cookie");
        if !ck.is_empty() {
            let _ = write!(out, ", cookie: '{}'", esc(ck));
        }
        out.push_str("</div>");
    }
    let _ = write!(
        out,
        "{}</td><td>{}</td><td>{}</td><td></td><td>{}</td><td>{}</td><td></td>\
         <td>{}</td><td>{}</td><td>{}</td><td><u>{}<div class=tips><table class=det><tr><th>Cum. sessions:</th><td>{}</td></tr>",
        if lg { "</u>" } else { "" },
        n("qcur"),
        n("qmax"),
        n("rate"),
        n("rate_max"),
        n("scur"),
        n("smax"),
        n("slim"),
        n("stot"),
        n("stot")
    );
    let http = r.get("mode") == "http";
    if http {
        let _ = write!(
            out,
            "<tr><th>New connections:</th><td>{}</td></tr><tr><th>Reused connections:</th><td>{}</td><td>({}%)</td></tr>",
            n("connect"),
            n("reuse"),
            pct(r.num("reuse"), r.num("connect") + r.num("reuse"))
        );
        http_tips_fe(out, r);
        let _ = write!(
            out,
            "<tr><th>Cache lookups:</th><td>{}</td></tr><tr><th>Cache hits:</th><td>{}</td><td>({}%)</td></tr>\
             <tr><th>Failed hdr rewrites:</th><td>{}</td></tr><tr><th>Internal errors:</th><td>{}</td></tr>",
            n("cache_lookups"),
            n("cache_hits"),
            pct(r.num("cache_hits"), r.num("cache_lookups")),
            n("wrew"),
            n("eint")
        );
    }
    times(out, r, http);
    let _ = write!(
        out,
        "</table></div></u></td><td>{}</td><td>{}</td><td>{}</td>",
        n("lbtot"),
        human_time(r.num("lastsess")),
        n("bin")
    );
    bytes_out(out, r);
    let status = r.get("status");
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td></td><td>{}</td><td><u>{}<div class=tips>Connection resets during transfers: {} client, {} server</div></u></td>\
         <td>{}</td><td>{}</td><td class=ac>{} {}</td><td class=ac>&nbsp;</td><td class=ac>{}/{}</td><td class=ac>{}</td><td class=ac>{}</td>\
         <td class=ac>&nbsp;</td><td>{}</td><td>{}</td><td></td>",
        n("dreq"),
        n("dresp"),
        n("econ"),
        n("eresp"),
        r.num("cli_abrt"),
        r.num("srv_abrt"),
        r.num("wretr"),
        r.num("wredis"),
        human_time(r.num("lastchg")),
        if status == "DOWN" {
            "<font color=\"red\"><b>DOWN</b></font>".to_string()
        } else {
            esc(status)
        },
        r.num("weight"),
        r.num("uweight"),
        r.num("act"),
        r.num("bck"),
        r.num("chkdown"),
        if r.get("downtime").is_empty() {
            "&nbsp;".to_string()
        } else {
            human_time(r.num("downtime"))
        }
    );
    modules(out, r, o);
    out.push_str("</tr>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_as_haproxy() {
        assert_eq!(u2h(9985), "<span class=\"rls\">9</span>985");
        assert_eq!(u2h(42), "42");
        assert_eq!(
            u2h(1234567),
            "<span class=\"rls\">1</span><span class=\"rls\">234</span>567"
        );
        assert_eq!(human_time(-1), "?");
        assert_eq!(human_time(0), "0s");
        assert_eq!(human_time(3725), "1h2m");
        assert_eq!(human_time(90061), "1d1h");
        assert_eq!(human_time(61), "1m1s");
    }
}
