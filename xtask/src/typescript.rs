//! `--api rpc`: the sample flow is driven by the generated TypeScript client, run with
//! Node against the live service. TypeScript comes from npm (the version the generated
//! `client/package.json` pins), installed once under `target/e2e-node/`. The flow is a
//! TypeScript program type-checked against the generated client, so a client whose
//! types do not match what the flow does fails to compile before anything runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::cases::Case;
use crate::flow::Caller;

/// The TypeScript the deploy-file type checks use (the RPC cases use the version their
/// client pins).
pub const TYPESCRIPT: &str = "5.9.3";

/// `tsc` from the npm registry, installed under `target/e2e-node/<version>/` if missing.
pub fn tsc(version: &str) -> Result<PathBuf> {
    let prefix = crate::workspace_root()
        .join("target/e2e-node")
        .join(version);
    let tsc = prefix.join("node_modules/.bin/tsc");
    if tsc.exists() {
        return Ok(tsc);
    }
    let npm = Command::new("npm").arg("--version").output();
    if !npm.as_ref().is_ok_and(|o| o.status.success()) {
        bail!(
            "npm is not available, and the `--api rpc` cases run the generated TypeScript client with Node. \
             Install Node.js 20 and npm (Debian: `apt-get install nodejs npm`) and run the suite again."
        );
    }
    println!(
        "installing typescript@{version} from npm into {}",
        prefix.display()
    );
    std::fs::create_dir_all(&prefix)?;
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(format!("typescript@{version}"))
        .output()
        .context("running npm install")?;
    ensure!(
        out.status.success() && tsc.exists(),
        "`npm install typescript@{version}` failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(tsc)
}

/// The TypeScript version the generated client pins.
fn pinned_typescript(repo: &Path) -> Result<String> {
    let path = repo.join("client/package.json");
    let package: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    Ok(package["devDependencies"]["typescript"]
        .as_str()
        .context("client/package.json pins no typescript version")?
        .to_owned())
}

fn run(command: &mut Command, what: &str) -> Result<String> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(out.status.success(), "{what} failed:\n{text}");
    Ok(text)
}

/// Type-checks the generated client as its CI does, compiles the flow against it, and
/// runs the flow with Node against the service at `base`.
pub fn client_flow(repo: &Path, base: &str, case: &Case, caller: &Caller) -> Result<()> {
    let tsc = tsc(&pinned_typescript(repo)?)?;
    run(
        Command::new(&tsc)
            .args(["--noEmit", "-p"])
            .arg(repo.join("client")),
        "tsc --noEmit -p client",
    )?;
    println!("the generated client type-checks (tsc --noEmit)");

    let dir = repo.join("e2e-client");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("package.json"), r#"{ "type": "module" }"#)?;
    std::fs::write(dir.join("tsconfig.json"), TSCONFIG)?;
    std::fs::write(dir.join("flow.ts"), flow_ts(case, caller))?;
    run(
        Command::new(&tsc).arg("-p").arg(&dir),
        "tsc -p e2e-client (the flow against the generated client)",
    )?;

    let user = format!("ts-{}", std::process::id());
    let mut node = Command::new("node");
    node.arg(dir.join("dist/e2e-client/flow.js"))
        .env("BASE_URL", base)
        .env("SUBJECT", &user);
    if let Caller::Provider(issuer) = caller {
        node.env("TOKEN", issuer.token_for(&user)?)
            .env("OTHER_TOKEN", issuer.token_for_someone_else(&user)?);
    }
    let out = run(&mut node, "node flow.js (the TypeScript client's flow)")?;
    print!("{out}");
    Ok(())
}

const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "lib": ["ES2022", "DOM"],
    "strict": true,
    "outDir": "dist",
    "rootDir": "..",
    "skipLibCheck": true
  },
  "files": ["flow.ts"]
}
"#;

/// The flow, written against the client of this case's selection (the `auth.*`
/// procedures exist only with `--auth jwt`, the extensions' only when chosen).
fn flow_ts(case: &Case, caller: &Caller) -> String {
    let mut ts = String::from(FLOW_HEAD);
    ts.push_str(match caller {
        Caller::Jwt => FLOW_JWT,
        Caller::Provider(_) => FLOW_PROVIDER,
        Caller::Anonymous => FLOW_ANONYMOUS,
    });
    ts.push_str(FLOW_NOTE);
    if case.has("pg_extensions", "pg_trgm") {
        ts.push_str(FLOW_SEARCH);
    }
    if case.has("pg_extensions", "postgis") {
        ts.push_str(FLOW_NEAR);
    }
    ts.push_str(FLOW_LIST);
    if matches!(caller, Caller::Jwt) {
        ts.push_str(FLOW_LOG_OUT);
    }
    ts.push_str("console.log(\"the generated TypeScript client drove the flow with Node\");\n");
    ts
}

