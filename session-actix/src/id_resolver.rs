//! Where the session id travels: a cookie (browsers), a header (REST clients),
//! or either (an app serving both: each client is answered the way it sent its
//! id). Only the configured mechanisms are read; others are ignored.
//!
//! Cookies are read from the raw `Cookie` header: a malformed cookie elsewhere
//! in it (a non-UTF-8 byte, a pair without `=`) hides only itself. Several
//! cookies with the session's name (a sibling subdomain can set one): the
//! first that names a live session is the request's session, as Spring's
//! cookie resolver does; at most four (`MAX_ID_CANDIDATES`) well-formed ids are
//! looked up. Every response that sets, renews or clears an id carries
//! `Cache-Control: no-store`, replacing the handler's own.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{CACHE_CONTROL, COOKIE, HeaderName, HeaderValue};

use session_core::{SessionHandle, SessionId, log_tag};

/// Default cookie name (the seed's `SESSION`).
pub const DEFAULT_COOKIE_NAME: &str = "SESSION";
/// Default header for REST clients (the seed's `X-Auth-Token`).
pub const DEFAULT_HEADER_NAME: &str = "X-Auth-Token";

/// At most this many well-formed ids from one request are looked up (several
/// cookies of the session's name); the first that names a live session wins.
pub(crate) const MAX_ID_CANDIDATES: usize = 4;

/// How one id travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    Cookie,
    Header,
}

/// The carriers to answer on: the one the request's session came with, else
/// those the client used, else every configured one (a first visit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Carriers {
    cookie: bool,
    header: bool,
}

impl Carriers {
    fn of(carrier: Carrier) -> Self {
        let mut carriers = Self::default();
        carriers.add(carrier);
        carriers
    }

    fn add(&mut self, carrier: Carrier) {
        match carrier {
            Carrier::Cookie => self.cookie = true,
            Carrier::Header => self.header = true,
        }
    }

    fn is_empty(self) -> bool {
        !self.cookie && !self.header
    }

    fn contains(self, carrier: Carrier) -> bool {
        match carrier {
            Carrier::Cookie => self.cookie,
            Carrier::Header => self.header,
        }
    }
}

/// What the client sent as its session id.
#[derive(Debug, Default)]
pub(crate) struct IncomingIds {
    /// Well-formed ids, in the order read (the resolver's order of carriers,
    /// then the order sent), without duplicates; at most [`MAX_ID_CANDIDATES`].
    pub(crate) ids: Vec<SessionId>,
    /// How each of `ids` travelled.
    carriers: Vec<Carrier>,
    /// The carriers the client sent anything non-empty on (valid or not).
    sent_on: Carriers,
    /// Whether the client sent anything non-empty under the session's name (valid or not).
    pub(crate) client_sent_id: bool,
    /// One malformed id per request is logged, not one per cookie.
    logged_malformed: bool,
}

impl IncomingIds {
    fn offer(&mut self, carrier: Carrier, raw: &[u8]) {
        if raw.is_empty() {
            return;
        }
        self.client_sent_id = true;
        self.sent_on.add(carrier);
        if self.ids.len() >= MAX_ID_CANDIDATES {
            return;
        }
        let reason = match std::str::from_utf8(raw).map(SessionId::parse) {
            Ok(Ok(id)) => {
                if !self.ids.contains(&id) {
                    self.ids.push(id);
                    self.carriers.push(carrier);
                }
                return;
            }
            Ok(Err(reason)) => reason.to_string(),
            Err(_) => "not UTF-8".to_owned(),
        };
        if !std::mem::replace(&mut self.logged_malformed, true) {
            // Never adopted, never sent to the store; logged only as a tag.
            let tag = log_tag(&String::from_utf8_lossy(raw));
            tracing::debug!(session = %tag, %reason, "ignoring malformed session id");
        }
    }

    /// Where to answer about a session that replaced the session `replaced`
    /// names (a renewal, a restart after purge): on the carrier that session's
    /// id came with; for an id the client did not
    /// send, on the carriers it used; for a client that sent nothing, `None`
    /// (every configured carrier).
    pub(crate) fn answer_on(&self, replaced: Option<&SessionHandle>) -> Option<Carriers> {
        if let Some(position) = replaced.and_then(|handle| self.ids.iter().position(|sent| sent.handle() == *handle)) {
            return Some(Carriers::of(self.carriers[position]));
        }
        (!self.sent_on.is_empty()).then_some(self.sent_on)
    }
}

