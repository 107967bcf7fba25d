//! The workspace settings: the developer-mode policy and its groups, the
//! address policy for upstream connections (kept by [`Connectors`]) and the
//! default model. Owners and admins change them, auditors read them.

use serde_json::{Map, Value, json};
use switchboard_agent::Providers;
use switchboard_core::network::NetworkPolicy;
use switchboard_core::permission::Action;
use switchboard_core::{AuditKind, DeveloperModePolicy, GroupId};
use switchboard_store::{AuditEvent, AuditLog, Store, User, WorkspaceSettings};

use crate::connectors::Connectors;
use crate::error::{Result, ServiceError};
use crate::policy::require;

/// What to change of the settings; each part given is replaced whole, a part
/// left `None` stays as it is.
#[derive(Debug, Default)]
pub struct SettingsChange {
    /// The policy and the groups it grants developer mode under `rbac`.
    pub developer_mode: Option<(DeveloperModePolicy, Vec<GroupId>)>,
    pub network: Option<NetworkPolicy>,
    /// The model for new conversations (`provider/model` or a name a provider
    /// resolves); `Some(None)` clears it.
    pub default_model: Option<Option<String>>,
}

impl SettingsChange {
    fn is_empty(&self) -> bool {
        self.developer_mode.is_none() && self.network.is_none() && self.default_model.is_none()
    }
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Workspace {
    store: Store,
    connectors: Connectors,
    providers: Providers,
    log: AuditLog,
}

impl Workspace {
    pub(crate) fn new(store: Store, connectors: Connectors, providers: Providers, log: AuditLog) -> Self {
        Self { store, connectors, providers, log }
    }

    /// The settings and the address policy.
    pub async fn settings(&self, actor: &User) -> Result<(WorkspaceSettings, NetworkPolicy)> {
        require(actor, Action::ViewWorkspaceSettings)?;
        let settings = self.store.workspace_settings().await?;
        Ok((settings, self.connectors.network_policy().await?))
    }

    /// The model new conversations use when none is asked for: the workspace's,
    /// if one is set (the server's configured default is the agent's).
    pub async fn default_model(&self) -> Result<Option<String>> {
        Ok(self.store.default_model().await?)
    }

    /// Change the settings: each part given, in one audit entry saying what each
    /// part was and is. A model no provider resolves and an unknown group refuse
    /// the request before anything changes.
    pub async fn update(&self, actor: &User, change: SettingsChange) -> Result<(WorkspaceSettings, NetworkPolicy)> {
        require(actor, Action::ManageWorkspaceSettings)?;
        if change.is_empty() {
            return Err(ServiceError::Invalid("give developer_mode, network or conversations".into()));
        }
        let model = match change.default_model {
            Some(Some(m)) => {
                Some(Some(self.providers.resolve(Some(m.as_str())).map_err(ServiceError::invalid)?.qualified()))
            }
            other => other,
        };
        let before = self.store.workspace_settings().await?;
        let network_before = self.connectors.network_policy().await?;
        let developer_mode_given = change.developer_mode.is_some();
        let settings = match change.developer_mode {
            Some((policy, groups)) => {
                let settings = self.store.set_developer_mode_policy(policy, &groups).await?;
                tracing::info!(actor = %actor.id, policy = %settings.developer_mode_policy, "developer-mode policy changed");
                settings
            }
            None => self.store.workspace_settings().await?,
        };
        let model_given = model.is_some();
        let settings = match model {
            Some(model) => {
                self.store.set_default_model(model.as_deref()).await?;
                tracing::info!(actor = %actor.id, model = ?model, "default model changed");
                self.store.workspace_settings().await?
            }
            None => settings,
        };
        let network_given = change.network.is_some();
        let network = match change.network {
            Some(requested) => {
                let policy = self.connectors.set_network_policy(requested).await?;
                tracing::info!(actor = %actor.id, allow_private = policy.allow_private,
                    allow_link_local = policy.allow_link_local, allow_cloud_metadata = policy.allow_cloud_metadata,
                    "network policy changed");
                policy
            }
            None => self.connectors.network_policy().await?,
        };
        let mut detail = Map::new();
        if developer_mode_given {
            detail.insert(
                "developer_mode".into(),
                json!({"from": developer_mode_json(&before), "to": developer_mode_json(&settings)}),
            );
        }
        if model_given {
            detail.insert("default_model".into(), json!({"from": before.default_model, "to": settings.default_model}));
        }
        if network_given {
            detail.insert("network".into(), json!({"from": network_json(network_before), "to": network_json(network)}));
        }
        let event = AuditEvent::admin_change(actor.id, AuditKind::SettingsChanged, None, Value::Object(detail));
        self.log.append(event).await?;
        Ok((settings, network))
    }
}

fn developer_mode_json(settings: &WorkspaceSettings) -> Value {
    let groups: Vec<Value> =
        settings.developer_mode_groups.iter().map(|g| json!({"id": g.id, "name": g.name})).collect();
    json!({"policy": settings.developer_mode_policy.as_str(), "groups": groups})
}

fn network_json(policy: NetworkPolicy) -> Value {
    json!({
        "allow_private": policy.allow_private,
        "allow_link_local": policy.allow_link_local,
        "allow_cloud_metadata": policy.allow_cloud_metadata,
    })
}
