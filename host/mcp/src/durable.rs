//! Durable runs in `isobox mcp` (`--history`): each `execute` journaled and
//! kept in a store; a run that reaches an approval gate (`--gate`) pauses.
//! A client that supports elicitation is asked at once, and the person's
//! answer resumes the run within the same tool call; otherwise the result
//! says the run waits, and a person decides through `isobox serve`'s
//! console on the same store, or the agent through `decide` when the
//! operator allows it (`--agent-decides`). `runs` reads past runs;
//! `save_snippet` keeps code under a name that `search` finds and
//! `execute {snippet, input}` runs.

use rmcp::model::{ElicitRequestParams, ElicitationAction, ElicitationSchema};
use rmcp::{Peer, RoleServer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use isobox::Lang;
use isobox::journal::{Approvals, Decision, Journal, JournalStart, Journaled};
use isobox_store::runs::{RunRecord, Runs};

/// How many times one `execute` asks a person before it leaves the run
/// paused (a run may reach one gate after another).
const MAX_ASKS: usize = 16;

/// Where `isobox mcp` keeps its runs, and what needs approval.
#[derive(Clone, Debug)]
pub struct DurableRuns {
    /// The store's runs and snippets.
    pub runs: Runs,
    /// The namespace they are kept under (`mcp` by default: a serve tenant
    /// of that name sees them in its console).
    pub namespace: String,
    /// The gated calls.
    pub approvals: Approvals,
    /// The agent may decide gates through the `decide` tool.
    pub agent_decides: bool,
}

/// What an `execute` asked for, as the run's record keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredExecute {
    pub code: String,
    pub lang: String,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub dependencies: Vec<String>,
}

impl StoredExecute {
    pub fn lang(&self) -> Lang {
        if self.lang == "js" { Lang::Js } else { Lang::Ts }
    }
}

