//! Sending commands through the transport (`transport.rs`): a pipeline
//! awaited, awaited with a hook where its replies arrive, or sent without
//! waiting; one command's reply; a typed script call appended to a pipeline.

use super::*;

/// What runs where a pipeline's replies arrive (see `execute_then`).
pub(super) type OnReplies = Arc<dyn Fn(&[Value]) + Send + Sync>;

impl RedisSessionRepository {
    /// Sends a pipeline (one round trip) and returns one reply per command,
    /// server errors included as [`Value::ServerError`].
    pub(super) async fn execute(&self, pipe: Pipeline) -> Result<Vec<Value>, StoreError> {
        self.execute_then(pipe, None).await
    }

    /// [`RedisSessionRepository::execute`], running `on_replies` (if any) where
    /// the replies arrive (on the connection's runtime, in reply order), before
    /// the caller resumes. It may run more than once (retries): make it idempotent.
    pub(super) async fn execute_then(
        &self,
        pipe: Pipeline,
        on_replies: Option<OnReplies>,
    ) -> Result<Vec<Value>, StoreError> {
        let pipe = Arc::new(pipe);
        // Dropped after the reply, so that the pipeline and the reply hook are freed by this
        // thread, which built them, not by the near cache's runtime that runs saves in reply
        // order: glibc takes another thread's heap lock to free its memory.
        let built_here = (Arc::clone(&pipe), on_replies.clone());
        let scripts = Arc::clone(&self.inner.scripts);
        let in_order = on_replies.is_some();
        let op = move |connection| {
            let pipe = Arc::clone(&pipe);
            let scripts = Arc::clone(&scripts);
            let on_replies = on_replies.clone();
            async move {
                let replies = send(connection, &pipe, &scripts).await?;
                if let Some(on_replies) = on_replies {
                    on_replies(&replies);
                }
                Ok(replies)
            }
        };
        // Boxed: inline, the operation's state (its timeout, retries and
        // admission) would make every store future that sends a command too
        // large for the allocator's fast path (see `budget.rs`).
        let replies = if in_order {
            Box::pin(self.inner.connection.run_in_reply_order(op)).await
        } else {
            Box::pin(self.inner.connection.run(op)).await
        };
        drop(built_here);
        replies
    }

    /// Sends a pipeline without waiting for it; failures are logged as `what`.
    pub(super) fn execute_detached(&self, what: &'static str, pipe: Pipeline) {
        let pipe = Arc::new(pipe);
        let scripts = Arc::clone(&self.inner.scripts);
        self.inner.connection.run_detached(what, move |connection| {
            let pipe = Arc::clone(&pipe);
            let scripts = Arc::clone(&scripts);
            async move { send(connection, &pipe, &scripts).await }
        });
    }

    /// One command, one reply.
    pub(super) async fn single(&self, pipe: Pipeline) -> Result<Value, StoreError> {
        let reply = self.execute(pipe).await?.into_iter().next();
        ok(reply.ok_or_else(|| StoreError::Protocol("no reply".to_owned()))?)
    }

    /// Removes ids from index sets without waiting (corrections; see the module docs).
    pub(super) fn remove_detached(&self, memberships: &[Membership]) {
        if memberships.is_empty() {
            return;
        }
        let mut pipe = new_pipeline();
        for (set, handle) in memberships {
            pipe.cmd("SREM").arg(set).arg(handle.to_string());
        }
        self.execute_detached("removing stale index entries", pipe);
    }

    /// Appends a script call (its `EVALSHA`, typed in `script_calls`) to `pipe`.
    pub(super) fn call(&self, pipe: &mut Pipeline, call: &impl ScriptCall) {
        call.append_to(pipe, &self.inner.scripts, &self.inner.keys);
    }
}
