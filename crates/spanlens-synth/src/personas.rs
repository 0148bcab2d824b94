//! The five agents the generator imitates (weather, support, RAG, incident response,
//! research): their prompts, questions, tools, documents and answers, as data.

use super::persona::{Persona, ToolDef};

const NET_ERRORS: &[(&str, &str)] = &[
    (
        "TimeoutError",
        "request to {host} timed out after 10.0 seconds",
    ),
    (
        "requests.exceptions.HTTPError",
        "503 Server Error: Service Unavailable for url: https://{host}/v1/query",
    ),
    (
        "ConnectionResetError",
        "[Errno 104] Connection reset by peer",
    ),
];

pub static WEATHER: Persona = Persona {
    service: "weather-agent",
    agent: "weather_agent",
    sub_agents: &["travel_planner"],
    system: &[
        "You are WeatherBot, a concise assistant that answers questions about current conditions and forecasts. Always call a tool for live data and never guess temperatures. Report temperatures in Celsius and mention rain gear when precipitation is likely.",
        "You are WeatherBot, a friendly travel weather assistant. Use the tools to fetch live conditions and forecasts. Give temperatures in both Celsius and Fahrenheit, keep answers under 80 words, and suggest what to pack.",
    ],
    questions: &[
        "What's the weather in {city} right now, and should I bring an umbrella?",
        "I'm flying from {city2} to {city} on Friday. What will the weather be like for the next {days} days?",
        "Compare today's weather in {city} and {city2}.",
        "Is this a good weekend for a bike ride in {city}?",
    ],
    tools: &[
        ToolDef {
            name: "get_weather",
            description: "Get the current weather for a city",
            params: &[("city", "string", "{city}"), ("units", "string", "metric")],
            result: r#"{"city": "{city}", "condition": "{cond}", "temp_c": {temp}, "humidity": {pct}, "wind_kph": {small}}"#,
            errors: &[
                ("ValueError", "unknown city: '{city}'"),
                (
                    "TimeoutError",
                    "request to api.weather.example timed out after 10.0 seconds",
                ),
            ],
        },
        ToolDef {
            name: "get_forecast",
            description: "Get a daily forecast for a city",
            params: &[("city", "string", "{city}"), ("days", "integer", "#{days}")],
            result: r#"{"city": "{city}", "days": [{"date": "{date}", "condition": "{cond}", "high_c": {temp}, "low_c": {small}, "rain_chance": {pct}}, {"date": "{date2}", "condition": "{cond}", "high_c": {temp}, "low_c": {small}, "rain_chance": {pct}}], "summary": "{prose}"}"#,
            errors: NET_ERRORS,
        },
        ToolDef {
            name: "geocode",
            description: "Resolve a place name to coordinates",
            params: &[("query", "string", "{city2}")],
            result: r#"{"name": "{city2}", "lat": {lat}, "lon": {lon}, "timezone": "UTC+{small}"}"#,
            errors: &[("LookupError", "no match for '{city2}'")],
        },
        ToolDef {
            name: "get_air_quality",
            description: "Get the air quality index for a city",
            params: &[("city", "string", "{city}")],
            result: r#"{"city": "{city}", "aqi": {pct}, "dominant_pollutant": "pm2.5", "advice": "{prose}"}"#,
            errors: NET_ERRORS,
        },
    ],
    store: Some("kb-travel-climate"),
    docs: &[
        "{city} has a temperate climate; autumn brings frequent light rain and cool evenings.",
        "Travel tip: pack a compact umbrella and a light waterproof jacket for spring trips to {city}.",
        "Average high temperatures in {city2} range from 8°C in winter to 26°C in summer.",
        "Coastal cities often see morning fog that clears by noon, especially after a cold night.",
        "Air quality usually improves after rain; check the index before outdoor exercise.",
    ],
    prose: &[
        "Showers are likely in the afternoon, clearing by evening.",
        "Expect a mild morning with a light breeze from the west.",
        "Temperatures will drop sharply after sunset.",
        "The humidity makes it feel a few degrees warmer than it is.",
        "A weather front moving in from the coast brings gusty winds.",
        "Tomorrow looks drier, with sunny spells and a high of around 19°C.",
        "Pack layers: the difference between day and night temperatures is large this week.",
        "Visibility may be reduced on the highway because of fog.",
    ],
    answers: &[
        "It is currently {cond} and {temp}°C in {city}. Bring an umbrella if you are out this afternoon.",
        "Over the next {days} days {city} will be mostly {cond}, with highs around {temp}°C. Pack a light jacket.",
        "Today {city} is {cond} at {temp}°C, while {city2} is cooler; both look fine for a walk.",
    ],
    models: &[0, 1, 2],
};

