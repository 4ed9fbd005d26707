//! A real HTTP server on 127.0.0.1 for driving the middleware end to end.

use std::net::SocketAddr;

use actix_web::dev::ServerHandle;

/// A running test server; stopped when dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl TestServer {
    #[doc(hidden)]
    pub fn new(addr: SocketAddr, handle: ServerHandle) -> Self {
        Self { addr, handle }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Fire and forget: the runtime stops with the test anyway.
        drop(self.handle.stop(false));
    }
}

/// Starts an `HttpServer` with one worker (or `workers`) on an ephemeral
/// 127.0.0.1 port for the given app factory, inside the current actix runtime.
/// Several workers run requests of one session truly in parallel, on threads
/// of their own, as a production server does.
#[macro_export]
macro_rules! serve {
    ($factory:expr) => {
        $crate::serve!($factory, 1)
    };
    ($factory:expr, $workers:expr) => {{
        let server = ::actix_web::HttpServer::new($factory)
            .workers($workers)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind 127.0.0.1:0");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        ::actix_web::rt::spawn(server);
        $crate::http::TestServer::new(addr, handle)
    }};
}

/// The value of a `Set-Cookie` header for `name`, with its attributes, if any.
pub fn set_cookie<B>(response: &awc::ClientResponse<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(actix_web::http::header::SET_COOKIE)
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Just the value part of a `Set-Cookie` header (`NAME=value; ...` -> `value`).
pub fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    pair.split_once('=')
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default()
}
