//! The combinations the end-to-end suite covers: every option at least once, and every
//! API style with every queue and with every auth choice.

pub struct Case {
    pub name: &'static str,
    pub flags: &'static [(&'static str, &'static str)],
    pub allow: &'static [&'static str],
    /// Whether a worker processes jobs through a broker (else inline).
    pub queued: bool,
    /// Where the service's telemetry goes.
    pub telemetry: Telemetry,
    /// Whether this machine's Postgres can run the case's database side. When it cannot
    /// (extensions not packaged here), the case is generated, linted, built and
    /// unit-tested, but its database tests and the running service are skipped.
    pub database: bool,
}

/// What the run checks of a case's telemetry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Telemetry {
    /// Traces over OTLP, metrics at `/metrics`.
    Prometheus,
    /// Traces and metrics over OTLP, Datadog-correlated JSON logs, no `/metrics`.
    Datadog,
    /// Plain logs only.
    None,
}

impl Telemetry {
    pub fn exports_traces(self) -> bool {
        self != Telemetry::None
    }
}

impl Case {
    /// Whether the case chooses `value` on `axis`.
    pub fn has(&self, axis: &str, value: &str) -> bool {
        self.flags.iter().any(|(a, v)| *a == axis && *v == value)
    }

    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (axis, _) in self.flags {
            let flag = format!("--{}", axis.replace('_', "-"));
            if parts.iter().any(|p| p.starts_with(&format!("{flag} "))) {
                continue;
            }
            let values: Vec<&str> = self
                .flags
                .iter()
                .filter(|(a, _)| a == axis)
                .map(|(_, v)| *v)
                .collect();
            parts.push(format!("{flag} {}", values.join(",")));
        }
        parts.extend(self.allow.iter().map(|a| format!("--allow {a}")));
        if parts.is_empty() {
            "the default stack".into()
        } else {
            parts.join(" ")
        }
    }
}

/// The cases `--case` names (a comma-separated list), or all of them.
pub fn chosen(names: Option<&str>) -> anyhow::Result<Vec<Case>> {
    let Some(names) = names else {
        return Ok(all());
    };
    let mut cases = all();
    let known: Vec<&str> = cases.iter().map(|c| c.name).collect();
    let unknown: Vec<&str> = names.split(',').filter(|n| !known.contains(n)).collect();
    if !unknown.is_empty() {
        anyhow::bail!(
            "no case is called `{}`; cases: {}",
            unknown.join("`, `"),
            known.join(", ")
        );
    }
    cases.retain(|c| names.split(',').any(|n| n == c.name));
    Ok(cases)
}

