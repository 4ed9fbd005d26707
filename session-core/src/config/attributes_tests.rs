//! Tests of the attributes of `#[enable_clustered_session(...)]` as the
//! builder [`EnableClusteredSession`] holds them (`schema.rs` declares them).

use std::time::Duration;

use super::schema::EnableClusteredSession;
use crate::config::{ClientRegionShortcut, ServerRegionShortcut};

#[test]
fn nothing_is_given_until_set() {
    let attributes = EnableClusteredSession::new();
    assert_eq!(attributes, EnableClusteredSession::default());
    assert_eq!(attributes.client_region_shortcut(), None);
    assert_eq!(attributes.indexable_session_attributes(), None);
    assert_eq!(attributes.pool_name(), None);
    assert_eq!(attributes.idle_refresh_window(), None);
    assert_eq!(attributes.expose_configuration_as_properties(), None);
}

#[test]
fn every_setter_sets_its_attribute() {
    let attributes = EnableClusteredSession::new()
        .with_client_region_shortcut(ClientRegionShortcut::Local)
        .with_indexable_session_attributes(["a", "b"])
        .with_max_inactive_interval_seconds(-1)
        .with_idle_refresh_window(Duration::from_secs(5))
        .with_pool_name("DEFAULT")
        .with_region_name("Sessions")
        .with_server_region_shortcut(ServerRegionShortcut::Replicate)
        .with_session_expiration_policy_bean_name("policy")
        .with_session_serializer_bean_name("SessionDataSerializer")
        .with_expose_configuration_as_properties(true);
    assert_eq!(attributes.client_region_shortcut(), Some(ClientRegionShortcut::Local));
    assert_eq!(
        attributes.indexable_session_attributes(),
        Some(&["a".to_owned(), "b".to_owned()][..])
    );
    assert_eq!(attributes.max_inactive_interval_seconds(), Some(-1));
    assert_eq!(attributes.idle_refresh_window(), Some(Duration::from_secs(5)));
    assert_eq!(attributes.pool_name(), Some("DEFAULT"));
    assert_eq!(attributes.region_name(), Some("Sessions"));
    assert_eq!(
        attributes.server_region_shortcut(),
        Some(ServerRegionShortcut::Replicate)
    );
    assert_eq!(attributes.session_expiration_policy_bean_name(), Some("policy"));
    assert_eq!(attributes.session_serializer_bean_name(), Some("SessionDataSerializer"));
    assert_eq!(attributes.expose_configuration_as_properties(), Some(true));
}
