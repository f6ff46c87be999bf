//! No job lost: a worker killed with SIGKILL while it holds a job.
//!
//! The API (`serve`) runs alone and a note is created, so its job waits in the queue.
//! A psql session locks the note's row; a worker (`worker`) takes the job and blocks in
//! the job's `UPDATE "notes"`, which proves it holds the job. The worker is killed with
//! SIGKILL and its orphaned database session terminated (it would otherwise finish the
//! update once the lock goes). The lock is released, the note is checked unprocessed, a
//! new worker starts, and the job must be redelivered to it and completed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::driver::{Api, Driver};
use crate::flow::{self, Caller};
use crate::psql;
use crate::run::{self, Process};

/// How long a new worker may take to get a dead worker's job: the slowest queue here
/// (three missed one-second heartbeats, then a poll) needs a few seconds.
const REDELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

pub fn worker_killed_mid_job(
    repo: &Path,
    binary: &Path,
    db_name: &str,
    mut env: BTreeMap<String, String>,
    caller: &Caller,
    api: Api,
) -> Result<()> {
    let db_name = format!("{db_name}_crash");
    env.insert("DATABASE_URL".into(), run::fresh_database(&db_name)?);
    env.insert("PORT".into(), run::free_port()?.to_string());
    // Short crash detection for the queues that have it: heartbeats (Redis, Postgres)
    // and the ack deadline (NATS). RabbitMQ redelivers as soon as the connection drops.
    env.insert("JOB_HEARTBEAT_INTERVAL_MS".into(), "1000".into());
    env.insert("JOB_ACK_WAIT_MS".into(), "2000".into());
    let base = format!("http://127.0.0.1:{}", env["PORT"]);
    let driver = Driver::new(api, &base);

    let migrate = Command::new(binary)
        .arg("migrate")
        .current_dir(repo)
        .envs(&env)
        .output()
        .context("running `migrate`")?;
    ensure!(
        migrate.status.success(),
        "`migrate` failed: {}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let mut api = Process::start(binary, "serve", repo, &env, "crash-serve")?;
    let outcome = (|| {
        flow::wait_ready(&base, api.child())?;
        let access = caller.new_user(&driver, "crash")?;
        let access = access.as_deref();
        let id = driver.create_note(access, "one two three")?;

        let mut lock = RowLock::take(&db_name, &id)?;
        let mut doomed = Process::start(binary, "worker", repo, &env, "crash-worker-1")?;
        let backend = blocked_update(&db_name, doomed.child())?;
        doomed.kill()?;
        psql::query(&db_name, &format!("SELECT pg_terminate_backend({backend})"))?;
        lock.release()?;
        ensure!(
            !driver.note(access, &id)?.processed,
            "the note was processed although the worker holding its job was killed first"
        );
        println!("SIGKILL: the worker died holding the job (blocked on the note's row)");

        let started = Instant::now();
        let mut rescuer = Process::start(binary, "worker", repo, &env, "crash-worker-2")?;
        while !driver.note(access, &id)?.processed {
            if let Some(status) = rescuer.child().try_wait()? {
                bail!("the new worker exited ({status})");
            }
            if started.elapsed() > REDELIVERY_TIMEOUT {
                bail!(
                    "the killed worker's job was not completed within {REDELIVERY_TIMEOUT:?} of a new worker starting: a job was lost"
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        println!(
            "the job was redelivered and completed by a new worker after {:.1?}: no job lost",
            started.elapsed()
        );
        rescuer.stop()
    })();
    let outcome = outcome.and_then(|()| api.stop());
    if outcome.is_err() {
        for name in ["crash-serve", "crash-worker-1", "crash-worker-2"] {
            run::print_logs(repo, name);
        }
    }
    outcome
}

/// A psql session holding `SELECT … FOR UPDATE` on one note until released.
struct RowLock {
    psql: Child,
    stdin: Option<ChildStdin>,
}

impl RowLock {
    fn take(db_name: &str, note_id: &str) -> Result<Self> {
        let mut psql = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db_name, "-q"])
            .args(["-v", "ON_ERROR_STOP=1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .context("cannot run psql (install postgresql-client)")?;
        let mut stdin = psql.stdin.take().context("psql's stdin")?;
        writeln!(
            stdin,
            "BEGIN;\nSELECT id FROM notes WHERE id = '{note_id}' FOR UPDATE;\nSELECT pg_sleep(0);"
        )?;
        stdin.flush()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while psql::query(
            db_name,
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
             WHERE c.relname = 'notes' AND l.mode = 'RowShareLock' AND l.granted",
        )? == "0"
        {
            if Instant::now() > deadline {
                bail!("psql did not lock the note's row within 10 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            psql,
            stdin: Some(stdin),
        })
    }

    fn release(&mut self) -> Result<()> {
        if let Some(mut stdin) = self.stdin.take() {
            writeln!(stdin, "ROLLBACK;")?;
        }
        let status = self.psql.wait()?;
        ensure!(
            status.success(),
            "the locking psql session failed ({status})"
        );
        Ok(())
    }
}

impl Drop for RowLock {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.psql.kill();
            let _ = self.psql.wait();
        }
    }
}

/// Waits until the worker's `UPDATE "notes"` waits on the row lock; returns that backend's pid.
fn blocked_update(db_name: &str, worker: &mut Child) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pid = psql::query(
            db_name,
            "SELECT coalesce(max(pid), 0) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' \
             AND query ILIKE 'UPDATE \"notes\"%'",
        )?;
        if pid != "0" {
            return Ok(pid);
        }
        if let Some(status) = worker.try_wait()? {
            bail!("the worker exited before it took the job ({status})");
        }
        if Instant::now() > deadline {
            bail!("the worker did not take the queued job within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
