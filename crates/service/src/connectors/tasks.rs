//! Following a tool call's task again, after a restart cut this process's view of it.

use switchboard_core::UserId;
use switchboard_core::catalog::Tool;
use switchboard_core::tool_auth::tool_auth;
use switchboard_mcp::{CallWatch, Endpoint, McpError, TaskRef, UpstreamOutcome, resume_task_in_session};
use switchboard_store::Connector;

use super::{Connectors, auth_mode, endpoint_of};
use crate::error::{Result, ServiceError};

impl Connectors {
    /// Poll `task`, which a call of `tool` on `c` made for `user`, to its end. A task of
    /// 2025-11-25 belongs to the server session that created it, so it is followed in
    /// that session (plain POSTs carrying its id); one of a session without an id (the
    /// stateless 2026-07-28 protocol) on the user's kept session. A local command
    /// stopped with this process, and its tasks with it.
    pub(crate) async fn resume_upstream_task(
        &self,
        user: UserId,
        c: &Connector,
        tool: &Tool,
        task: &TaskRef,
        watch: CallWatch,
    ) -> Result<UpstreamOutcome> {
        let endpoint = endpoint_of(c)?;
        let need = tool_auth(auth_mode(c), tool);
        let (options, _) = self.options_for(user, c, &need, None).await?;
        match (&endpoint, &task.session_id) {
            (Endpoint::Http { url, .. }, Some(_)) => {
                resume_task_in_session(url, &options, task, &watch).await.map_err(ServiceError::Upstream)
            }
            (Endpoint::Http { .. }, None) => {
                let key = (user, c.id);
                let session =
                    self.0.sessions.session(&key, &endpoint, &options).await.map_err(ServiceError::Upstream)?;
                session.resume_task(task, &watch).await.map_err(ServiceError::Upstream)
            }
            (Endpoint::Stdio(_), _) => Err(ServiceError::Upstream(McpError::Protocol(
                "the app's local command stopped with Switchboard, and its task with it".into(),
            ))),
        }
    }
}
