//! The one cryptography backend `jsonwebtoken` uses in this process.
//!
//! `jsonwebtoken`'s own backends link every algorithm it knows (RSA with a
//! bignum library, P-384, Ed25519): about 400 KB in every Lambda that
//! checks an access token, for algorithms we never accept. This provider
//! implements only what we use, on crates every function already links:
//! HMAC-SHA256/384/512 (`hmac`, `sha2`) and ES256 (`ring`, which rustls
//! brings). Any other algorithm is refused as `InvalidAlgorithm`.

use std::sync::Once;

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use sha2::{Sha256, Sha384, Sha512};
use signature::{Error as SignatureError, Signer, Verifier};

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// Makes [`PROVIDER`] the process's `jsonwebtoken` backend. Call it before
/// signing or checking a JWT; calling it again does nothing.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // Err only if another provider was installed first; ours is the
        // only one in this crate, so keep whichever is there.
        let _ = PROVIDER.install_default();
    });
}

/// HMAC over one of the SHA-2 hashes, keyed by the token secret.
#[derive(Clone, Copy)]
enum HmacHash {
    Sha256,
    Sha384,
    Sha512,
}

impl HmacHash {
    fn of(algorithm: Algorithm) -> Option<Self> {
        match algorithm {
            Algorithm::HS256 => Some(Self::Sha256),
            Algorithm::HS384 => Some(Self::Sha384),
            Algorithm::HS512 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// HMAC takes a key of any length, so this fails only if the crate
    /// changes that; a failure refuses the token rather than panicking.
    fn mac(self, key: &[u8], message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        fn run<M: Mac + hmac::digest::KeyInit>(
            key: &[u8],
            message: &[u8],
        ) -> Result<Vec<u8>, SignatureError> {
            let mut mac = <M as Mac>::new_from_slice(key).map_err(SignatureError::from_source)?;
            mac.update(message);
            Ok(mac.finalize().into_bytes().to_vec())
        }
        match self {
            Self::Sha256 => run::<Hmac<Sha256>>(key, message),
            Self::Sha384 => run::<Hmac<Sha384>>(key, message),
            Self::Sha512 => run::<Hmac<Sha512>>(key, message),
        }
    }
}

struct HmacKey {
    hash: HmacHash,
    algorithm: Algorithm,
    secret: Vec<u8>,
}

impl Signer<Vec<u8>> for HmacKey {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        self.hash.mac(&self.secret, message)
    }
}

impl Verifier<Vec<u8>> for HmacKey {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), SignatureError> {
        let expected = self.hash.mac(&self.secret, message)?;
        // Constant time: the comparison must not tell how much matched.
        if subtle::ConstantTimeEq::ct_eq(expected.as_slice(), signature.as_slice()).into() {
            Ok(())
        } else {
            Err(SignatureError::new())
        }
    }
}

impl JwtSigner for HmacKey {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl JwtVerifier for HmacKey {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// An ES256 private key (PKCS#8 DER, as `EncodingKey::from_ec_der` holds it).
struct Es256Signer(EcdsaKeyPair);

impl Signer<Vec<u8>> for Es256Signer {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        self.0
            .sign(&SystemRandom::new(), message)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| SignatureError::new())
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

/// An ES256 public key: the SEC1 point `DecodingKey::from_ec_der` or
/// `from_ec_components` holds.
struct Es256Verifier(Vec<u8>);

impl Verifier<Vec<u8>> for Es256Verifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), SignatureError> {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.0)
            .verify(message, signature)
            .map_err(|_| SignatureError::new())
    }
}

impl JwtVerifier for Es256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, JwtError> {
    if let Some(hash) = HmacHash::of(*algorithm) {
        let secret = key.try_get_hmac_secret()?.to_vec();
        let algorithm = *algorithm;
        return Ok(Box::new(HmacKey {
            hash,
            algorithm,
            secret,
        }));
    }
    if *algorithm == Algorithm::ES256 {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            key.inner(),
            &SystemRandom::new(),
        )
        .map_err(|_| JwtError::from(ErrorKind::InvalidEcdsaKey))?;
        return Ok(Box::new(Es256Signer(pair)));
    }
    Err(ErrorKind::InvalidAlgorithm.into())
}

fn new_verifier(
    algorithm: &Algorithm,
    key: &DecodingKey,
) -> Result<Box<dyn JwtVerifier>, JwtError> {
    if let Some(hash) = HmacHash::of(*algorithm) {
        let secret = key.try_get_hmac_secret()?.to_vec();
        let algorithm = *algorithm;
        return Ok(Box::new(HmacKey {
            hash,
            algorithm,
            secret,
        }));
    }
    if *algorithm == Algorithm::ES256 {
        return Ok(Box::new(Es256Verifier(key.as_bytes().to_vec())));
    }
    Err(ErrorKind::InvalidAlgorithm.into())
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{decode, encode, Header, Validation};
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Claims {
        sub: String,
        exp: u64,
    }

    fn claims() -> Claims {
        Claims {
            sub: "someone".into(),
            exp: 4_102_444_800,
        }
    }

    /// RFC 7515 appendix A.1's HS256 example: our HMAC gives the published
    /// signature, so tokens interoperate with any other implementation.
    #[test]
    fn hs256_matches_the_rfc_7515_example() {
        let key = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
        )
        .unwrap();
        let signing_input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        install();
        let signature = jsonwebtoken::crypto::sign(
            signing_input.as_bytes(),
            &EncodingKey::from_secret(&key),
            Algorithm::HS256,
        )
        .unwrap();
        assert_eq!(signature, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    }

    #[test]
    fn hmac_tokens_round_trip_and_other_keys_fail() {
        install();
        for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let token = encode(
                &Header::new(algorithm),
                &claims(),
                &EncodingKey::from_secret(b"k1"),
            )
            .unwrap();
            let ok = decode::<Claims>(
                &token,
                &DecodingKey::from_secret(b"k1"),
                &Validation::new(algorithm),
            );
            assert_eq!(ok.unwrap().claims, claims());
            let wrong = decode::<Claims>(
                &token,
                &DecodingKey::from_secret(b"k2"),
                &Validation::new(algorithm),
            );
            assert!(wrong.is_err());
        }
    }

    #[test]
    fn es256_tokens_round_trip_and_a_changed_payload_fails() {
        install();
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let public = ring::signature::KeyPair::public_key(&pair)
            .as_ref()
            .to_vec();
        let token = encode(
            &Header::new(Algorithm::ES256),
            &claims(),
            &EncodingKey::from_ec_der(pkcs8.as_ref()),
        )
        .unwrap();
        let key = DecodingKey::from_ec_der(&public);
        let decoded = decode::<Claims>(&token, &key, &Validation::new(Algorithm::ES256)).unwrap();
        assert_eq!(decoded.claims, claims());

        let mut parts: Vec<&str> = token.split('.').collect();
        let other = encode(
            &Header::new(Algorithm::ES256),
            &Claims {
                sub: "else".into(),
                exp: 4_102_444_800,
            },
            &EncodingKey::from_ec_der(pkcs8.as_ref()),
        )
        .unwrap();
        let other_payload = other.split('.').nth(1).unwrap().to_string();
        parts[1] = &other_payload;
        let tampered = parts.join(".");
        assert!(decode::<Claims>(&tampered, &key, &Validation::new(Algorithm::ES256)).is_err());
    }

    #[test]
    fn algorithms_we_do_not_use_are_refused() {
        install();
        let key = EncodingKey::from_secret(b"k");
        let err = jsonwebtoken::crypto::sign(b"x", &key, Algorithm::RS256).unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidAlgorithm);
    }
}
