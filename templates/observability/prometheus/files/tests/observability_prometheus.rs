//! Prometheus-specific: `/metrics` exposes the documented metric names, and
//! the provisioned Grafana dashboard and Prometheus scrape config point at
//! what the service really exports.
//! Owned by observability/prometheus; drop it with that module.

mod support;

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde::Deserialize;

use support::{TestApp, client, spawn_app};

const DASHBOARD: &str = "deploy/observability/grafana/dashboards/service.json";
const SCRAPE_CONFIG: &str = "deploy/observability/prometheus.yml";
const COMPOSE: &str = "docker-compose.yml";

/// Makes the service record a request and a job, then returns `/metrics`.
async fn metrics_after_a_note(app: &TestApp) -> String {
    let tokens = app.new_user().await;
    let note = app
        .create_note(&tokens.access_token, "count these words")
        .await;
    app.wait_until_processed(&tokens.access_token, note.id)
        .await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

#[tokio::test]
async fn metrics_expose_http_and_job_series() {
    let app = spawn_app().await;
    let text = metrics_after_a_note(&app).await;
    for name in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "jobs_total",
        "job_duration_seconds_bucket",
    ] {
        assert!(text.contains(name), "missing {name} in:\n{text}");
    }
    assert!(
        text.contains(client::ROUTE_LABEL),
        "route template label missing:\n{text}"
    );
    assert!(text.contains(r#"outcome="succeeded""#));
}

#[tokio::test]
async fn the_dashboard_queries_only_metrics_the_service_exports() {
    let app = spawn_app().await;
    let exported: BTreeSet<String> = metrics_after_a_note(&app)
        .await
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split(['{', ' ']).next().unwrap_or_default().to_owned())
        .collect();

    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DASHBOARD).unwrap())
            .unwrap_or_else(|e| panic!("{DASHBOARD} is not valid JSON: {e}"));
    let mut exprs = Vec::new();
    collect_exprs(&dashboard, &mut exprs);
    assert!(!exprs.is_empty(), "{DASHBOARD} has no panel queries");
    for expr in &exprs {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "no metric found in `{expr}`");
        for name in names {
            assert!(
                exported.contains(&name),
                "{DASHBOARD} queries `{name}` (in `{expr}`), which /metrics does not export; it exports {exported:?}"
            );
        }
    }
}

#[derive(Deserialize)]
struct ScrapeFile {
    scrape_configs: Vec<ScrapeConfig>,
}

#[derive(Deserialize)]
struct ScrapeConfig {
    metrics_path: Option<String>,
    static_configs: Vec<StaticConfig>,
}

#[derive(Deserialize)]
struct StaticConfig {
    targets: Vec<String>,
}

#[test]
fn prometheus_scrapes_the_path_and_port_the_service_serves() {
    let scrape: ScrapeFile =
        serde_saphyr::from_str(&std::fs::read_to_string(SCRAPE_CONFIG).unwrap())
            .unwrap_or_else(|e| panic!("{SCRAPE_CONFIG}: {e}"));
    let compose: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(COMPOSE).unwrap())
            .unwrap_or_else(|e| panic!("{COMPOSE}: {e}"));
    // Every service built from this repo (it has `build`) is scraped at the port it serves.
    let mut expected: Vec<String> = compose["services"]
        .as_object()
        .expect("compose has services")
        .iter()
        .filter(|(_, service)| service.get("build").is_some())
        .map(|(name, service)| {
            let port = service["environment"]["PORT"]
                .as_str()
                .unwrap_or_else(|| panic!("{COMPOSE}: `{name}` sets PORT"));
            format!("{name}:{port}")
        })
        .collect();
    assert!(!expected.is_empty(), "{COMPOSE} builds this repo");
    let config = &scrape.scrape_configs[0];
    assert_eq!(
        config.metrics_path.as_deref().unwrap_or("/metrics"),
        "/metrics"
    );
    let mut targets: Vec<String> = config
        .static_configs
        .iter()
        .flat_map(|c| c.targets.iter().cloned())
        .collect();
    targets.sort();
    expected.sort();
    assert_eq!(targets, expected, "{SCRAPE_CONFIG} targets");
    assert!(
        compose["services"]["prometheus"]["volumes"]
            .as_array()
            .expect("prometheus mounts its config")
            .iter()
            .any(|v| v
                .as_str()
                .is_some_and(|v| v.starts_with(&format!("./{SCRAPE_CONFIG}:")))),
        "{COMPOSE} mounts {SCRAPE_CONFIG} into Prometheus"
    );
}

/// Every `expr` string in a Grafana dashboard.
fn collect_exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match v {
                    serde_json::Value::String(expr) if key == "expr" => out.push(expr.clone()),
                    _ => collect_exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

/// The metric names a PromQL expression selects: identifiers that are not
/// functions, keywords, label names (inside `{}` or `by (...)`) or durations.
fn metric_names(expr: &str) -> BTreeSet<String> {
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    // Aggregations may be followed by `by (...)` rather than their argument.
    const AGGREGATIONS: &[&str] = &[
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    let skip_group = |i: &mut usize, open: char, close: char| {
        let mut depth = 0;
        while *i < chars.len() {
            if chars[*i] == open {
                depth += 1;
            } else if chars[*i] == close {
                depth -= 1;
                if depth == 0 {
                    *i += 1;
                    return;
                }
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            skip_group(&mut i, '{', '}');
        } else if c == '[' {
            skip_group(&mut i, '[', ']');
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "._+-".contains(chars[i]))
            {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut next = i;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            if word == "by" || word == "without" {
                i = next;
                skip_group(&mut i, '(', ')');
            } else if chars.get(next) != Some(&'(')
                && !KEYWORDS.contains(&word.as_str())
                && !AGGREGATIONS.contains(&word.as_str())
            {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn metric_names_skip_functions_labels_and_durations() {
    let names = metric_names(
        r#"histogram_quantile(0.95, sum by (le, path) (rate(http_request_duration_seconds_bucket{status=~"5.."}[5m]))) / clamp_min(sum(rate(http_requests_total[5m])), 1e-9)"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            "http_request_duration_seconds_bucket",
            "http_requests_total"
        ]
    );
}
