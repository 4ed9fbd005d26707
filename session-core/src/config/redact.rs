//! Masking secrets in server URLs before they are printed: the startup
//! configuration table, `Debug` output, error messages and logs.
//!
//! Every form a Redis URL can carry a password in is covered:
//!
//! | form | printed as |
//! |---|---|
//! | `redis://user:secret@host:6379/0` | `redis://user:****@host:6379/0` |
//! | `redis://:pa/ss@host` (a raw `/` in the password) | `redis://:****@host` |
//! | `redis://secret@host` (user information without `:`) | `redis://****@host` |
//! | `redis+unix:///run/redis.sock?db=1&pass=secret` | `redis+unix:///run/redis.sock?db=1&pass=****` |
//! | `redis://:a,b@h1,redis://h2` (a raw `,` in a list) | `redis://:****@h1,redis://h2` |
//!
//! The rules err on the side of masking too much: everything up to the last
//! `@` after the scheme is user information, and a `pass=` value runs until a
//! query parameter Redis clients know (`db`, `user`, `protocol`, ...), so a
//! password with a raw `@`, `/`, `?`, `#`, `&` or `,` is masked whole.

use std::ops::Range;

/// What replaces a secret.
const MASK: &str = "****";

/// Query parameters whose value is a password (`redis+unix:///path?pass=...`).
const SECRET_PARAMETERS: &[&str] = &["pass", "password", "passwd", "pwd", "auth", "secret", "token"];

/// Query parameters a Redis URL uses that are not secret: after a password
/// parameter, anything else may be the rest of a password with a raw `&`.
const PLAIN_PARAMETERS: &[&str] = &["db", "user", "username", "protocol", "insecure", "timeout"];

/// `url` with every password masked as `****`, for logs and messages; the
/// scheme, user name, host, port, path and other parameters stay readable.
/// Works on any text: something that is not a URL comes back unchanged unless
/// it holds an `@` or a `pass=` parameter.
///
/// ```
/// use session_actix::config::mask_password;
///
/// assert_eq!(mask_password("redis://user:secret@host:6379/0"), "redis://user:****@host:6379/0");
/// assert_eq!(mask_password("redis://:se/cr,et@host"), "redis://:****@host");
/// assert_eq!(
///     mask_password("redis+unix:///run/redis.sock?db=1&pass=secret"),
///     "redis+unix:///run/redis.sock?db=1&pass=****"
/// );
/// assert_eq!(mask_password("redis://host:6379"), "redis://host:6379");
/// ```
#[must_use]
pub fn mask_password(url: &str) -> String {
    let mut masked = String::with_capacity(url.len());
    let mut copied = 0;
    for range in secret_ranges(url) {
        masked.push_str(&url[copied..range.start]);
        masked.push_str(MASK);
        copied = range.end;
    }
    masked.push_str(&url[copied..]);
    masked
}

/// The byte ranges of `url` that [`mask_password`] masks, in order: the
/// password of the user information (all of it when it has no `:`), and the
/// value of each password parameter of the query (over any raw `&` in it: up
/// to the next parameter known to Redis URLs).
fn secret_ranges(url: &str) -> Vec<Range<usize>> {
    let rest_start = url.find("://").map_or(0, |index| index + 3);
    let rest = &url[rest_start..];
    let mut ranges = Vec::new();
    let mut after_userinfo = rest_start;
    // `scheme:///path` (a Unix socket) has no user information; anything else
    // has up to the last `@`, wherever the password's raw `/`, `?` or `#` are.
    if !rest.starts_with('/')
        && let Some(at) = rest.rfind('@')
    {
        // `redis://secret@host`: a lone name may be a misplaced password.
        let password_start = rest[..at].find(':').map_or(0, |colon| colon + 1);
        ranges.push(rest_start + password_start..rest_start + at);
        after_userinfo = rest_start + at;
    }
    let Some(question) = url[after_userinfo..].find('?') else {
        return ranges;
    };
    let query_start = after_userinfo + question + 1;
    // (key, where its value starts, where the parameter ends), absolute.
    let mut parameters = Vec::new();
    let mut offset = query_start;
    for parameter in url[query_start..].split('&') {
        let value_start = parameter.find('=').map(|eq| offset + eq + 1);
        let key = &parameter[..parameter.find('=').unwrap_or(parameter.len())];
        parameters.push((key, value_start, offset + parameter.len()));
        offset += parameter.len() + 1;
    }
    let is = |key: &str, list: &[&str]| list.iter().any(|known| key.eq_ignore_ascii_case(known));
    let mut index = 0;
    while index < parameters.len() {
        let (key, value_start, mut end) = parameters[index];
        index += 1;
        let Some(value_start) = value_start.filter(|_| is(key, SECRET_PARAMETERS)) else {
            continue;
        };
        while let Some(&(next_key, _, next_end)) = parameters.get(index) {
            if is(next_key, PLAIN_PARAMETERS) || is(next_key, SECRET_PARAMETERS) {
                break;
            }
            end = next_end;
            index += 1;
        }
        ranges.push(value_start..end);
    }
    ranges
}

