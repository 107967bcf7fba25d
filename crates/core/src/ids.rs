//! Typed identifiers, so a `GroupId` can never be passed where a `UserId` is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A workspace user.
    UserId
);
id_type!(
    /// A group of users.
    GroupId
);
id_type!(
    /// A connector (an MCP server connected to the workspace).
    ConnectorId
);
id_type!(
    /// A personal API token (its identifier, not the secret).
    TokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = UserId::new();
        let parsed: UserId = id.to_string().parse().expect("a uuid parses");
        assert_eq!(id, parsed);
        assert!("not-a-uuid".parse::<GroupId>().is_err());
    }
}
id_type!(
    /// A conversation with a model.
    ConversationId
);
id_type!(
    /// A message of a conversation.
    MessageId
);
id_type!(
    /// One tool call of a conversation (Switchboard's id, not the provider's).
    ToolCallId
);
id_type!(
    /// A server's request for the person's input during a tool call (elicitation).
    ElicitationId
);
id_type!(
    /// A change set a refresh recorded for a published app, awaiting review.
    ChangeId
);
