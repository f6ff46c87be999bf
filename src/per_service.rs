//! Paths written once per service (`per_service` in `fragment.toml`): when the
//! architecture declares several deployables (`services`), a hosting target's deploy
//! files and their checks are rendered for each of them, with `service` in the Liquid
//! context, at a destination naming the service.

use crate::catalogue::Fragment;

/// Where a destination pattern puts the service's name.
pub const PLACEHOLDER: &str = "{service}";

/// The services the chosen fragments declare, in fragment order.
pub fn services(fragments: &[&Fragment]) -> Vec<String> {
    fragments
        .iter()
        .flat_map(|f| f.manifest.services.iter().cloned())
        .collect()
}

/// One copy of a per-service path: the service it is for and where it lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub service: String,
    pub path: String,
}

/// The copies of `path` when the chosen fragments mark it per service and there are
/// services; `None` when it is written once, as it is.
pub fn copies(fragments: &[&Fragment], services: &[String], path: &str) -> Option<Vec<Copy>> {
    if services.is_empty() {
        return None;
    }
    let pattern = fragments
        .iter()
        .find_map(|f| crate::moves::destination(&f.manifest.per_service, path))?;
    Some(
        services
            .iter()
            .map(|service| Copy {
                service: service.clone(),
                path: pattern.replace(PLACEHOLDER, service),
            })
            .collect(),
    )
}

/// What is wrong with one `per_service` entry, if anything.
pub fn problem(from: &str, to: &str) -> Option<String> {
    if !to.contains(PLACEHOLDER) {
        return Some(format!(
            "`{from}` = `{to}`: the destination must name the service with `{PLACEHOLDER}`, or every copy lands on the same path"
        ));
    }
    crate::moves::shape_problem(from, &to.replace(PLACEHOLDER, "service"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::FragmentManifest;

    fn fragment(per_service: &[(&str, &str)], services: &[&str]) -> Fragment {
        Fragment {
            id: "hosting/railway".into(),
            value: "railway".into(),
            manifest: FragmentManifest {
                per_service: per_service
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                services: services.iter().map(|s| s.to_string()).collect(),
                ..FragmentManifest::default()
            },
        }
    }

    #[test]
    fn a_marked_path_is_copied_once_per_service_and_only_when_there_are_services() {
        let hosting = fragment(&[("deploy/railway/", "deploy/railway/{service}/")], &[]);
        let micro = fragment(&[], &["identity", "notes"]);
        let services = services(&[&micro, &hosting]);
        assert_eq!(services, ["identity", "notes"]);
        let copied = copies(
            &[&micro, &hosting],
            &services,
            "deploy/railway/web.railway.toml",
        );
        assert_eq!(
            copied.unwrap(),
            [
                Copy {
                    service: "identity".into(),
                    path: "deploy/railway/identity/web.railway.toml".into()
                },
                Copy {
                    service: "notes".into(),
                    path: "deploy/railway/notes/web.railway.toml".into()
                },
            ]
        );
        assert_eq!(copies(&[&micro, &hosting], &services, "Dockerfile"), None);
        assert_eq!(
            copies(&[&hosting], &[], "deploy/railway/web.railway.toml"),
            None
        );
    }

    #[test]
    fn bad_entries_are_named() {
        assert!(problem("deploy/railway/", "deploy/railway/{service}/").is_none());
        assert!(problem("fly.toml", "deploy/fly/{service}/fly.toml").is_none());
        assert!(
            problem("deploy/railway/", "deploy/railway/")
                .unwrap()
                .contains("{service}")
        );
        assert!(
            problem("deploy/railway/", "deploy/{service}.toml")
                .unwrap()
                .contains("a folder")
        );
        assert!(problem("../x", "{service}/x").unwrap().contains("relative"));
    }
}
