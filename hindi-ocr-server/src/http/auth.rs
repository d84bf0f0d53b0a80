//! Authentication: argon2id password hashes, HS256 session tokens, the session and CSRF cookies, the
//! [`AuthUser`] extractor and the login rate limiter.
//!
//! A request is authenticated by `Authorization: Bearer <token>` or by the HttpOnly session cookie. Each
//! token has an id (`jti`); logout records it in the store, and a token whose id is recorded is refused, so
//! a copied token dies with its session. A cookie-authenticated request that changes state (`POST`, `PATCH`,
//! `PUT`, `DELETE`) must also carry the `X-CSRF-Token` header with the value of the (script-readable)
//! `hindi_ocr_csrf` cookie, which is an HMAC of the session's token id: a value planted in the cookie by
//! someone else (a sibling subdomain can set cookies) does not match the session. SameSite=Lax already keeps
//! cookies off cross-site POSTs; the header closes the rest. Bearer requests need no CSRF header: browsers
//! never attach them by themselves.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::http::AppState;

/// Name of the HttpOnly session cookie (the JWT).
pub const SESSION_COOKIE: &str = "hindi_ocr_session";
/// Name of the script-readable CSRF cookie whose value must be echoed in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "hindi_ocr_csrf";
/// The header that must carry the CSRF cookie's value on cookie-authenticated state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The argon2id hasher with the OWASP-recommended parameters (19 MiB memory, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    // The constants are valid argon2 parameters; `Params::new` only rejects out-of-range values.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (PHC string) on a blocking thread: argon2 takes tens of milliseconds of CPU by design.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = new_salt()?;
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(format!("password hashing: {e}")))
    })
    .await?
}

/// Checks a password against a stored PHC string on a blocking thread. `None` (unknown account) still
/// spends the same time on a dummy hash, so response times do not reveal which emails have accounts.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let (phc, known) = match stored {
            Some(s) => (s, true),
            None => (dummy_hash().to_owned(), false),
        };
        let parsed = PasswordHash::new(&phc).map_err(|e| AppError::internal(format!("stored hash: {e}")))?;
        let ok = hasher().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && known)
    })
    .await?
}

/// 16 random bytes as an argon2 salt.
fn new_salt() -> Result<SaltString, AppError> {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes).map_err(|e| AppError::internal(format!("salt: {e}")))
}

/// A fixed hash to verify against when the account does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let Ok(salt) = new_salt() else { return String::new() };
        hasher().hash_password(b"not-a-real-password", &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// Checks the shape of a password at signup: 8 to 256 characters, not only spaces.
pub fn check_new_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < 8 {
        return Err(AppError::BadRequest("password must be at least 8 characters".into()));
    }
    if password.trim().is_empty() {
        return Err(AppError::BadRequest("password must not be only spaces".into()));
    }
    if n > 256 {
        return Err(AppError::BadRequest("password must be at most 256 characters".into()));
    }
    Ok(())
}

/// Checks the shape of a (normalised) email: one `@`, non-empty parts, no spaces, at most 254 bytes.
pub fn check_email(email: &str) -> Result<(), AppError> {
    let bad = || AppError::BadRequest("email is not a valid address".into());
    if email.is_empty() || email.chars().count() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') || !domain.contains('.') {
        return Err(bad());
    }
    Ok(())
}

/// What a session token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    /// Token id, what logout revokes (empty in tokens issued before ids existed).
    #[serde(default)]
    pub jti: String,
}

/// Signing keys and cookie settings for sessions.
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// How long a session lasts.
    pub ttl: Duration,
    /// Whether cookies get the `Secure` attribute.
    pub cookie_secure: bool,
    /// HMAC key of the CSRF values (the session secret; the message is prefixed, so it signs nothing a
    /// token could be).
    csrf_key: Vec<u8>,
}

