//! Postgres, Redis, RabbitMQ and NATS must be reachable; start them (with this machine's commands) if not.
//! Postgres extensions a case needs must be installable; install the Debian package if not.

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::psql;

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
    Service {
        name: "RabbitMQ",
        port: 5672,
        start: "rabbitmq-server -detached",
    },
    Service {
        name: "NATS (JetStream)",
        port: 4222,
        start: "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log",
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
        let deadline = Instant::now() + Duration::from_secs(90);
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

/// Whether the local Postgres can `CREATE EXTENSION name`.
fn extension_available(name: &str) -> Result<bool> {
    let sql = format!("SELECT count(*) FROM pg_available_extensions WHERE name = '{name}'");
    Ok(psql::query("postgres", &sql)? == "1")
}

/// The server's major version (`15` for 15.19), to name Debian's package.
fn postgres_major() -> Result<String> {
    psql::query(
        "postgres",
        "SELECT current_setting('server_version_num')::int / 10000",
    )
}

/// PostGIS is installed in the local Postgres, from Debian's packages if it was not.
pub fn ensure_postgis() -> Result<()> {
    if extension_available("postgis")? {
        println!("PostGIS is available in the local PostgreSQL");
        return Ok(());
    }
    let package = format!("postgresql-{}-postgis-3", postgres_major()?);
    println!("PostGIS is not installed; installing {package}");
    let out = Command::new("apt-get")
        .args(["install", "-y", "-q", &package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output();
    if !extension_available("postgis")? {
        let detail = match out {
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => e.to_string(),
        };
        bail!(
            "PostGIS is not available in the local PostgreSQL and `apt-get install -y {package}` did not provide it:\n{}\nInstall it yourself and run the suite again.",
            detail.trim()
        );
    }
    println!("PostGIS installed");
    Ok(())
}

/// Space a case may need: its build under the shared target folder, its generated repo and
/// two databases. Running out mid-case shows up as odd failures (Postgres cannot even write
/// its relation cache), so check first and say so plainly.
const MIN_FREE_DISK_GIB: u64 = 6;

pub fn ensure_free_disk(path: &std::path::Path) -> Result<()> {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()?;
    let free: u64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(u64::MAX);
    let gib = free / (1 << 30);
    if gib < MIN_FREE_DISK_GIB {
        bail!(
            "only {gib} GiB free on the disk holding {}; a case needs about {MIN_FREE_DISK_GIB} GiB. \
             Free space (old target folders, `cargo clean`) and run the suite again.",
            path.display()
        );
    }
    println!("{gib} GiB free on disk");
    Ok(())
}
