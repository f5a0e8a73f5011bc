//! Reading a Stripe API request as Stripe does: the secret key (bearer,
//! or basic auth with the key as user name, as `curl -u sk_…:` sends
//! it), a form-encoded body with bracketed keys (`metadata[userId]`), and
//! parameters checked one by one, each refusal Stripe's error JSON
//! naming the parameter (`{"error":{"type","code","param","message"}}`).

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Map, Value};

/// Stripe's limits on metadata.
const METADATA_KEYS: usize = 50;
const METADATA_KEY_CHARS: usize = 40;
const METADATA_VALUE_CHARS: usize = 500;

/// A refusal, as Stripe answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub param: Option<String>,
    pub message: String,
}

impl ApiError {
    fn invalid_request(code: Option<&'static str>, param: &str, message: String) -> Self {
        Self {
            status: 400,
            kind: "invalid_request_error",
            code,
            param: Some(param.to_string()),
            message,
        }
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid_request(
            Some("parameter_missing"),
            param,
            format!("Missing required param: {param}."),
        )
    }

    pub fn unknown(param: &str) -> Self {
        Self::invalid_request(
            Some("parameter_unknown"),
            param,
            format!("Received unknown parameter: {param}"),
        )
    }

    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        Self::invalid_request(None, param, message.into())
    }

    /// "No such customer: 'cus_…'".
    pub fn no_such(what: &str, param: &str, id: &str) -> Self {
        Self::invalid_request(
            Some("resource_missing"),
            param,
            format!("No such {what}: '{id}'"),
        )
    }

    fn unauthorized(message: String) -> Self {
        Self {
            status: 401,
            kind: "invalid_request_error",
            code: None,
            param: None,
            message,
        }
    }

    pub fn idempotency(key: &str) -> Self {
        Self {
            status: 400,
            kind: "idempotency_error",
            code: None,
            param: None,
            message: format!(
                "Keys for idempotent requests can only be used with the same parameters they \
                 were first used with. Try using a key other than '{key}' if you meant to \
                 execute a different request."
            ),
        }
    }

    fn not_form() -> Self {
        Self {
            status: 400,
            kind: "invalid_request_error",
            code: None,
            param: None,
            message: "Invalid request: the body must be form-encoded \
                      (application/x-www-form-urlencoded), with nested keys in brackets"
                .to_string(),
        }
    }

    pub fn body(&self) -> Value {
        let mut error = json!({ "type": self.kind, "message": self.message });
        if let Some(code) = self.code {
            error["code"] = json!(code);
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.body())).into_response()
    }
}

/// The key a request carries: `Authorization: Bearer sk_…`, or basic
/// auth with the key as the user name.
fn presented_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    if let Some(key) = value.strip_prefix("Bearer ") {
        return Some(key.trim().to_string());
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(text.split(':').next().unwrap_or_default().to_string())
}

/// `Ok` when the request carries `secret_key`; else Stripe's 401.
pub(super) fn authenticate(headers: &HeaderMap, secret_key: &str) -> Result<(), ApiError> {
    let Some(key) = presented_key(headers).filter(|k| !k.is_empty()) else {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY')."
                .to_string(),
        ));
    };
    if subtle::ConstantTimeEq::ct_eq(key.as_bytes(), secret_key.as_bytes()).into() {
        return Ok(());
    }
    // Stripe shows the key's start and last four characters only.
    let chars: Vec<char> = key.chars().collect();
    let shown = if chars.len() > 12 {
        let head: String = chars[..8].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        "****".to_string()
    };
    Err(ApiError::unauthorized(format!(
        "Invalid API Key provided: {shown}"
    )))
}

