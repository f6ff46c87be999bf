//! A local OTLP/gRPC trace receiver: the service under test exports its spans here.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};

#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans.into_iter().map(|s| s.name));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
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
        let service = TraceServiceServer::new(collector.clone());
        runtime.spawn(async move {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let _ = tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming)
                .await;
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
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let names = self.collector.spans.lock().unwrap().clone();
            let http = names
                .iter()
                .any(|n| n.starts_with("HTTP") || n.starts_with("GET") || n.starts_with("POST"));
            let job = names.iter().any(|n| n.contains("job"));
            if http && job {
                println!(
                    "OTLP receiver got {} spans, HTTP and job spans among them",
                    names.len()
                );
                return Ok(());
            }
            if Instant::now() > deadline {
                let mut unique = names.clone();
                unique.sort();
                unique.dedup();
                bail!(
                    "spans did not reach the OTLP receiver: got {} ({:?}); expected HTTP request and job spans",
                    names.len(),
                    unique
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
