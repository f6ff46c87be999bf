//! Postgres and Redis must be reachable; start them (with this machine's commands) if not.

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

struct Service {
    name: &'static str,
    port: u16,
    start: &'static str,
}

const SERVICES: &[Service] = &[
    Service {
        name: "PostgreSQL",
        port: 5432,
        start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main start",
    },
    Service {
        name: "Redis",
        port: 6379,
        start: "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log",
    },
];

fn reachable(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

pub fn ensure_all() -> Result<()> {
    for service in SERVICES {
        if reachable(service.port) {
            println!("{} is up on 127.0.0.1:{}", service.name, service.port);
            continue;
        }
        println!(
            "{} is not running; starting it: {}",
            service.name, service.start
        );
        let out = Command::new("sh").arg("-c").arg(service.start).output();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && !reachable(service.port) {
            std::thread::sleep(Duration::from_millis(250));
        }
        if !reachable(service.port) {
            let detail = match out {
                Ok(o) => format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                ),
                Err(e) => e.to_string(),
            };
            bail!(
                "{} is not reachable on 127.0.0.1:{} and could not be started with `{}`:\n{}\nStart it yourself and run the suite again.",
                service.name,
                service.port,
                service.start,
                detail.trim()
            );
        }
        println!("{} started", service.name);
    }
    Ok(())
}