pub fn all() -> Vec<Case> {
    vec![
        Case {
            name: "default",
            flags: &[],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "modular-monolith",
            flags: &[("architecture", "modular-monolith")],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        // The default stack as two services, identity and notes, the event crossing
        // Redis.
        Case {
            name: "microservices",
            flags: &[("architecture", "microservices"), ("stage", "post-pmf")],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        // On NATS JetStream (the event and the jobs on one broker), with typed RPC and
        // users from an OpenID Connect provider: identity records one on first sight
        // and announces it. Deployed on ECS: each service's part of the Terraform, and
        // the Lambda functions beside it queueing notes' jobs.
        Case {
            name: "microservices-nats",
            flags: &[
                ("architecture", "microservices"),
                ("stage", "scale"),
                ("queue", "nats"),
                ("api", "rpc"),
                ("auth", "oidc"),
                ("hosting", "ecs-fargate"),
                ("functions", "lambda"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        // And on RabbitMQ (a topic exchange, a queue per subscribing service), with
        // GraphQL, deployed on Kubernetes (a kustomization per service).
        Case {
            name: "microservices-rabbitmq",
            flags: &[
                ("architecture", "microservices"),
                ("stage", "post-pmf"),
                ("queue", "rabbitmq"),
                ("api", "graphql"),
                ("hosting", "kubernetes"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        // And on the Postgres queue: the event crosses a database both services reach
        // (the log and each service's deliveries), with users from Clerk, deployed on
        // Render (one Blueprint, a database per service and one for the events).
        Case {
            name: "microservices-postgres",
            flags: &[
                ("architecture", "microservices"),
                ("stage", "post-pmf"),
                ("queue", "postgres"),
                ("auth", "clerk"),
                ("hosting", "render"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        // No queue, no auth, no telemetry: each the one REST case that leaves it out.
        Case {
            name: "inline-jobs",
            flags: &[
                ("queue", "none"),
                ("auth", "none"),
                ("observability", "none"),
                ("audience", "public"),
                ("stage", "scale"),
                ("pg_extensions", "pg_trgm"),
                ("pg_extensions", "postgis"),
                ("hosting", "render"),
            ],
            allow: &["no-job-queue", "no-observability"],
            queued: false,
            telemetry: Telemetry::None,
            database: true,
        },
        Case {
            name: "datadog",
            flags: &[
                ("observability", "datadog"),
                ("audience", "public"),
                ("queue", "postgres"),
                ("auth", "auth0"),
                ("hosting", "ecs-fargate"),
                ("functions", "lambda"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Datadog,
            database: true,
        },
        Case {
            name: "rabbitmq",
            flags: &[
                ("queue", "rabbitmq"),
                ("stage", "post-pmf"),
                ("pg_extensions", "pg_trgm"),
                ("auth", "oidc"),
                ("hosting", "kubernetes"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "nats",
            flags: &[
                ("queue", "nats"),
                ("observability", "none"),
                ("auth", "clerk"),
                ("hosting", "fly"),
            ],
            allow: &["no-observability"],
            queued: true,
            telemetry: Telemetry::None,
            database: true,
        },
        Case {
            name: "unpackaged-extensions",
            flags: &[
                ("pg_extensions", "pgvector"),
                ("pg_extensions", "timescaledb"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: false,
        },
        // GraphQL: every queue and every auth choice once each.
        Case {
            name: "graphql",
            flags: &[
                ("api", "graphql"),
                ("audience", "public"),
                ("pg_extensions", "pg_trgm"),
                ("pg_extensions", "postgis"),
                ("hosting", "ecs-fargate"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "graphql-postgres",
            flags: &[
                ("api", "graphql"),
                ("queue", "postgres"),
                ("auth", "oidc"),
                ("observability", "datadog"),
                ("hosting", "kubernetes"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Datadog,
            database: true,
        },
        Case {
            name: "graphql-rabbitmq",
            flags: &[
                ("api", "graphql"),
                ("queue", "rabbitmq"),
                ("auth", "clerk"),
                ("stage", "post-pmf"),
                ("hosting", "render"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "graphql-nats",
            flags: &[
                ("api", "graphql"),
                ("queue", "nats"),
                ("auth", "auth0"),
                ("stage", "scale"),
                ("architecture", "modular-monolith"),
                ("hosting", "fly"),
                ("functions", "lambda"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "graphql-inline",
            flags: &[
                ("api", "graphql"),
                ("queue", "none"),
                ("auth", "none"),
                ("observability", "none"),
            ],
            allow: &["no-job-queue", "no-observability"],
            queued: false,
            telemetry: Telemetry::None,
            database: true,
        },
        Case {
            name: "graphql-unpackaged",
            flags: &[
                ("api", "graphql"),
                ("pg_extensions", "pgvector"),
                ("pg_extensions", "timescaledb"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: false,
        },
        // Typed RPC, driven by the generated TypeScript client: every queue and every
        // auth choice once each.
        Case {
            name: "rpc",
            flags: &[
                ("api", "rpc"),
                ("pg_extensions", "pg_trgm"),
                ("pg_extensions", "postgis"),
                ("hosting", "kubernetes"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "rpc-postgres",
            flags: &[
                ("api", "rpc"),
                ("queue", "postgres"),
                ("auth", "auth0"),
                ("hosting", "fly"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "rpc-rabbitmq",
            flags: &[
                ("api", "rpc"),
                ("queue", "rabbitmq"),
                ("auth", "oidc"),
                ("stage", "post-pmf"),
                ("observability", "datadog"),
                ("hosting", "render"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Datadog,
            database: true,
        },
        Case {
            name: "rpc-nats",
            flags: &[
                ("api", "rpc"),
                ("queue", "nats"),
                ("auth", "none"),
                ("stage", "scale"),
                ("hosting", "ecs-fargate"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "rpc-inline",
            flags: &[("api", "rpc"), ("queue", "none"), ("auth", "clerk")],
            allow: &["no-job-queue"],
            queued: false,
            telemetry: Telemetry::Prometheus,
            database: true,
        },
        Case {
            name: "rpc-unpackaged",
            flags: &[
                ("api", "rpc"),
                ("pg_extensions", "pgvector"),
                ("pg_extensions", "timescaledb"),
            ],
            allow: &[],
            queued: true,
            telemetry: Telemetry::Prometheus,
            database: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use scaffold::catalogue::{Axis, Catalogue};

    use super::*;

    /// What `case` chooses on `axis`: its flags, or the axis's default.
    fn values_on(case: &Case, axis: &Axis) -> Vec<String> {
        let flagged: Vec<String> = case
            .flags
            .iter()
            .filter(|(a, _)| *a == axis.name)
            .map(|(_, v)| v.to_string())
            .collect();
        if flagged.is_empty() {
            axis.defaults()
        } else {
            flagged
        }
    }

    fn axis<'a>(catalogue: &'a Catalogue, name: &str) -> &'a Axis {
        catalogue.axis(name).expect("the catalogue has the axis")
    }

    #[test]
    fn names_are_unique_and_flags_name_real_options() {
        let mut catalogue = Catalogue::embedded().unwrap();
        catalogue.enable_previews();
        let cases = all();
        for (i, case) in cases.iter().enumerate() {
            assert!(
                cases[..i].iter().all(|c| c.name != case.name),
                "two cases are called {}",
                case.name
            );
            for (a, v) in case.flags {
                assert!(
                    axis(&catalogue, a).option(v).is_some(),
                    "case {} chooses {a}={v}, which is not an option",
                    case.name
                );
            }
        }
    }

    #[test]
    fn every_option_is_in_some_case() {
        let catalogue = Catalogue::embedded().unwrap();
        let cases = all();
        for axis in &catalogue.axes {
            for value in axis.option_values() {
                assert!(
                    cases
                        .iter()
                        .any(|c| values_on(c, axis).iter().any(|v| v == value)),
                    "no e2e case covers --{} {value}",
                    axis.flag()
                );
            }
        }
    }

    #[test]
    fn every_api_style_runs_with_every_queue_and_every_auth_choice() {
        let catalogue = Catalogue::embedded().unwrap();
        let running: Vec<Case> = all().into_iter().filter(|c| c.database).collect();
        let api = axis(&catalogue, "api");
        for other in ["queue", "auth"] {
            let other = axis(&catalogue, other);
            for style in api.option_values() {
                for value in other.option_values() {
                    assert!(
                        running
                            .iter()
                            .any(|c| values_on(c, api) == [style] && values_on(c, other) == [value]),
                        "no running e2e case has --api {style} with --{} {value}",
                        other.flag()
                    );
                }
            }
        }
    }

    #[test]
    fn each_architecture_runs_with_the_default_stack_and_with_another() {
        let catalogue = Catalogue::embedded().unwrap();
        let architecture = axis(&catalogue, "architecture");
        let running: Vec<Case> = all().into_iter().filter(|c| c.database).collect();
        for shape in architecture.option_values() {
            let with_shape = running
                .iter()
                .filter(|c| values_on(c, architecture) == [shape]);
            let (alone, combined): (Vec<&Case>, Vec<&Case>) =
                // The default stack, at a stage where the shape is not denied.
                with_shape.partition(|c| {
                    c.flags
                        .iter()
                        .all(|(a, _)| *a == "architecture" || *a == "stage")
                });
            assert!(
                !alone.is_empty(),
                "no case runs {shape} on the default stack"
            );
            assert!(
                !combined.is_empty(),
                "no case runs {shape} with other options"
            );
        }
    }
}
