//! The `save` script (`lua/save.lua`): a session's changes applied atomically,
//! with its index fields, deadline, size bounds and `created` notice.

use redis::{Pipeline, Value};

use super::{Announcement, ScriptCall, flag, session_evalsha};
use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::session::StoredSession;
use crate::store::redis::codec::{self, WritePlan};
use crate::store::redis::keys::RedisKeyLayout;
use crate::store::redis::rule::ScriptRule;
use crate::store::redis::scripts::Scripts;
use crate::{SessionSizeLimits, SizeLimit, SizeLimitExceeded};

/// Whether a save may create the hash or only change a live one (`ARGV[1]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `new`: a freshly generated id: nothing can be stored under it, written
    /// without reading anything.
    New,
    /// `create`: replace whatever the id held (an id the caller chose).
    Create,
    /// `update`: only if the session is still live (a write racing a logout, a
    /// renewal or the expiry must not bring it back).
    Update,
    /// `create`, announcing nothing: puts back the session a failed renewal
    /// took from its old id (nobody heard it leave).
    Restore,
}

impl Mode {
    fn as_arg(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Create | Self::Restore => "create",
            Self::Update => "update",
        }
    }

    /// A save of a new session: blind when its id was generated here.
    pub(crate) fn for_new(session: &StoredSession) -> Self {
        if session.has_generated_id() {
            Self::New
        } else {
            Self::Create
        }
    }
}

/// The save script's arguments, in the order it reads them. `KEYS`: the
/// session's hash and marker.
#[derive(Debug)]
pub(crate) struct SaveArgs<'a> {
    /// The session written.
    pub(crate) handle: &'a SessionHandle,
    /// `ARGV[1]`.
    pub(crate) mode: Mode,
    /// `ARGV[2..5]`: the expiration rule (`lua/expiry.lua`, `time_to_live`).
    pub(crate) rule: &'a ScriptRule,
    /// `ARGV[6]`, `ARGV[7]`: published when this save creates the session
    /// (`created`, or `renewed` for the new id of a renewal; `None`: two empty arguments).
    pub(crate) announce: Option<Announcement>,
    /// `ARGV[8]`: now, epoch milliseconds of the application's clock.
    pub(crate) now: i64,
    /// `ARGV[9]`: a near cache tracks this key (the script reads the hash last).
    pub(crate) tracked: bool,
    /// `ARGV[10]`, `ARGV[11]`: the most attributes, and bytes of attributes
    /// (names plus stored values), the session may hold.
    pub(crate) limits: SessionSizeLimits,
    /// `ARGV[12..]`: counted lists (see [`append_plan`]).
    pub(crate) plan: &'a WritePlan,
}

impl ScriptCall for SaveArgs<'_> {
    fn append_to(&self, pipe: &mut Pipeline, scripts: &Scripts, keys: &RedisKeyLayout) {
        session_evalsha(pipe, &scripts.save, keys, self.handle);
        pipe.arg(self.mode.as_arg());
        for arg in self.rule.args() {
            pipe.arg(arg);
        }
        Announcement::append_to(self.announce.as_ref(), pipe);
        pipe.arg(self.now)
            .arg(flag(self.tracked))
            .arg(self.limits.max_attributes())
            .arg(self.limits.max_total_bytes());
        append_plan(self.plan, pipe);
    }
}

/// The lists after the limits: `m` and `a` (`ARGV[12]`, `ARGV[13]`), then `m`
/// metadata field/value pairs, then `a` attribute field/value pairs (`attr:<name>`);
/// then `d` and `d` fields to delete (removed attributes); then `k` and `k`
/// index name/value pairs (index fields to set); then `r` and `r` index names
/// (index fields to delete). Metadata and attributes go as two counts, metadata
/// first, so that the script neither tells them apart by prefix nor copies them.
fn append_plan(plan: &WritePlan, pipe: &mut Pipeline) {
    let (attributes, metadata): (Vec<_>, Vec<_>) = plan
        .sets
        .iter()
        .partition(|(field, _)| codec::is_attribute_field(field));
    pipe.arg(metadata.len()).arg(attributes.len());
    for (field, value) in metadata.into_iter().chain(attributes) {
        pipe.arg(field.as_slice()).arg(value.as_slice());
    }
    pipe.arg(plan.deletes.len());
    for field in &plan.deletes {
        pipe.arg(field.as_slice());
    }
    pipe.arg(plan.index_sets.len());
    for (name, value) in &plan.index_sets {
        pipe.arg(name).arg(value);
    }
    pipe.arg(plan.index_deletes.len());
    for name in &plan.index_deletes {
        pipe.arg(name);
    }
}

