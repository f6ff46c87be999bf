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

    /// Parses `source` (from `location`, for messages) once, to render it many times.
    pub fn prepare<'a>(&self, location: &str, source: &'a str) -> Result<Prepared<'a>> {
        let stash = Stash::new(source);
        let template = self
            .parser
            .parse(stash.template())
            .map_err(|e| Error::template(location, format!("invalid Liquid: {e}")))?;
        Ok(Prepared { stash, template })
    }

    /// Renders `source` (from `location`, for messages) with `context`.
    pub fn render(&self, location: &str, source: &str, context: &liquid::Object) -> Result<String> {
        self.prepare(location, source)?.render(location, context)
    }
}

/// A parsed template.
pub struct Prepared<'a> {
    stash: Stash<'a>,
    template: liquid::Template,
}

impl Prepared<'_> {
    pub fn render(&self, location: &str, context: &liquid::Object) -> Result<String> {
        let rendered = self
            .template
            .render(context)
            .map_err(|e| Error::template(location, format!("cannot render: {e}")))?;
        Ok(self.stash.restore(&rendered))
    }
}

/// Liquid's parser walks raw text one character at a time, which makes long templates
/// (Rust files with one `{{ crate_name }}`) slow to parse. `Stash` swaps every long run of
/// raw text (text outside `{{ }}`, `{% %}` and `{% raw %}` blocks) for a short token of
/// private-use characters before parsing, and puts the text back after rendering. Tokens
/// are plain text to Liquid, so loops repeat them and conditions drop them exactly as they
/// would the text. Leading and trailing whitespace stays outside the token, so whitespace
/// control (`{%-`, `-%}`) trims as before.
struct Stash<'a> {
    template: std::borrow::Cow<'a, str>,
    runs: Vec<&'a str>,
}

const TOKEN_OPEN: char = '\u{E000}';
const TOKEN_CLOSE: char = '\u{E001}';
/// Runs shorter than this are left in place: a token would not save anything.
const MIN_RUN: usize = 64;

impl<'a> Stash<'a> {
    fn new(source: &'a str) -> Self {
        let untouched = Stash {
            template: std::borrow::Cow::Borrowed(source),
            runs: Vec::new(),
        };
        if source.contains(TOKEN_OPEN) || source.contains(TOKEN_CLOSE) {
            return untouched;
        }
        let mut template = String::with_capacity(source.len() / 4);
        let mut runs = Vec::new();
        let mut rest = source;
        while !rest.is_empty() {
            let markup = rest.find("{{").into_iter().chain(rest.find("{%")).min();
            let (raw, tail) = rest.split_at(markup.unwrap_or(rest.len()));
            let core = raw.trim();
            if core.len() >= MIN_RUN {
                let lead = raw.len() - raw.trim_start().len();
                template.push_str(&raw[..lead]);
                template.push(TOKEN_OPEN);
                template.push_str(&runs.len().to_string());
                template.push(TOKEN_CLOSE);
                template.push_str(&raw[lead + core.len()..]);
                runs.push(core);
            } else {
                template.push_str(raw);
            }
            if tail.is_empty() {
                break;
            }
            // Copy the markup itself: a tag or output up to its end, and a whole
            // `{% raw %}…{% endraw %}` block. Unclosed markup is left for Liquid to report.
            let end = if tail.starts_with("{{") { "}}" } else { "%}" };
            let Some(close) = tail.find(end) else {
                return untouched;
            };
            let mut stop = close + end.len();
            let tag = &tail[2..close];
            if tail.starts_with("{%")
                && tag.trim_matches(|c: char| c == '-' || c.is_whitespace()) == "raw"
            {
                let Some(endraw) = find_endraw(&tail[stop..]) else {
                    return untouched;
                };
                stop += endraw;
            }
            template.push_str(&tail[..stop]);
            rest = &tail[stop..];
        }
        Stash {
            template: std::borrow::Cow::Owned(template),
            runs,
        }
    }

    fn template(&self) -> &str {
        &self.template
    }

    fn restore(&self, rendered: &str) -> String {
        if self.runs.is_empty() {
            return rendered.to_string();
        }
        let mut out = String::with_capacity(
            rendered.len() + self.runs.iter().map(|r| r.len()).sum::<usize>(),
        );
        let mut rest = rendered;
        while let Some(open) = rest.find(TOKEN_OPEN) {
            out.push_str(&rest[..open]);
            let after = &rest[open + TOKEN_OPEN.len_utf8()..];
            let close = after.find(TOKEN_CLOSE).expect("tokens are written whole");
            let index: usize = after[..close].parse().expect("token holds a run index");
            out.push_str(self.runs[index]);
            rest = &after[close + TOKEN_CLOSE.len_utf8()..];
        }
        out.push_str(rest);
        out
    }
}

/// The length up to and including the `{% endraw %}` tag that closes a raw block.
fn find_endraw(text: &str) -> Option<usize> {
    let mut offset = 0;
    while let Some(start) = text[offset..].find("{%") {
        let at = offset + start;
        let close = at + text[at..].find("%}")?;
        let tag = &text[at + 2..close];
        if tag.trim_matches(|c: char| c == '-' || c.is_whitespace()) == "endraw" {
            return Some(close + 2);
        }
        offset = close + 2;
    }
    None
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
    fn stashing_long_raw_text_renders_exactly_like_plain_liquid() {
        let long = "fn main() { println!(\"a long line of raw Rust text that is longer than the minimum run\"); }";
        let sources = [
            format!("{long}\n{{{{ project_name }}}}\n{long}"),
            format!("{{% for i in (1..3) %}}  {long} {{{{ i }}}}\n{{% endfor %}}"),
            format!("{{% if project_name == \"x\" %}}{long}{{% else %}}other{{% endif %}}"),
            format!("a  {{%- if true -%}}   {long}   {{%- endif -%}}  b"),
            format!(
                "{{% raw %}}{long} {{{{ not rendered }}}} {long}{{% endraw %}} {{{{ project_name }}}}"
            ),
            format!("{{% comment %}}{long}{{% endcomment %}}{long}"),
            format!("{long}\u{E000}3\u{E001} {{{{ project_name }}}}"),
        ];
        let ctx = liquid::object!({ "project_name": "shop" });
        let renderer = Renderer::new();
        for source in &sources {
            let plain = renderer.parser.parse(source).unwrap().render(&ctx).unwrap();
            assert_eq!(
                renderer.render("test", source, &ctx).unwrap(),
                plain,
                "{source}"
            );
        }
        let stash = Stash::new(&sources[0]);
        assert!(
            stash.template().len() < 40,
            "long runs are stashed: {}",
            stash.template()
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