pub static SUPPORT: Persona = Persona {
    service: "support-bot",
    agent: "support_agent",
    sub_agents: &["billing_specialist"],
    system: &[
        "You are the customer support assistant for Acme Store. Be polite and concise. Look up the order before answering, never promise refunds above $200 without creating a ticket, and never reveal internal notes.",
        "You are Acme Store's support assistant. Greet the customer by name, verify the order with a tool call, and offer a refund or replacement when an item is damaged. Escalate anything involving fraud.",
    ],
    questions: &[
        "My order #{order} still hasn't arrived. Can you check where it is?",
        "I was charged twice for order #{order}. Please refund the duplicate charge.",
        "How do I change the shipping address on order #{order}?",
        "The {product} I received is damaged. What are my options?",
    ],
    tools: &[
        ToolDef {
            name: "lookup_order",
            description: "Look up an order by number",
            params: &[("order_id", "string", "{order}")],
            result: r#"{"order_id": "{order}", "status": "{ship}", "carrier": "UPS", "eta": "{date}", "items": [{"name": "{product}", "qty": 1, "price": {price}}]}"#,
            errors: &[
                ("KeyError", "'order {order} not found'"),
                (
                    "TimeoutError",
                    "orders-db query timed out after 5.0 seconds",
                ),
            ],
        },
        ToolDef {
            name: "get_customer",
            description: "Get a customer profile by email",
            params: &[("email", "string", "{email}")],
            result: r#"{"email": "{email}", "tier": "gold", "orders": {small}, "open_tickets": 0}"#,
            errors: NET_ERRORS,
        },
        ToolDef {
            name: "search_kb",
            description: "Search the help center",
            params: &[
                ("query", "string", "{product} {ship}"),
                ("top_k", "integer", "#3"),
            ],
            result: r#"{"articles": [{"title": "Returns and refunds", "snippet": "{prose}"}, {"title": "Shipping delays", "snippet": "{prose}"}]}"#,
            errors: NET_ERRORS,
        },
        ToolDef {
            name: "issue_refund",
            description: "Refund an order, fully or partly",
            params: &[
                ("order_id", "string", "{order}"),
                ("amount", "number", "#{price}"),
            ],
            result: r#"{"refund_id": "rf_{id}", "order_id": "{order}", "amount": {price}, "status": "pending"}"#,
            errors: &[
                (
                    "PermissionError",
                    "refund above limit requires a supervisor",
                ),
                (
                    "stripe.error.APIConnectionError",
                    "could not connect to Stripe",
                ),
            ],
        },
        ToolDef {
            name: "create_ticket",
            description: "Open a ticket for the human support team",
            params: &[
                ("subject", "string", "Order {order}: {ship}"),
                ("priority", "string", "normal"),
            ],
            result: r#"{"ticket_id": "T-{id}", "queue": "tier-2", "sla_hours": 24}"#,
            errors: NET_ERRORS,
        },
    ],
    store: Some("kb-help-center"),
    docs: &[
        "Refunds are issued to the original payment method within 5 to 7 business days.",
        "Orders can be redirected to a new address until they are handed to the carrier.",
        "Damaged items can be returned free of charge within 30 days; a replacement ships immediately.",
        "Duplicate charges are usually authorisation holds and disappear within 3 days.",
        "Gold members get free express shipping on replacements.",
    ],
    prose: &[
        "I checked the order history and the package left our warehouse yesterday.",
        "The carrier reports a delay at the regional sorting centre.",
        "Refunds usually appear on your statement within a week.",
        "I have added a note to your account so the team can follow up.",
        "You will receive an email confirmation shortly.",
        "The replacement will ship with express delivery at no extra cost.",
        "Please keep the original packaging until the return is processed.",
        "Our records show a single successful charge and one pending authorisation.",
    ],
    answers: &[
        "Thanks for your patience! Order #{order} is {ship} and should arrive by {date}.",
        "I'm sorry about the double charge. I've refunded ${price} for order #{order}; it will appear within 5 to 7 business days.",
        "I've opened ticket T-{id} so our team can replace your {product}. You'll get a prepaid return label by email.",
    ],
    models: &[0, 3],
};

