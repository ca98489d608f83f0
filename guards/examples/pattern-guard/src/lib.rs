//! Blocks tools whose names match configured patterns, limits how many tools a server may list,
//! and blocks listed servers outright.
//!
//! Config: `{"blockedTools": ["delete_*", "*exec*"], "maxTools": 50, "blockedServers": ["legacy-crm"]}`;
//! every key is optional, unknown keys are an error.

#![no_std]

extern crate alloc;

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use guardmesh_guard::serde_json;
use guardmesh_guard::{deny, export_guard, modify, Context, Guard, Message, Phase, Value, Verdict};
use serde::Deserialize;

struct PatternGuard {
    blocked_tools: Vec<Glob>,
    max_tools: Option<usize>,
    blocked_servers: Vec<String>,
}

#[derive(Deserialize)]
struct Listing<'a> {
    #[serde(borrow)]
    result: Option<ListResult<'a>>,
}

#[derive(Deserialize)]
struct ListResult<'a> {
    #[serde(borrow, default)]
    tools: Vec<ToolName<'a>>,
}

#[derive(Deserialize)]
struct ToolName<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

/// A name pattern where `*` matches any run of characters and `?` any one character.
/// Written here because the glob crates need std, and this guest links none of it.
struct Glob(String);

impl Glob {
    fn matches(&self, name: &str) -> bool {
        let (pattern, text): (Vec<char>, Vec<char>) = (self.0.chars().collect(), name.chars().collect());
        let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
        while t < text.len() {
            if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
                p += 1;
                t += 1;
            } else if p < pattern.len() && pattern[p] == '*' {
                star = Some(p);
                mark = t;
                p += 1;
            } else if let Some(s) = star {
                p = s + 1;
                mark += 1;
                t = mark;
            } else {
                return false;
            }
        }
        pattern[p..].iter().all(|&c| c == '*')
    }
}

fn too_many(count: usize, max: usize) -> Verdict {
    deny("too-many-tools", format!("server lists {count} tools, more than the {max} allowed"))
}

fn strings(config: &Value, key: &str) -> Result<Vec<String>, String> {
    match config.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string).ok_or_else(|| format!("{key} lists strings only")))
            .collect(),
        Some(_) => Err(format!("{key} is a list of strings")),
    }
}

impl PatternGuard {
    fn blocks(&self, tool: &str) -> bool {
        self.blocked_tools.iter().any(|p| p.matches(tool))
    }

    /// A `tools/list` result without the blocked tools, or a denial if too many remain.
    fn filter_list(&self, message: &Message) -> Verdict {
        // Most lists need no change: read only the tool names (borrowed, the rest skipped) to find out.
        let Ok(listing) = serde_json::from_str::<Listing>(message.raw()) else {
            return deny("bad-message", "tools/list result is not valid JSON");
        };
        let names = listing.result.map(|r| r.tools).unwrap_or_default();
        let blocked = names.iter().filter(|t| t.name.as_deref().is_some_and(|n| self.blocks(n))).count();
        if blocked == 0 {
            return match self.max_tools {
                Some(max) if names.len() > max => too_many(names.len(), max),
                _ => Verdict::Allow,
            };
        }
        let Some(body) = message.json() else { return deny("bad-message", "message is not JSON") };
        let Some(tools) = body.pointer("/result/tools").and_then(Value::as_array) else { return Verdict::Allow };
        let kept: Vec<Value> = tools
            .iter()
            .filter(|t| !t.get("name").and_then(Value::as_str).is_some_and(|n| self.blocks(n)))
            .cloned()
            .collect();
        if let Some(max) = self.max_tools {
            if kept.len() > max {
                return too_many(kept.len(), max);
            }
        }
        let mut body = body.clone();
        body["result"]["tools"] = Value::Array(kept);
        modify(&body)
    }
}

impl Guard for PatternGuard {
    fn configure(config: &Value) -> Result<Self, String> {
        let Some(fields) = config.as_object() else { return Err("config is a JSON object".into()) };
        if let Some(unknown) = fields.keys().find(|k| !["blockedTools", "maxTools", "blockedServers"].contains(&k.as_str())) {
            return Err(format!("unknown config key {unknown:?}"));
        }
        let max_tools = match config.get("maxTools") {
            None => None,
            Some(v) => Some(v.as_u64().ok_or("maxTools is a whole number, 0 or more")? as usize),
        };
        Ok(PatternGuard {
            blocked_tools: strings(config, "blockedTools")?.into_iter().map(Glob).collect(),
            max_tools,
            blocked_servers: strings(config, "blockedServers")?,
        })
    }

    fn evaluate(&self, ctx: &Context, message: &Message) -> Verdict {
        if self.blocked_servers.iter().any(|s| *s == ctx.server_id) {
            return deny("blocked-server", format!("server {:?} is blocked", ctx.server_id));
        }
        match (ctx.phase, ctx.method.as_deref()) {
            (Phase::Request, Some("tools/call")) => match ctx.target.as_deref() {
                Some(tool) if self.blocks(tool) => deny("blocked-tool", format!("tool {tool:?} is blocked")),
                _ => Verdict::Allow,
            },
            (Phase::Response, Some("tools/list")) => self.filter_list(message),
            _ => Verdict::Allow,
        }
    }
}

export_guard!(PatternGuard);
