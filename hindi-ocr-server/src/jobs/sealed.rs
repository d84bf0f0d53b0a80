//! PDF passwords at rest. A password-protected PDF is stored as uploaded, so its password must be kept for
//! the worker that reads it, a re-run and the searchable-PDF export. It is kept sealed (ChaCha20-Poly1305)
//! in the document record, with a key derived from the deployment's secret (`--jwt-secret`), which servers
//! and workers share, and the document id as associated data, so a sealed value copied to another document
//! does not open. It goes when the document goes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hindi_ocr_core::Password;
use hmac::Mac;

/// Prefix of sealed values: the format's version, so a later format can tell old values apart.
const PREFIX: &str = "v1.";

/// Seals and opens PDF passwords with the deployment's key.
#[derive(Clone)]
pub struct PasswordSealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for PasswordSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordSealer(<key hidden>)")
    }
}

/// A sealed value that does not open: another deployment's key, another document, or altered.
#[derive(Debug, thiserror::Error)]
#[error("the PDF password stored with this document cannot be unsealed (the servers' and workers' secrets differ?)")]
pub struct UnsealError;

impl PasswordSealer {
    /// A sealer whose key is derived from `secret` (the JWT secret): HMAC-SHA256 of a fixed label, so the
    /// sealing key is not the signing key itself.
    pub fn new(secret: &[u8]) -> Self {
        // hmac's own KeyInit (a newer crypto-common than chacha20poly1305's).
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(b"hindi-ocr: PDF password sealing key, v1");
        let key: [u8; 32] = mac.finalize().into_bytes().into();
        Self { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)) }
    }

    /// Seal `password` for document `document_id`: `v1.` + base64url(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, document_id: &str, password: &Password) -> String {
        let nonce: [u8; 12] = rand::random();
        let payload = Payload { msg: password.as_str().as_bytes(), aad: document_id.as_bytes() };
        // Encryption fails only for messages over 256 GiB; a password field is bounded far below that.
        let sealed = self.cipher.encrypt(Nonce::from_slice(&nonce), payload).expect("a short message seals");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Open a value made by [`PasswordSealer::seal`] for the same document with the same key.
    pub fn open(&self, document_id: &str, sealed: &str) -> Result<Password, UnsealError> {
        let bytes = sealed.strip_prefix(PREFIX).and_then(|b| URL_SAFE_NO_PAD.decode(b).ok()).ok_or(UnsealError)?;
        if bytes.len() < 12 + 16 {
            return Err(UnsealError);
        }
        let (nonce, msg) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg, aad: document_id.as_bytes() })
            .map_err(|_| UnsealError)?;
        String::from_utf8(plain).map(Password::new).map_err(|_| UnsealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_for_the_same_document_only() {
        let sealer = PasswordSealer::new(b"0123456789abcdef0123456789abcdef");
        let pw = Password::new("पासवर्ड 123");
        let sealed = sealer.seal("doc-1", &pw);
        assert!(sealed.starts_with("v1.") && !sealed.contains("123"), "{sealed}");
        assert_eq!(sealer.open("doc-1", &sealed).unwrap(), pw);
        // Fresh nonce every time: the same password never seals to the same text.
        assert_ne!(sealer.seal("doc-1", &pw), sealed);
        // Another document, another key, an altered or foreign value: no password.
        assert!(sealer.open("doc-2", &sealed).is_err());
        assert!(PasswordSealer::new(b"another secret, also 32 bytes long").open("doc-1", &sealed).is_err());
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(sealer.open("doc-1", std::str::from_utf8(&altered).unwrap()).is_err());
        for junk in ["", "v1.", "v1.%%%", "v2.AAAA", "plain password"] {
            assert!(sealer.open("doc-1", junk).is_err(), "{junk:?}");
        }
    }
}