pub static RAG: Persona = Persona {
    service: "docs-rag",
    agent: "docs_assistant",
    sub_agents: &[],
    system: &[
        "Answer the question using only the provided documentation excerpts. Cite the document ids in square brackets. If the excerpts do not contain the answer, say you don't know.",
        "You are a documentation assistant. Use the excerpts below, quote configuration keys exactly, and cite sources as [doc-id]. Answer in at most three sentences.",
    ],
    questions: &[
        "How do I configure {topic} in the CLI?",
        "What is the default retention period for {topic}?",
        "Does the API support {topic}?",
        "Why does {topic} return a 429 error?",
    ],
    tools: &[],
    store: Some("docs-index-v3"),
    docs: &[
        "To enable {topic}, set `features.{slug}.enabled = true` in config.toml and restart the agent.",
        "{topic} data is retained for 30 days by default; Enterprise plans can extend this to 400 days.",
        "The REST API exposes {topic} under /v2/{slug}; requests are limited to 600 per minute per token.",
        "A 429 response means the per-token rate limit was exceeded; retry after the number of seconds in Retry-After.",
        "The CLI reads credentials from SPANLENS_TOKEN or from ~/.config/acme/credentials.",
    ],
    prose: &[
        "Configuration changes take effect after the next restart.",
        "Each workspace has its own limits, shown on the usage page.",
        "Older SDK versions may not expose this option.",
        "The setting can also be passed as an environment variable.",
        "Audit entries are immutable once written.",
        "Exports run in the background and are emailed when ready.",
    ],
    answers: &[
        "Set `features.{slug}.enabled = true` in config.toml and restart the agent [doc-1].",
        "{topic} data is kept for 30 days by default, up to 400 days on Enterprise [doc-2].",
        "Yes: {topic} is available under /v2/{slug}, limited to 600 requests per minute [doc-3].",
    ],
    models: &[0, 4],
};

