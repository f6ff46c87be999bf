//! A selection: the value(s) chosen on each axis, in catalogue order.

use serde::Serialize;
use serde::ser::SerializeMap;

/// Axis → chosen values (one for a single-value axis, any number for a multi-value axis).
/// Identical whether it came from flags, prompts, a preset or `.scaffold.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    values: Vec<(String, Vec<String>)>,
}

impl Selection {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        Selection {
            values: pairs.into_iter().collect(),
        }
    }

    /// The values chosen on `axis` (empty if the axis is unknown or nothing was chosen).
    pub fn get(&self, axis: &str) -> &[String] {
        self.values
            .iter()
            .find(|(a, _)| a == axis)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.values.iter().map(|(a, v)| (a.as_str(), v.as_slice()))
    }

    pub fn set(&mut self, axis: &str, values: Vec<String>) {
        match self.values.iter_mut().find(|(a, _)| a == axis) {
            Some(slot) => slot.1 = values,
            None => self.values.push((axis.to_string(), values)),
        }
    }

    /// A short human summary such as `api=rest queue=redis`.
    pub fn summary(&self) -> String {
        self.values
            .iter()
            .map(|(a, v)| {
                format!(
                    "{a}={}",
                    if v.is_empty() {
                        "(none)".into()
                    } else {
                        v.join(",")
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Serialize for Selection {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (axis, values) in &self.values {
            map.serialize_entry(axis, values)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_and_keeps_order() {
        let mut s = Selection::from_pairs([
            ("api".into(), vec!["rest".into()]),
            ("queue".into(), vec!["redis".into()]),
        ]);
        s.set("api", vec!["graphql".into()]);
        assert_eq!(s.summary(), "api=graphql queue=redis");
        assert_eq!(s.get("missing"), &[] as &[String]);
    }
}
