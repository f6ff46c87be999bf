//! The combinations the end-to-end suite covers: every option at least once.

pub struct Case {
    pub name: &'static str,
    pub flags: &'static [(&'static str, &'static str)],
    pub allow: &'static [&'static str],
    /// Whether a worker processes jobs through a broker (else inline).
    pub queued: bool,
    /// Whether `/metrics` and OTLP traces are expected.
    pub observed: bool,
}

impl Case {
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .flags
            .iter()
            .map(|(a, v)| format!("--{a} {v}"))
            .collect();
        parts.extend(self.allow.iter().map(|a| format!("--allow {a}")));
        if parts.is_empty() {
            "the default stack".into()
        } else {
            parts.join(" ")
        }
    }
}

pub fn all() -> Vec<Case> {
    vec![
        Case {
            name: "default",
            flags: &[],
            allow: &[],
            queued: true,
            observed: true,
        },
        Case {
            name: "inline-jobs",
            flags: &[
                ("queue", "none"),
                ("audience", "public"),
                ("stage", "post-pmf"),
            ],
            allow: &["no-job-queue"],
            queued: false,
            observed: true,
        },
        Case {
            name: "unobserved",
            flags: &[("observability", "none"), ("stage", "scale")],
            allow: &["no-observability"],
            queued: true,
            observed: false,
        },
    ]
}