pub static INCIDENT: Persona = Persona {
    service: "oncall-agent",
    agent: "incident_responder",
    sub_agents: &["log_analyst", "deploy_investigator"],
    system: &[
        "You are an SRE assistant handling production alerts. Gather evidence with the tools before concluding. Prefer rollbacks over hotfixes, page a human for anything customer-facing that lasts over 15 minutes, and summarise with a timeline.",
        "You are the on-call copilot. Investigate alerts step by step: metrics first, then logs, then recent deploys. Never roll back without evidence, and always state your confidence.",
    ],
    questions: &[
        "Alert: p99 latency for {service} is above 2s in {region}. Investigate and recommend a fix.",
        "Error rate on {service} spiked to 12% after the last deploy. What happened?",
        "{service} pods are crash-looping in {region}. Find the cause.",
    ],
    tools: &[
        ToolDef {
            name: "query_metrics",
            description: "Query a time series for a service",
            params: &[
                ("service", "string", "{service}"),
                ("metric", "string", "{metric}"),
                ("window", "string", "30m"),
            ],
            result: r#"{"service": "{service}", "metric": "{metric}", "points": [[{ts}, {pct}], [{ts}, {temp}], [{ts}, {price}]], "unit": "ms"}"#,
            errors: &[(
                "PrometheusError",
                "query timed out: too many series for {metric}",
            )],
        },
        ToolDef {
            name: "search_logs",
            description: "Search service logs",
            params: &[
                ("service", "string", "{service}"),
                ("query", "string", "level:error"),
                ("limit", "integer", "#50"),
            ],
            result: r#"{"hits": {small}, "samples": ["{ts} ERROR {service} upstream connect error or disconnect/reset before headers", "{ts} WARN {service} {prose}"]}"#,
            errors: &[(
                "elasticsearch.exceptions.ConnectionTimeout",
                "ConnectionTimeout caused by ReadTimeoutError(HTTPSConnectionPool(host='logs.internal', port=9200): Read timed out. (read timeout=10))",
            )],
        },
        ToolDef {
            name: "list_deploys",
            description: "List recent deploys of a service",
            params: &[
                ("service", "string", "{service}"),
                ("since", "string", "24h"),
            ],
            result: r#"{"deploys": [{"version": "v1.{version}.0", "at": "{date}T14:02:11Z", "author": "ci-bot", "status": "succeeded"}, {"version": "v1.{version}.1", "at": "{date2}T09:41:52Z", "author": "ci-bot", "status": "succeeded"}]}"#,
            errors: NET_ERRORS,
        },
        ToolDef {
            name: "get_runbook",
            description: "Fetch the runbook for an alert",
            params: &[("alert", "string", "{service} {metric}")],
            result: r#"{"title": "{service} high {metric}", "steps": ["{prose}", "{prose}", "{prose}"]}"#,
            errors: &[(
                "FileNotFoundError",
                "[Errno 2] No such file or directory: 'runbooks/{service}.md'",
            )],
        },
        ToolDef {
            name: "rollback_deploy",
            description: "Roll a service back to its previous version",
            params: &[
                ("service", "string", "{service}"),
                ("to_version", "string", "v1.{version}.0"),
            ],
            result: r#"{"service": "{service}", "rolled_back_to": "v1.{version}.0", "status": "in_progress"}"#,
            errors: &[(
                "RuntimeError",
                "rollback blocked: deploy freeze is active in {region}",
            )],
        },
        ToolDef {
            name: "page_oncall",
            description: "Page the on-call engineer of a team",
            params: &[
                ("team", "string", "{team}"),
                ("summary", "string", "{service} degraded in {region}"),
            ],
            result: r#"{"incident_id": "INC-{id}", "paged": "{team}", "acknowledged": false}"#,
            errors: NET_ERRORS,
        },
    ],
    store: Some("runbooks"),
    docs: &[
        "If p99 latency rises right after a deploy, compare the new version's connection pool settings first.",
        "Crash loops with exit code 137 usually mean the container hit its memory limit.",
        "The {service} service depends on the payments database and the Redis session cache.",
        "Rollbacks are safe for stateless services; check pending migrations before rolling back.",
        "Page the owning team when the error budget burn rate exceeds 10x for 15 minutes.",
    ],
    prose: &[
        "Latency started climbing at 14:05 UTC, three minutes after the deploy finished.",
        "The error logs show upstream connection resets from the database proxy.",
        "Memory usage grows steadily until the pod is killed.",
        "Traffic volume is normal, so this is not a load spike.",
        "The previous version ran for two weeks without incidents.",
        "Connection pool exhaustion would explain the timeouts.",
        "Only one availability zone is affected.",
        "Restarting the pods helped for about ten minutes.",
    ],
    answers: &[
        "Root cause: the v1.{version}.1 deploy of {service} halved the connection pool size. Recommendation: roll back to v1.{version}.0 and page {team}. Confidence: high.",
        "{service} in {region} is crash-looping because of an out-of-memory kill after the last deploy. I rolled back and paged {team}.",
        "No deploy correlates with the alert; the spike follows a traffic shift from another region. Monitoring for now; confidence: medium.",
    ],
    models: &[1, 2],
};