impl DurableRuns {
    /// Keeps `journaled` as run `id` (a new one, or its newer state).
    pub(crate) async fn keep(
        &self,
        id: &str,
        created_ms: i64,
        execute: &StoredExecute,
        journaled: &Journaled,
    ) -> Result<(), String> {
        use sha2::Digest;
        let code_sha256: String = sha2::Sha256::digest(execute.code.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let record = RunRecord {
            ns: self.namespace.clone(),
            id: id.to_owned(),
            status: journaled.status().to_owned(),
            created_ms,
            updated_ms: isobox_store::now_ms(),
            code_sha256,
            summary: journaled.summary().to_string(),
            request: serde_json::to_string(execute).map_err(|e| e.to_string())?,
            outcome: serde_json::to_string(&journaled.outcome).ok(),
            journal: serde_json::to_string(&journaled.journal).ok(),
        };
        self.runs
            .put(record)
            .await
            .map_err(|e| format!("the run could not be kept: {e}"))
    }

    /// A stored run's request and journal.
    pub(crate) async fn load(&self, id: &str) -> Result<(RunRecord, StoredExecute, Journal), String> {
        let record = self
            .runs
            .get(&self.namespace, id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no run {id:?}"))?;
        let execute: StoredExecute = serde_json::from_str(&record.request).map_err(|e| format!("run {id}: {e}"))?;
        let journal =
            Journal::from_json(record.journal.as_deref().unwrap_or("")).map_err(|e| format!("run {id}: {e}"))?;
        Ok((record, execute, journal))
    }

    /// `runs`: one run, or the newest 20.
    pub(crate) async fn describe_runs(&self, id: Option<&str>) -> Result<Value, String> {
        let Some(id) = id else {
            let list = self
                .runs
                .list(&self.namespace, None, None, 20)
                .await
                .map_err(|e| e.to_string())?;
            let runs: Vec<Value> = list
                .into_iter()
                .map(|r| {
                    json!({ "run_id": r.id, "status": r.status, "created_ms": r.created_ms,
                            "summary": serde_json::from_str::<Value>(&r.summary).unwrap_or(Value::Null) })
                })
                .collect();
            return Ok(json!({ "runs": runs }));
        };
        let (record, execute, journal) = self.load(id).await?;
        let outcome: Value = record
            .outcome
            .as_deref()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or(Value::Null);
        let gates: Vec<Value> = journal
            .gates()
            .into_iter()
            .map(|(gate, decision)| json!({ "gate": gate.describe(), "decision": decision }))
            .collect();
        Ok(json!({
            "run_id": record.id,
            "status": record.status,
            "created_ms": record.created_ms,
            "code": execute.code,
            "input": execute.input,
            "value": outcome.get("value"),
            "error": outcome.get("error"),
            "logs": outcome.get("logs"),
            "calls": outcome.get("calls"),
            "egress": outcome.get("egress"),
            "gates": gates,
        }))
    }

    /// `save_snippet`.
    pub(crate) async fn save_snippet(
        &self,
        name: &str,
        description: String,
        schema: Option<Value>,
        code: String,
    ) -> Result<Value, String> {
        self.runs
            .save_snippet(&self.namespace, name, description, schema, code)
            .await
            .map_err(|e| e.to_string())?;
        Ok(json!({ "saved": name }))
    }

    /// The snippets whose name or description holds a word of `query`, as
    /// lines for `search`.
    pub(crate) async fn search_snippets(&self, query: &str) -> Vec<String> {
        let Ok(snippets) = self.runs.snippets(&self.namespace).await else {
            return Vec::new();
        };
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 1)
            .map(str::to_lowercase)
            .collect();
        snippets
            .into_iter()
            .filter(|s| {
                let text = format!("{} {}", s.name.replace(['-', '_', '.'], " "), s.description).to_lowercase();
                words.iter().any(|w| text.contains(w.as_str()))
            })
            .take(8)
            .map(|s| {
                format!(
                    "snippet {:?}: {} (run it: execute {{\"snippet\": {:?}, \"input\": ...}}; input schema {})",
                    s.name, s.description, s.name, s.input_schema
                )
            })
            .collect()
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    approve: bool,
    #[serde(default)]
    reason: Option<String>,
}

/// Asks the person behind `peer` about the run's pending gates, when its
/// client supports elicitation. `None`: no answer (unsupported, cancelled,
/// failed): the run stays paused.
pub(crate) async fn ask(peer: &Peer<RoleServer>, journaled: &Journaled) -> Option<Decision> {
    let supported = peer
        .peer_info()
        .is_some_and(|info| info.capabilities.elicitation.is_some());
    if !supported {
        return None;
    }
    let calls: Vec<String> = journaled.pending().iter().map(|g| g.describe()).collect();
    let message = format!(
        "The agent's code wants to do this, which needs your approval:\n{}\nApprove?",
        calls.join("\n")
    );
    let schema: ElicitationSchema = serde_json::from_value(json!({
        "type": "object",
        "properties": {
            "approve": { "type": "boolean", "title": "Approve", "description": "Let the call go ahead" },
            "reason": { "type": "string", "title": "Reason", "description": "Why not (when rejecting)" }
        },
        "required": ["approve"]
    }))
    .ok()?;
    let params = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: schema,
    };
    let answer = peer
        .create_elicitation_with_timeout(params, Some(std::time::Duration::from_secs(600)))
        .await
        .ok()?;
    match answer.action {
        ElicitationAction::Accept => {
            let answer: Answer = serde_json::from_value(answer.content?).ok()?;
            Some(if answer.approve {
                Decision::Approved {
                    by: Some("mcp client".into()),
                }
            } else {
                let mut decision = Decision::reject(answer.reason.unwrap_or_else(|| "declined".into()));
                if let Decision::Rejected { by, .. } = &mut decision {
                    *by = Some("mcp client".into());
                }
                decision
            })
        }
        ElicitationAction::Decline => Some(Decision::Rejected {
            by: Some("mcp client".into()),
            reason: Some("declined".into()),
        }),
        _ => None,
    }
}

/// Runs `request` journaled, keeps it, and asks about gates while the
/// client can answer; the final state.
pub(crate) async fn run(
    durable: &DurableRuns,
    engine: &isobox::Engine,
    request: isobox::RunRequest,
    execute: &StoredExecute,
    peer: Option<&Peer<RoleServer>>,
) -> (String, Journaled) {
    let id = format!("{:016x}", rand::random::<u64>());
    let created_ms = isobox_store::now_ms();
    let request = request.with_approvals(durable.approvals.clone());
    let mut journaled = engine.run_journaled(request.clone(), JournalStart::Record).await;
    let _ = durable.keep(&id, created_ms, execute, &journaled).await;
    for _ in 0..MAX_ASKS {
        if journaled.status() != "pending-approval" {
            break;
        }
        let Some(peer) = peer else { break };
        let Some(decision) = ask(peer, &journaled).await else {
            break;
        };
        if !durable
            .runs
            .claim(&durable.namespace, &id, "pending-approval", "resuming")
            .await
            .unwrap_or(false)
        {
            break;
        }
        let mut journal = journaled.journal.clone();
        journal.decide(&decision);
        journaled = engine
            .run_journaled(request.clone(), JournalStart::Resume(journal))
            .await;
        let _ = durable.keep(&id, created_ms, execute, &journaled).await;
    }
    (id, journaled)
}
