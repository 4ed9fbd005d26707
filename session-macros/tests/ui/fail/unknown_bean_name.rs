use actix_web::App;
use session_actix::enable_clustered_session;

// Without `customize`, only the built-in serializers exist and no expiration policy.
#[enable_clustered_session(
    session_serializer_bean_name = "SessionPdxSerialiser",
    session_expiration_policy_bean_name = "fixedTimeout",
)]
fn app() -> App<_> {
    App::new()
}

#[enable_clustered_session(session_serializer_bean_name = "")]
fn other_app() -> App<_> {
    App::new()
}

fn main() {}
