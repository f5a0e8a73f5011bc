//! The two things read from a certificate beyond what rustls-webpki
//! checks: which extensions it carries (Apple's marker OIDs) and its
//! P-256 public key (the key a leaf signs the JWS with). A small DER
//! reader: definite lengths, one-byte tags, as X.509 uses them.

/// `1.2.840.113635.100.6.11.1`: Apple's marker on the App Store's
/// receipt-signing leaf.
pub const LEAF_MARKER_OID: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x63, 0x64, 0x06, 0x0B, 0x01];
/// `1.2.840.113635.100.6.2.1`: Apple's marker on the Worldwide Developer
/// Relations intermediate.
pub const INTERMEDIATE_MARKER_OID: &[u8] =
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x63, 0x64, 0x06, 0x02, 0x01];
/// `1.2.840.10045.2.1` id-ecPublicKey.
const EC_PUBLIC_KEY_OID: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// `1.2.840.10045.3.1.7` prime256v1.
const P256_OID: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;
const BIT_STRING: u8 = 0x03;
const EXPLICIT_VERSION: u8 = 0xA0;
const EXPLICIT_EXTENSIONS: u8 = 0xA3;

/// A certificate this reader cannot follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed certificate")]
pub struct Malformed;

/// One TLV: its tag, its contents, and what follows it.
fn next(input: &[u8]) -> Result<(u8, &[u8], &[u8]), Malformed> {
    let (&tag, rest) = input.split_first().ok_or(Malformed)?;
    let (&first, rest) = rest.split_first().ok_or(Malformed)?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 || rest.len() < count {
            return Err(Malformed);
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |len, &b| (len << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return Err(Malformed);
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// The contents of a TLV that must have tag `tag`, and what follows.
fn expect(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), Malformed> {
    match next(input)? {
        (found, contents, rest) if found == tag => Ok((contents, rest)),
        _ => Err(Malformed),
    }
}

/// The fields of `tbsCertificate` from `serialNumber` on.
fn tbs_fields(certificate: &[u8]) -> Result<&[u8], Malformed> {
    let (cert, _) = expect(certificate, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;
    match next(tbs)? {
        (EXPLICIT_VERSION, _, rest) => Ok(rest),
        _ => Ok(tbs),
    }
}

/// The OIDs of the certificate's extensions.
pub fn extension_oids(certificate: &[u8]) -> Result<Vec<&[u8]>, Malformed> {
    let mut fields = tbs_fields(certificate)?;
    // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo.
    for _ in 0..6 {
        fields = next(fields)?.2;
    }
    let mut oids = Vec::new();
    while !fields.is_empty() {
        let (tag, contents, rest) = next(fields)?;
        fields = rest;
        if tag != EXPLICIT_EXTENSIONS {
            continue;
        }
        let (mut extensions, _) = expect(contents, SEQUENCE)?;
        while !extensions.is_empty() {
            let (extension, rest) = expect(extensions, SEQUENCE)?;
            extensions = rest;
            oids.push(expect(extension, OID)?.0);
        }
    }
    Ok(oids)
}

/// Whether the certificate carries an extension with `oid`.
pub fn has_extension(certificate: &[u8], oid: &[u8]) -> Result<bool, Malformed> {
    Ok(extension_oids(certificate)?.contains(&oid))
}

/// The certificate's P-256 public key (the uncompressed point), or
/// `None` when its key is of another kind.
pub fn p256_public_key(certificate: &[u8]) -> Result<Option<&[u8]>, Malformed> {
    let mut fields = tbs_fields(certificate)?;
    for _ in 0..5 {
        fields = next(fields)?.2;
    }
    let (spki, _) = expect(fields, SEQUENCE)?;
    let (algorithm, rest) = expect(spki, SEQUENCE)?;
    let (key, _) = expect(rest, BIT_STRING)?;
    let (kind, params) = expect(algorithm, OID)?;
    let curve = expect(params, OID).map(|(curve, _)| curve).ok();
    if kind != EC_PUBLIC_KEY_OID || curve != Some(P256_OID) {
        return Ok(None);
    }
    // No unused bits, then the point.
    match key.split_first() {
        Some((0, point)) if point.len() == 65 && point[0] == 0x04 => Ok(Some(point)),
        _ => Err(Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apples_root_has_neither_marker_and_a_p384_key() {
        let root = crate::infra::config::apple::APPLE_ROOT_CA_G3;
        let oids = extension_oids(root).unwrap();
        assert!(!oids.is_empty());
        assert!(!oids.contains(&LEAF_MARKER_OID));
        assert!(!oids.contains(&INTERMEDIATE_MARKER_OID));
        assert_eq!(p256_public_key(root).unwrap(), None);
    }

    #[test]
    fn truncated_input_is_malformed_not_a_panic() {
        let root = crate::infra::config::apple::APPLE_ROOT_CA_G3;
        for len in [0, 1, 2, 10, 100, root.len() - 1] {
            assert!(extension_oids(&root[..len]).is_err(), "length {len}");
        }
        assert_eq!(next(&[0x30, 0x85, 1, 1, 1, 1, 1]), Err(Malformed));
    }
}
