//! Liquid rendering with cargo-generate's case filters. Values are data: whatever a
//! value holds (even `{{`) is written literally, never rendered again.

use heck::{
    ToKebabCase, ToLowerCamelCase, ToPascalCase, ToShoutyKebabCase, ToShoutySnakeCase, ToSnakeCase,
    ToTitleCase, ToTrainCase, ToUpperCamelCase,
};
use liquid_core::{
    Display_filter, Filter, FilterReflection, ParseFilter, Runtime, Value, ValueView,
};

use crate::error::{Error, Result};

macro_rules! case_filter {
    ($parser:ident, $filter:ident, $name:literal, $method:ident) => {
        #[derive(Clone, ParseFilter, FilterReflection)]
        #[filter(name = $name, description = "Converts a string's case, as cargo-generate does.", parsed($filter))]
        pub struct $parser;

        #[derive(Debug, Default, Display_filter)]
        #[name = $name]
        struct $filter;

        impl Filter for $filter {
            fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> liquid_core::Result<Value> {
                Ok(Value::scalar(input.to_kstr().as_str().$method()))
            }
        }
    };
}

case_filter!(KebabCase, KebabCaseFilter, "kebab_case", to_kebab_case);
case_filter!(SnakeCase, SnakeCaseFilter, "snake_case", to_snake_case);
case_filter!(PascalCase, PascalCaseFilter, "pascal_case", to_pascal_case);
case_filter!(
    UpperCamelCase,
    UpperCamelCaseFilter,
    "upper_camel_case",
    to_upper_camel_case
);
case_filter!(
    LowerCamelCase,
    LowerCamelCaseFilter,
    "lower_camel_case",
    to_lower_camel_case
);
case_filter!(
    ShoutySnakeCase,
    ShoutySnakeCaseFilter,
    "shouty_snake_case",
    to_shouty_snake_case
);
case_filter!(
    ShoutyKebabCase,
    ShoutyKebabCaseFilter,
    "shouty_kebab_case",
    to_shouty_kebab_case
);
case_filter!(TitleCase, TitleCaseFilter, "title_case", to_title_case);
case_filter!(TrainCase, TrainCaseFilter, "train_case", to_train_case);

/// A Liquid parser with the standard library and the case filters.
pub struct Renderer {
    parser: liquid::Parser,
}

impl Renderer {
    pub fn new() -> Self {
        let parser = liquid::ParserBuilder::with_stdlib()
            .filter(KebabCase)
            .filter(SnakeCase)
            .filter(PascalCase)
            .filter(UpperCamelCase)
            .filter(LowerCamelCase)
            .filter(ShoutySnakeCase)
            .filter(ShoutyKebabCase)
            .filter(TitleCase)
            .filter(TrainCase)
            .build()
            .expect("the stdlib and case filters always build");
        Renderer { parser }
    }

    /// Renders `source` (from `location`, for messages) with `context`.
    pub fn render(&self, location: &str, source: &str, context: &liquid::Object) -> Result<String> {
        let template = self
            .parser
            .parse(source)
            .map_err(|e| Error::template(location, format!("invalid Liquid: {e}")))?;
        template
            .render(context)
            .map_err(|e| Error::template(location, format!("cannot render: {e}")))
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str, name: &str) -> String {
        let ctx = liquid::object!({ "project_name": name });
        Renderer::new().render("test", src, &ctx).unwrap()
    }

    #[test]
    fn case_filters_match_cargo_generate() {
        assert_eq!(
            render("{{ project_name | snake_case }}", "billing-api"),
            "billing_api"
        );
        assert_eq!(
            render("{{ project_name | kebab_case }}", "billing_api"),
            "billing-api"
        );
        assert_eq!(
            render("{{ project_name | pascal_case }}", "billing-api"),
            "BillingApi"
        );
        assert_eq!(
            render("{{ project_name | upper_camel_case }}", "billing-api"),
            "BillingApi"
        );
        assert_eq!(
            render("{{ project_name | lower_camel_case }}", "billing-api"),
            "billingApi"
        );
        assert_eq!(
            render("{{ project_name | shouty_snake_case }}", "billing-api"),
            "BILLING_API"
        );
        assert_eq!(
            render("{{ project_name | shouty_kebab_case }}", "billing_api"),
            "BILLING-API"
        );
        assert_eq!(
            render("{{ project_name | title_case }}", "billing-api"),
            "Billing Api"
        );
        assert_eq!(
            render("{{ project_name | train_case }}", "billing-api"),
            "Billing-Api"
        );
    }

    #[test]
    fn values_are_data_not_templates() {
        assert_eq!(
            render("name: {{ project_name }}", "{{ evil }}{% raw %}"),
            "name: {{ evil }}{% raw %}"
        );
    }

    #[test]
    fn a_syntax_error_names_the_file() {
        let ctx = liquid::object!({});
        let err = Renderer::new()
            .render("base/files/x.rs.liquid", "{% if %}", &ctx)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("base/files/x.rs.liquid: invalid Liquid"),
            "{err}"
        );
    }
}
