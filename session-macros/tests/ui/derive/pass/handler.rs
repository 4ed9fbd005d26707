//! The derived struct as a handler argument, alone, in an `Option`, in a
//! `Result`, and saved through the `Session`.
use actix_web::{App, HttpResponse, web};
use session_actix::{EmbeddedSessionRepository, Session, SessionAttributes, SessionAttributesError, SessionMiddleware};

#[derive(Debug, SessionAttributes)]
struct Counter {
    #[session(default)]
    count: u64,
}

async fn increment(mut counter: Counter, session: Session) -> actix_web::Result<HttpResponse> {
    counter.count += 1;
    counter.save(&session)?;
    Ok(HttpResponse::Ok().body(counter.count.to_string()))
}

async fn peek(counter: Option<Counter>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{counter:?}"))
}

async fn checked(counter: Result<Counter, SessionAttributesError>, session: Session) -> HttpResponse {
    match counter {
        Ok(_) => {
            Counter::remove_from(&session);
            HttpResponse::NoContent().finish()
        }
        Err(error) => HttpResponse::Conflict().body(error.to_string()),
    }
}

fn main() {
    let _app = App::new()
        .wrap(SessionMiddleware::new(EmbeddedSessionRepository::default()))
        .route("/increment", web::post().to(increment))
        .route("/peek", web::get().to(peek))
        .route("/checked", web::get().to(checked));
}
