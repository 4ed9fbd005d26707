//! Procedural macros for clustered-session. Use them through `session-actix`,
//! which re-exports them and holds the code they expand to.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attributes;
mod enable;

/// Clustered sessions for an actix-web app (the seed's `@EnableGemFireHttpSession`).
///
/// Put it on the app factory, the function that builds the `App` and that
/// `HttpServer::new` calls once per worker. The macro wraps the returned app
/// with the session middleware (outermost) and registers the repository as
/// `session_actix::SessionRepositoryData` for handlers. The configuration is resolved, and
/// the one repository all workers share is built, once per process, on the
/// first call (configurer > properties > these attributes > defaults).
///
/// ```no_run
/// use actix_web::{App, HttpResponse, HttpServer, web};
/// use session_actix::{Session, enable_clustered_session};
///
/// async fn visit(session: Session) -> actix_web::Result<HttpResponse> {
///     let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
///     session.insert("visits", visits)?;
///     Ok(HttpResponse::Ok().body(format!("visit #{visits}")))
/// }
///
/// #[enable_clustered_session(max_inactive_interval_in_seconds = 900, region_name = "Shop")]
/// fn app() -> App<_> {
///     App::new().route("/", web::get().to(visit))
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     // Optional: fail before binding (the error names the key, the value, its
///     // source, and converts into `std::io::Error`), and log the configuration.
///     let sessions = app_clustered_session()?;
///     println!("{}", sessions.configuration());
///     HttpServer::new(app).bind(("127.0.0.1", 8080))?.run().await
/// }
/// ```
///
/// # The function
///
/// A free function returning an actix-web `App`: write `-> App<_>`, or the
/// full `-> App<impl ServiceFactory<...>>`; the macro replaces the return type
/// with the wrapped app's. It may not be `async` nor take `self`. Its body is
/// kept as written (`return` works).
///
/// Next to it the macro defines `<name>_clustered_session()`, with the same
/// visibility, returning `Result<&'static ClusteredSession, &'static ConfigError>`:
/// the resolved configuration (`ClusteredSession::configuration()`, with
/// sources), the repository and the events. Call it in `main` before
/// `HttpServer::new` to fail at startup with the configuration error;
/// otherwise the first worker to call the factory panics with it.
///
/// # Attributes
///
/// All optional; the seed's attributes in snake case, then extras.
///
/// | attribute | value | default |
/// |---|---|---|
/// | `client_region_shortcut` | `PROXY`, `CACHING_PROXY`, `CACHING_PROXY_HEAP_LRU`, `LOCAL`, `LOCAL_HEAP_LRU` (identifier or string) | `PROXY` |
/// | `indexable_session_attributes` | `["name", ...]` | none |
/// | `max_inactive_interval_in_seconds` | integer (see below) that fits an `i64`; negative: never expires | `1800` |
/// | `idle_refresh_window_in_seconds` | integer (see below), 0 or more: with Redis, a read extends the stored deadline only when it lags by more than this; 0: on every access | a tenth of the idle timeout, at most 60 |
/// | `pool_name` | string, no dots or whitespace | `"gemfirePool"` |
/// | `region_name` | string of 1 to 128 of `[A-Za-z0-9_.:-]` (safe in a Redis key) | `"ClusteredSpringSessions"` |
/// | `server_region_shortcut` | `PARTITION`, `REPLICATE`, `LOCAL`, `PARTITION_REDUNDANT`, `REPLICATE_PERSISTENT`, `PARTITION_REDUNDANT_PERSISTENT` (identifier or string; the replicating ones make each write wait for a replica, `WAIT`) | `PARTITION` |
/// | `session_expiration_policy_bean_name` | string: a policy registered by `customize` | none |
/// | `session_serializer_bean_name` | string: `SessionPdxSerializer`, `SessionDataSerializer`, or one registered by `customize` | `"SessionPdxSerializer"` |
/// | `expose_configuration_as_properties` | `true` / `false` | `false` |
/// | `configurer` | path to a `fn() -> impl SpringSessionGemFireConfigurer` | none |
/// | `customize` | path to a `fn(ClusteredSessionBuilder) -> ClusteredSessionBuilder`, or `-> Result<ClusteredSessionBuilder, E>` for any error `E` convertible into `Box<dyn Error + Send + Sync>` (an `Err` is the configuration error `ConfigError::Customize`), applied last: register policies and listeners, inject properties, ... | none |
/// | `cookie_name` | string: the session cookie's name | `"SESSION"` |
/// | `header` | flag (or `= true`): carry the id in `X-Auth-Token` instead of a cookie | off |
/// | `session_id_sources` | `"cookie"`, `"header"`, or both in order (`"cookie,header"`: browsers get cookies, REST clients the header) | `"cookie"` |
/// | `maximum_sessions_per_principal` | integer, 1 or more: the most live sessions one user may have (see `Session::login`) | no limit |
/// | `maximum_sessions_policy` | `"expire-least-recently-used"` or `"refuse-login"` | `"expire-least-recently-used"` |
///
/// The only numbers are `max_inactive_interval_in_seconds`, where any `i64`
/// means something (negative: never expires),
/// `idle_refresh_window_in_seconds`, where any `u64` does, and
/// `maximum_sessions_per_principal` (1 or more; an expression that is not a
/// literal is a `usize`, and 0 fails when the sessions are built); a number given to
/// any other attribute is a value of the wrong type. Either takes an integer
/// literal, arithmetic on literals (`15 * 60`), evaluated and range-checked at
/// compile time, or any integer expression the compiler evaluates: a path to
/// a constant (`IDLE_SECS`, `limits::IDLE_SECS`), a `const fn` call,
/// arithmetic on those. Those are checked by the same rule when the sessions
/// are built: out of range, `<name>_clustered_session()` returns the
/// `ConfigError` naming the attribute, the expression and its value.
///
/// ```no_run
/// # use actix_web::App;
/// # use session_actix::enable_clustered_session;
/// const IDLE_MINUTES: i64 = 15;
///
/// #[enable_clustered_session(
///     max_inactive_interval_in_seconds = IDLE_MINUTES * 60,
///     idle_refresh_window_in_seconds = 2 * 30,
/// )]
/// fn app() -> App<_> {
///     App::new()
/// }
/// # fn main() {}
/// ```
///
/// Mistakes are compile errors, all reported at once, each at the offending
/// token: an unknown attribute (with a did-you-mean), a duplicate, a value of
/// the wrong type, an unknown shortcut, a number out of its range,
/// a region name that is empty or unsafe in a Redis key, a bean name that no
/// registry can hold (no `customize`), `header` with `cookie_name`.
#[proc_macro_attribute]
pub fn enable_clustered_session(args: TokenStream, item: TokenStream) -> TokenStream {
    enable::expand(args.into(), item.into()).into()
}

/// Typed session attributes: derives `session_actix::SessionAttributes` and
/// actix-web's `FromRequest` for a struct whose named fields are session
/// attributes (`#[session(rename = "...", default, principal, indexed)]` on
/// fields). Documented, with an example, at its re-export
/// `session_actix::SessionAttributes`.
#[proc_macro_derive(SessionAttributes, attributes(session))]
pub fn derive_session_attributes(input: TokenStream) -> TokenStream {
    attributes::derive(input.into()).into()
}