/// A form-encoded body's parameters, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses the body; JSON, or a body sent as something other than a
    /// form, is refused (a client bug Stripe answers with a 400 too).
    pub fn read(headers: &HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        let form = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        let looks_like_json = body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[');
        if !body.is_empty() && (!form || looks_like_json) {
            return Err(ApiError::not_form());
        }
        Ok(Self::parse(body))
    }

    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The parameter's value when sent and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing(name))
    }

    /// Refuses any parameter that is not one of `names`, a key of one of
    /// the `maps` (`metadata` allows `metadata[anything]`), or `expand[]`.
    pub fn only(&self, names: &[&str], maps: &[&str]) -> Result<(), ApiError> {
        for (key, _) in &self.0 {
            let known = names.contains(&key.as_str())
                || maps.iter().any(|map| map_key(key, map).is_some())
                || is_expand(key);
            if !known {
                return Err(ApiError::unknown(key));
            }
        }
        Ok(())
    }

    /// The keys and values of `map[…]` (`metadata`), within Stripe's
    /// metadata limits.
    pub fn metadata(&self, map: &str) -> Result<Map<String, Value>, ApiError> {
        let mut found = Map::new();
        for (key, value) in &self.0 {
            let Some(name) = map_key(key, map) else {
                continue;
            };
            if name.chars().count() > METADATA_KEY_CHARS {
                return Err(ApiError::invalid(
                    key,
                    format!("Metadata keys must be at most {METADATA_KEY_CHARS} characters."),
                ));
            }
            if value.chars().count() > METADATA_VALUE_CHARS {
                return Err(ApiError::invalid(
                    key,
                    format!("Metadata values must be at most {METADATA_VALUE_CHARS} characters."),
                ));
            }
            // Stripe deletes a key set to "": none to keep on a new object.
            if !value.is_empty() {
                found.insert(name.to_string(), json!(value));
            }
        }
        if found.len() > METADATA_KEYS {
            return Err(ApiError::invalid(
                map,
                format!("Metadata can have at most {METADATA_KEYS} keys."),
            ));
        }
        Ok(found)
    }

    /// A text parameter of at most `max` characters.
    pub fn text(&self, name: &str, max: usize) -> Result<Option<&str>, ApiError> {
        match self.get(name) {
            Some(value) if value.chars().count() > max => Err(ApiError::invalid(
                name,
                format!("Invalid string: must be at most {max} characters"),
            )),
            value => Ok(value),
        }
    }

    /// An `http(s)` URL parameter, as Stripe checks redirect URLs.
    pub fn url(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let Some(value) = self.text(name, 5000)? else {
            return Ok(None);
        };
        if is_http_url(value) {
            Ok(Some(value))
        } else {
            Err(ApiError::invalid_request(
                Some("url_invalid"),
                name,
                "Not a valid URL".to_string(),
            ))
        }
    }

    /// An integer parameter.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        value.trim().parse().map(Some).map_err(|_| {
            ApiError::invalid_request(
                Some("parameter_invalid_integer"),
                name,
                format!("Invalid integer: {value}"),
            )
        })
    }
}

/// `name` inside `map[name]`, when `key` is one (no deeper nesting).
fn map_key<'a>(key: &'a str, map: &str) -> Option<&'a str> {
    let name = key
        .strip_prefix(map)?
        .strip_prefix('[')?
        .strip_suffix(']')?;
    (!name.is_empty() && !name.contains(['[', ']'])).then_some(name)
}

/// `expand[]` or `expand[0]`: which fields to expand; the sandbox's
/// objects are answered as they are.
fn is_expand(key: &str) -> bool {
    key.strip_prefix("expand[")
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|index| index.chars().all(|c| c.is_ascii_digit()))
}