/// [`mask_password`] for each URL of a comma-separated list, split as
/// [`split_server_urls`] does (so a password with a raw `,` is masked whole);
/// the separators are kept as written.
///
/// ```
/// use session_actix::config::mask_passwords;
///
/// assert_eq!(
///     mask_passwords("redis://:a,b@h1, redis://u:c@h2"),
///     "redis://:****@h1, redis://u:****@h2"
/// );
/// ```
#[must_use]
pub fn mask_passwords(list: &str) -> String {
    url_items(list)
        .into_iter()
        .map(mask_password)
        .collect::<Vec<_>>()
        .join(",")
}

/// `text` (an error message, say) with every occurrence of one of `urls`
/// replaced by its [masked](mask_password) form, and any password of theirs
/// that still shows (a URL quoted in part) by `****`. For messages built by
/// code that does not mask, such as a client library's errors.
///
/// ```
/// use session_actix::config::mask_urls_in;
///
/// let urls = ["redis://u:pa/ss@host:1"];
/// assert_eq!(
///     mask_urls_in("invalid URL redis://u:pa/ss@host:1 (port `pa`); retry pa/ss", &urls),
///     "invalid URL redis://u:****@host:1 (port `pa`); retry ****"
/// );
/// ```
#[must_use]
pub fn mask_urls_in<S: AsRef<str>>(text: &str, urls: &[S]) -> String {
    let mut masked = text.to_owned();
    for url in urls {
        let url = url.as_ref();
        if !url.is_empty() {
            masked = masked.replace(url, &mask_password(url));
        }
    }
    for url in urls {
        let url = url.as_ref();
        for range in secret_ranges(url) {
            // Very short secrets would mangle the message; they are masked as part of their URL above.
            if range.len() >= 4 {
                masked = masked.replace(&url[range], MASK);
            }
        }
    }
    masked
}

/// Splits a comma-separated list of server URLs. A comma inside a password
/// (before the user information's `@`, or in a `pass=` value) belongs to its
/// URL; any other comma separates. Items are trimmed; empty ones are dropped.
///
/// ```
/// use session_actix::config::split_server_urls;
///
/// assert_eq!(
///     split_server_urls(" redis://:a,b@h1 ,, redis://h2 ,"),
///     ["redis://:a,b@h1", "redis://h2"]
/// );
/// ```
#[must_use]
pub fn split_server_urls(list: &str) -> Vec<String> {
    url_items(list)
        .into_iter()
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The items of a URL list, untrimmed, covering all the text between the
/// separating commas.
fn url_items(list: &str) -> Vec<&str> {
    let mut items = Vec::new();
    // First cut where a new URL starts (a comma followed by a scheme); within
    // one such chunk, a comma outside the URL's secrets separates too.
    for chunk in scheme_chunks(list) {
        let secrets = secret_ranges(chunk);
        let mut start = 0;
        for (comma, _) in chunk.match_indices(',') {
            if !secrets.iter().any(|secret| secret.contains(&comma)) {
                items.push(&chunk[start..comma]);
                start = comma + 1;
            }
        }
        items.push(&chunk[start..]);
    }
    items
}

/// `list` cut at each comma that a scheme (`redis://`, ...) follows.
fn scheme_chunks(list: &str) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut start = 0;
    for (comma, _) in list.match_indices(',') {
        if starts_with_scheme(list[comma + 1..].trim_start()) {
            chunks.push(&list[start..comma]);
            start = comma + 1;
        }
    }
    chunks.push(&list[start..]);
    chunks
}

