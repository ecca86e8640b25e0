//! Diffie-Hellman parameters for DHE cipher suites (`tune.ssl.default-dh-param`), as
//! HAProxy 2.6 picks them with OpenSSL 3 (`ssl_get_tmp_dh()`): RFC 7919 ffdhe4096 or
//! ffdhe2048 by the certificate key's size, capped by the setting, else its own 1024-bit group.
//! Without the setting no DH parameters are set, so DHE suites are not offered.

use openssl::dh::Dh;
use openssl::pkey::{Id, PKeyRef, Params, Private};

const FFDHE2048: &[u8] = b"\
-----BEGIN DH PARAMETERS-----\n\
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz\n\
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a\n\
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7\n\
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi\n\
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD\n\
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==\n\
-----END DH PARAMETERS-----\n\
";

const FFDHE4096: &[u8] = b"\
-----BEGIN DH PARAMETERS-----\n\
MIICCAKCAgEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz\n\
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a\n\
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7\n\
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi\n\
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD\n\
ssbzSibBsu/6iGtCOGEfz9zeNVs7ZRkDW7w09N75nAI4YbRvydbmyQd62R0mkff3\n\
7lmMsPrBhtkcrv4TCYUTknC0EwyTvEN5RPT9RFLi103TZPLiHnH1S/9croKrnJ32\n\
nuhtK8UiNjoNq8Uhl5sN6todv5pC1cRITgq80Gv6U93vPBsg7j/VnXwl5B0rZp4e\n\
8W5vUsMWTfT7eTDp5OWIV7asfV9C1p9tGHdjzx1VA0AEh/VbpX4xzHpxNciG77Qx\n\
iu1qHgEtnmgyqQdgCpGBMMRtx3j5ca0AOAkpmaMzy4t6Gh25PXFAADwqTs6p+Y0K\n\
zAqCkc3OyX3Pjsm1Wn+IpGtNtahR9EGC4caKAH5eZV9q//////////8CAQI=\n\
-----END DH PARAMETERS-----\n\
";

/// HAProxy's `dh1024_p` (generator 2), for keys under 2048 bits or a setting ≤ 1024.
const DH1024_P: [u8; 128] = [
    0xFA, 0xF9, 0x2A, 0x22, 0x2A, 0xA7, 0x7F, 0xE1, 0x67, 0x4E, 0x53, 0xF7, 0x56, 0x13, 0xC3, 0xB1,
    0xE3, 0x29, 0x6B, 0x66, 0x31, 0x6A, 0x7F, 0xB3, 0xC2, 0x68, 0x6B, 0xCB, 0x1D, 0x57, 0x39, 0x1D,
    0x1F, 0xFF, 0x1C, 0xC9, 0xA6, 0xA4, 0x98, 0x82, 0x31, 0x5D, 0x25, 0xFF, 0x8A, 0xE0, 0x73, 0x96,
    0x81, 0xC8, 0x83, 0x79, 0xC1, 0x5A, 0x04, 0xF8, 0x37, 0x0D, 0xA8, 0x3D, 0xAE, 0x74, 0xBC, 0xDB,
    0xB6, 0xA4, 0x75, 0xD9, 0x71, 0x8A, 0xA0, 0x17, 0x9E, 0x2D, 0xC8, 0xA8, 0xDF, 0x2C, 0x5F, 0x82,
    0x95, 0xF8, 0x92, 0x9B, 0xA7, 0x33, 0x5F, 0x89, 0x71, 0xC8, 0x2D, 0x6B, 0x18, 0x86, 0xC4, 0x94,
    0x22, 0xA5, 0x52, 0x8D, 0xF6, 0xF6, 0xD2, 0x37, 0x92, 0x0F, 0xA5, 0xCC, 0xDB, 0x7B, 0x1D, 0x3D,
    0xA1, 0x31, 0xB7, 0x80, 0x8F, 0x0B, 0x67, 0x5E, 0x36, 0xA5, 0x60, 0x0C, 0xF1, 0x95, 0x33, 0x8B,
];

/// The parameters for a certificate whose key is `key`, under `tune.ssl.default-dh-param
/// <limit>`: the key's size (RSA and DSA keys; 0 for others) capped by the limit.
pub fn for_key(key: &PKeyRef<Private>, limit: u32) -> Option<Dh<Params>> {
    let bits = match key.id() {
        Id::RSA | Id::DSA => key.bits(),
        _ => 0,
    }
    .min(limit);
    match bits {
        4096.. => Dh::params_from_pem(FFDHE4096).ok(),
        2048.. => Dh::params_from_pem(FFDHE2048).ok(),
        _ => {
            let p = openssl::bn::BigNum::from_slice(&DH1024_P).ok()?;
            let g = openssl::bn::BigNum::from_u32(2).ok()?;
            Dh::from_pqg(p, None, g).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_follows_the_key_capped_by_the_setting() {
        let rsa =
            openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        assert_eq!(for_key(&rsa, 2048).unwrap().prime_p().num_bits(), 2048);
        assert_eq!(for_key(&rsa, 4096).unwrap().prime_p().num_bits(), 2048);
        assert_eq!(for_key(&rsa, 1024).unwrap().prime_p().num_bits(), 1024);
        let ec = openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap();
        let ec = openssl::pkey::PKey::from_ec_key(ec).unwrap();
        assert_eq!(for_key(&ec, 2048).unwrap().prime_p().num_bits(), 1024);
    }
}
