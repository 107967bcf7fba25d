//! Reading a resource of an app on a person's behalf (a widget's UI template),
//! through their kept upstream session, with their token when the app uses OAuth.

use switchboard_core::UserId;
use switchboard_core::tool_auth::ToolAuth;
use switchboard_mcp::{McpError, ResourceRead};
use switchboard_store::Connector;

use super::{Connectors, auth_mode, endpoint_of};
use crate::error::{Result, ServiceError};

impl Connectors {
    /// `uri` of `c` as `user` may read it, refused when larger than `max_bytes`.
    pub(crate) async fn read_resource_upstream(
        &self,
        user: UserId,
        c: &Connector,
        uri: &str,
        max_bytes: usize,
    ) -> Result<ResourceRead> {
        let endpoint = endpoint_of(c)?;
        let need = if auth_mode(c).uses_oauth() { ToolAuth::Optional } else { ToolAuth::Anonymous };
        let (options, _) = self.options_for(user, c, &need, None).await?;
        let key = (user, c.id);
        let session = match self.0.sessions.session(&key, &endpoint, &options).await {
            Ok(session) => session,
            Err(e @ McpError::Unauthorized { .. }) => return Err(ServiceError::Upstream(e)),
            Err(e) => return Err(self.failed_connection(&endpoint, c, e, &options).await),
        };
        match session.read_resource(uri, max_bytes).await {
            // The server forgot the session: once more on a new one (reading has no effects).
            Err(McpError::SessionExpired) => {
                self.0.sessions.evict(&key).await;
                let session =
                    self.0.sessions.session(&key, &endpoint, &options).await.map_err(ServiceError::Upstream)?;
                session.read_resource(uri, max_bytes).await.map_err(ServiceError::Upstream)
            }
            read => read.map_err(ServiceError::Upstream),
        }
    }
}
