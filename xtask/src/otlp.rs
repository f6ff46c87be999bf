//! A local OTLP/gRPC receiver for traces and metrics: the service under test exports here.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};

#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<String>>>,
    metrics: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let names = request
            .into_inner()
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans)
            .map(|s| s.name);
        self.spans.lock().unwrap().extend(names);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let names = request
            .into_inner()
            .resource_metrics
            .into_iter()
            .flat_map(|r| r.scope_metrics)
            .flat_map(|s| s.metrics)
            .map(|m| m.name);
        self.metrics.lock().unwrap().extend(names);
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

pub struct Receiver {
    port: u16,
    collector: Collector,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    pub fn start() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let collector = Collector::default();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let port = listener.local_addr()?.port();
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .add_service(MetricsServiceServer::new(collector.clone()));
        runtime.spawn(async move {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let _ = server.serve_with_incoming(incoming).await;
        });
        Ok(Receiver {
            port,
            collector,
            _runtime: runtime,
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The service's spans arrived: at least one HTTP request span and one job span.
    pub fn expect_spans(&self) -> Result<()> {
        let names = wait_for(&self.collector.spans, |names| {
            names
                .iter()
                .any(|n| n.starts_with("GET") || n.starts_with("POST"))
                && names.iter().any(|n| n == "process_note")
        });
        match names {
            Ok(names) => {
                println!(
                    "OTLP receiver got {} spans, HTTP and job spans among them",
                    names.len()
                );
                Ok(())
            }
            Err(names) => bail!(
                "spans did not reach the OTLP receiver: got {:?}; expected HTTP request and job spans",
                unique(names)
            ),
        }
    }

    /// The service's metrics arrived over OTLP: request and job series.
    pub fn expect_metrics(&self) -> Result<()> {
        const EXPECTED: [&str; 4] = [
            "http_requests_total",
            "http_request_duration_seconds",
            "jobs_total",
            "job_duration_seconds",
        ];
        let names = wait_for(&self.collector.metrics, |names| {
            EXPECTED.iter().all(|e| names.iter().any(|n| n == e))
        });
        match names {
            Ok(names) => {
                println!(
                    "OTLP receiver got {} metric exports, the request and job metrics among them",
                    names.len()
                );
                Ok(())
            }
            Err(names) => bail!(
                "metrics did not reach the OTLP receiver: got {:?}; expected {EXPECTED:?}",
                unique(names)
            ),
        }
    }
}

/// Polls `seen` for up to 10 s until `done` holds; the names either way.
fn wait_for(
    seen: &Mutex<Vec<String>>,
    done: impl Fn(&[String]) -> bool,
) -> Result<Vec<String>, Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names = seen.lock().unwrap().clone();
        if done(&names) {
            return Ok(names);
        }
        if Instant::now() > deadline {
            return Err(names);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn unique(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}