impl SessionKeys {
    /// Keys from a secret (at least 32 bytes; the caller checks).
    pub fn new(secret: &[u8], ttl: Duration, cookie_secure: bool) -> Result<Self, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(SessionKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            ttl,
            cookie_secure,
            csrf_key: secret.to_vec(),
        })
    }

    /// A new token for `user_id`, with its claims.
    pub fn issue(&self, user_id: &str) -> Result<(String, Claims), AppError> {
        let now = unix_now();
        let claims = Claims { sub: user_id.to_owned(), iat: now, exp: now + self.ttl.as_secs(), jti: random_token() };
        let token = jsonwebtoken::encode(&Header::new(jsonwebtoken::Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("token signing: {e}")))?;
        Ok((token, claims))
    }

    /// The CSRF value of a session: HMAC-SHA256 of its token id, hex.
    pub fn csrf_value(&self, claims: &Claims) -> String {
        use hmac::{KeyInit, Mac};
        // HMAC takes keys of any length: new_from_slice cannot fail.
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.csrf_key) else { return String::new() };
        mac.update(b"hindi-ocr csrf\0");
        mac.update(claims.jti.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The claims of a valid, unexpired token that this server could have issued: signed with its key, not
    /// issued in the future, and living no longer than a session does (`--session-hours` from its issue). A
    /// token signed with the right key but dated ahead or given a longer life (by a leaked key, or a server
    /// with other settings) is refused; [`CLOCK_LEEWAY_SECS`] allows for clocks a little apart.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|_| AppError::Unauthorized)?;
        if claims.iat > unix_now().saturating_add(CLOCK_LEEWAY_SECS) {
            return Err(AppError::Unauthorized);
        }
        if claims.exp.saturating_sub(claims.iat) > self.ttl.as_secs().saturating_add(CLOCK_LEEWAY_SECS) {
            return Err(AppError::Unauthorized);
        }
        Ok(claims)
    }

    /// `Set-Cookie` values that start a session: the HttpOnly token cookie and the readable CSRF cookie.
    pub fn login_cookies(&self, token: &str, claims: &Claims) -> [String; 2] {
        let secure = if self.cookie_secure { "; Secure" } else { "" };
        let max_age = self.ttl.as_secs();
        let csrf = self.csrf_value(claims);
        [
            format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"),
            format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax; Max-Age={max_age}{secure}"),
        ]
    }

    /// `Set-Cookie` values that end a session (both cookies expired).
    pub fn logout_cookies(&self) -> [String; 2] {
        let secure = if self.cookie_secure { "; Secure" } else { "" };
        [
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
            format!("{CSRF_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0{secure}"),
        ]
    }
}

/// How far apart the clocks of the servers of a deployment may be: a token issued up to this many seconds
/// in the future, or living this much longer than a session, is still taken.
pub const CLOCK_LEEWAY_SECS: u64 = 60;

/// 32 random bytes as hex (CSRF tokens, generated secrets).
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The bearer token of `Authorization`, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// How the request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSource {
    /// `Authorization: Bearer`.
    Bearer,
    /// The session cookie.
    Cookie,
}

/// The signed-in user of a request. Extracting it rejects anonymous requests and ended sessions with `401`
/// and cookie-authenticated state-changing requests without the session's CSRF value with `403`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user id.
    pub id: String,
    /// How the request authenticated.
    pub source: AuthSource,
    /// The session token's claims (its id and expiry, for logout).
    pub claims: Claims,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (claims, source) = match bearer(&parts.headers) {
            Some(token) => (state.sessions.verify(token)?, AuthSource::Bearer),
            None => {
                let token = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()).ok_or(AppError::Unauthorized)?;
                (state.sessions.verify(&token)?, AuthSource::Cookie)
            }
        };
        if !claims.jti.is_empty() {
            let revoked = state.jobs.store.is_session_revoked(&claims.jti).await;
            if revoked.map_err(crate::http::routes::storage)? {
                return Err(AppError::Unauthorized);
            }
        }
        if source == AuthSource::Cookie && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            // Tokens from before token ids have no session-bound value: the cookie's own, double submit.
            let expected = if claims.jti.is_empty() {
                cookie(&parts.headers, CSRF_COOKIE).unwrap_or_default()
            } else {
                state.sessions.csrf_value(&claims)
            };
            check_csrf(&parts.headers, &expected)?;
        }
        Ok(AuthUser { id: claims.sub.clone(), source, claims })
    }
}

