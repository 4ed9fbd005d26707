//! The save script's replies, read once: what it did, the revision and
//! deadline a near cache needs, and a refused size bound (`lua/save.lua`).

use redis::Value;

use super::codec;
use crate::error::StoreError;

/// What the save script did.
#[derive(Debug)]
pub(super) struct Written {
    pub(super) applied: bool,
    /// No live session had the id before.
    pub(super) created: bool,
}

/// The revision and stored deadline an applied save answered (see
/// [`save_outcome`]); `None` when it did not apply or the reply is not one.
pub(super) fn saved_revision(reply: &Value) -> Option<(i64, Option<i64>)> {
    let Value::Array(items) = reply else {
        return None;
    };
    let (Some(Value::Int(1)), Some(Value::Int(rev))) = (items.first(), items.get(2)) else {
        return None;
    };
    Some((*rev, deadline_of(items.get(3))))
}

/// The save script's deadline: `-1` never; anything unreadable is treated as
/// already past (a near cache then does not serve it).
pub(super) fn deadline_of(value: Option<&Value>) -> Option<i64> {
    let text = value.and_then(|value| String::from_utf8(codec::bytes(value.clone()).ok()?).ok());
    match text.and_then(|text| text.parse::<i64>().ok()) {
        Some(-1) => None,
        Some(deadline) => Some(deadline.max(0)),
        None => Some(0),
    }
}

/// The size limit a save script refused to exceed (`{2, limit, max, actual}`).
pub(super) fn size_refusal(reply: &Value) -> Option<crate::SizeLimitExceeded> {
    let Value::Array(items) = reply else {
        return None;
    };
    let [Value::Int(2), limit, max, Value::Int(actual)] = items.as_slice() else {
        return None;
    };
    let text = |value: &Value| String::from_utf8(codec::bytes(value.clone()).ok()?).ok();
    let limit = match text(limit)?.as_str() {
        "attributes" => crate::SizeLimit::Attributes,
        _ => crate::SizeLimit::Total,
    };
    Some(crate::SizeLimitExceeded {
        limit,
        max: text(max)?.parse().unwrap_or(usize::MAX),
        actual: usize::try_from(*actual).unwrap_or(0),
    })
}

/// Reads the save script's reply: what it did, and the index values it replaced.
pub(super) fn save_outcome(reply: Value) -> Result<(Written, Vec<(String, String)>), StoreError> {
    let Value::Array(items) = reply else {
        return Err(StoreError::Protocol(format!(
            "save script returned {}",
            codec::kind(&reply)
        )));
    };
    let mut items = items.into_iter();
    let applied = matches!(items.next(), Some(Value::Int(1)));
    let created = matches!(items.next(), Some(Value::Int(1)));
    // The revision and deadline (for a near cache: `saved_revision`).
    let _ = (items.next(), items.next());
    let written = Written { applied, created };
    let mut replaced = Vec::new();
    while let (Some(name), Some(old)) = (items.next(), items.next()) {
        let (name, old) = (codec::bytes(name)?, codec::bytes(old)?);
        // Index names and values are written from Rust strings; anything else is not ours.
        if let (Ok(name), Ok(old)) = (String::from_utf8(name), String::from_utf8(old)) {
            replaced.push((name, old));
        }
    }
    Ok((written, replaced))
}