const FLOW_HEAD: &str = r#"import { createClient, RpcError } from "../client/src/index.js";
import type { Note } from "../client/src/types.js";

const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } })
  .process.env;
let token: string | undefined = env.TOKEN;
const api = createClient({ baseUrl: env.BASE_URL ?? "", token: () => token });

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

async function refused(call: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await call;
  } catch (e) {
    if (e instanceof RpcError && e.code === code) return;
    throw e;
  }
  throw new Error(`${what}: expected an RpcError with code ${code}`);
}

"#;

const FLOW_JWT: &str = r#"const email = `${env.SUBJECT}@example.com`;
const password = "correct horse battery staple";
const user = await api.auth.signUp({ email, password });
const first = await api.auth.logIn({ email, password });
const session = await api.auth.refresh({ refreshToken: first.refreshToken });
token = session.accessToken;
check((await api.me()).id === user.id, "me() is the signed-up user");
console.log("auth.signUp, auth.logIn, auth.refresh and me() through the client");
token = undefined;
await refused(api.notes.list({}), "UNAUTHENTICATED", "notes.list without a token");
token = session.accessToken;
"#;

const FLOW_PROVIDER: &str = r#"check((await api.me()).subject === env.SUBJECT, "me() maps the token's subject");
token = env.OTHER_TOKEN;
await refused(api.me(), "UNAUTHENTICATED", "a token meant for another API");
token = undefined;
await refused(api.notes.list({}), "UNAUTHENTICATED", "notes.list without a token");
token = env.TOKEN;
console.log("the provider's token is accepted; one for another API and none at all are refused");
"#;

const FLOW_ANONYMOUS: &str = r#"check((await api.me()).subject === "anonymous", "me() is the anonymous user");
console.log("without authentication every caller is the anonymous user");
"#;

const FLOW_NOTE: &str = r#"const note: Note = await api.notes.create({ body: "the quick brown fox jumps" });
const deadline = Date.now() + 30_000;
for (;;) {
  const current = await api.notes.get({ id: note.id });
  if (current.processedAt !== null) {
    check(current.wordCount === 5, `the worker counted ${current.wordCount} words, expected 5`);
    break;
  }
  check(Date.now() < deadline, "the note was processed within 30 s");
  await new Promise((resolve) => setTimeout(resolve, 200));
}
console.log("notes.create, then the worker processed the note (wordCount = 5)");
await refused(api.notes.create({ body: "   " }), "BAD_USER_INPUT", "a blank note");
await refused(
  api.notes.get({ id: "00000000-0000-0000-0000-000000000001" }),
  "NOT_FOUND",
  "a note that does not exist",
);
"#;

const FLOW_SEARCH: &str = r#"const found = await api.notes.search({ q: "quikc brown" });
check(found[0]?.id === note.id, "notes.search finds the note despite the typo");
console.log("pg_trgm: notes.search finds the note with a typo");
"#;

const FLOW_NEAR: &str = r#"await api.notes.setLocation({ id: note.id, lat: 48.8606, lon: 2.3376 });
const near = await api.notes.near({ lat: 48.8566, lon: 2.3522, radiusM: 5000 });
check(
  near[0]?.note.id === note.id && near[0].distanceM > 1000 && near[0].distanceM < 1500,
  "notes.near finds the note 1.2 km away",
);
console.log(`PostGIS: notes.near finds the note ${Math.round(near[0].distanceM)} m away`);
"#;

const FLOW_LIST: &str = r#"const page = await api.notes.list({ page: 1, perPage: 10 });
check(page.items.length === 1 && page.total === 1, "notes.list holds the one note");
"#;

const FLOW_LOG_OUT: &str = r#"await api.auth.logOut({ refreshToken: session.refreshToken });
await refused(
  api.auth.refresh({ refreshToken: session.refreshToken }),
  "UNAUTHENTICATED",
  "refresh after log out",
);
console.log("auth.logOut; the refresh token no longer works");
"#;