/// The `X-CSRF-Token` header must be present and equal `expected` (compared in constant time).
pub fn check_csrf(headers: &HeaderMap, expected: &str) -> Result<(), AppError> {
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if sent.is_empty() || expected.is_empty() || !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        return Err(AppError::CsrfRejected);
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Fixed-window counters of login attempts per account and per client IP (in memory, per server process).
pub struct LoginLimiter {
    window: Duration,
    per_account: u32,
    per_ip: u32,
    counters: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    /// A limiter allowing `per_account` failed logins per account and `per_ip` attempts per IP in `window`.
    pub fn new(window: Duration, per_account: u32, per_ip: u32) -> Self {
        LoginLimiter { window, per_account, per_ip, counters: Mutex::new(HashMap::new()) }
    }

    /// Called before checking the password: counts the attempt against the IP and refuses when the IP or
    /// the account is over its limit.
    pub fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let now = Instant::now();
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        // Keep the map small: forget expired windows once it grows.
        if counters.len() > 10_000 {
            counters.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let account_key = format!("account:{email}");
        if let Some(wait) = self.over_limit(&counters, &account_key, self.per_account, now) {
            return Err(AppError::TooManyRequests { retry_after_secs: wait });
        }
        if let Some(ip) = ip {
            let ip_key = format!("ip:{ip}");
            if let Some(wait) = self.over_limit(&counters, &ip_key, self.per_ip, now) {
                return Err(AppError::TooManyRequests { retry_after_secs: wait });
            }
            Self::bump(&mut counters, ip_key, now, self.window);
        }
        Ok(())
    }

    /// Counts a failed login against the account.
    pub fn record_failure(&self, email: &str) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        Self::bump(&mut counters, format!("account:{email}"), Instant::now(), self.window);
    }

    /// A successful login clears the account's failures.
    pub fn record_success(&self, email: &str) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        counters.remove(&format!("account:{email}"));
    }

    fn over_limit(&self, counters: &HashMap<String, (Instant, u32)>, key: &str, limit: u32, now: Instant) -> Option<u64> {
        let (start, count) = counters.get(key)?;
        let elapsed = now.duration_since(*start);
        (elapsed < self.window && *count >= limit).then(|| (self.window - elapsed).as_secs().max(1))
    }

    fn bump(counters: &mut HashMap<String, (Instant, u32)>, key: String, now: Instant, window: Duration) {
        let entry = counters.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        assert!(check_email("a@b.co").is_ok());
        assert!(check_email("").is_err());
        assert!(check_email("no-at.example").is_err());
        assert!(check_email("a@b@c.d").is_err());
        assert!(check_email("a b@c.d").is_err());
        assert!(check_email("a@localhost").is_err());
    }

    #[test]
    fn tokens_round_trip_and_reject_forgeries() {
        let keys = SessionKeys::new(&[7u8; 32], Duration::from_secs(60), false).unwrap();
        let (token, claims) = keys.issue("u1").unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, "u1");
        assert_eq!(claims.jti.len(), 64);
        assert_ne!(keys.issue("u1").unwrap().1.jti, claims.jti, "every session has its own id");
        let other = SessionKeys::new(&[8u8; 32], Duration::from_secs(60), false).unwrap();
        assert!(other.verify(&token).is_err());
        assert!(keys.verify("not.a.token").is_err());
    }

    /// A token signed with `keys` (the right key) carrying any claims.
    fn signed(keys: &SessionKeys, iat: u64, exp: u64) -> String {
        let claims = Claims { sub: "u1".into(), iat, exp, jti: "x".into() };
        jsonwebtoken::encode(&Header::new(jsonwebtoken::Algorithm::HS256), &claims, &keys.encoding).unwrap()
    }

    #[test]
    fn tokens_issued_in_the_future_are_rejected() {
        let keys = SessionKeys::new(&[7u8; 32], Duration::from_secs(24 * 3600), false).unwrap();
        let now = unix_now();
        assert!(keys.verify(&signed(&keys, now + 3600, now + 7200)).is_err(), "an hour ahead");
        assert!(keys.verify(&signed(&keys, now + 10 * 86400, now + 11 * 86400)).is_err());
        // Clocks a little apart: a few seconds ahead is fine.
        assert!(keys.verify(&signed(&keys, now + 30, now + 3600)).is_ok());
    }

    #[test]
    fn tokens_living_longer_than_a_session_are_rejected() {
        let keys = SessionKeys::new(&[7u8; 32], Duration::from_secs(24 * 3600), false).unwrap();
        let now = unix_now();
        assert!(keys.verify(&signed(&keys, now, now + 400 * 86400)).is_err(), "400 days");
        assert!(keys.verify(&signed(&keys, now - 3600, now + 2 * 86400)).is_err(), "two days");
        // Issued earlier with the session's life, and the leeway: fine. So is the server's own token.
        assert!(keys.verify(&signed(&keys, now - 3600, now - 3600 + 24 * 3600)).is_ok());
        assert!(keys.verify(&signed(&keys, now, now + 24 * 3600 + 30)).is_ok());
        assert!(keys.verify(&keys.issue("u1").unwrap().0).is_ok());
        // The same token is refused by a server whose sessions are shorter.
        let short = SessionKeys::new(&[7u8; 32], Duration::from_secs(3600), false).unwrap();
        assert!(short.verify(&signed(&keys, now, now + 24 * 3600)).is_err());
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let keys = SessionKeys::new(&[7u8; 32], Duration::from_secs(60), false).unwrap();
        let claims = Claims { sub: "u1".into(), iat: 0, exp: unix_now() - 120, jti: "x".into() };
        let token = jsonwebtoken::encode(&Header::new(jsonwebtoken::Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(keys.verify(&token).is_err());
    }

    #[test]
    fn cookies_are_parsed_from_all_headers() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; hindi_ocr_csrf=xyz".parse().unwrap());
        h.append(header::COOKIE, "hindi_ocr_session=tok".parse().unwrap());
        assert_eq!(cookie(&h, CSRF_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("tok"));
        assert!(check_csrf(&h, "xyz").is_err(), "no header");
        h.insert(CSRF_HEADER, "xyz".parse().unwrap());
        assert!(check_csrf(&h, "xyz").is_ok());
        assert!(check_csrf(&h, "").is_err());
        h.insert(CSRF_HEADER, "xyw".parse().unwrap());
        assert!(check_csrf(&h, "xyz").is_err());
    }

    #[test]
    fn csrf_values_are_bound_to_the_session_and_the_secret() {
        let keys = SessionKeys::new(&[7u8; 32], Duration::from_secs(60), false).unwrap();
        let (_, a) = keys.issue("u1").unwrap();
        let (_, b) = keys.issue("u1").unwrap();
        assert_eq!(keys.csrf_value(&a), keys.csrf_value(&a));
        assert_eq!(keys.csrf_value(&a).len(), 64);
        assert_ne!(keys.csrf_value(&a), keys.csrf_value(&b));
        let other = SessionKeys::new(&[8u8; 32], Duration::from_secs(60), false).unwrap();
        assert_ne!(keys.csrf_value(&a), other.csrf_value(&a));
        let cookies = keys.login_cookies("tok", &a);
        assert!(cookies[1].starts_with(&format!("{CSRF_COOKIE}={};", keys.csrf_value(&a))));
    }

    #[test]
    fn limiter_blocks_after_failures_and_resets_on_success() {
        let l = LoginLimiter::new(Duration::from_secs(60), 2, 100);
        let ip = Some("127.0.0.1".parse().unwrap());
        for _ in 0..2 {
            l.check("a@b.co", ip).unwrap();
            l.record_failure("a@b.co");
        }
        assert!(matches!(l.check("a@b.co", ip), Err(AppError::TooManyRequests { .. })));
        assert!(l.check("other@b.co", ip).is_ok());
        l.record_success("a@b.co");
        assert!(l.check("a@b.co", ip).is_ok());
        let l = LoginLimiter::new(Duration::from_secs(60), 100, 3);
        for i in 0..3 {
            l.check(&format!("u{i}@b.co"), ip).unwrap();
        }
        assert!(l.check("u9@b.co", ip).is_err());
    }

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse".into(), Some(h.clone())).await.unwrap());
        assert!(!verify_password("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }
}