/// The save script's reply.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SaveReply {
    /// `{1, created, rev, deadline, name1, old1, ...}`: written.
    Applied {
        /// No live session had the id before.
        created: bool,
        /// The revision this save produced (near caches compare theirs with it).
        revision: i64,
        /// The stored deadline after it, epoch milliseconds (`None`: never);
        /// anything unreadable is treated as already past.
        deadline: Option<i64>,
        /// The index values replaced or removed, as (index name, old value):
        /// their sets must drop this id.
        replaced: Vec<(String, String)>,
    },
    /// `{0, 0}`: an update of a session no longer live; nothing written.
    Gone,
    /// `{2, limit, max, actual}`: the save would take the session past a size
    /// limit; nothing written.
    TooLarge(SizeLimitExceeded),
}

impl SaveReply {
    /// Reads the reply (by reference: a near cache reads it where it arrives).
    pub(crate) fn parse(reply: &Value) -> Result<Self, StoreError> {
        let malformed = || StoreError::Protocol(format!("save script returned a malformed {}", codec::kind(reply)));
        let Value::Array(items) = reply else {
            return Err(malformed());
        };
        match items.as_slice() {
            [Value::Int(0), ..] => Ok(Self::Gone),
            [
                Value::Int(1),
                Value::Int(created),
                Value::Int(revision),
                deadline,
                replaced @ ..,
            ] => {
                if replaced.len() % 2 != 0 {
                    return Err(malformed());
                }
                let mut entries = Vec::with_capacity(replaced.len() / 2);
                for pair in replaced.chunks_exact(2) {
                    let (name, old) = (codec::bytes(pair[0].clone())?, codec::bytes(pair[1].clone())?);
                    // Index names and values are written from Rust strings; anything else is not ours.
                    if let (Ok(name), Ok(old)) = (String::from_utf8(name), String::from_utf8(old)) {
                        entries.push((name, old));
                    }
                }
                Ok(Self::Applied {
                    created: *created == 1,
                    revision: *revision,
                    deadline: deadline_of(deadline),
                    replaced: entries,
                })
            }
            [Value::Int(2), limit, max, Value::Int(actual)] => {
                let text = |value: &Value| String::from_utf8(codec::bytes(value.clone()).ok()?).ok();
                let limit = match text(limit).ok_or_else(malformed)?.as_str() {
                    "attributes" => SizeLimit::Attributes,
                    _ => SizeLimit::Total,
                };
                Ok(Self::TooLarge(SizeLimitExceeded {
                    limit,
                    max: text(max).ok_or_else(malformed)?.parse().unwrap_or(usize::MAX),
                    actual: usize::try_from(*actual).unwrap_or(0),
                }))
            }
            _ => Err(malformed()),
        }
    }
}

