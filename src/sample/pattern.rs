//! ACL pattern sets (`-m` methods, `-i`), compiled for lookups whose cost does not grow
//! with the number of patterns where HAProxy's does not either (exact strings, IPs), and
//! for prefixes and suffixes too, which HAProxy walks in a list with `-i` or for `end`.

pub mod index;

use super::value::Smp;
use crate::model::expr::{MatchMethod, Pattern};
use index::{Index, Want};

#[derive(Debug, Clone)]
pub struct PatSet {
    index: Index,
    len: usize,
}

impl PatSet {
    /// `Err`: a pattern of the wrong kind for the method, or a regex the runtime cannot
    /// evaluate (the `regex` crate has no back-references nor look-around).
    pub fn compile(
        method: MatchMethod,
        icase: bool,
        patterns: &[Pattern],
    ) -> Result<PatSet, String> {
        let mut index = Index::new(method, icase);
        for (i, p) in patterns.iter().enumerate() {
            index.insert(i as index::Id, p)?;
        }
        Ok(PatSet {
            index,
            len: patterns.len(),
        })
    }

    /// Whether one sample value matches any pattern. The sample is converted to the
    /// method's type first; one that does not convert matches nothing.
    pub fn matches(&self, smp: &Smp<'_>) -> bool {
        self.index.lookup(smp, Want::Any).is_some()
    }

    /// The number of patterns compiled.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::expr::acl::{parse_pattern, AclEnv};
    use std::net::{Ipv4Addr, Ipv6Addr};
    use MatchMethod as M;

    fn set(m: MatchMethod, icase: bool, pats: &[&str]) -> PatSet {
        let pats: Vec<Pattern> = pats
            .iter()
            .map(|p| parse_pattern(m, p, AclEnv::default(), true).unwrap())
            .collect();
        PatSet::compile(m, icase, &pats).unwrap()
    }

