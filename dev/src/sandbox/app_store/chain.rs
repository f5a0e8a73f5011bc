//! The App Store sandbox's certificate chain, made per run: a root, an
//! intermediate carrying Apple's intermediate marker
//! (`1.2.840.113635.100.6.2.1`) and a signing leaf carrying Apple's leaf
//! marker (`1.2.840.113635.100.6.11.1`), all P-256. The server trusts the
//! root through `APPLE_ROOT_CERTIFICATES` (never beside Apple's), so what
//! the leaf signs verifies exactly as the App Store's data does.
//!
//! [`Chain::with_leaf`] makes other leaves under the same intermediate
//! (expired, without the marker) and [`Chain::new`] another chain
//! altogether: the tampered inputs the verifier must refuse.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rcgen::{
    date_time_ymd, BasicConstraints, Certificate, CertificateParams, CustomExtension,
    DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

/// `1.2.840.113635.100.6.11.1`.
pub const LEAF_MARKER: &[u64] = &[1, 2, 840, 113635, 100, 6, 11, 1];
/// `1.2.840.113635.100.6.2.1`.
pub const INTERMEDIATE_MARKER: &[u64] = &[1, 2, 840, 113635, 100, 6, 2, 1];

/// Which leaf signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// Valid from 2020 to 2099, with the marker.
    Valid,
    /// Expired at the end of 2021.
    Expired,
    /// Valid, without Apple's leaf marker.
    Unmarked,
}

/// A root, an intermediate and a signing leaf. Cheap to clone.
#[derive(Clone)]
pub struct Chain {
    inner: Arc<Inner>,
}

struct Inner {
    root: Vec<u8>,
    issuer: Arc<Issuer>,
    leaf: Vec<u8>,
    leaf_key: EcdsaKeyPair,
}

/// The intermediate, which signs the leaves.
struct Issuer {
    certificate: Certificate,
    key: KeyPair,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Chain(…)")
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "HeyWay App Store Sandbox");
    name
}

fn marker(oid: &[u64]) -> CustomExtension {
    // Apple's markers hold an ASN.1 NULL.
    CustomExtension::from_oid_content(oid, vec![0x05, 0x00])
}

fn ca_params(common_name: &str, path_len: u8) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(path_len));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2099, 12, 31);
    params.use_authority_key_identifier_extension = true;
    params
}

fn new_key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key")
}

impl Chain {
    /// A new chain: its own root, intermediate and valid leaf.
    pub fn new() -> Self {
        let root_key = new_key();
        let root = ca_params("HeyWay App Store Sandbox Root", 1)
            .self_signed(&root_key)
            .expect("sandbox root");
        let intermediate_key = new_key();
        let mut params = ca_params("HeyWay App Store Sandbox Intermediate", 0);
        params.custom_extensions.push(marker(INTERMEDIATE_MARKER));
        let intermediate = params
            .signed_by(&intermediate_key, &root, &root_key)
            .expect("sandbox intermediate");
        let issuer = Arc::new(Issuer {
            certificate: intermediate,
            key: intermediate_key,
        });
        let (leaf, leaf_key) = make_leaf(&issuer, Leaf::Valid);
        Self {
            inner: Arc::new(Inner {
                root: root.der().to_vec(),
                issuer,
                leaf,
                leaf_key,
            }),
        }
    }

    /// This chain with another leaf of kind `kind` under the same
    /// intermediate.
    pub fn with_leaf(&self, kind: Leaf) -> Self {
        let (leaf, leaf_key) = make_leaf(&self.inner.issuer, kind);
        Self {
            inner: Arc::new(Inner {
                root: self.inner.root.clone(),
                issuer: self.inner.issuer.clone(),
                leaf,
                leaf_key,
            }),
        }
    }

    /// The root's DER: what `APPLE_ROOT_CERTIFICATES` trusts.
    pub fn root_der(&self) -> &[u8] {
        &self.inner.root
    }

    /// The root as `APPLE_ROOT_CERTIFICATES` takes it (base64 DER).
    pub fn root_base64(&self) -> String {
        STANDARD.encode(&self.inner.root)
    }

    /// The header's `x5c`: leaf, intermediate, root, base64 DER.
    pub fn x5c(&self) -> Vec<String> {
        [
            self.inner.leaf.as_slice(),
            self.inner.issuer.certificate.der().as_ref(),
            self.inner.root.as_slice(),
        ]
        .iter()
        .map(|der| STANDARD.encode(der))
        .collect()
    }

    /// The leaf's ES256 signature of `message` (r ‖ s).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.inner
            .leaf_key
            .sign(&SystemRandom::new(), message)
            .expect("ES256 signature")
            .as_ref()
            .to_vec()
    }
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

fn make_leaf(issuer: &Issuer, kind: Leaf) -> (Vec<u8>, EcdsaKeyPair) {
    let key = new_key();
    let mut params = CertificateParams::default();
    params.distinguished_name = name("HeyWay App Store Sandbox Signing");
    // No basicConstraints: rcgen's explicit one encodes `cA: FALSE`, a
    // DEFAULT that DER leaves out and strict parsers (Apple's Python
    // library's) refuse.
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = match kind {
        Leaf::Expired => date_time_ymd(2021, 12, 31),
        Leaf::Valid | Leaf::Unmarked => date_time_ymd(2099, 12, 31),
    };
    if kind != Leaf::Unmarked {
        params.custom_extensions.push(marker(LEAF_MARKER));
    }
    let cert = params
        .signed_by(&key, &issuer.certificate, &issuer.key)
        .expect("sandbox leaf");
    let signing = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &key.serialize_der(),
        &SystemRandom::new(),
    )
    .expect("leaf key for ring");
    (cert.der().to_vec(), signing)
}
