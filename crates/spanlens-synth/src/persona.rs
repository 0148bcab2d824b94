//! The agents the generator imitates: their service, prompts, questions, tools, documents
//! and answers, and the per-trace facts (city, order number, service) that fill templates.
//!
//! Templates use `{name}` placeholders, filled by `text::fill`.

use super::rng::Rng;

pub use super::personas::{ALL, INCIDENT, RAG, RESEARCH, SUPPORT, WEATHER};

/// A tool an agent can call. `params` are (name, JSON type, argument template); a template
/// that starts with `#` is written as a bare JSON number. `result` is a JSON template.
pub struct ToolDef {
    pub name: &'static str,
    pub description: &'static str,
    pub params: &'static [(&'static str, &'static str, &'static str)],
    pub result: &'static str,
    /// (exception type, message template) of the ways it fails.
    pub errors: &'static [(&'static str, &'static str)],
}

/// One imitated agent.
pub struct Persona {
    pub service: &'static str,
    pub agent: &'static str,
    pub sub_agents: &'static [&'static str],
    /// System prompt variants; a mutation switches to the next one.
    pub system: &'static [&'static str],
    pub questions: &'static [&'static str],
    pub tools: &'static [ToolDef],
    /// Vector store the retriever reads, if the agent retrieves.
    pub store: Option<&'static str>,
    pub docs: &'static [&'static str],
    /// Sentences for longer texts (context, answers, tool output).
    pub prose: &'static [&'static str],
    pub answers: &'static [&'static str],
    /// Models the agent calls (indexes into `MODELS`).
    pub models: &'static [usize],
}

impl std::fmt::Debug for Persona {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Persona({})", self.service)
    }
}

/// (provider, model) pairs.
pub const MODELS: [(&str, &str); 6] = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("gcp.gemini", "gemini-2.5-flash"),
    ("openai", "text-embedding-3-small"),
];

/// The embedding model's index in `MODELS`.
pub const EMBED_MODEL: usize = 5;

/// Chain span names (`Node::what` of a chain).
pub const CHAINS: [&str; 7] = [
    "plan_subtask",
    "format_response",
    "parse_plan",
    "index_documents",
    "embed_batch",
    "answer_question",
    "format_docs",
];
pub const CHAIN_PLAN: u16 = 0;
pub const CHAIN_FORMAT: u16 = 1;
pub const CHAIN_PARSE: u16 = 2;
pub const CHAIN_INDEX: u16 = 3;
pub const CHAIN_EMBED: u16 = 4;
pub const CHAIN_RAG: u16 = 5;
pub const CHAIN_DOCS: u16 = 6;

/// Values that make one trace's texts agree with each other.
#[derive(Clone, Debug)]
pub struct Facts {
    pub city: &'static str,
    pub city2: &'static str,
    pub days: u32,
    pub order: u32,
    pub email: &'static str,
    pub product: &'static str,
    pub service: &'static str,
    pub region: &'static str,
    pub topic: &'static str,
    pub metric: &'static str,
    pub team: &'static str,
    pub version: u32,
}

const CITIES: [&str; 12] = [
    "Paris",
    "Tokyo",
    "Lisbon",
    "Nairobi",
    "Toronto",
    "Sydney",
    "Cairo",
    "Oslo",
    "Buenos Aires",
    "Seoul",
    "Mumbai",
    "Denver",
];
const EMAILS: [&str; 6] = [
    "maria.lopez@example.com",
    "j.chen@example.org",
    "sam.okafor@example.net",
    "priya.n@example.com",
    "tom.becker@example.de",
    "aiko.sato@example.jp",
];
const PRODUCTS: [&str; 6] = [
    "wireless headphones",
    "standing desk",
    "espresso machine",
    "hiking backpack",
    "4K monitor",
    "robot vacuum",
];
const SERVICES: [&str; 6] = [
    "checkout-api",
    "payments",
    "search-gateway",
    "auth-service",
    "inventory",
    "notifications",
];
const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];
const TOPICS: [&str; 8] = [
    "SSO login",
    "webhook retries",
    "audit logs",
    "API rate limits",
    "data export",
    "role-based access control",
    "retrieval-augmented generation",
    "speculative decoding",
];
const METRICS: [&str; 4] = [
    "http.server.duration.p99",
    "error_rate",
    "cpu.utilization",
    "queue.depth",
];
const TEAMS: [&str; 4] = ["payments-oncall", "platform-sre", "search-team", "identity"];

impl Facts {
    pub fn draw(rng: &mut Rng) -> Facts {
        let city = rng.pick(&CITIES);
        let mut city2 = rng.pick(&CITIES);
        if city2 == city {
            city2 = CITIES[(CITIES.iter().position(|c| *c == city).unwrap_or(0) + 1) % 12];
        }
        Facts {
            city,
            city2,
            days: rng.range(2, 7) as u32,
            order: rng.range(100_000, 999_999) as u32,
            email: rng.pick(&EMAILS),
            product: rng.pick(&PRODUCTS),
            service: rng.pick(&SERVICES),
            region: rng.pick(&REGIONS),
            topic: rng.pick(&TOPICS),
            metric: rng.pick(&METRICS),
            team: rng.pick(&TEAMS),
            version: rng.range(100, 480) as u32,
        }
    }
}
