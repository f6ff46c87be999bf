//! The README's catalogue and rule tables stay true to the built-in templates.

use scaffold::catalogue::Catalogue;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn the_readme_catalogue_table_lists_every_axis_option_and_refused_value() {
    let readme = readme();
    let catalogue = Catalogue::embedded().unwrap();
    for axis in &catalogue.axes {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", axis.name)))
            .unwrap_or_else(|| panic!("README has no catalogue row for `{}`", axis.name));
        let options_cell = row.split('|').nth(2).unwrap();
        let listed: Vec<&str> = options_cell.split('`').skip(1).step_by(2).collect();
        let actual: Vec<&str> = axis.option_values().collect();
        assert_eq!(
            listed, actual,
            "README row for `{}` lists other options",
            axis.name
        );
        for (value, rule) in catalogue.refused_values(&axis.name) {
            assert!(
                row.contains(&format!("`{value}`")) && row.contains(&format!("`{}`", rule.id)),
                "README row for `{}` misses refused `{value}`",
                axis.name
            );
        }
    }
}

#[test]
fn the_readme_rule_table_lists_every_rule_with_its_severity() {
    let readme = readme();
    let catalogue = Catalogue::embedded().unwrap();
    for rule in &catalogue.rules {
        let severity = format!("{:?}", rule.severity).to_lowercase();
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", rule.id)))
            .unwrap_or_else(|| panic!("README's rule table misses `{}`", rule.id));
        assert!(
            row.trim_end().ends_with(&format!("| {severity} |")),
            "README gives `{}` another severity",
            rule.id
        );
    }
}
