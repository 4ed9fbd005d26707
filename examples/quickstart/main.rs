//! The seed's HttpSession sample: a form that sets a session attribute, and a
//! table of the session's attributes plus a request count.
//!
//! Run: `cargo run --example quickstart`, then open the printed URL. Sessions
//! live in the embedded store unless a pool is configured:
//! `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS=redis://127.0.0.1:6379 cargo run --example quickstart`.

#[path = "../common/mod.rs"]
mod common;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Deserialize;
use session_actix::{Session, enable_clustered_session, is_reserved_attribute_name};

const REQUEST_COUNT: &str = "requestCount";

#[derive(Deserialize)]
struct NewAttribute {
    attribute_name: String,
    attribute_value: String,
}

async fn index(session: Session) -> actix_web::Result<HttpResponse> {
    let count = session.get::<u64>(REQUEST_COUNT)?.unwrap_or(0) + 1;
    session.insert(REQUEST_COUNT, count)?;
    let rows: String = session
        .entries()
        .iter()
        .filter(|(name, _)| name.as_str() != REQUEST_COUNT)
        .map(|(name, value)| format!("<tr><td>{}</td><td>{}</td></tr>\n", escape(name), escape(value)))
        .collect();
    let id = session.id().map(|id| id.handle().to_string()).unwrap_or_default();
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        r#"<!doctype html>
<html><head><title>Session Attributes</title></head>
<body>
<h1>Description</h1>
<p>This application demonstrates clustered HTTP sessions. Requests in this session: <b id="count">{count}</b> (session {id}).</p>
<h1>Try it</h1>
<form method="post" action="/">
  <label>Attribute Name <input name="attribute_name" required></label>
  <label>Attribute Value <input name="attribute_value" required></label>
  <button type="submit">Set Attribute</button>
</form>
<hr>
<table border="1"><thead><tr><th>Attribute Name</th><th>Attribute Value</th></tr></thead>
<tbody>
{rows}</tbody></table>
</body></html>
"#
    )))
}

async fn set_attribute(session: Session, form: web::Form<NewAttribute>) -> actix_web::Result<HttpResponse> {
    let NewAttribute {
        attribute_name,
        attribute_value,
    } = form.into_inner();
    // Names with a meaning to the library (the principal name, actix-identity's keys) are not
    // for a form to set: whoever sets the principal name looks logged in.
    if is_reserved_attribute_name(&attribute_name) {
        return Ok(HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("reserved attribute name"));
    }
    if attribute_name != REQUEST_COUNT {
        // Over the session's size limits: a 413 naming the attribute and the limit.
        session.insert(attribute_name, attribute_value)?;
    }
    Ok(HttpResponse::SeeOther().insert_header(("Location", "/")).finish())
}

/// Minimal HTML escaping for attribute names and values typed by the user.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The app, with clustered sessions: the seed's `@EnableGemFireHttpSession`
/// with its defaults (properties and environment variables may override them).
#[enable_clustered_session]
fn app() -> App<_> {
    App::new()
        .route("/", web::get().to(index))
        .route("/", web::post().to(set_attribute))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // Resolve the configuration now: an error stops the program before it binds.
    let sessions = app_clustered_session().unwrap_or_else(|error| {
        eprintln!("error: {error}");
        std::process::exit(1)
    });
    println!("{}", common::describe_store(sessions.configuration()));
    let port = common::port();
    println!("quickstart listening on http://127.0.0.1:{port}/");
    HttpServer::new(app).bind(("127.0.0.1", port))?.run().await
}
