//! JSON log lines in the shape Datadog joins to traces: `dd.trace_id` and
//! `dd.span_id` (the low 64 bits of the OpenTelemetry ids, in decimal), the
//! unified service tags `dd.service`, `dd.env` and `dd.version`, plus the
//! OpenTelemetry ids in hex (`trace_id`, `span_id`) for any other backend.

use std::fmt;
use std::sync::{Arc, OnceLock};

use chrono::{SecondsFormat, Utc};
use opentelemetry::trace::{SpanContext, TraceContextExt};
use serde_json::{Map, Value};
use tracing::dispatcher::WeakDispatch;
use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// The log layer: one JSON object per event, written to `writer`.
pub fn layer<S, W>(service: &str, env: &str, version: &str, writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let dispatch = DispatchSlot::default();
    let format = DatadogJson {
        service: service.to_owned(),
        env: env.to_owned(),
        version: version.to_owned(),
        dispatch: dispatch.clone(),
    };
    tracing_subscriber::fmt::layer()
        .fmt_fields(JsonFields::new())
        .event_format(format)
        .with_writer(writer)
        .and_then(dispatch)
}

/// Hands the formatter the subscriber it is installed in: events are formatted
/// inside the subscriber, where `Span::current()` cannot reach it, and the
/// OpenTelemetry ids of a span are only available through it.
#[derive(Clone, Default)]
struct DispatchSlot(Arc<OnceLock<WeakDispatch>>);

impl<S: Subscriber> Layer<S> for DispatchSlot {
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        let _ = self.0.set(subscriber.downgrade());
    }
}

struct DatadogJson {
    service: String,
    env: String,
    version: String,
    dispatch: DispatchSlot,
}

impl<S, N> FormatEvent<S, N> for DatadogJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            Utc::now()
                .to_rfc3339_opts(SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("logger.name".into(), meta.target().into());
        // The fields of the spans the event is in (request id, route, user…),
        // outermost first so that inner spans win.
        let mut current = None;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                line.insert("span".into(), span.name().into());
                if let Some(fields) = span.extensions().get::<FormattedFields<N>>()
                    && let Ok(Value::Object(fields)) = serde_json::from_str(fields)
                {
                    line.extend(fields);
                }
                current = Some(span.id());
            }
        }
        event.record(&mut JsonVisitor(&mut line));
        if let Some(id) = current
            && let Some(dispatch) = self.dispatch.0.get().and_then(WeakDispatch::upgrade)
            && let Some(context) = tracing_opentelemetry::get_otel_context(&id, &dispatch)
        {
            line.extend(correlation_fields(context.span().span_context()));
        }
        line.insert("dd.service".into(), self.service.as_str().into());
        line.insert("dd.env".into(), self.env.as_str().into());
        line.insert("dd.version".into(), self.version.as_str().into());
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// The ids of `span` as Datadog (decimal, low 64 bits) and OpenTelemetry (hex) spell them.
pub fn correlation_fields(span: &SpanContext) -> Map<String, Value> {
    let mut fields = Map::new();
    if span.is_valid() {
        let trace = u128::from_be_bytes(span.trace_id().to_bytes());
        let span_id = u64::from_be_bytes(span.span_id().to_bytes());
        fields.insert("dd.trace_id".into(), (trace as u64).to_string().into());
        fields.insert("dd.span_id".into(), span_id.to_string().into());
        fields.insert("trace_id".into(), span.trace_id().to_string().into());
        fields.insert("span_id".into(), span.span_id().to_string().into());
    }
    fields
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState, TracerProvider as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::Registry;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_log_line_carries_the_span_ids_fields_and_service_tags() {
        let captured = Captured::default();
        let writer = captured.clone();
        let tracer = SdkTracerProvider::builder().build().tracer("test");
        let subscriber = Registry::default()
            .with(layer("shop", "production", "1.2.3", move || writer.clone()))
            .with(tracing_opentelemetry::layer().with_tracer(tracer));
        let expected = tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("http.request", request_id = "req-1");
            let _entered = span.enter();
            tracing::info!(answer = 42, "handled");
            correlation_fields(span.context().span().span_context())
        });

        let bytes = captured.0.lock().unwrap().clone();
        let line: Value = serde_json::from_slice(&bytes).expect("one JSON line");
        assert_eq!(line["message"], "handled");
        assert_eq!(line["answer"], 42);
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["span"], "http.request");
        assert_eq!(line["request_id"], "req-1");
        assert!(!expected.is_empty(), "the span has OpenTelemetry ids");
        assert_eq!(line["dd.trace_id"], expected["dd.trace_id"]);
        assert_eq!(line["dd.span_id"], expected["dd.span_id"]);
        assert_eq!(line["dd.service"], "shop");
        assert_eq!(line["dd.env"], "production");
        assert_eq!(line["dd.version"], "1.2.3");
    }

    #[test]
    fn datadog_ids_are_the_low_64_bits_in_decimal() {
        let span = SpanContext::new(
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
            SpanId::from_hex("b7ad6b7169203331").unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let fields = correlation_fields(&span);
        assert_eq!(
            fields["dd.trace_id"],
            u64::from_str_radix("8448eb211c80319c", 16)
                .unwrap()
                .to_string()
        );
        assert_eq!(
            fields["dd.span_id"],
            u64::from_str_radix("b7ad6b7169203331", 16)
                .unwrap()
                .to_string()
        );
        assert_eq!(fields["trace_id"], "0af7651916cd43dd8448eb211c80319c");
        assert!(correlation_fields(&SpanContext::empty_context()).is_empty());
    }
}