fn is_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !url.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn accepts_the_key_as_bearer_or_basic_user_and_refuses_others_with_401() {
        let key = "sk_test_sandbox_0001";
        let bearer = headers(&[("authorization", "Bearer sk_test_sandbox_0001")]);
        assert_eq!(authenticate(&bearer, key), Ok(()));
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
        let basic = headers(&[("authorization", &format!("Basic {basic}"))]);
        assert_eq!(authenticate(&basic, key), Ok(()));

        let none = authenticate(&HeaderMap::new(), key).unwrap_err();
        assert_eq!(none.status, 401);
        assert!(none.message.starts_with("You did not provide an API key"));
        let wrong = headers(&[("authorization", "Bearer sk_test_someone_else_9876")]);
        let wrong = authenticate(&wrong, key).unwrap_err();
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.message, "Invalid API Key provided: sk_test_****9876");
        assert_eq!(wrong.body()["error"]["type"], "invalid_request_error");
    }

    #[test]
    fn only_form_bodies_are_read() {
        let form = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        let read = Params::read(&form, b"metadata%5BuserId%5D=abc&email=a%40b.test").unwrap();
        assert_eq!(read.get("metadata[userId]"), Some("abc"));
        assert_eq!(read.get("email"), Some("a@b.test"));
        assert!(Params::read(&form, br#"{"email":"a@b.test"}"#).is_err());
        let json = headers(&[("content-type", "application/json")]);
        assert_eq!(Params::read(&json, b"email=x").unwrap_err().status, 400);
        // No body at all: no parameters.
        assert_eq!(Params::read(&json, b"").unwrap(), Params::default());
    }

    #[test]
    fn names_the_missing_or_unknown_parameter() {
        let p = params(&[("mode", "subscription"), ("success_url", " ")]);
        let missing = p.required("success_url").unwrap_err();
        assert_eq!(missing.param.as_deref(), Some("success_url"));
        assert_eq!(missing.code, Some("parameter_missing"));
        assert_eq!(missing.message, "Missing required param: success_url.");

        let p = params(&[
            ("mode", "subscription"),
            ("metadata[userId]", "u1"),
            ("expand[]", "customer"),
            ("expand[0]", "customer"),
        ]);
        assert_eq!(p.only(&["mode"], &["metadata"]), Ok(()));
        for bad in ["metadata.userId", "metadata[]", "metadata[a][b]", "modes"] {
            let p = params(&[(bad, "x")]);
            let error = p.only(&["mode"], &["metadata"]).unwrap_err();
            assert_eq!(error.code, Some("parameter_unknown"), "{bad}");
            assert_eq!(error.param.as_deref(), Some(bad));
        }
    }

    #[test]
    fn checks_metadata_text_urls_and_integers() {
        let p = params(&[("metadata[userId]", "u1"), ("metadata[gone]", "")]);
        assert_eq!(
            p.metadata("metadata").unwrap(),
            json!({ "userId": "u1" }).as_object().unwrap().clone()
        );
        let long_key = format!("metadata[{}]", "k".repeat(41));
        assert!(params(&[(&long_key, "v")]).metadata("metadata").is_err());
        let long_value = "v".repeat(501);
        let error = params(&[("metadata[k]", &long_value)])
            .metadata("metadata")
            .unwrap_err();
        assert_eq!(error.param.as_deref(), Some("metadata[k]"));

        let p = params(&[("name", &"n".repeat(257))]);
        assert_eq!(
            p.text("name", 256).unwrap_err().param.as_deref(),
            Some("name")
        );

        for good in [
            "https://app.heyway.test/done",
            "http://127.0.0.1:3000/x?y={CHECKOUT_SESSION_ID}",
        ] {
            assert_eq!(params(&[("u", good)]).url("u"), Ok(Some(good)));
        }
        for bad in [
            "app.heyway.test",
            "ftp://x.test",
            "https://",
            "https:///x",
            "https://a b.test",
        ] {
            let error = params(&[("u", bad)]).url("u").unwrap_err();
            assert_eq!(error.code, Some("url_invalid"), "{bad}");
        }

        assert_eq!(params(&[("n", "12")]).integer("n"), Ok(Some(12)));
        assert_eq!(params(&[]).integer("n"), Ok(None));
        let error = params(&[("n", "1.5")]).integer("n").unwrap_err();
        assert_eq!(error.code, Some("parameter_invalid_integer"));
    }
}