/// Optional whitespace around cookie names and values (RFC 6265: SP and HTAB).
fn trim_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// The values of every cookie called `name`, in the order sent, read from the
/// raw `Cookie` header bytes. Unlike actix-web's `HttpRequest::cookies`, one
/// malformed cookie (a non-UTF-8 byte, a pair without `=`) hides only itself,
/// not the whole header.
fn cookie_values<'a>(request: &'a HttpRequest, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
    request
        .headers()
        .get_all(COOKIE)
        .flat_map(|header| header.as_bytes().split(|b| *b == b';'))
        .filter_map(move |pair| {
            let pair = trim_ows(pair);
            let eq = pair.iter().position(|b| *b == b'=')?;
            (trim_ows(&pair[..eq]) == name.as_bytes()).then(|| {
                let value = trim_ows(&pair[eq + 1..]);
                // A cookie-value may be quoted (RFC 6265 section 4.1.1).
                match value {
                    [b'"', inner @ .., b'"'] => inner,
                    _ => value,
                }
            })
        })
}

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
        // The macro checks `cookie_name` by the same rule at compile time.
        if !session_rules::is_cookie_name(&self.name) {
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
    /// Both, for an app serving browsers and REST or mobile clients (Spring
    /// Session's composite resolver): ids are read from the cookie and the
    /// header in `order`, and the first that names a live session is the
    /// request's. Each client is answered the way it sent its id (a browser
    /// gets cookies, a mobile client the header, on creation, renewal and
    /// logout); a client that sent no id gets both.
    CookieOrHeader {
        /// The cookie's name and attributes.
        cookie: CookieConfig,
        /// The header.
        header: HeaderName,
        /// Which is read first when a client sends both.
        order: IdSourceOrder,
    },
}

/// Which id source [`SessionIdResolver::CookieOrHeader`] reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdSourceOrder {
    /// The cookie, then the header (the default).
    #[default]
    CookieFirst,
    /// The header, then the cookie.
    HeaderFirst,
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

    /// The resolver for the configured sources (the
    /// `spring.session.data.gemfire.session.id.sources` setting), with this
    /// cookie where a cookie carries the id and the `X-Auth-Token` header.
    #[must_use]
    pub fn for_sources(sources: session_core::config::SessionIdSources, cookie: CookieConfig) -> Self {
        use session_core::config::SessionIdSources;
        let header = HeaderName::from_static("x-auth-token");
        match sources {
            SessionIdSources::Header => Self::Header(header),
            SessionIdSources::CookieThenHeader => Self::CookieOrHeader {
                cookie,
                header,
                order: IdSourceOrder::CookieFirst,
            },
            SessionIdSources::HeaderThenCookie => Self::CookieOrHeader {
                cookie,
                header,
                order: IdSourceOrder::HeaderFirst,
            },
            _ => Self::Cookie(cookie),
        }
    }

    /// The cookie or header resolver, cookie first, with the default cookie
    /// and the default `X-Auth-Token` header.
    #[must_use]
    pub fn cookie_or_header() -> Self {
        Self::CookieOrHeader {
            cookie: CookieConfig::default(),
            header: HeaderName::from_static("x-auth-token"),
            order: IdSourceOrder::CookieFirst,
        }
    }

    /// The cookie configuration, when a cookie carries the id.
    pub(crate) fn cookie_config(&self) -> Option<&CookieConfig> {
        match self {
            Self::Cookie(config) | Self::CookieOrHeader { cookie: config, .. } => Some(config),
            Self::Header(_) => None,
        }
    }

    /// What the client sent: every well-formed id (for cookies: of every cookie
    /// with the session's name, bounded), and on which carriers.
    pub(crate) fn read(&self, request: &HttpRequest) -> IncomingIds {
        let mut incoming = IncomingIds::default();
        let read_cookie = |incoming: &mut IncomingIds, config: &CookieConfig| {
            for value in cookie_values(request, &config.name) {
                incoming.offer(Carrier::Cookie, value);
            }
        };
        let read_header = |incoming: &mut IncomingIds, name: &HeaderName| {
            if let Some(value) = request.headers().get(name) {
                incoming.offer(Carrier::Header, trim_ows(value.as_bytes()));
            }
        };
        match self {
            Self::Cookie(config) => read_cookie(&mut incoming, config),
            Self::Header(name) => read_header(&mut incoming, name),
            Self::CookieOrHeader { cookie, header, order } => match order {
                IdSourceOrder::CookieFirst => {
                    read_cookie(&mut incoming, cookie);
                    read_header(&mut incoming, header);
                }
                IdSourceOrder::HeaderFirst => {
                    read_header(&mut incoming, header);
                    read_cookie(&mut incoming, cookie);
                }
            },
        }
        incoming
    }

    /// Tells the client its (new) session id, on `carriers` (`None`: every
    /// configured one).
    pub(crate) fn write<B>(&self, response: &mut ServiceResponse<B>, id: &SessionId, carriers: Option<Carriers>) {
        self.set(response, id.as_str(), false, carriers);
    }

    /// Tells the client its session is gone, on `carriers` (`None`: every
    /// configured one).
    pub(crate) fn clear<B>(&self, response: &mut ServiceResponse<B>, carriers: Option<Carriers>) {
        self.set(response, "", true, carriers);
    }

    fn set<B>(&self, response: &mut ServiceResponse<B>, value: &str, removal: bool, carriers: Option<Carriers>) {
        // A response that carries (or clears) a session id must never be served
        // from a shared cache to somebody else: whatever the handler said.
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let on = |carrier| carriers.is_none_or(|carriers| carriers.contains(carrier));
        match self {
            Self::Cookie(config) => set_cookie(response, config, value, removal),
            Self::Header(name) => set_header(response, name, value),
            Self::CookieOrHeader { cookie, header, .. } => {
                if on(Carrier::Cookie) {
                    set_cookie(response, cookie, value, removal);
                }
                if on(Carrier::Header) {
                    set_header(response, header, value);
                }
            }
        }
    }
}

