//! A chat over WebSockets bound to the HTTP session: log in with a name, chat;
//! the session stays alive while messages flow, and logging out (or logging in
//! again) in another tab closes this tab's socket with code 1008.
//!
//! Run: `cargo run --example websocket`, open the printed URL in two tabs (or two
//! browsers, as two users).

#[path = "../common/mod.rs"]
#[allow(dead_code)] // this example needs the store's events: `repository_with_events`, not `repository`
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde::Deserialize;
use session_actix::actix_ws::{self, Message};
use session_actix::websocket::SessionWebSocket;
use session_actix::{Session, SessionMiddleware, SessionRepository};

const NAME: &str = "name";
/// Longest chat line accepted, in bytes; longer frames are refused by actix-ws.
const MAX_MESSAGE: usize = 4096;

/// Every open socket, by connection number.
#[derive(Default)]
struct Chat {
    next: AtomicU64,
    sockets: Mutex<HashMap<u64, actix_ws::Session>>,
}

impl Chat {
    fn sockets(&self) -> MutexGuard<'_, HashMap<u64, actix_ws::Session>> {
        self.sockets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn join(&self, socket: actix_ws::Session) -> u64 {
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        self.sockets().insert(number, socket);
        number
    }

    fn leave(&self, number: u64) {
        self.sockets().remove(&number);
    }

    /// Sends a line to every socket; sockets that are gone are dropped.
    async fn broadcast(&self, line: String) {
        // Clone the handles out: no lock is held across an await.
        let sockets: Vec<(u64, actix_ws::Session)> = self
            .sockets()
            .iter()
            .map(|(number, socket)| (*number, socket.clone()))
            .collect();
        for (number, mut socket) in sockets {
            if socket.text(line.clone()).await.is_err() {
                self.leave(number);
            }
        }
    }
}

#[derive(Deserialize)]
struct Login {
    name: String,
}

async fn index(session: Session) -> actix_web::Result<HttpResponse> {
    let page = match session.get::<String>(NAME)? {
        Some(name) => CHAT_PAGE.replace("{name}", &escape(&name)),
        None => LOGIN_PAGE.to_owned(),
    };
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page))
}

async fn login(session: Session, form: web::Form<Login>) -> actix_web::Result<HttpResponse> {
    let name: String = form.name.trim().chars().take(32).collect();
    if !name.is_empty() {
        session.insert(NAME, name)?;
        // A new id on login; sockets opened with the old id are closed.
        session.renew();
    }
    Ok(see_other("/"))
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    see_other("/")
}

async fn socket(
    request: HttpRequest,
    body: web::Payload,
    session: Session,
    chat: web::Data<Chat>,
) -> actix_web::Result<HttpResponse> {
    // Browsers send cookies with cross-site WebSocket handshakes too, and CORS
    // does not apply to them: only accept pages of this site.
    if !same_origin(&request) {
        return Ok(HttpResponse::Forbidden().finish());
    }
    let Some(name) = session.get::<String>(NAME)? else {
        return Ok(HttpResponse::Forbidden().finish());
    };
    let binding = SessionWebSocket::bind(&session)?;
    let (response, socket, messages) = actix_ws::handle(&request, body)?;
    let messages = messages.max_frame_size(MAX_MESSAGE);
    let chat = chat.into_inner();
    actix_web::rt::spawn(async move {
        let number = chat.join(socket.clone());
        chat.broadcast(format!("* {name} joined")).await;
        let end = binding
            .run(socket, messages, async |_, message| {
                if let Message::Text(text) = message {
                    chat.broadcast(format!("{name}: {text}")).await;
                }
                Ok(())
            })
            .await;
        chat.leave(number);
        println!("connection {number} ended: {end:?}");
        chat.broadcast(format!("* {name} left")).await;
    });
    Ok(response)
}

/// Whether the handshake's `Origin` is this server (as the browser addressed it).
fn same_origin(request: &HttpRequest) -> bool {
    let header = |name| request.headers().get(name).and_then(|value| value.to_str().ok());
    match (header(header::ORIGIN), header(header::HOST)) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(scheme, origin_host)| matches!(scheme, "http" | "https") && origin_host == host),
        _ => false,
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Minimal HTML escaping for the user's name.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const LOGIN_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Session chat</title></head>
<body>
<h1>Session chat</h1>
<form method="post" action="/login">
  <label>Your name <input name="name" required maxlength="32" autofocus></label>
  <button type="submit">Log in</button>
</form>
</body></html>
"#;

const CHAT_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Session chat</title>
<style>
  #log { list-style: none; padding: 0; height: 20em; overflow-y: auto; border: 1px solid #ccc; }
  .status { color: #666; font-style: italic; }
  .ended { color: #b00; font-weight: bold; }
</style></head>
<body>
<h1>Session chat</h1>
<div>Logged in as <b>{name}</b>.
  <form method="post" action="/logout" style="display:inline"><button type="submit">Log out</button></form>
  (log out in another tab to see this tab's socket closed)</div>
<ul id="log"></ul>
<form id="say"><input id="text" autocomplete="off" maxlength="500" required autofocus> <button>Send</button></form>
<p id="ended" class="ended" hidden>Your session ended: <a href="/">log in again</a>.</p>
<script>
  const log = document.getElementById("log");
  const say = document.getElementById("say");
  const text = document.getElementById("text");
  function line(message, kind) {
    const item = document.createElement("li");
    item.textContent = message;
    if (kind) item.className = kind;
    log.append(item);
    item.scrollIntoView();
  }
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  socket.onopen = () => line("connected", "status");
  socket.onmessage = (event) => line(event.data);
  socket.onclose = (event) => {
    say.querySelector("button").disabled = text.disabled = true;
    if (event.code === 1008) {
      line("socket closed by the server (1008): " + event.reason, "ended");
      document.getElementById("ended").hidden = false;
    } else {
      line("socket closed (" + event.code + ")", "status");
    }
  };
  say.onsubmit = (event) => {
    event.preventDefault();
    socket.send(text.value);
    text.value = "";
  };
</script>
</body></html>
"#;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (repository, events) = common::repository_with_events();
    let repository: std::sync::Arc<dyn SessionRepository> = repository;
    let sessions = SessionMiddleware::builder_shared(repository)
        .event_publisher(events)
        .build();
    let chat = web::Data::new(Chat::default());
    let port = common::port();
    println!("websocket chat listening on http://127.0.0.1:{port}/");
    HttpServer::new(move || {
        App::new()
            .wrap(sessions.clone())
            .app_data(chat.clone())
            .route("/", web::get().to(index))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/ws", web::get().to(socket))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