pub static RESEARCH: Persona = Persona {
    service: "research-assistant",
    agent: "research_agent",
    sub_agents: &["web_researcher", "summarizer"],
    system: &[
        "You are a research assistant. Break the question into sub-questions, search the web, read primary sources, and write a short report with citations. Flag anything you could not verify.",
        "You are a careful research assistant. Prefer peer-reviewed sources, quote numbers exactly, and end with a list of open questions.",
    ],
    questions: &[
        "Summarize recent work on {topic} and list three open problems.",
        "What are the trade-offs of {topic} in production systems?",
        "Find benchmarks comparing approaches to {topic} and explain the results.",
    ],
    tools: &[
        ToolDef {
            name: "web_search",
            description: "Search the web",
            params: &[
                ("query", "string", "{topic} benchmark {date}"),
                ("num_results", "integer", "#5"),
            ],
            result: r#"{"results": [{"title": "{topic}: a survey", "url": "https://example.org/papers/{id}", "snippet": "{prose}"}, {"title": "Notes on {topic}", "url": "https://blog.example.com/{id}", "snippet": "{prose}"}]}"#,
            errors: NET_ERRORS,
        },
        ToolDef {
            name: "fetch_url",
            description: "Download a page as text",
            params: &[("url", "string", "https://example.org/papers/{id}")],
            result: r#"{"status": 200, "title": "{topic}: a survey", "text": "{long}"}"#,
            errors: NET_ERRORS,
        },
        ToolDef {
            name: "run_python",
            description: "Run Python code in a sandbox",
            params: &[(
                "code",
                "string",
                "import statistics\nprint(statistics.mean([{temp}, {pct}, {small}]))",
            )],
            result: r#"{"stdout": "{temp}.{small}\n", "stderr": "", "exit_code": 0}"#,
            errors: &[("ZeroDivisionError", "division by zero")],
        },
        ToolDef {
            name: "read_file",
            description: "Read a file from the workspace",
            params: &[("path", "string", "notes/{slug}.md")],
            result: r#"{"path": "notes/{slug}.md", "content": "{long}"}"#,
            errors: &[(
                "FileNotFoundError",
                "[Errno 2] No such file or directory: 'notes/{slug}.md'",
            )],
        },
    ],
    store: Some("papers-index"),
    docs: &[
        "We evaluate {topic} on five public benchmarks and report a 12% improvement over the baseline.",
        "A survey of {topic}: methods, datasets and evaluation protocols.",
        "Ablations show that most of the gain comes from better data, not model size.",
        "Latency and cost remain the main obstacles to deploying {topic} at scale.",
        "Reproducibility is limited because several systems are closed.",
    ],
    prose: &[
        "The authors report results on three datasets but release code for only one.",
        "Gains shrink considerably when the evaluation set is deduplicated.",
        "Several follow-up papers confirm the effect at smaller scales.",
        "The method trades a small drop in accuracy for a large reduction in latency.",
        "Independent replications disagree on the size of the improvement.",
        "Most benchmarks focus on English, so multilingual behaviour is unclear.",
        "The cost analysis assumes batch inference on modern accelerators.",
        "A common failure mode is overconfidence on out-of-distribution inputs.",
    ],
    answers: &[
        "Recent work on {topic} shows steady gains, mostly from better data. Open problems: evaluation leakage, cost at scale, and multilingual robustness.",
        "{topic} improves quality but adds latency and operational complexity; it pays off when accuracy matters more than cost.",
    ],
    models: &[1, 2, 4],
};

/// Every persona, for mixed files.
pub static ALL: [&Persona; 5] = [&WEATHER, &SUPPORT, &RAG, &INCIDENT, &RESEARCH];
