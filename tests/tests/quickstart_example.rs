//! The quickstart's page (`examples/quickstart/page.rs`, compiled in here) on
//! two instances over one real Redis, as README tells a user to run it: the
//! session follows the browser from one instance to the other, values show as
//! typed (not JSON-quoted), the request count goes on across instances, and
//! each page names the instance that served it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../examples/quickstart/page.rs"]
mod page;

use actix_web::http::StatusCode;
use actix_web::{App, web};
use clustered_session_tests::http::{TestServer, cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::{PoolSettings, RedisSessionRepository, SessionMiddleware, SessionSettings};

/// One instance: its own repository over the shared Redis, as another process would have.
fn instance(redis: &RedisServer, port_label: u16) -> TestServer {
    let repository = RedisSessionRepository::new(PoolSettings::new(redis.url()), SessionSettings::default()).unwrap();
    let middleware = SessionMiddleware::new(repository);
    let instance = web::Data::new(page::Instance {
        port: port_label,
        store: format!("session store: Redis {}", redis.url()),
    });
    serve!(move || App::new()
        .app_data(instance.clone())
        .wrap(middleware.clone())
        .configure(page::routes))
}

/// The text of the element with `id`.
fn element(page: &str, id: &str) -> String {
    let start = page.find(&format!("id=\"{id}\">")).expect(id) + id.len() + 6;
    page[start..].split('<').next().unwrap().to_owned()
}

#[actix_rt::test]
async fn the_session_follows_the_browser_from_one_instance_to_the_other() {
    let redis = RedisServer::start();
    let (a, b) = (instance(&redis, 8081), instance(&redis, 8082));
    let client = awc::Client::builder().disable_redirects().finish();

    let first = client.get(a.url("/")).send().await.unwrap();
    let cookie = format!(
        "SESSION={}",
        cookie_value(&set_cookie(&first, "SESSION").expect("a session cookie"))
    );
    let set = client
        .post(a.url("/"))
        .insert_header(("Cookie", cookie.clone()))
        .send_form(&[("attribute_name", "color"), ("attribute_value", "blue <b>")])
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::SEE_OTHER);

    // The other instance: same session, the value as typed (escaped, not quoted), count 2.
    let mut on_b = client
        .get(b.url("/"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    let page = String::from_utf8(on_b.body().await.unwrap().to_vec()).unwrap();
    assert!(page.contains("<td>color</td><td>blue &lt;b&gt;</td>"), "{page}");
    assert!(!page.contains("&quot;blue"), "value shown JSON-quoted: {page}");
    assert_eq!(element(&page, "count"), "2");
    assert_eq!(element(&page, "port"), "8082");
    assert!(element(&page, "store").starts_with("session store: Redis"), "{page}");

    // And back: the count goes on.
    let mut on_a = client
        .get(a.url("/"))
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap();
    let page = String::from_utf8(on_a.body().await.unwrap().to_vec()).unwrap();
    assert_eq!(element(&page, "count"), "3");
    assert_eq!(element(&page, "port"), "8081");
}
