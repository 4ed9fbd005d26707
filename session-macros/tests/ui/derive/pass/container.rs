//! Struct-level keys, generics, and paths: `default`, `crate`, type and const
//! parameters, a struct with no fields.
use serde::{Serialize, de::DeserializeOwned};
use session_actix::SessionAttributes;

#[derive(Debug, SessionAttributes)]
#[session(default)]
struct Wizard {
    step: u8,
    #[session(rename = "wizard.answers")]
    answers: Vec<String>,
    #[session(default = "String::new")]
    note: String,
}

impl Default for Wizard {
    fn default() -> Self {
        Self {
            step: 1,
            answers: vec!["start".to_owned()],
            note: "unused".to_owned(),
        }
    }
}

mod reexport {
    pub use session_actix as sessions;
}

#[derive(SessionAttributes)]
#[session(crate = "reexport::sessions")]
struct ThroughReexport {
    counter: u64,
}

#[derive(SessionAttributes)]
#[session(crate = reexport::sessions)]
struct BarePath {
    counter: u64,
}

#[derive(SessionAttributes)]
struct Generic<T, const N: usize>
where
    T: Clone,
{
    value: Option<T>,
    list: [u8; N],
}

#[derive(SessionAttributes)]
struct Nothing {}

fn is_extractor<T: actix_web::FromRequest>() {}

fn generic_ok<T: Serialize + DeserializeOwned + Clone + 'static>() {
    is_extractor::<Generic<T, 4>>();
}

fn main() {
    assert_eq!(Wizard::ATTRIBUTE_NAMES, ["step", "wizard.answers", "note"]);
    assert_eq!(ThroughReexport::ATTRIBUTE_NAMES, ["counter"]);
    assert_eq!(BarePath::ATTRIBUTE_NAMES, ["counter"]);
    assert_eq!(Generic::<String, 2>::ATTRIBUTE_NAMES, ["value", "list"]);
    assert!(Nothing::ATTRIBUTE_NAMES.is_empty());
    is_extractor::<Wizard>();
    generic_ok::<String>();
}
