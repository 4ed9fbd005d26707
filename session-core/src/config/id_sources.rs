//! Where the session id travels between client and server: a setting of the
//! session layer (the framework's middleware turns it into an id resolver).

use std::fmt;

/// The places a request's session id is read from, in order, and where a
/// response puts it. Default: [`SessionIdSources::Cookie`]. Written as a list
/// in properties (`cookie`, `header`, `cookie,header`, `header,cookie`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionIdSources {
    /// The session cookie only (browsers; the seed's default).
    #[default]
    Cookie,
    /// The `X-Auth-Token` header only (REST and mobile clients).
    Header,
    /// Both: the cookie first, then the header. A response answers in the
    /// mechanism the client used.
    CookieThenHeader,
    /// Both: the header first, then the cookie.
    HeaderThenCookie,
}

impl SessionIdSources {
    /// Parses a list as the properties write it.
    ///
    /// # Errors
    /// What is wrong with the list (an unknown source, one listed twice).
    pub fn parse(text: &str) -> Result<Self, String> {
        match session_rules::session_id_sources(text)?.as_slice() {
            ["cookie"] => Ok(Self::Cookie),
            ["header"] => Ok(Self::Header),
            ["cookie", "header"] => Ok(Self::CookieThenHeader),
            ["header", "cookie"] => Ok(Self::HeaderThenCookie),
            _ => Err(format!("`{text}` names no session id source")),
        }
    }
}

impl fmt::Display for SessionIdSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cookie => "cookie",
            Self::Header => "header",
            Self::CookieThenHeader => "cookie,header",
            Self::HeaderThenCookie => "header,cookie",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_order_and_print_back() {
        for sources in [
            SessionIdSources::Cookie,
            SessionIdSources::Header,
            SessionIdSources::CookieThenHeader,
            SessionIdSources::HeaderThenCookie,
        ] {
            assert_eq!(SessionIdSources::parse(&sources.to_string()), Ok(sources));
        }
        assert_eq!(
            SessionIdSources::parse(" Header , cookie "),
            Ok(SessionIdSources::HeaderThenCookie)
        );
        let unknown = SessionIdSources::parse("cookie,hedaer").unwrap_err();
        assert!(unknown.contains("did you mean `header`"), "{unknown}");
        assert!(SessionIdSources::parse("cookie,cookie").unwrap_err().contains("twice"));
        assert!(SessionIdSources::parse("").is_err());
    }
}
