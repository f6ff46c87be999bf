//! Postgres and Redis must be reachable; start them (with this machine's commands) if not.
//! Postgres extensions a case needs must be installable; install the Debian package if not.

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

/// Whether the local Postgres can `CREATE EXTENSION name`.
fn extension_available(name: &str) -> Result<bool> {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
        ])
        .arg(format!(
            "SELECT count(*) FROM pg_available_extensions WHERE name = '{name}'"
        ))
        .output()?;
    if !out.status.success() {
        bail!(
            "cannot ask Postgres for its extensions: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "1")
}

/// The server's major version (`15` for 15.19), to name Debian's package.
fn postgres_major() -> Result<String> {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
        ])
        .arg("SELECT current_setting('server_version_num')::int / 10000")
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
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