    fn s(t: &str) -> Smp<'_> {
        Smp::str(t.as_bytes())
    }

    #[test]
    fn found_and_bool() {
        assert!(set(M::Found, false, &[]).matches(&s("")));
        let b = set(M::Bool, false, &[]);
        assert!(b.matches(&Smp::Sint(3)));
        assert!(b.matches(&Smp::Bool(true)));
        assert!(!b.matches(&Smp::Sint(0)));
        assert!(b.matches(&s("12")));
        assert!(!b.matches(&s("0")));
        assert!(!b.matches(&s("")));
    }

    #[test]
    fn integer_ranges() {
        let i = set(M::Int, false, &["10", "20:30", ":-5", "100:"]);
        for v in [10, 20, 25, 30, -5, -100, 100, i64::MAX] {
            assert!(i.matches(&Smp::Sint(v)), "{v}");
        }
        for v in [11, 19, 31, -4, 99] {
            assert!(!i.matches(&Smp::Sint(v)), "{v}");
        }
        // Strings convert as `c_str2int()` does: leading digits.
        assert!(i.matches(&s("25abc")));
        assert!(!i.matches(&s("")));
        let l = set(M::Len, false, &["3", "10:"]);
        assert!(l.matches(&s("abc")));
        assert!(!l.matches(&s("abcd")));
        assert!(l.matches(&s("0123456789")));
        assert!(l.matches(&Smp::Sint(123)));
        let d = set(M::DottedVer, false, &["3.1:"]);
        assert!(d.matches(&Smp::Sint(3 << 16 | 3)));
        assert!(!d.matches(&Smp::Sint(3 << 16)));
    }

    #[test]
    fn ip_longest_prefix_and_families() {
        let p = set(
            M::Ip,
            false,
            &[
                "10.0.0.0/8",
                "192.168.1.1",
                "::1",
                "2001:db8::/32",
                "::ffff:172.16.0.0/108",
            ],
        );
        let v4 = |a: [u8; 4]| Smp::Ipv4(Ipv4Addr::from(a));
        assert!(p.matches(&v4([10, 9, 8, 7])));
        assert!(p.matches(&v4([192, 168, 1, 1])));
        assert!(!p.matches(&v4([192, 168, 1, 2])));
        // A v4 sample against a v6 pattern through its v4-mapped form.
        assert!(p.matches(&v4([172, 16, 3, 4])));
        assert!(!p.matches(&v4([172, 32, 0, 1])));
        assert!(p.matches(&Smp::Ipv6(Ipv6Addr::LOCALHOST)));
        assert!(p.matches(&Smp::Ipv6("2001:db8:ff::1".parse().unwrap())));
        assert!(!p.matches(&Smp::Ipv6("2001:db9::1".parse().unwrap())));
        // A v6 sample against v4 patterns: mapped, compatible and 6to4 forms.
        assert!(p.matches(&Smp::Ipv6("::ffff:10.1.1.1".parse().unwrap())));
        assert!(p.matches(&Smp::Ipv6("::10.1.1.1".parse().unwrap())));
        assert!(p.matches(&Smp::Ipv6("2002:c0a8:0101::".parse().unwrap())));
        // Text samples convert to an address; other text matches nothing.
        assert!(p.matches(&s("10.2.3.4")));
        assert!(!p.matches(&s("foo")));
        // Non-contiguous masks are valid patterns too.
        let nc = set(M::Ip, false, &["10.0.0.1/255.0.0.255"]);
        assert!(nc.matches(&v4([10, 7, 7, 1])));
        assert!(!nc.matches(&v4([10, 7, 7, 2])));
        let any = set(M::Ip, false, &["0.0.0.0/0"]);
        assert!(any.matches(&v4([1, 2, 3, 4])));
        assert!(any.matches(&Smp::Ipv6("::ffff:1.2.3.4".parse().unwrap())));
        assert!(!any.matches(&Smp::Ipv6("2001:db8::1".parse().unwrap())));
    }

    #[test]
    fn strings() {
        let p = set(M::Str, false, &["abc", "Def"]);
        assert!(p.matches(&s("abc")));
        assert!(!p.matches(&s("ABC")));
        assert!(!p.matches(&s("abcd")));
        // HAProxy's string tree compares C strings.
        assert!(p.matches(&Smp::str(b"abc\0zz")));
        let p = set(M::Str, true, &["abc", "Def"]);
        assert!(p.matches(&s("ABC")));
        assert!(p.matches(&s("dEF")));
        assert!(!p.matches(&s("de")));
        // Integers are compared in their text form.
        assert!(set(M::Str, false, &["42"]).matches(&Smp::Sint(42)));
    }

    #[test]
    fn prefixes_suffixes_substrings() {
        let b = set(M::Beg, false, &["/api", "/static/"]);
        assert!(b.matches(&s("/api/v1")));
        assert!(b.matches(&s("/api")));
        assert!(!b.matches(&s("/ap")));
        assert!(!b.matches(&s("/API/v1")));
        assert!(set(M::Beg, true, &["/api"]).matches(&s("/API/v1")));
        assert!(set(M::Beg, false, &[""]).matches(&s("x")));
        let e = set(M::End, false, &[".jpg", ".png"]);
        assert!(e.matches(&s("/a/b.jpg")));
        assert!(!e.matches(&s("/a/b.JPG")));
        assert!(!e.matches(&s("jpg")));
        assert!(set(M::End, true, &[".jpg"]).matches(&s("/a/b.JPG")));
        let u = set(M::Sub, false, &["admin"]);
        assert!(u.matches(&s("/x/admin/y")));
        assert!(!u.matches(&s("/x/Admin/y")));
        assert!(set(M::Sub, true, &["admin"]).matches(&s("/x/ADMIN")));
    }

    #[test]
    fn dir_and_dom() {
        let d = set(M::Dir, false, &["/img/"]);
        assert!(d.matches(&s("/img/a.png")));
        assert!(d.matches(&s("/x/img?y")));
        assert!(!d.matches(&s("/images/a")));
        let d = set(M::Dom, true, &["example.com"]);
        assert!(d.matches(&s("www.Example.com")));
        assert!(d.matches(&s("example.com:8080")));
        assert!(!d.matches(&s("myexample.com")));
        assert!(!d.matches(&s("example.community")));
    }

    #[test]
    fn regexes() {
        let r = set(M::Reg, false, &["^/api/[0-9]+$", "\\.php$"]);
        assert!(r.matches(&s("/api/42")));
        assert!(r.matches(&s("/x.php")));
        assert!(!r.matches(&s("/API/42")));
        let r = set(M::Reg, true, &["^/api/[0-9]+$", "\\.php$", "^x", "y$"]);
        assert!(r.matches(&s("/API/42")));
        assert!(r.matches(&s("/X.PHP")));
        assert!(!r.matches(&s("/nope")));
        // Bytes, not UTF-8 text, as PCRE without UTF mode.
        assert!(set(M::Reg, false, &["^.$"]).matches(&Smp::str(b"\xff")));
        assert!(PatSet::compile(M::Reg, false, &[Pattern::Reg("(a)\\1".into())]).is_err());
    }

    #[test]
    fn bin_patterns() {
        let b = set(M::Bin, false, &["414243"]);
        assert!(b.matches(&s("ABC")));
        assert!(!b.matches(&s("ABCD")));
    }

    #[test]
    fn methods_by_number_or_text() {
        let m = set(M::Meth, false, &["GET", "PURGE"]);
        assert!(m.matches(&Smp::Meth(b"GET"[..].into())));
        assert!(m.matches(&Smp::Meth(b"PURGE"[..].into())));
        assert!(!m.matches(&Smp::Meth(b"purge"[..].into())));
        assert!(!m.matches(&Smp::Meth(b"POST"[..].into())));
        let m = set(M::Meth, true, &["get", "purge"]);
        // `get` is not the known GET: it only matches an unknown method spelt so.
        assert!(!m.matches(&Smp::Meth(b"GET"[..].into())));
        assert!(m.matches(&Smp::Meth(b"get"[..].into())));
        assert!(m.matches(&Smp::Meth(b"PURGE"[..].into())));
    }

    fn many(n: usize, f: impl Fn(usize) -> String) -> Vec<String> {
        (0..n).map(f).collect()
    }

    #[test]
    fn hundred_thousand_patterns() {
        let n = 100_000;
        let hosts = many(n, |i| format!("host{i}.example.com"));
        let h: Vec<&str> = hosts.iter().map(String::as_str).collect();
        let p = set(M::Str, false, &h);
        assert!(p.matches(&s("host99999.example.com")));
        assert!(!p.matches(&s("host100000.example.com")));
        let p = set(M::Str, true, &h);
        assert!(p.matches(&s("HOST77.example.COM")));
        let paths = many(n, |i| format!("/p{i}/"));
        let pp: Vec<&str> = paths.iter().map(String::as_str).collect();
        let p = set(M::Beg, false, &pp);
        assert!(p.matches(&s("/p54321/index.html")));
        assert!(!p.matches(&s("/p54321x/")));
        let p = set(M::End, true, &h);
        assert!(p.matches(&s("www.HOST5.example.com")));
        let nets = many(n, |i| {
            format!("{}.{}.{}.0/24", 10 + (i >> 16), (i >> 8) & 255, i & 255)
        });
        let nn: Vec<&str> = nets.iter().map(String::as_str).collect();
        let p = set(M::Ip, false, &nn);
        assert!(p.matches(&Smp::Ipv4(Ipv4Addr::new(11, 100, 3, 77))));
        assert!(!p.matches(&Smp::Ipv4(Ipv4Addr::new(12, 0, 0, 1))));
        let nets6 = many(n, |i| format!("2001:db8:{:x}:{:x}::/64", i >> 8, i & 255));
        let nn: Vec<&str> = nets6.iter().map(String::as_str).collect();
        let p = set(M::Ip, false, &nn);
        assert!(p.matches(&Smp::Ipv6("2001:db8:123:45::1".parse().unwrap())));
    }

    /// `cargo test --release --lib sample::pattern -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn lookup_time_vs_pattern_count() {
        use std::time::Instant;
        let time = |p: &PatSet, smp: &Smp<'_>| {
            let rounds = 200_000;
            let t = Instant::now();
            let mut hits = 0;
            for _ in 0..rounds {
                hits += p.matches(std::hint::black_box(smp)) as usize;
            }
            assert!(hits == rounds || hits == 0);
            t.elapsed().as_nanos() as f64 / rounds as f64
        };
        for n in [1_000, 100_000] {
            let hosts = many(n, |i| format!("host{i}.example.com"));
            let h: Vec<&str> = hosts.iter().map(String::as_str).collect();
            let key = format!("host{}.example.com", n - 1);
            let str_ = time(&set(M::Str, false, &h), &s(&key));
            let stri = time(&set(M::Str, true, &h), &s(&key.to_uppercase()));
            let paths = many(n, |i| format!("/p{i}/"));
            let pp: Vec<&str> = paths.iter().map(String::as_str).collect();
            let url = format!("/p{}/index.html?x=1", n - 1);
            let beg = time(&set(M::Beg, false, &pp), &s(&url));
            let end = time(&set(M::End, false, &h), &s(&format!("www.{key}")));
            let nets = many(n, |i| {
                format!("{}.{}.{}.0/24", 10 + (i >> 16), (i >> 8) & 255, i & 255)
            });
            let nn: Vec<&str> = nets.iter().map(String::as_str).collect();
            let last = n - 1;
            let o = |v: usize| v as u8;
            let a = Smp::Ipv4(Ipv4Addr::new(
                o(10 + (last >> 16)),
                o((last >> 8) & 255),
                o(last & 255),
                9,
            ));
            let ip = time(&set(M::Ip, false, &nn), &a);
            let sub = time(&set(M::Sub, false, &h), &s(&key));
            println!(
                "n={n}: str {str_:.0} ns, str -i {stri:.0} ns, beg {beg:.0} ns, end {end:.0} ns, ip {ip:.0} ns, sub (linear) {sub:.0} ns"
            );
        }
    }
}
