//! What `search` and `describe` show: the TypeScript declarations of the
//! granted capabilities (`env`) and of the sandbox's globals, cut into
//! named entries (`env.memory.createEntities`, `env.memory.Entity`,
//! `fetch`, `URL` ...) that a query is matched against. Pure logic.

use isobox::Capability;
use isobox::capability::{CapabilityInterface, Grant, McpTools};
use isobox::typescript::GLOBALS;

/// The most entries one `search` shows.
pub const MAX_SEARCH_RESULTS: usize = 8;

/// The most characters one `search` answer holds (entries past it are
/// counted, not shown).
pub const MAX_SEARCH_CHARS: usize = 8_000;

/// One declaration: a method or named type of a binding, or a global.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    /// `env.memory.createEntities`, `env.memory.Entity`, `fetch`.
    name: String,
    /// Its TypeScript, doc comment included, dedented.
    text: String,
}

/// The declarations a run's code can use, built once per server.
#[derive(Debug, Clone)]
pub struct Declarations {
    /// One `declare namespace env` block of every binding.
    env: String,
    /// Each binding's own block, by name.
    bindings: Vec<(String, String)>,
    /// The globals, without the untyped `env` line.
    globals: String,
    entries: Vec<Entry>,
    /// Bindings whose methods a catalog searches and describes (OpenAPI
    /// operations), by name.
    catalogs: Vec<(String, Capability)>,
}

