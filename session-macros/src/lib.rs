//! Procedural macros for clustered-session. Use them through `session-actix`,
//! which re-exports them and holds the code they expand to.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attributes;
mod did_you_mean;
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
///     // Optional: fail before binding, and log the configuration with its sources.
///     let sessions = app_clustered_session().unwrap_or_else(|error| {
///         eprintln!("error: {error}"); // names the key, the value, its source
///         std::process::exit(1)
///     });
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
/// | `client_region_shortcut` | `PROXY`, `CACHING_PROXY`, `LOCAL` (identifier or string) | `PROXY` |
/// | `indexable_session_attributes` | `["name", ...]` | none |
/// | `max_inactive_interval_in_seconds` | integer that fits an `i64`; negative: never expires | `1800` |
/// | `idle_refresh_window_in_seconds` | integer, 0 or more: with Redis, a read extends the stored deadline only when it lags by more than this; 0: on every access | a tenth of the idle timeout, at most 60 |
/// | `pool_name` | string, no dots or whitespace | `"gemfirePool"` |
/// | `region_name` | string of 1 to 128 of `[A-Za-z0-9_.:-]` (safe in a Redis key) | `"ClusteredSpringSessions"` |
/// | `server_region_shortcut` | `PARTITION`, `REPLICATE`, `LOCAL` | `PARTITION` |
/// | `session_expiration_policy_bean_name` | string: a policy registered by `customize` | none |
/// | `session_serializer_bean_name` | string: `SessionPdxSerializer`, `SessionDataSerializer`, or one registered by `customize` | `"SessionPdxSerializer"` |
/// | `expose_configuration_as_properties` | `true` / `false` | `false` |
/// | `configurer` | path to a `fn() -> impl SpringSessionGemFireConfigurer` | none |
/// | `customize` | path to a `fn(ClusteredSessionBuilder) -> ClusteredSessionBuilder`, applied last: register policies and listeners, inject properties, ... | none |
/// | `cookie_name` | string: the session cookie's name | `"SESSION"` |
/// | `header` | flag (or `= true`): carry the id in `X-Auth-Token` instead of a cookie | off |
///
/// The only numbers are `max_inactive_interval_in_seconds`, where any `i64`
/// means something (negative: never expires), and
/// `idle_refresh_window_in_seconds`, where any `u64` does; a number given to
/// any other attribute is a value of the wrong type.
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
