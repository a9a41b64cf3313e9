//! MCP-over-HTTP sessions kept in the store, so several `isobox mcp --http`
//! processes sharing it (PostgreSQL, or one SQLite file) serve the same
//! sessions: a request that reaches a process that did not see the
//! session's `initialize` restores it from the store (rmcp's session
//! recovery) instead of answering 404. Kept in the key-value store's
//! namespace `mcp-sessions`, expiring a day after they were last written.

use rmcp::transport::streamable_http_server::session::{SessionState, SessionStore, SessionStoreError};

/// The namespace sessions live in.
const NAMESPACE: &str = "mcp-sessions";
/// How long a session lives without being written again.
const TTL_MS: u64 = 24 * 3600 * 1000;

/// rmcp's [`SessionStore`] over isobox's key-value store.
#[derive(Clone, Debug)]
pub struct StoreSessions {
    kv: isobox_store::kv::Kv,
}

impl StoreSessions {
    /// Sessions in `store`.
    pub fn new(store: &isobox_store::Store) -> StoreSessions {
        StoreSessions { kv: store.kv() }
    }
}

#[async_trait::async_trait]
impl SessionStore for StoreSessions {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        match self.kv.get(NAMESPACE, session_id).await? {
            Some(entry) => Ok(Some(serde_json::from_str(&entry.value)?)),
            None => Ok(None),
        }
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let value = serde_json::to_string(state)?;
        let options = isobox_store::kv::PutOptions {
            ttl_ms: Some(TTL_MS),
            ..Default::default()
        };
        self.kv.put(NAMESPACE, session_id, &value, options).await?;
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        self.kv.delete(NAMESPACE, session_id, None).await?;
        Ok(())
    }
}