/// The stored deadline: `-1` never; anything unreadable is treated as already
/// past (a near cache then does not serve it).
fn deadline_of(value: &Value) -> Option<i64> {
    let text = codec::bytes(value.clone())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match text.and_then(|text| text.parse::<i64>().ok()) {
        Some(-1) => None,
        Some(deadline) => Some(deadline.max(0)),
        None => Some(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expiration::ExpirationRule;
    use crate::id::SessionId;
    use crate::store::redis::codec::{LAST_ACCESSED_TIME, MAX_INACTIVE_INTERVAL};
    use crate::store::redis::script_calls::appended_args;

    fn field(name: &str, value: &str) -> (Vec<u8>, Vec<u8>) {
        (name.as_bytes().to_vec(), value.as_bytes().to_vec())
    }

    fn text(value: &str) -> Value {
        Value::BulkString(value.as_bytes().to_vec())
    }

    #[test]
    fn script_args_put_metadata_before_attributes_with_separate_counts() {
        let plan = WritePlan {
            sets: vec![
                field(LAST_ACCESSED_TIME, "5"),
                field("attr:a", "1"),
                field(MAX_INACTIVE_INTERVAL, "60"),
                field("attr:b", "2"),
            ],
            deletes: vec![b"attr:c".to_vec()],
            index_sets: vec![("color".to_owned(), "blue".to_owned())],
            index_deletes: vec!["size".to_owned()],
        };
        let mut pipe = redis::pipe();
        pipe.cmd("EVALSHA");
        append_plan(&plan, &mut pipe);
        assert_eq!(
            appended_args(&pipe, 1),
            [
                "2",
                "2",
                LAST_ACCESSED_TIME,
                "5",
                MAX_INACTIVE_INTERVAL,
                "60",
                "attr:a",
                "1",
                "attr:b",
                "2",
                "1",
                "attr:c",
                "1",
                "color",
                "blue",
                "1",
                "size"
            ]
        );
    }

    #[test]
    fn arguments_follow_the_order_the_script_reads_them() {
        let (scripts, keys) = (Scripts::new(), RedisKeyLayout::new("sessions"));
        let handle = SessionId::generate().handle();
        let rule = ScriptRule::built_in(ExpirationRule::Idle(std::time::Duration::from_secs(2)), 1800, None);
        let plan = WritePlan::default();
        let args = SaveArgs {
            handle: &handle,
            mode: Mode::New,
            rule: &rule,
            announce: Some(Announcement {
                channel: "?events".to_owned(),
                message: "created o h".to_owned(),
            }),
            now: 1_700_000_000_000,
            tracked: true,
            limits: SessionSizeLimits::default(),
            plan: &plan,
        };
        let mut pipe = redis::pipe();
        args.append_to(&mut pipe, &scripts, &keys);
        let sent = appended_args(&pipe, 0);
        assert_eq!(
            sent[..5],
            [
                "EVALSHA".to_owned(),
                scripts.save.get_hash().to_owned(),
                "2".to_owned(),
                keys.session_key(&handle),
                keys.expires_key(&handle)
            ]
        );
        assert_eq!(
            sent[5..],
            [
                "new",
                "idle",
                "2000",
                "",
                "200",
                "?events",
                "created o h",
                "1700000000000",
                "1",
                "256",
                "1048576",
                "0",
                "0",
                "0",
                "0",
                "0"
            ]
        );
        let update = SaveArgs {
            mode: Mode::Update,
            announce: None,
            tracked: false,
            ..args
        };
        let mut pipe = redis::pipe();
        update.append_to(&mut pipe, &scripts, &keys);
        assert_eq!(
            appended_args(&pipe, 5)[..10],
            ["update", "idle", "2000", "", "200", "", "", "1700000000000", "", "256"]
        );
    }

    #[test]
    fn replies_are_read_once_into_their_cases() {
        let applied = Value::Array(vec![
            Value::Int(1),
            Value::Int(1),
            Value::Int(7),
            text("1700000060000"),
            text("color"),
            text("red"),
        ]);
        assert_eq!(
            SaveReply::parse(&applied).unwrap(),
            SaveReply::Applied {
                created: true,
                revision: 7,
                deadline: Some(1_700_000_060_000),
                replaced: vec![("color".to_owned(), "red".to_owned())],
            }
        );
        let never = Value::Array(vec![Value::Int(1), Value::Int(0), Value::Int(2), text("-1")]);
        assert!(matches!(
            SaveReply::parse(&never).unwrap(),
            SaveReply::Applied {
                created: false,
                deadline: None,
                ..
            }
        ));
        let unreadable = Value::Array(vec![Value::Int(1), Value::Int(0), Value::Int(2), text("")]);
        assert!(matches!(
            SaveReply::parse(&unreadable).unwrap(),
            SaveReply::Applied { deadline: Some(0), .. }
        ));
        assert_eq!(
            SaveReply::parse(&Value::Array(vec![Value::Int(0), Value::Int(0)])).unwrap(),
            SaveReply::Gone
        );
        let refused = Value::Array(vec![Value::Int(2), text("attributes"), text("256"), Value::Int(257)]);
        assert_eq!(
            SaveReply::parse(&refused).unwrap(),
            SaveReply::TooLarge(SizeLimitExceeded {
                limit: SizeLimit::Attributes,
                max: 256,
                actual: 257,
            })
        );
        for malformed in [
            Value::Int(1),
            Value::Array(vec![]),
            Value::Array(vec![Value::Int(1), Value::Int(0)]),
            Value::Array(vec![
                Value::Int(1),
                Value::Int(0),
                Value::Int(2),
                text("-1"),
                text("odd"),
            ]),
            Value::Array(vec![Value::Int(2), text("total")]),
        ] {
            assert!(
                matches!(SaveReply::parse(&malformed), Err(StoreError::Protocol(_))),
                "{malformed:?}"
            );
        }
    }
}
