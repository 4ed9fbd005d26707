//! The quickstart's page: a form that sets a session attribute, the session's
//! attributes as the user typed them, a request count, and which instance
//! and store served the page (so two instances on one Redis show the session
//! following the browser from one to the other).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use session_actix::{Session, is_reserved_attribute_name};

/// The attribute counting this session's requests.
pub(crate) const REQUEST_COUNT: &str = "requestCount";

/// Who serves the page: shown on it.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// The port this instance listens on.
    pub(crate) port: u16,
    /// Where its sessions live (one line).
    pub(crate) store: String,
}

#[derive(Deserialize)]
struct NewAttribute {
    attribute_name: String,
    attribute_value: String,
}

/// `GET /` and `POST /`.
pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .route("/", web::post().to(set_attribute));
}

async fn index(session: Session, instance: web::Data<Instance>) -> actix_web::Result<HttpResponse> {
    let count = session.get::<u64>(REQUEST_COUNT)?.unwrap_or(0) + 1;
    session.insert(REQUEST_COUNT, count)?;
    let rows: String = session
        .entries()
        .into_iter()
        .filter(|(name, _)| name.as_str() != REQUEST_COUNT)
        .map(|(name, stored)| {
            // As typed: the form stores strings (anything else set by other code shows as stored).
            let value = session.get::<String>(&name).ok().flatten().unwrap_or(stored);
            format!("<tr><td>{}</td><td>{}</td></tr>\n", escape(&name), escape(&value))
        })
        .collect();
    let handle = session.id().map(|id| id.handle().to_string()).unwrap_or_default();
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        r#"<!doctype html>
<html><head><title>Session Attributes</title></head>
<body>
<h1>Description</h1>
<p>This application demonstrates clustered HTTP sessions. Requests in this session: <b id="count">{count}</b> (session {handle}).</p>
<p>Served by the instance on port <b id="port">{port}</b>; <span id="store">{store}</span>.</p>
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
"#,
        port = instance.port,
        store = escape(&instance.store),
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

/// Minimal HTML escaping for text typed by the user.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