impl Declarations {
    /// The declarations of `grants` (WIT and JSON-typed) and of the globals.
    pub fn new(grants: &[Grant]) -> Self {
        let wit: Vec<(&str, &CapabilityInterface)> = grants
            .iter()
            .filter_map(|g| g.capability.interface().map(|i| (g.name.as_str(), i)))
            .collect();
        let mcp: Vec<(&str, &McpTools)> = grants
            .iter()
            .filter(|g| g.capability.json_catalog().is_none())
            .filter_map(|g| g.capability.json_tool_list().map(|t| (g.name.as_str(), t)))
            .collect();
        let catalogs: Vec<(String, Capability)> = grants
            .iter()
            .filter(|g| g.capability.json_catalog().is_some())
            .map(|g| (g.name.clone(), g.capability.clone()))
            .collect();
        let summaries: Vec<String> = catalogs
            .iter()
            .filter_map(|(name, capability)| capability.json_catalog().map(|catalog| catalog.summary(name)))
            .collect();
        let env = if grants.is_empty() {
            "// No capabilities are granted: env is empty.\ndeclare namespace env {}\n".to_owned()
        } else {
            isobox::capability::typescript_env_with_summaries(&wit, &mcp, &summaries)
        };
        let bindings: Vec<(String, String)> = grants
            .iter()
            .map(|g| (g.name.clone(), g.capability.typescript(&g.name)))
            .collect();
        let globals: String = GLOBALS
            .lines()
            .filter(|line| {
                !line.starts_with("declare const env:") && !line.contains("/** Granted capabilities, by name. */")
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let mut entries = Vec::new();
        for (name, text) in &bindings {
            entries.extend(entries_at(text, 2, |member| format!("env.{name}.{member}")));
        }
        entries.extend(entries_at(&globals, 0, |member| member));
        Declarations {
            env,
            bindings,
            globals,
            entries,
            catalogs,
        }
    }

    /// The bindings' names, in grant order.
    pub fn binding_names(&self) -> impl Iterator<Item = &str> {
        self.bindings.iter().map(|(name, _)| name.as_str())
    }

    /// `describe`: every binding (`None`), the globals (`globals`), one
    /// binding (`memory` or `env.memory`), or one entry by its full name
    /// (`env.memory.createEntities`, `fetch`).
    ///
    /// # Errors
    ///
    /// A message listing what can be described when `name` is none of
    /// these.
    pub fn describe(&self, name: Option<&str>) -> Result<String, String> {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty() && *n != "env") else {
            return Ok(self.env.clone());
        };
        if name == "globals" {
            return Ok(self.globals.clone());
        }
        let binding = name.strip_prefix("env.").unwrap_or(name);
        if let Some((_, text)) = self.bindings.iter().find(|(n, _)| n == binding) {
            return Ok(text.clone());
        }
        if let Some((owner, member)) = binding.split_once('.')
            && let Some((_, capability)) = self.catalogs.iter().find(|(n, _)| n == owner)
            && let Some(catalog) = capability.json_catalog()
        {
            return catalog.describe(owner, member).ok_or_else(|| {
                format!(
                    "env.{owner} has no operation or type named {:?}: search finds them",
                    head(member, 80)
                )
            });
        }
        if let Some(entry) = self
            .entries
            .iter()
            .find(|e| e.name == name || e.name == format!("env.{name}"))
        {
            return Ok(entry.text.clone());
        }
        let names: Vec<&str> = self.binding_names().collect();
        Err(format!(
            "nothing is named {:?}: describe takes no name (all of env), \"globals\", a binding ({}), \
             or a name search returned",
            head(name, 80),
            if names.is_empty() {
                "none granted".to_owned()
            } else {
                names.join(", ")
            }
        ))
    }

    /// `search`: the entries that match `query` best (by words in their
    /// names, then in their docs and types), at most
    /// [`MAX_SEARCH_RESULTS`] and [`MAX_SEARCH_CHARS`]; an empty query
    /// lists the names.
    pub fn search(&self, query: &str) -> String {
        self.search_page(query, 0)
    }

    /// [`search`](Self::search), with the operations of catalog bindings
    /// (OpenAPI specs) ranked by their own index first, from their
    /// `offset`-th match on, at most [`MAX_SEARCH_RESULTS`] per binding;
    /// the other declarations follow on the first page only.
    pub fn search_page(&self, query: &str, offset: usize) -> String {
        let mut out = String::new();
        let mut found = false;
        for (name, capability) in &self.catalogs {
            let Some(catalog) = capability.json_catalog() else {
                continue;
            };
            if query_words(query).is_empty() {
                continue;
            }
            let page = catalog.search(name, query, offset, MAX_SEARCH_RESULTS);
            if page.total == 0 {
                continue;
            }
            found = true;
            let shown = page.entries.len();
            out.push_str(&format!(
                "// env.{name}: {} operations match; {} shown{}. describe(\"{name}.<operation>\") shows one's TypeScript.\n",
                page.total,
                if shown == 0 {
                    "none".to_owned()
                } else {
                    format!("{}-{}", offset + 1, offset + shown)
                },
                if offset + shown < page.total {
                    format!(" (offset: {} for more)", offset + shown)
                } else {
                    String::new()
                }
            ));
            for entry in page.entries {
                let line = format!("env.{name}.{}\n", head(&entry.text, 300));
                if out.len() + line.len() > MAX_SEARCH_CHARS {
                    break;
                }
                out.push_str(&line);
            }
        }
        if offset > 0 {
            if !found {
                out.push_str("// no more API operations match\n");
            }
            return out;
        }
        let rest = self.search_declarations(query);
        if found && rest.starts_with("no declaration matches") {
            return out;
        }
        out.push_str(&rest);
        out
    }

    fn search_declarations(&self, query: &str) -> String {
        let words = query_words(query);
        if words.is_empty() {
            let names: Vec<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
            return format!("{} declarations: {}\n", names.len(), names.join(", "));
        }
        let mut scored: Vec<(usize, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| {
                let name = entry.name.to_lowercase();
                let text = entry.text.to_lowercase();
                let score: usize = words
                    .iter()
                    .map(|w| {
                        if name.rsplit('.').next() == Some(w.as_str()) {
                            6
                        } else if name.contains(w.as_str()) {
                            3
                        } else if text.contains(w.as_str()) {
                            1
                        } else {
                            0
                        }
                    })
                    .sum();
                (score > 0).then_some((score, index))
            })
            .collect();
        if scored.is_empty() {
            return format!(
                "no declaration matches {:?}; describe (no name) shows all of env, describe \"globals\" the globals\n",
                head(query, 80)
            );
        }
        // Best first; equal scores in declaration order.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out = String::new();
        let mut shown = 0;
        for &(_, index) in &scored {
            let entry = &self.entries[index];
            let block = format!("// {}\n{}\n", entry.name, entry.text);
            if shown == MAX_SEARCH_RESULTS || out.len() + block.len() > MAX_SEARCH_CHARS {
                break;
            }
            out.push_str(&block);
            shown += 1;
        }
        if shown < scored.len() {
            let rest: Vec<&str> = scored[shown..]
                .iter()
                .take(20)
                .map(|&(_, i)| self.entries[i].name.as_str())
                .collect();
            out.push_str(&format!(
                "// {} more: {}{}\n",
                scored.len() - shown,
                rest.join(", "),
                if scored.len() - shown > 20 { ", ..." } else { "" }
            ));
        }
        out
    }
}

/// At most `max` characters of `text`, with `...` when cut.
fn head(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

/// Lowercase words of a query: `createEntities` and `create entities` both
/// give `create` and `entit` (see below); words of one letter are dropped.
fn query_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in query.chars().take(400) {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower {
                words.push(std::mem::take(&mut word));
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            word.extend(c.to_lowercase());
        } else {
            words.push(std::mem::take(&mut word));
            previous_lower = false;
        }
    }
    words.push(word);
    words.retain(|w| w.chars().count() > 1);
    words.dedup();
    // Singular and plural match each other (`entity`, `entities` ->
    // `entit`; `observations` -> `observation`).
    for word in &mut words {
        if let Some(stem) = word.strip_suffix("ies") {
            *word = stem.to_owned();
        } else if word.len() > 3 && (word.ends_with('y') || (word.ends_with('s') && !word.ends_with("ss"))) {
            word.pop();
        }
    }
    words
}

/// The declarations at `depth` in `text` as entries with their doc
/// comments, each named by `qualify(member name)`. A binding's block, as
/// `Capability::typescript` writes it (`declare namespace env {`, then
/// `namespace NAME { types }` and `const NAME: { members };` at depth 1),
/// has its entries at depth 2; the globals' at depth 0.
fn entries_at(text: &str, depth: usize, qualify: impl Fn(String) -> String) -> Vec<Entry> {
    members(text, depth)
        .into_iter()
        .filter_map(|lines| {
            let head = lines.iter().find(|l| !is_comment(l))?;
            let name = member_name(head)?;
            Some(Entry {
                name: qualify(name),
                text: dedent(&lines),
            })
        })
        .collect()
}

/// The declarations that start at brace depth `depth`: each run of lines
/// from a doc comment or a declaration at that depth until the depth
/// returns to it on a line ending in `;` or `}`. Braces in comments and
/// string literals are not counted.
fn members(text: &str, depth: usize) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut level = 0usize;
    let mut in_doc = false;
    for line in text.lines() {
        let trimmed = line.trim();
        let comment = in_doc || is_comment(trimmed);
        if trimmed.starts_with("/*") && !trimmed.contains("*/") {
            in_doc = true;
        } else if in_doc && trimmed.contains("*/") {
            in_doc = false;
        }
        if level > depth || (level == depth && !trimmed.is_empty()) {
            current.push(line);
        }
        if !comment {
            let (open, close) = braces(trimmed);
            level = (level + open).saturating_sub(close);
        }
        // A declaration ends back at its depth with `;` or `}` (a type
        // alias may go on over several `| { ... }` lines).
        let continued = trimmed.starts_with('|') || trimmed.starts_with('&');
        let ends = level == depth && !comment && (trimmed.ends_with(';') || (trimmed.ends_with('}') && !continued));
        let closes_outer = level < depth;
        if ends || closes_outer || (level == depth && trimmed.is_empty()) {
            let keep = std::mem::take(&mut current);
            if !closes_outer && keep.iter().any(|l| !is_comment(l.trim())) {
                out.push(keep);
            }
        }
    }
    out
}

