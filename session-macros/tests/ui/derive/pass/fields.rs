//! Field names, renames, defaults and optional fields.
use session_actix::SessionAttributes;

fn light() -> String {
    "light".to_owned()
}

#[derive(Debug, SessionAttributes)]
struct Preferences {
    /// Doc comments and other attributes on fields are fine.
    #[allow(dead_code)]
    language: String,
    #[session(rename = "ui.theme", default = "light")]
    theme: String,
    #[session(default)]
    visits: u32,
    #[session(rename = "last.page")]
    last_page: Option<String>,
    #[session(default = light)]
    accent: String,
    r#type: Option<std::collections::BTreeMap<String, Vec<u8>>>,
}

fn main() {
    assert_eq!(
        Preferences::ATTRIBUTE_NAMES,
        ["language", "ui.theme", "visits", "last.page", "accent", "type"]
    );
    assert!(Preferences::INDEXED_ATTRIBUTES.is_empty());
}