fn set_cookie<B>(response: &mut ServiceResponse<B>, config: &CookieConfig, value: &str, removal: bool) {
    let mut cookie = config.cookie(value.to_owned());
    if removal {
        cookie.make_removal();
    }
    if let Err(error) = response.response_mut().add_cookie(&cookie) {
        tracing::error!(%error, "could not set the session cookie");
    }
}

fn set_header<B>(response: &mut ServiceResponse<B>, name: &HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    //! Property tests: the resolver reads arbitrary `Cookie` and `X-Auth-Token`
    //! bytes without panicking, and never yields an id the client did not send
    //! whole, nor an invalid one.
    #![allow(clippy::unwrap_used)]

    use actix_web::test::TestRequest;
    use proptest::prelude::*;

    use super::*;

    fn valid_id() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_-]{43}"
    }

    /// Any byte a header value can carry (visible ASCII, space, tab, obs-text).
    fn header_bytes(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop_oneof![0x20u8..=0x7E, 0x80u8..=0xFF, Just(b'\t')], len)
    }

    /// Cookie-header-like bytes: pairs with the session's name or another,
    /// values that are ids, near-ids or garbage, separators and whitespace.
    fn cookie_header() -> impl Strategy<Value = Vec<u8>> {
        let name = prop_oneof![
            Just(b"SESSION".to_vec()),
            Just(b" SESSION ".to_vec()),
            Just(b"session".to_vec()),
            header_bytes(0..12),
        ];
        let value = prop_oneof![
            valid_id().prop_map(String::into_bytes),
            valid_id().prop_map(|id| format!("\"{id}\"").into_bytes()),
            "[A-Za-z0-9_+/=*-]{40,46}".prop_map(String::into_bytes),
            header_bytes(0..64),
        ];
        let pair = (name, any::<bool>(), value).prop_map(|(name, eq, value)| {
            let mut pair = name;
            if eq {
                pair.push(b'=');
            }
            pair.extend(value);
            pair
        });
        prop::collection::vec(pair, 0..8).prop_map(|pairs| pairs.join(&b"; "[..]))
    }

    fn request_with(header: &'static str, values: &[Vec<u8>]) -> Option<HttpRequest> {
        let mut request = TestRequest::default();
        for value in values {
            // Bytes HTTP cannot carry in a header never reach the resolver.
            request = request.append_header((header, HeaderValue::from_bytes(value).ok()?));
        }
        Some(request.to_http_request())
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|window| window == needle)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_cookie_headers_yield_only_valid_ids_the_client_sent(
            headers in prop::collection::vec(
                prop_oneof![cookie_header(), header_bytes(0..256), prop::collection::vec(any::<u8>(), 0..256)],
                0..3,
            ),
        ) {
            let Some(request) = request_with("cookie", &headers) else { return Ok(()) };
            let incoming = SessionIdResolver::default().read(&request);
            prop_assert!(incoming.ids.len() <= MAX_ID_CANDIDATES);
            for (i, id) in incoming.ids.iter().enumerate() {
                prop_assert_eq!(&SessionId::parse(id.as_str()).unwrap(), id);
                prop_assert!(headers.iter().any(|header| contains(header, id.as_str().as_bytes())));
                prop_assert!(!incoming.ids[..i].contains(id), "duplicate");
            }
            prop_assert!(incoming.ids.is_empty() || incoming.client_sent_id);
        }

        #[test]
        fn a_session_cookie_among_garbage_is_found(
            before in cookie_header(),
            after in cookie_header(),
            id in valid_id(),
        ) {
            let header = [before, format!("SESSION={id}").into_bytes(), after].join(&b"; "[..]);
            let request = request_with("cookie", &[header]).unwrap();
            let incoming = SessionIdResolver::default().read(&request);
            let id = SessionId::parse(&id).unwrap();
            // Found, unless enough other well-formed session cookies came first.
            prop_assert!(incoming.ids.contains(&id) || incoming.ids.len() == MAX_ID_CANDIDATES);
            prop_assert!(incoming.client_sent_id);
        }

        #[test]
        fn arbitrary_auth_token_headers_yield_the_id_or_nothing(
            value in prop_oneof![
                valid_id().prop_map(|id| format!(" {id}\t").into_bytes()),
                header_bytes(0..128),
                prop::collection::vec(any::<u8>(), 0..128),
            ],
        ) {
            let Some(request) = request_with("x-auth-token", std::slice::from_ref(&value)) else { return Ok(()) };
            let incoming = SessionIdResolver::header().read(&request);
            let expected = std::str::from_utf8(trim_ows(&value)).ok().and_then(|text| SessionId::parse(text).ok());
            prop_assert_eq!(incoming.ids, expected.into_iter().collect::<Vec<_>>());
            prop_assert_eq!(incoming.client_sent_id, !trim_ows(&value).is_empty());
        }
    }
}