/// Whether `text` starts with `scheme://` (RFC 3986: a letter, then letters,
/// digits, `+`, `-` or `.`).
fn starts_with_scheme(text: &str) -> bool {
    let Some(end) = text.find("://") else {
        return false;
    };
    let scheme = &text[..end];
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form a password can take in a Redis URL, and what must remain readable.
    #[test]
    fn every_url_form_is_masked() {
        let cases = [
            ("redis://user:s3cret@host:6379/0", "redis://user:****@host:6379/0"),
            ("redis://:s3cret@host", "redis://:****@host"),
            (
                "rediss://default:s3cret@cache.example:6380",
                "rediss://default:****@cache.example:6380",
            ),
            // Raw `/`, `@`, `?`, `#` and `,` in the password.
            ("redis://user:s3/cr/et@host:6379/0", "redis://user:****@host:6379/0"),
            ("redis://:s3cr@t@host", "redis://:****@host"),
            ("redis://:s3?cr#et@host/1", "redis://:****@host/1"),
            ("redis://:s3,cret@host", "redis://:****@host"),
            // A lone name in the user information may be a password.
            ("redis://s3cret@host", "redis://****@host"),
            // Unix sockets: the password is a query parameter.
            (
                "redis+unix:///run/redis.sock?db=1&pass=s3cret",
                "redis+unix:///run/redis.sock?db=1&pass=****",
            ),
            (
                "unix:///run/redis.sock?pass=s3cret&db=2",
                "unix:///run/redis.sock?pass=****&db=2",
            ),
            (
                "redis+unix:///run/redis.sock?user=app&PASSWORD=s3cret",
                "redis+unix:///run/redis.sock?user=app&PASSWORD=****",
            ),
            // A raw `&` in a query password: the rest is not a known parameter.
            (
                "redis+unix:///run/redis.sock?pass=s3&cret=x&db=3",
                "redis+unix:///run/redis.sock?pass=****&db=3",
            ),
            // Both places at once.
            (
                "redis+unix://user:s3cret@/run/redis.sock?pass=0ther",
                "redis+unix://user:****@/run/redis.sock?pass=****",
            ),
            // Nothing secret: unchanged.
            ("redis://host:6379/0", "redis://host:6379/0"),
            ("redis+unix:///run/redis.sock?db=1", "redis+unix:///run/redis.sock?db=1"),
            ("rediss://host#insecure", "rediss://host#insecure"),
            ("not a url", "not a url"),
            ("", ""),
        ];
        for (url, expected) in cases {
            let masked = mask_password(url);
            assert_eq!(masked, expected, "{url}");
            for secret in ["s3cret", "s3", "cret", "0ther"] {
                if url.contains(secret) && !expected.contains(secret) {
                    assert!(!masked.contains(secret), "{url} -> {masked}");
                }
            }
        }
    }

    #[test]
    fn lists_split_only_where_a_url_starts() {
        assert_eq!(
            mask_passwords("redis://:a,b@h1,redis://u:c,d@h2"),
            "redis://:****@h1,redis://u:****@h2"
        );
        assert_eq!(
            mask_passwords("redis://:a@h, rediss://u:b@h2"),
            "redis://:****@h, rediss://u:****@h2"
        );
        // A fragment that starts no URL stays with the one before it, masked with it.
        assert_eq!(mask_passwords("redis://u:pa,ss@h"), "redis://u:****@h");
        assert_eq!(
            split_server_urls("redis://u:pa,ss@h1,REDIS://h2"),
            ["redis://u:pa,ss@h1", "REDIS://h2"]
        );
        assert_eq!(
            split_server_urls("redis://h1,,redis://h2, "),
            ["redis://h1", "redis://h2"]
        );
        assert_eq!(split_server_urls(" , "), Vec::<String>::new());
        // A comma after the user information separates, URL or not.
        assert_eq!(
            split_server_urls("redis://:pw@h:1,127.0.0.1:2"),
            ["redis://:pw@h:1", "127.0.0.1:2"]
        );
        assert_eq!(split_server_urls("h1,h2"), ["h1", "h2"]);
        // A comma in a query password stays in it.
        assert_eq!(
            split_server_urls("redis+unix:///s?pass=a,b&db=1,redis://h"),
            ["redis+unix:///s?pass=a,b&db=1", "redis://h"]
        );
        assert_eq!(
            mask_passwords("redis+unix:///s?pass=a,b,redis://h"),
            "redis+unix:///s?pass=****,redis://h"
        );
    }

    #[test]
    fn urls_quoted_in_other_messages_are_masked() {
        let urls = [
            "redis://u:pa/ss@h:1",
            "redis+unix:///run/redis.sock?pass=un&ix&db=1",
            "redis://h2",
        ];
        let message = "bad redis://u:pa/ss@h:1; bad redis+unix:///run/redis.sock?pass=un&ix&db=1; \
                       port pa; parsed password un&ix; fine redis://h2";
        let masked = mask_urls_in(message, &urls);
        assert_eq!(
            masked,
            "bad redis://u:****@h:1; bad redis+unix:///run/redis.sock?pass=****&db=1; \
             port pa; parsed password ****; fine redis://h2"
        );
        let url = "redis://u:pa/ss@h:1?pass=x&y&db=0";
        let secrets: Vec<&str> = secret_ranges(url).into_iter().map(|range| &url[range]).collect();
        assert_eq!(secrets, ["pa/ss", "x&y"]);
        assert!(secret_ranges("redis://h?db=1&pass").is_empty());
    }

    #[test]
    fn masking_is_total_on_arbitrary_text() {
        for text in [
            "@",
            "://@",
            "a://",
            "?pass",
            "x@y?pass=&",
            "redis://@?&&pass",
            "é://ü:ß@h?pass=ö",
            ",,,",
        ] {
            let masked = mask_password(text);
            if !text.contains(['@', '?']) {
                assert_eq!(masked, text);
            }
            let _ = mask_passwords(text);
            let _ = split_server_urls(text);
            let _ = mask_urls_in(text, &[text]);
        }
        assert_eq!(mask_password("é://ü:ß@h?pass=ö"), "é://ü:****@h?pass=****");
    }
}
