//! The one place that sends commands: a pipeline per round trip, scripts
//! loaded once after `NOSCRIPT`, cluster pipelines split by slot, server
//! errors as values.

use redis::{Pipeline, RedisResult, ServerErrorKind, Value};

use super::pool::Connection;
use super::scripts::Scripts;
use crate::error::StoreError;

/// Sends a pipeline; on `NOSCRIPT` (Redis restarted and lost its script
/// cache) loads the scripts and sends it again. Every command we pipeline next
/// to a script is idempotent, and a script refused with `NOSCRIPT` did not run,
/// so sending twice is safe. The repository's first pipeline loads the scripts
/// alongside, in parallel (no round trip of its own): creating a session, often
/// the first write, runs none, and the first script would otherwise meet
/// `NOSCRIPT` in the middle of some later request.
pub(super) async fn send(mut connection: Connection, pipe: &Pipeline, scripts: &Scripts) -> RedisResult<Vec<Value>> {
    let seen = scripts.loads();
    let mut replies = if seen == 0 && scripts.first_use() {
        let loader = connection.clone();
        let (replies, loaded) =
            futures_util::future::join(send_once(&mut connection, pipe), Box::pin(load(loader, scripts, seen))).await;
        if let Err(error) = loaded {
            // The command's own outcome decides; a script meets `NOSCRIPT` and loads again.
            tracing::debug!(%error, "loading the scripts on first use failed");
        }
        replies?
    } else {
        send_once(&mut connection, pipe).await?
    };
    if replies.iter().any(is_noscript) {
        // Boxed: this rare path would otherwise triple the size of every
        // command's future (and of every future awaiting one).
        Box::pin(load(connection.clone(), scripts, seen)).await?;
        replies = send_once(&mut connection, pipe).await?;
    }
    Ok(replies)
}

/// Loads every script unless another caller completed a load since `seen`
/// (one round trip; on a cluster each `SCRIPT LOAD` goes to every master).
async fn load(mut loader: Connection, scripts: &Scripts, seen: u64) -> RedisResult<()> {
    scripts
        .load_once(seen, async move {
            let mut load = new_pipeline();
            for source in scripts.sources() {
                load.cmd("SCRIPT").arg("LOAD").arg(source);
            }
            for reply in send_once(&mut loader, &load).await? {
                if let Value::ServerError(error) = reply {
                    return Err(redis::RedisError::from(error));
                }
            }
            Ok(())
        })
        .await
}

/// One round trip. A cluster only takes pipelines within one slot, and ours
/// mix a session's slot with those of its index sets (and a lookup's sessions
/// are spread over all slots): there each command is sent on its own, all at
/// once, to the master of its slot. The nodes answer in parallel, so that is
/// still one round trip's latency, for one request per command (the cluster
/// client follows `MOVED`/`ASK` redirections per command). Replies come back in
/// the pipeline's order, server errors as values, as with one server.
///
/// A single command goes the same way on a cluster (as a pipeline of one,
/// redis-rs hands an `ASK` reply back as an error value instead of following
/// it), and a command still answered `ASK` or `TRYAGAIN` is sent again after a
/// short wait (see [`is_half_moved`]): during a resharding a principal's
/// index set met it, and the login failed with 503.
async fn send_once(connection: &mut Connection, pipe: &Pipeline) -> RedisResult<Vec<Value>> {
    if !connection.is_cluster() || is_transaction(pipe) {
        return pipe.query_async(connection).await;
    }
    let requests = pipe.cmd_iter().map(|cmd| {
        let mut connection = connection.clone();
        async move {
            let mut wait = HALF_MOVED_FIRST_WAIT;
            for _ in 0..HALF_MOVED_RETRIES {
                let reply = send_one(&mut connection, cmd).await?;
                if !is_half_moved(&reply) {
                    return Ok(reply);
                }
                // Not run: safe to send again once the key has moved on.
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            send_one(&mut connection, cmd).await
        }
    });
    futures_util::future::join_all(requests).await.into_iter().collect()
}

/// Retries of a cluster command answered `ASK` or `TRYAGAIN` (see [`is_half_moved`]).
const HALF_MOVED_RETRIES: u32 = 4;
/// The first wait before such a retry, doubled each time (20 + 40 + 80 + 160 ms at most).
const HALF_MOVED_FIRST_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// Whether the cluster client handed back a slot half moved: `ASK` (redis-rs
/// follows it, but under a resharding one key at a time it can still return
/// it, measured on a principal's index set) or `TRYAGAIN`. The command did not
/// run, and the key's move ends within milliseconds.
fn is_half_moved(reply: &Value) -> bool {
    matches!(reply, Value::ServerError(error)
        if matches!(error.kind(), Some(ServerErrorKind::Ask | ServerErrorKind::TryAgain)))
}

/// One command on a cluster, its server error as a value.
async fn send_one(connection: &mut Connection, cmd: &redis::Cmd) -> RedisResult<Value> {
    match cmd.query_async::<Value>(connection).await {
        Ok(value) => Ok(value),
        Err(error) if matches!(error.kind(), redis::ErrorKind::Server(_)) => {
            match error.into_server_errors().as_deref() {
                Some([(_, server_error)]) => Ok(Value::ServerError(server_error.clone())),
                _ => Err(redis::RedisError::from((
                    redis::ErrorKind::Client,
                    "unexpected pipeline error",
                ))),
            }
        }
        Err(error) => Err(error),
    }
}

/// A pipeline that opens with `MULTI`: one session's keys (one slot), sent
/// whole to that slot's master.
fn is_transaction(pipe: &Pipeline) -> bool {
    pipe.cmd_iter()
        .next()
        .and_then(|cmd| cmd.args_iter().next())
        .is_some_and(|arg| matches!(arg, redis::Arg::Simple(name) if name.eq_ignore_ascii_case(b"MULTI")))
}

fn is_noscript(reply: &Value) -> bool {
    matches!(reply, Value::ServerError(error) if error.kind() == Some(ServerErrorKind::NoScript))
}

/// A pipeline whose per-command errors come back as values (see [`send`]).
pub(super) fn new_pipeline() -> Pipeline {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    pipe
}

/// A reply, or the server's error as a [`StoreError`].
pub(super) fn ok(reply: Value) -> Result<Value, StoreError> {
    match reply {
        Value::ServerError(error) => Err(StoreError::unavailable(error)),
        reply => Ok(reply),
    }
}

/// The results of a transaction: `EXEC`'s reply (`None`: missing).
pub(super) fn exec_results(reply: Option<Value>) -> Result<Vec<Value>, StoreError> {
    match reply {
        Some(Value::Array(results)) => Ok(results),
        Some(Value::ServerError(error)) => Err(StoreError::unavailable(error)),
        other => Err(StoreError::Protocol(format!(
            "EXEC returned {}",
            other.as_ref().map_or("nothing", super::codec::kind)
        ))),
    }
}
