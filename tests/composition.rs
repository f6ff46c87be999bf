//! The library against the fixture templates: catalogue loading and its invariants,
//! resolution, composition, ownership and merges.

use std::collections::BTreeMap;
use std::path::Path;

use scaffold::catalogue::Catalogue;
use scaffold::error::Error;
use scaffold::generate::{self, Output};
use scaffold::name::ProjectName;
use scaffold::preset::Preset;
use scaffold::resolve::{self, NoPrompts, Request, Resolved};
use scaffold::rules::Verdict;
use scaffold::template_tree::TemplateTree;

fn fixture_tree() -> TemplateTree {
    TemplateTree::from_folder(Path::new("tests/fixtures/templates")).unwrap()
}

fn fixtures() -> Catalogue {
    Catalogue::load(fixture_tree()).unwrap()
}

fn request(flags: &[(&str, &[&str])], allow: &[&str]) -> Request {
    Request {
        flags: flags
            .iter()
            .map(|(a, v)| (a.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect::<BTreeMap<_, _>>(),
        allow: allow.iter().map(|s| s.to_string()).collect(),
        preset: None,
    }
}

fn resolve(
    catalogue: &Catalogue,
    flags: &[(&str, &[&str])],
    allow: &[&str],
) -> Result<Resolved, Error> {
    resolve::resolve(catalogue, &request(flags, allow), &mut NoPrompts)
}

fn generate(catalogue: &Catalogue, resolved: &Resolved) -> Result<Output, Error> {
    generate::generate(
        catalogue,
        resolved,
        &ProjectName::parse("shop").unwrap(),
        &mut || "s3cr3t".into(),
    )
}

fn load_err(tree: TemplateTree) -> String {
    Catalogue::load(tree).unwrap_err().to_string()
}

/// A team preset: `api = "rpc"` by default, and a team rule denying it (optionally allowed).
fn acme_preset(allowed: bool) -> Preset {
    let allow = if allowed {
        "allow = [\"acme-no-rpc\"]\n"
    } else {
        ""
    };
    let text = format!(
        "{allow}[defaults]\napi = \"rpc\"\n[[rule]]\nid = \"acme-no-rpc\"\nseverity = \"deny\"\nwhen = {{ api = \"rpc\" }}\ntitle = \"No RPC at Acme\"\nwhy = \"Our gateway speaks REST.\"\ninstead = [\"--api rest\"]\n"
    );
    Preset::parse(&text, Path::new("acme.toml")).unwrap()
}

fn check_with(catalogue: &mut Catalogue, preset: Preset) -> Result<Resolved, Error> {
    let request = Request {
        preset: Some(preset),
        ..Request::default()
    };
    scaffold::ops::check(catalogue, &request, &mut NoPrompts)
}

#[test]
fn catalogue_loads_axes_in_order_with_the_default_first() {
    let c = fixtures();
    let names: Vec<_> = c.axes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["api", "audience", "queue", "extras"]);
    let queue: Vec<_> = c.axis("queue").unwrap().option_values().collect();
    assert_eq!(queue, ["redis", "none"]);
    assert!(c.axis("extras").unwrap().manifest.multi);
    let refused: Vec<_> = c
        .refused_values("queue")
        .map(|(v, r)| (v, r.id.as_str()))
        .collect();
    assert_eq!(refused, [("sqs", "no-sqs"), ("kafka", "no-sqs")]);
}

#[test]
fn a_rule_naming_an_unknown_axis_or_value_is_rejected() {
    let bad_axis = "[[rule]]\nid = \"x\"\nseverity = \"deny\"\nwhen = { queu = \"none\" }\ntitle = \"t\"\nwhy = \"w\"\n";
    let err = load_err(fixture_tree().with_file("rules.toml", bad_axis));
    assert!(err.contains("unknown axis `queu`"), "{err}");
    assert!(err.contains("did you mean `queue`"), "{err}");

    let bad_value = bad_axis
        .replace("queu =", "queue =")
        .replace("\"none\"", "\"nnoe\"");
    let err = load_err(fixture_tree().with_file("rules.toml", bad_value));
    assert!(err.contains("`queue=nnoe`"), "{err}");
}

#[test]
fn a_refuse_rule_cannot_refuse_a_real_option_and_ids_are_unique() {
    let refuse_option = "[[rule]]\nid = \"x\"\nseverity = \"refuse\"\nwhen = { queue = \"redis\" }\ntitle = \"t\"\nwhy = \"w\"\n";
    assert!(
        load_err(fixture_tree().with_file("rules.toml", refuse_option))
            .contains("which is an option")
    );
    let twice = "[[rule]]\nid = \"x\"\nseverity = \"warn\"\nwhen = { queue = \"redis\" }\ntitle = \"t\"\nwhy = \"w\"\n".repeat(2);
    assert!(load_err(fixture_tree().with_file("rules.toml", twice)).contains("unique"));
}

#[test]
fn axis_declarations_are_checked() {
    let no_default = "order = 3\ntitle = \"Q\"\nprompt = \"?\"\nhelp = \"h\"\n";
    assert!(
        load_err(fixture_tree().with_file("queue/axis.toml", no_default))
            .contains("exactly one `default`")
    );
    let bad_default = format!("{no_default}default = \"rabbit\"\n");
    assert!(
        load_err(fixture_tree().with_file("queue/axis.toml", bad_default))
            .contains("`rabbit` is not an option")
    );
    let no_axis_file = fixture_tree().without("queue/axis.toml");
    assert!(load_err(no_axis_file).contains("has no axis.toml"));
    assert!(load_err(fixture_tree().without("base")).contains("base fragment"));
    let upcoming_default = format!("{no_default}default = \"redis\"\nupcoming = [\"redis\"]\n");
    assert!(
        load_err(fixture_tree().with_file("queue/axis.toml", upcoming_default))
            .contains("the default `redis` is not an option")
    );
}

/// An upcoming value with a fragment is work in progress: not an option, refused as
/// not available, until previews are enabled; then it generates like any option.
#[test]
fn an_upcoming_fragment_is_a_preview_until_enabled() {
    let axis = "order = 3\ntitle = \"Job queue\"\nprompt = \"Which?\"\nhelp = \"Jobs\"\n\
                default = \"redis\"\nupcoming = [\"none\"]\n";
    let mut c = Catalogue::load(fixture_tree().with_file("queue/axis.toml", axis)).unwrap();
    let queue = c.axis("queue").unwrap();
    assert_eq!(queue.option_values().collect::<Vec<_>>(), ["redis"]);
    assert_eq!(queue.previews.len(), 1);
    let err = resolve(&c, &[("queue", &["none"])], &["no-job-queue"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("not available in this version"), "{err}");

    assert_eq!(c.enable_previews(), ["queue=none"]);
    let queue = c.axis("queue").unwrap();
    assert_eq!(queue.option_values().collect::<Vec<_>>(), ["redis", "none"]);
    assert!(queue.manifest.upcoming.is_empty() && queue.previews.is_empty());
    let resolved = resolve(&c, &[("queue", &["none"])], &["no-job-queue"]).unwrap();
    let out = generate(&c, &resolved).unwrap();
    assert!(
        out.text(".scaffold.toml")
            .unwrap()
            .contains("queue = \"none\"")
    );
}

#[test]
fn defaults_resolve_and_satisfy_every_deny_rule() {
    let c = fixtures();
    let r = resolve(&c, &[], &[]).unwrap();
    assert_eq!(
        r.selection.summary(),
        "api=rest audience=internal queue=redis extras=(none)"
    );
    assert!(r.outcomes.is_empty());
}

#[test]
fn a_deny_rule_refuses_until_allowed_and_then_is_recorded() {
    let c = fixtures();
    let Err(Error::Refused(outcomes)) = resolve(&c, &[("queue", &["none"])], &[]) else {
        panic!("queue=none must be refused")
    };
    assert_eq!(outcomes[0].rule.id, "no-job-queue");
    assert_eq!(outcomes[0].verdict, Verdict::Denied);

    let r = resolve(&c, &[("queue", &["none"])], &["no-job-queue"]).unwrap();
    assert_eq!(r.allowed, ["no-job-queue"]);
    let out = generate(&c, &r).unwrap();
    let record = out.text(".scaffold.toml").unwrap();
    assert!(record.contains("allow = [\"no-job-queue\"]"), "{record}");
    let decisions = out.text("docs/decisions.md").unwrap();
    assert!(
        decisions.contains("Risk taken: no-job-queue"),
        "{decisions}"
    );
}

#[test]
fn refused_values_have_no_override() {
    let c = fixtures();
    let Err(Error::Refused(outcomes)) = resolve(&c, &[("queue", &["sqs"])], &[]) else {
        panic!("sqs is refused")
    };
    assert_eq!(outcomes[0].verdict, Verdict::Refused);
    let err = resolve(&c, &[("queue", &["sqs"])], &["no-sqs"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot be overridden"), "{err}");
}

#[test]
fn unknown_values_and_allow_ids_suggest_the_fix() {
    let c = fixtures();
    let err = resolve(&c, &[("queue", &["reds"])], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("did you mean `redis`"), "{err}");
    assert!(err.contains("valid values: redis, none"), "{err}");
    let err = resolve(&c, &[], &["no-job-queu"]).unwrap_err().to_string();
    assert!(err.contains("did you mean `no-job-queue`"), "{err}");
}

#[test]
fn an_unused_allow_is_reported_not_recorded() {
    let c = fixtures();
    let r = resolve(&c, &[], &["no-job-queue"]).unwrap();
    assert!(r.allowed.is_empty());
    assert_eq!(r.unused_allows, ["no-job-queue"]);
}

#[test]
fn warnings_do_not_block_and_reach_decisions() {
    let c = fixtures();
    let r = resolve(&c, &[("api", &["rpc"]), ("audience", &["public"])], &[]).unwrap();
    assert_eq!(r.outcomes[0].verdict, Verdict::Warned);
    let out = generate(&c, &r).unwrap();
    assert!(
        out.text("docs/decisions.md")
            .unwrap()
            .contains("Warning: rpc-for-public-api")
    );
    assert!(
        out.text(".scaffold.toml")
            .unwrap()
            .contains("warnings = [\"rpc-for-public-api\"]")
    );
}

#[test]
fn upcoming_values_are_refused_as_not_yet_available() {
    let c = fixtures();
    let err = resolve(&c, &[("api", &["graphql"])], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("not available in this version"), "{err}");
}

#[test]
fn a_single_value_axis_takes_one_value() {
    let c = fixtures();
    let err = resolve(&c, &[("queue", &["redis", "none"])], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("exactly one value"), "{err}");
}

#[test]
fn composition_renders_merges_and_records_owners() {
    let c = fixtures();
    let r = resolve(&c, &[("extras", &["metrics", "tracing"])], &[]).unwrap();
    let out = generate(&c, &r).unwrap();
    let owners: BTreeMap<&str, &str> = out
        .files
        .iter()
        .map(|(p, f)| (p.as_str(), f.owner.as_str()))
        .collect();
    assert_eq!(owners["src/api.rs"], "api/rest");
    assert_eq!(owners["src/jobs.rs"], "queue/redis");
    assert_eq!(owners["src/metrics.rs"], "extras/metrics");
    assert_eq!(owners[".scaffold.toml"], "scaffold");
    assert_eq!(owners["Cargo.toml"], "base");

    let cargo: toml::Table = out.text("Cargo.toml").unwrap().parse().unwrap();
    assert_eq!(cargo["package"]["name"].as_str(), Some("shop"));
    assert!(
        cargo["dependencies"].get("redis").is_some(),
        "queue/redis merged its dependency"
    );

    let compose = out.text("docker-compose.yml").unwrap();
    assert!(
        compose.starts_with("# Local development stack"),
        "{compose}"
    );
    assert!(
        compose.contains("container_name: shop-redis"),
        "merge values are rendered: {compose}"
    );

    let env = out.text(".env").unwrap();
    assert!(env.contains("SECRET_KEY=s3cr3t"), "{env}");
    assert!(env.contains("REDIS_URL=redis://127.0.0.1:6379"), "{env}");
    let example = out.text(".env.example").unwrap();
    assert!(
        example.contains("SECRET_KEY=change-me") && !example.contains("s3cr3t"),
        "{example}"
    );

    assert!(
        out.text("README.md")
            .unwrap()
            .contains("Run `shop` with `./run.sh`.")
    );
    assert!(out.files["run.sh"].executable);
}

#[test]
fn binary_files_are_copied_byte_for_byte() {
    let c = fixtures();
    let r = resolve(&c, &[], &[]).unwrap();
    let out = generate(&c, &r).unwrap();
    let source = std::fs::read("tests/fixtures/templates/base/files/assets/logo.png").unwrap();
    assert_eq!(out.files["assets/logo.png"].contents, source);
}

#[test]
fn no_queue_drops_the_queue_fragments_merges() {
    let c = fixtures();
    let r = resolve(&c, &[("queue", &["none"])], &["no-job-queue"]).unwrap();
    let out = generate(&c, &r).unwrap();
    assert!(!out.text("Cargo.toml").unwrap().contains("redis"));
    assert!(!out.text("docker-compose.yml").unwrap().contains("redis"));
    assert!(!out.text(".env").unwrap().contains("REDIS_URL"));
}

#[test]
fn two_fragments_writing_one_path_is_an_error_naming_both() {
    let tree = fixture_tree().with_file("queue/redis/files/src/api.rs", "// clash\n");
    let c = Catalogue::load(tree).unwrap();
    let r = resolve(&c, &[], &[]).unwrap();
    let err = generate(&c, &r).unwrap_err().to_string();
    assert!(err.contains("src/api.rs"), "{err}");
    assert!(
        err.contains("api/rest") && err.contains("queue/redis"),
        "{err}"
    );
}

#[test]
fn a_split_entry_becomes_one_copy_per_name_after_every_merge() {
    // The split is declared by an extra chosen before redis merges into `app`: the
    // copies still carry redis's part.
    let manifest = "title = \"Tracing\"\nsummary = \"s\"\n\
        [split.\"docker-compose.yml\".\"services.app\".web]\ncommand = [\"{{ project_name }}-web\"]\n\
        [split.\"docker-compose.yml\".\"services.app\".jobs]\ncommand = [\"{{ project_name }}-jobs\"]\n";
    let c = Catalogue::load(fixture_tree().with_file("extras/tracing/fragment.toml", manifest))
        .unwrap();
    let r = resolve(&c, &[("extras", &["tracing"])], &[]).unwrap();
    let out = generate(&c, &r).unwrap();
    let compose: serde_json::Value =
        serde_saphyr::from_str(out.text("docker-compose.yml").unwrap()).unwrap();
    let services = compose["services"].as_object().unwrap();
    assert!(!services.contains_key("app"), "{compose}");
    for (name, command) in [("web", "shop-web"), ("jobs", "shop-jobs")] {
        assert_eq!(services[name]["command"], serde_json::json!([command]));
        assert_eq!(services[name]["build"], ".");
        assert_eq!(
            services[name]["depends_on"]["redis"]["condition"],
            "service_started"
        );
    }
}

#[test]
fn a_split_of_a_missing_entry_names_the_fragment_and_the_key() {
    let manifest = "title = \"Tracing\"\nsummary = \"s\"\n\
        [split.\"docker-compose.yml\".\"services.api\".web]\ncommand = [\"web\"]\n";
    let c = Catalogue::load(fixture_tree().with_file("extras/tracing/fragment.toml", manifest))
        .unwrap();
    let r = resolve(&c, &[("extras", &["tracing"])], &[]).unwrap();
    let err = generate(&c, &r).unwrap_err().to_string();
    assert!(
        err.contains("services.api") && err.contains("extras/tracing"),
        "{err}"
    );
}

#[test]
fn a_merge_into_a_file_nobody_writes_is_an_error() {
    let manifest = "title = \"Tracing\"\nsummary = \"s\"\n[merge.\"Makefile.toml\".tasks]\nx = 1\n";
    let c = Catalogue::load(fixture_tree().with_file("extras/tracing/fragment.toml", manifest))
        .unwrap();
    let r = resolve(&c, &[("extras", &["tracing"])], &[]).unwrap();
    let err = generate(&c, &r).unwrap_err().to_string();
    assert!(err.contains("which no selected fragment writes"), "{err}");
}

#[test]
fn a_project_named_like_a_dependency_is_refused() {
    let c = fixtures();
    let r = resolve(&c, &[], &[]).unwrap();
    let err = generate::generate(
        &c,
        &r,
        &ProjectName::parse("serde").unwrap(),
        &mut String::new,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Usage(_)));
    assert!(
        err.to_string().contains("clashes with the `serde` crate"),
        "{err}"
    );
}

#[test]
fn a_liquid_error_names_the_template_file() {
    let tree = fixture_tree().with_file("api/rest/files/src/x.rs.liquid", "{% if %}");
    let c = Catalogue::load(tree).unwrap();
    let r = resolve(&c, &[], &[]).unwrap();
    let err = generate(&c, &r).unwrap_err().to_string();
    assert!(err.contains("api/rest/files/src/x.rs.liquid"), "{err}");
}

#[test]
fn a_preset_adds_team_rules_and_defaults() {
    let mut c = fixtures();
    let Err(Error::Refused(o)) = check_with(&mut c, acme_preset(false)) else {
        panic!("the team rule must deny the preset's own default")
    };
    assert_eq!(o[0].rule.id, "acme-no-rpc");
    assert_eq!(o[0].rule.source, "preset acme.toml");
}

#[test]
fn a_file_and_a_folder_at_one_path_is_an_error() {
    let tree = fixture_tree().with_file("queue/redis/files/src/api.rs/mod.rs", "// clash\n");
    let c = Catalogue::load(tree).unwrap();
    let r = resolve(&c, &[], &[]).unwrap();
    let err = generate(&c, &r).unwrap_err().to_string();
    assert!(err.contains("both a file and a folder"), "{err}");
}

#[test]
fn a_record_is_a_preset_that_gives_the_same_selection() {
    let mut c = fixtures();
    let r = resolve(
        &c,
        &[("extras", &["tracing"]), ("queue", &["none"])],
        &["no-job-queue"],
    )
    .unwrap();
    let record = generate(&c, &r)
        .unwrap()
        .text(".scaffold.toml")
        .unwrap()
        .to_string();
    let preset = Preset::parse(&record, Path::new(".scaffold.toml")).unwrap();
    let again = scaffold::ops::check(
        &mut c,
        &Request {
            preset: Some(preset),
            ..Request::default()
        },
        &mut NoPrompts,
    )
    .unwrap();
    assert_eq!(again.selection, r.selection);
    assert_eq!(again.allowed, r.allowed);
}

/// Answers prompts from a script, like a person at a terminal.
struct Scripted {
    answers: BTreeMap<String, Vec<String>>,
    allow: bool,
    asked_allow: Vec<String>,
}

impl resolve::Prompter for Scripted {
    fn choose(
        &mut self,
        _: &Catalogue,
        axis: &scaffold::catalogue::Axis,
        current: &[String],
    ) -> Result<Vec<String>, Error> {
        Ok(self
            .answers
            .get(&axis.name)
            .cloned()
            .unwrap_or_else(|| current.to_vec()))
    }
    fn allow(&mut self, outcome: &scaffold::rules::Outcome) -> Result<bool, Error> {
        self.asked_allow.push(outcome.rule.id.clone());
        Ok(self.allow)
    }
}

#[test]
fn prompts_ask_only_for_axes_the_flags_left_open_and_offer_to_allow_a_deny() {
    let c = fixtures();
    let mut prompter = Scripted {
        answers: [
            ("queue".to_string(), vec!["none".to_string()]),
            ("api".to_string(), vec!["rpc".to_string()]),
        ]
        .into(),
        allow: true,
        asked_allow: vec![],
    };
    let r = resolve::resolve(&c, &request(&[("api", &["rest"])], &[]), &mut prompter).unwrap();
    assert_eq!(r.selection.get("api"), ["rest"], "a flag is never re-asked");
    assert_eq!(r.selection.get("queue"), ["none"]);
    assert_eq!(prompter.asked_allow, ["no-job-queue"]);
    assert_eq!(r.allowed, ["no-job-queue"]);

    prompter.allow = false;
    let err = resolve::resolve(&c, &request(&[], &[]), &mut prompter).unwrap_err();
    assert!(
        matches!(err, Error::Refused(_)),
        "declining keeps the refusal"
    );
}

#[test]
fn an_upcoming_value_keeps_the_rules_advice() {
    let c = fixtures();
    let err = resolve(&c, &[("api", &["graphql"])], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("not available in this version"), "{err}");
    assert!(err.contains("warning[graphql-later]"), "{err}");
}

#[test]
fn a_record_keeps_the_team_rules_it_was_made_under() {
    let mut c = fixtures();
    let first = check_with(&mut c, acme_preset(true)).unwrap();
    assert_eq!(first.allowed, ["acme-no-rpc"]);
    let record = generate(&c, &first)
        .unwrap()
        .text(".scaffold.toml")
        .unwrap()
        .to_string();
    assert!(
        record.contains("[[rule]]") && record.contains("acme-no-rpc") && !record.contains("source"),
        "{record}"
    );

    let again = Preset::parse(&record, Path::new(".scaffold.toml")).unwrap();
    let second = check_with(&mut fixtures(), again).unwrap();
    assert_eq!(second.selection, first.selection);
    assert_eq!(second.allowed, first.allowed);
}

#[test]
fn a_shared_part_comes_once_with_the_first_fragment_that_uses_it() {
    let c = fixtures();
    let both = resolve(&c, &[("extras", &["metrics", "tracing"])], &[]).unwrap();
    let ids: Vec<&str> = generate::plan(&c, &both.selection)
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    let pos = |id: &str| ids.iter().position(|i| *i == id).unwrap();
    assert_eq!(ids.iter().filter(|i| **i == "shared/exporter").count(), 1);
    assert_eq!(pos("shared/exporter"), pos("extras/metrics") + 1, "{ids:?}");

    let out = generate(&c, &both).unwrap();
    assert_eq!(out.files["src/exporter.rs"].owner, "shared/exporter");
    assert_eq!(out.text("src/exporter.rs"), Some("// exporter for shop\n"));
    let cargo: toml::Table = out.text("Cargo.toml").unwrap().parse().unwrap();
    assert_eq!(cargo["dependencies"]["exporter"].as_str(), Some("1"));

    let neither = resolve(&c, &[], &[]).unwrap();
    let out = generate(&c, &neither).unwrap();
    assert!(!out.files.contains_key("src/exporter.rs"));
}

#[test]
fn a_fragment_using_a_missing_shared_part_fails_to_load() {
    let manifest = "title = \"Tracing\"\nsummary = \"s\"\nuses = [\"exportr\"]\n";
    let err = load_err(fixture_tree().with_file("extras/tracing/fragment.toml", manifest));
    assert!(err.contains("extras/tracing/fragment.toml"), "{err}");
    assert!(err.contains("no shared/exportr/fragment.toml"), "{err}");
    assert!(err.contains("shared parts: exporter"), "{err}");
}

#[test]
fn a_file_with_only_when_is_written_only_for_matching_selections() {
    let c = fixtures();
    let with = resolve(&c, &[("extras", &["metrics"])], &[]).unwrap();
    let out = generate(&c, &with).unwrap();
    assert_eq!(out.files["src/metrics_api.rs"].owner, "api/rest");

    let without = resolve(&c, &[("extras", &["tracing"])], &[]).unwrap();
    assert!(
        !generate(&c, &without)
            .unwrap()
            .files
            .contains_key("src/metrics_api.rs")
    );
}

#[test]
fn only_when_must_name_a_file_of_the_fragment_and_known_values() {
    let base = std::fs::read_to_string("tests/fixtures/templates/api/rest/fragment.toml").unwrap();
    let missing = base.replace("src/metrics_api.rs", "src/metric_api.rs");
    let err = load_err(fixture_tree().with_file("api/rest/fragment.toml", missing.as_str()));
    assert!(
        err.contains("`src/metric_api.rs`, which is not a file"),
        "{err}"
    );

    let unknown = base.replace("extras = [\"metrics\"]", "extras = [\"metrix\"]");
    let err = load_err(fixture_tree().with_file("api/rest/fragment.toml", unknown.as_str()));
    assert!(err.contains("`extras=metrix`"), "{err}");
    assert!(err.contains("metrics"), "suggests the option: {err}");
}

/// The fixture with `api/rpc` moving the crate's `src/` into `app/src/` (its `main.rs` to
/// `bin.rs`), the way the architecture axis moves a context's module into a crate.
fn moving_tree() -> TemplateTree {
    let manifest = "title = \"Typed RPC\"\nsummary = \"Procedures with a generated client\"\n[moves]\n\"src/\" = \"app/src/\"\n\"src/main.rs\" = \"app/src/bin.rs\"\n";
    fixture_tree().with_file("api/rpc/fragment.toml", manifest)
}

#[test]
fn a_chosen_fragment_moves_every_fragments_files_after_they_are_written() {
    let c = Catalogue::load(moving_tree()).unwrap();
    let r = resolve(&c, &[("api", &["rpc"]), ("extras", &["metrics"])], &[]).unwrap();
    let out = generate(&c, &r).unwrap();
    assert_eq!(out.files["app/src/bin.rs"].owner, "base");
    assert_eq!(out.files["app/src/api.rs"].owner, "api/rpc");
    assert_eq!(out.files["app/src/metrics.rs"].owner, "extras/metrics");
    assert!(out.text("app/src/bin.rs").unwrap().contains("fn main"));
    let left: Vec<&String> = out.files.keys().filter(|p| p.starts_with("src/")).collect();
    assert!(left.is_empty(), "{left:?}");
    // Merged manifests and executables are untouched.
    assert!(out.files["run.sh"].executable);
    assert!(out.text("Cargo.toml").unwrap().contains("serde"));

    let r = resolve(&c, &[("api", &["rest"])], &[]).unwrap();
    let out = generate(&c, &r).unwrap();
    assert!(out.files.contains_key("src/main.rs") && out.files.contains_key("src/api.rs"));
    assert!(!out.files.keys().any(|p| p.starts_with("app/")));
}

#[test]
fn a_move_onto_a_written_path_is_an_error_naming_both_owners() {
    let manifest = "title = \"Typed RPC\"\nsummary = \"s\"\n[moves]\n\"src/api.rs\" = \"run.sh\"\n";
    let c = Catalogue::load(fixture_tree().with_file("api/rpc/fragment.toml", manifest)).unwrap();
    let r = resolve(&c, &[("api", &["rpc"])], &[]).unwrap();
    let err = generate(&c, &r).unwrap_err().to_string();
    assert!(err.contains("run.sh") && err.contains("api/rpc"), "{err}");
    assert!(err.contains("base"), "{err}");
}

#[test]
fn bad_moves_are_refused_when_the_catalogue_loads() {
    let with = |moves: &str| {
        let manifest = format!("title = \"Typed RPC\"\nsummary = \"s\"\n[moves]\n{moves}\n");
        load_err(fixture_tree().with_file("api/rpc/fragment.toml", manifest))
    };
    let err = with("\"src/\" = \"app/main.rs\"");
    assert!(
        err.contains("api/rpc/fragment.toml") && err.contains("a folder"),
        "{err}"
    );
    let err = with("\"../src/\" = \"app/\"");
    assert!(err.contains("relative"), "{err}");
    let err = with("\"Cargo.toml\" = \"app/Cargo.toml\"");
    assert!(err.contains("merge"), "{err}");
}

/// The fixture with `api/rpc` declaring two services and `base` writing `deploy/` and
/// `run.sh` once per service, the way microservices and a hosting target do.
fn per_service_tree() -> TemplateTree {
    let rpc = "title = \"Typed RPC\"\nsummary = \"s\"\nservices = [\"billing\", \"search\"]\n";
    let base = std::fs::read_to_string("tests/fixtures/templates/base/fragment.toml").unwrap()
        + "\n[per_service]\n\"deploy/\" = \"deploy/{service}/\"\n\"run.sh\" = \"bin/run-{service}.sh\"\n";
    fixture_tree()
        .with_file("api/rpc/fragment.toml", rpc)
        .with_file("base/fragment.toml", base)
        .with_file(
            "base/files/deploy/app.toml.liquid",
            "start = \"{% if api == \"rpc\" %}{{ service }}{% else %}{{ project_name }}{% endif %} serve\"\n",
        )
}

#[test]
fn a_per_service_path_is_written_once_for_each_service_with_its_name() {
    let c = Catalogue::load(per_service_tree()).unwrap();
    let run = std::fs::read("tests/fixtures/templates/base/files/run.sh").unwrap();

    let r = resolve(&c, &[("api", &["rpc"])], &[]).unwrap();
    let out = generate(&c, &r).unwrap();
    for service in ["billing", "search"] {
        let deploy = format!("deploy/{service}/app.toml");
        assert_eq!(
            out.text(&deploy).unwrap(),
            format!("start = \"{service} serve\"\n")
        );
        assert_eq!(out.files[&deploy].owner, "base");
        let script = &out.files[&format!("bin/run-{service}.sh")];
        assert_eq!(script.contents, run, "copied byte for byte");
        assert!(script.executable, "`executable` follows the copies");
    }
    assert!(!out.files.contains_key("deploy/app.toml") && !out.files.contains_key("run.sh"));

    // Without services the paths are written once, as they are.
    let r = resolve(&c, &[("api", &["rest"])], &[]).unwrap();
    let out = generate(&c, &r).unwrap();
    assert_eq!(
        out.text("deploy/app.toml").unwrap(),
        "start = \"shop serve\"\n"
    );
    assert!(out.files["run.sh"].executable);
    assert!(!out.files.keys().any(|p| p.starts_with("bin/")));
}

#[test]
fn bad_per_service_entries_are_refused_when_the_catalogue_loads() {
    let with = |entry: &str| {
        let manifest = format!("title = \"Typed RPC\"\nsummary = \"s\"\n[per_service]\n{entry}\n");
        load_err(fixture_tree().with_file("api/rpc/fragment.toml", manifest))
    };
    let err = with("\"deploy/\" = \"deploy/\"");
    assert!(
        err.contains("api/rpc/fragment.toml") && err.contains("{service}"),
        "{err}"
    );
    let err = with("\"deploy/\" = \"deploy/{service}.toml\"");
    assert!(err.contains("a folder"), "{err}");
    let err = with("\"Cargo.toml\" = \"{service}/Cargo.toml\"");
    assert!(err.contains("merge"), "{err}");
}

#[test]
fn a_variable_with_when_is_declared_only_for_those_choices() {
    let redis = std::fs::read_to_string("tests/fixtures/templates/queue/redis/fragment.toml")
        .unwrap()
        + "\n[[env]]\nname = \"REDIS_RPC_CHANNEL\"\ndoc = \"Where RPC replies travel\"\nexample = \"rpc\"\nwhen = { api = \"rpc\" }\n";
    let c = Catalogue::load(fixture_tree().with_file("queue/redis/fragment.toml", redis.as_str()))
        .unwrap();
    let with = |api: &'static str| {
        let r = resolve(&c, &[("api", &[api]), ("queue", &["redis"])], &[]).unwrap();
        let out = generate(&c, &r).unwrap();
        (
            out.text(".env.example").unwrap().to_owned(),
            out.text(".env").unwrap().to_owned(),
        )
    };
    let (example, env) = with("rpc");
    assert!(example.contains("REDIS_RPC_CHANNEL=rpc") && env.contains("REDIS_RPC_CHANNEL=rpc"));
    let (example, env) = with("rest");
    assert!(example.contains("REDIS_URL=") && !example.contains("REDIS_RPC_CHANNEL"));
    assert!(!env.contains("REDIS_RPC_CHANNEL"));

    let unknown = redis.replace("when = { api = \"rpc\" }", "when = { api = \"grpc\" }");
    let err = load_err(fixture_tree().with_file("queue/redis/fragment.toml", unknown.as_str()));
    assert!(
        err.contains("queue/redis/fragment.toml")
            && err.contains("REDIS_RPC_CHANNEL")
            && err.contains("`api=grpc`"),
        "{err}"
    );
}