fn is_comment(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("/*") || line.starts_with('*') || line.starts_with("//")
}

/// Opening and closing braces outside string literals.
fn braces(line: &str) -> (usize, usize) {
    let (mut open, mut close) = (0, 0);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '{' => open += 1,
                '}' => close += 1,
                _ => {}
            },
        }
    }
    (open, close)
}

/// The declared name of a declaration's first line: `getUser(...)` ->
/// `getUser`, `"2fa check"(...)` -> `2fa check`, `declare class URL {` ->
/// `URL`, `type Entity = {` -> `Entity`.
fn member_name(line: &str) -> Option<String> {
    const KEYWORDS: [&str; 12] = [
        "declare ",
        "export ",
        "readonly ",
        "abstract ",
        "const ",
        "let ",
        "var ",
        "function ",
        "class ",
        "interface ",
        "type ",
        "namespace ",
    ];
    let mut rest = line.trim();
    // Modifiers and the declaration keyword, in whatever order they come.
    while let Some(after) = KEYWORDS.iter().find_map(|keyword| rest.strip_prefix(keyword)) {
        rest = after.trim_start();
    }
    if let Some(quoted) = rest.strip_prefix('"') {
        return quoted.split('"').next().map(str::to_owned);
    }
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The lines without the indentation they share.
fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for line in lines {
        out.push_str(line.get(indent..).unwrap_or(line.trim_start()));
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use isobox::Capability;
    use isobox::capability::NativeFunctions;

    fn memory() -> Capability {
        let tools = McpTools::from_json(
            r#"{"tools": [
              {"name": "create_entities", "description": "Create entities {in} the graph",
               "inputSchema": {"type": "object", "properties": {"entities": {"type": "array",
                 "items": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}},
                 "required": ["entities"]}},
              {"name": "read_graph", "description": "Read the whole graph", "inputSchema": {"type": "object"}}
            ]}"#,
        )
        .unwrap();
        Capability::json_tools(
            tools,
            |_: isobox::capability::CallContext, _: String, _: serde_json::Map<String, serde_json::Value>| async {
                Ok::<_, isobox::capability::CapabilityError>(serde_json::Value::Null)
            },
        )
    }

    fn grants() -> Vec<Grant> {
        let request = isobox::RunRequest::new("1")
            .grant(
                "kv",
                Capability::native(isobox_state::KV_WIT, "store", NativeFunctions::new()).unwrap(),
            )
            .grant("memory", memory())
            .grant("todo", Capability::todo(isobox::capability::TodoStore::new()));
        request.grants
    }

    #[test]
    fn entries_name_methods_types_and_globals() {
        let declarations = Declarations::new(&grants());
        let names: Vec<&str> = declarations.entries.iter().map(|e| e.name.as_str()).collect();
        for expected in [
            "env.kv.get",
            "env.kv.put",
            "env.memory.createEntities",
            "env.memory.readGraph",
            "fetch",
            "URL",
            "Headers",
            "console",
            "input",
        ] {
            assert!(names.contains(&expected), "{expected} missing from {names:?}");
        }
        assert!(!names.contains(&"env"), "{names:?}");
        let create = declarations
            .entries
            .iter()
            .find(|e| e.name == "env.memory.createEntities")
            .unwrap();
        assert!(
            create
                .text
                .starts_with("/** Create entities {in} the graph */\ncreateEntities(args: {"),
            "{}",
            create.text
        );
        assert!(create.text.ends_with(";"), "{}", create.text);
        // A type alias over several lines is one entry.
        let filter = declarations
            .entries
            .iter()
            .find(|e| e.name == "env.todo.Filter")
            .unwrap();
        assert!(filter.text.starts_with("type Filter =\n"), "{}", filter.text);
        assert!(
            filter.text.contains("| { tag: \"by-priority\"; val: Priority }"),
            "{}",
            filter.text
        );
        assert!(filter.text.ends_with(";"), "{}", filter.text);
    }

    #[test]
    fn search_ranks_names_first_and_is_bounded() {
        let declarations = Declarations::new(&grants());
        let found = declarations.search("create entity");
        assert!(found.starts_with("// env.memory.createEntities\n"), "{found}");
        let found = declarations.search("fetch");
        assert!(found.starts_with("// fetch\n/** Leaves the sandbox"), "{found}");
        assert!(found.contains("\ndeclare function fetch("), "{found}");
        assert!(found.len() <= MAX_SEARCH_CHARS + 2000, "{}", found.len());
        let many = declarations.search("string");
        assert!(many.contains(" more: "), "{many}");
        assert!(declarations.search("zzzqqq").starts_with("no declaration matches"));
        assert!(declarations.search("").contains("env.kv.get"));
    }

    #[test]
    fn describe_a_binding_an_entry_the_globals_or_everything() {
        let declarations = Declarations::new(&grants());
        let all = declarations.describe(None).unwrap();
        assert!(all.contains("const kv: {") && all.contains("const memory: {"), "{all}");
        assert_eq!(all.matches("declare namespace env {").count(), 1, "{all}");
        let memory = declarations.describe(Some("memory")).unwrap();
        assert!(
            memory.contains("readGraph(") && !memory.contains("const kv"),
            "{memory}"
        );
        assert_eq!(declarations.describe(Some("env.memory")).unwrap(), memory);
        let one = declarations.describe(Some("env.memory.readGraph")).unwrap();
        assert!(one.starts_with("/** Read the whole graph */\nreadGraph("), "{one}");
        let globals = declarations.describe(Some("globals")).unwrap();
        assert!(globals.contains("declare function fetch(") && !globals.contains("declare const env"));
        let error = declarations.describe(Some("nope")).unwrap_err();
        assert!(error.contains("kv, memory, todo"), "{error}");
    }

    #[test]
    fn query_words_split_camel_case_and_plurals() {
        assert_eq!(query_words("createEntities"), ["create", "entit"]);
        assert_eq!(query_words("entity"), ["entit"]);
        assert_eq!(query_words("add observations, URL"), ["add", "observation", "url"]);
        assert_eq!(query_words("a  b"), Vec::<String>::new());
    }

    #[test]
    fn no_grants_still_declare_env() {
        let declarations = Declarations::new(&[]);
        assert!(
            declarations
                .describe(None)
                .unwrap()
                .contains("declare namespace env {}")
        );
        assert!(declarations.describe(Some("kv")).unwrap_err().contains("none granted"));
    }

    /// A catalog of `count` methods `op0`, `op1` ..., each matching every
    /// query, best first in order.
    struct Numbered {
        count: usize,
    }

    impl isobox::capability::JsonToolCatalog for Numbered {
        fn summary(&self, binding: &str) -> String {
            format!(
                "  /** {} operations */\n  const {binding}: {{ [operation: string]: () => Promise<any> }};\n",
                self.count
            )
        }

        fn search(&self, _: &str, _: &str, offset: usize, limit: usize) -> isobox::capability::CatalogPage {
            isobox::capability::CatalogPage {
                entries: (offset..self.count.min(offset + limit))
                    .map(|i| isobox::capability::CatalogEntry {
                        method: format!("op{i}"),
                        text: format!("op{i}(args) -> GET /things/{i}"),
                    })
                    .collect(),
                total: self.count,
            }
        }

        fn describe(&self, _: &str, method: &str) -> Option<String> {
            (method == "op3").then(|| "op3(): Promise<null>;\n".to_owned())
        }
    }

    fn api() -> Capability {
        let tools: Vec<isobox::capability::McpTool> = (0..20)
            .map(|i| isobox::capability::McpTool {
                name: format!("op{i}"),
                method: format!("op{i}"),
                description: None,
                input_schema: serde_json::json!({}),
                output_schema: None,
            })
            .collect();
        Capability::json_tools_with_catalog(
            McpTools::from_named_tools(tools).unwrap(),
            Numbered { count: 20 },
            |_: isobox::capability::CallContext, _: String, _: serde_json::Map<String, serde_json::Value>| async {
                Ok::<_, isobox::capability::CapabilityError>(serde_json::Value::Null)
            },
        )
    }

    #[test]
    fn catalogs_are_summarised_searched_in_pages_and_described_by_method() {
        let request = isobox::RunRequest::new("1")
            .grant("memory", memory())
            .grant("api", api());
        let declarations = Declarations::new(&request.grants);
        // env holds the summary, not the 20 methods.
        let env = declarations.describe(None).unwrap();
        assert!(env.contains("  /** 20 operations */\n  const api:"), "{env}");
        assert!(!env.contains("op3"), "{env}");
        let first = declarations.search_page("things", 0);
        assert!(
            first.starts_with("// env.api: 20 operations match; 1-8 shown (offset: 8 for more)."),
            "{first}"
        );
        assert!(first.contains("env.api.op0(args) -> GET /things/0\n"), "{first}");
        let last = declarations.search_page("things", 16);
        assert!(last.contains("17-20 shown.") && last.contains("env.api.op19"), "{last}");
        assert!(!last.contains("op15"), "{last}");
        assert_eq!(
            declarations.search_page("things", 40),
            "// env.api: 20 operations match; none shown. describe(\"api.<operation>\") shows one's TypeScript.\n"
        );
        assert_eq!(
            declarations.describe(Some("api.op3")).unwrap(),
            "op3(): Promise<null>;\n"
        );
        assert_eq!(
            declarations.describe(Some("env.api.op3")).unwrap(),
            "op3(): Promise<null>;\n"
        );
        let error = declarations.describe(Some("api.nope")).unwrap_err();
        assert!(
            error.contains("env.api has no operation or type named \"nope\""),
            "{error}"
        );
        // The other bindings are still searched on the first page.
        assert!(
            declarations
                .search_page("create entities", 0)
                .contains("env.memory.createEntities")
        );
    }
}
