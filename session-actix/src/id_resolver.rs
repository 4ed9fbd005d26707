//! Where the session id travels: a cookie (browsers) or a header (REST clients).
//! Only the configured mechanism is read; the other is ignored.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{HeaderName, HeaderValue};

use session_core::{SessionId, log_tag};

/// Default cookie name (the seed's `SESSION`).
pub const DEFAULT_COOKIE_NAME: &str = "SESSION";
/// Default header for REST clients (the seed's `X-Auth-Token`).
pub const DEFAULT_HEADER_NAME: &str = "X-Auth-Token";

/// Session cookie attributes. Defaults follow OWASP: `Secure`, `HttpOnly`,
/// `SameSite=Lax`, `Path=/`, no `Domain`, no `Max-Age` (a browser-session cookie;
/// expiry is enforced server-side).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct CookieConfig {
    name: String,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    path: String,
    domain: Option<String>,
    max_age: Option<Duration>,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: DEFAULT_COOKIE_NAME.to_owned(),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            path: "/".to_owned(),
            domain: None,
            max_age: None,
        }
    }
}

impl CookieConfig {
    /// Cookie name. A `__Host-` prefixed name requires `Secure`, `Path=/` and no domain.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
    /// `Secure` attribute (default on; turn off only for plain-HTTP development).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }
    /// `HttpOnly` attribute (default on).
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }
    /// `SameSite` attribute (default `Lax`).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }
    /// `Path` attribute (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
    /// `Domain` attribute (default none: host-only).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }
    /// `Max-Age` attribute (default none: the cookie ends with the browser session).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Checks rules browsers enforce, so a misconfiguration fails at startup
    /// instead of silently dropping every cookie.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let valid_name = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !valid_name {
            return Err(format!("cookie name {:?} is not a valid cookie name", self.name));
        }
        if self.name.starts_with("__Host-") && (!self.secure || self.path != "/" || self.domain.is_some()) {
            return Err(format!(
                "cookie name {:?} uses the __Host- prefix, which requires Secure, Path=/ and no Domain",
                self.name
            ));
        }
        if self.name.starts_with("__Secure-") && !self.secure {
            return Err(format!(
                "cookie name {:?} uses the __Secure- prefix, which requires Secure",
                self.name
            ));
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err("SameSite=None requires Secure".to_owned());
        }
        Ok(())
    }

    fn cookie(&self, value: String) -> Cookie<'static> {
        let mut cookie = Cookie::new(self.name.clone(), value);
        cookie.set_secure(self.secure);
        cookie.set_http_only(self.http_only);
        cookie.set_same_site(self.same_site);
        cookie.set_path(self.path.clone());
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.clone());
        }
        if let Some(max_age) = self.max_age {
            let seconds = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
            cookie.set_max_age(actix_web::cookie::time::Duration::seconds(seconds));
        }
        cookie
    }
}

/// How the session id is carried between client and server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionIdResolver {
    /// A cookie (the default).
    Cookie(CookieConfig),
    /// A request/response header, for REST clients: the id is sent back in the
    /// same header when a session is created or renewed, and an empty value when
    /// it is invalidated.
    Header(HeaderName),
}

impl Default for SessionIdResolver {
    fn default() -> Self {
        Self::Cookie(CookieConfig::default())
    }
}

impl SessionIdResolver {
    /// The header resolver with the default `X-Auth-Token` header.
    #[must_use]
    pub fn header() -> Self {
        Self::Header(HeaderName::from_static("x-auth-token"))
    }

    /// What the client sent: `None` if nothing, `Some(None)` if something invalid.
    pub(crate) fn read(&self, request: &HttpRequest) -> Option<Option<SessionId>> {
        let raw = match self {
            Self::Cookie(config) => request.cookie(&config.name).map(|c| c.value().to_owned())?,
            Self::Header(name) => request
                .headers()
                .get(name)?
                .to_str()
                .map(str::to_owned)
                .unwrap_or_default(),
        };
        if raw.is_empty() {
            return None;
        }
        match SessionId::parse(&raw) {
            Ok(id) => Some(Some(id)),
            Err(reason) => {
                // Never adopted, never sent to the store; logged only as a tag.
                tracing::debug!(session = %log_tag(&raw), %reason, "ignoring malformed session id");
                Some(None)
            }
        }
    }

    /// Tells the client its (new) session id.
    pub(crate) fn write<B>(&self, response: &mut ServiceResponse<B>, id: &SessionId) {
        self.set(response, id.as_str().to_owned(), false);
    }

    /// Tells the client its session is gone.
    pub(crate) fn clear<B>(&self, response: &mut ServiceResponse<B>) {
        self.set(response, String::new(), true);
    }

    fn set<B>(&self, response: &mut ServiceResponse<B>, value: String, removal: bool) {
        match self {
            Self::Cookie(config) => {
                let mut cookie = config.cookie(value);
                if removal {
                    cookie.make_removal();
                }
                if let Err(error) = response.response_mut().add_cookie(&cookie) {
                    tracing::error!(%error, "could not set the session cookie");
                }
            }
            Self::Header(name) => {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name.clone(), value);
                }
            }
        }
    }
}
