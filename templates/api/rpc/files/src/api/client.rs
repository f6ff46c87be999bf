//! The TypeScript client, generated from the registered procedures: `client/src/types.ts`
//! holds every input and output type (through ts-rs), `client/src/index.ts` one typed
//! function per procedure. Both are checked in; a unit test fails when they are stale
//! (`UPDATE_CLIENT=1 cargo test --lib client_files` rewrites them).

use std::any::TypeId;
use std::collections::BTreeMap;

use ts_rs::{TS, TypeVisitor};

use super::procedures::Procedure;

/// How Rust types become TypeScript: 64-bit integers are plain `number`s (the counts
/// and sizes here stay far below 2^53).
pub fn ts_config() -> ts_rs::Config {
    ts_rs::Config::new().with_large_int("number")
}

const HEADER: &str = "// Generated from the Rust types by `UPDATE_CLIENT=1 cargo test --lib client_files`.\n\
                      // Do not edit: change the Rust types and regenerate.\n";

/// Type declarations, each once, in name order.
#[derive(Default)]
pub struct Declarations {
    seen: Vec<TypeId>,
    by_name: BTreeMap<String, String>,
}

impl Declarations {
    /// Adds `T` (when it is a named type) and every named type it uses.
    pub fn add<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() {
            // A built-in (string, number, arrays, options): declare what it holds.
            T::visit_dependencies(self);
            T::visit_generics(self);
            return;
        }
        if self.seen.contains(&TypeId::of::<T>()) {
            return;
        }
        self.seen.push(TypeId::of::<T>());
        let cfg = ts_config();
        let docs = T::docs().unwrap_or_default();
        let decl = format!("{docs}export {}\n", T::decl(&cfg));
        // ts-rs leaves a space before each line break inside declarations.
        self.by_name
            .insert(T::ident(&cfg), decl.replace(" \n", "\n"));
        T::visit_dependencies(self);
    }
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        self.add::<T>();
    }
}

/// `client/src/types.ts`.
pub fn types_ts(procedures: &[Procedure]) -> String {
    let mut declarations = Declarations::default();
    for procedure in procedures {
        (procedure.declare)(&mut declarations);
    }
    let mut out = String::from(HEADER);
    for declaration in declarations.by_name.values() {
        out.push('\n');
        out.push_str(declaration);
    }
    out
}

/// `client/src/index.ts`: `createClient` with one function per procedure, grouped by
/// the part of the name before the dot (`notes.create` is `client.notes.create`).
pub fn index_ts(procedures: &[Procedure]) -> String {
    let mut imports: Vec<&str> = procedures
        .iter()
        .flat_map(|p| [p.input.as_str(), p.output.as_str()])
        .filter(|t| t.chars().next().is_some_and(char::is_uppercase) && *t != "Empty")
        .flat_map(|t| t.split(['<', '>', ' ', '|']))
        .filter(|t| t.chars().next().is_some_and(char::is_uppercase) && *t != "Array")
        .collect();
    imports.sort_unstable();
    imports.dedup();

    let mut groups: BTreeMap<&str, Vec<(&str, &Procedure)>> = BTreeMap::new();
    for p in procedures {
        let (group, name) = p.name.split_once('.').unwrap_or(("", p.name));
        groups.entry(group).or_default().push((name, p));
    }
    let mut members = String::new();
    for (group, list) in &groups {
        let indent = if group.is_empty() { "    " } else { "      " };
        if !group.is_empty() {
            members.push_str(&format!("    {group}: {{\n"));
        }
        for (name, p) in list {
            members.push_str(&format!("{indent}/** {} */\n", p.doc));
            if p.input == "Empty" {
                members.push_str(&format!(
                    "{indent}{name}: (): Promise<{}> => call(\"{}\", {{}}),\n",
                    p.output, p.name
                ));
            } else {
                members.push_str(&format!(
                    "{indent}{name}: (input: {}): Promise<{}> => call(\"{}\", input),\n",
                    p.input, p.output, p.name
                ));
            }
        }
        if !group.is_empty() {
            members.push_str("    },\n");
        }
    }
    let imports = imports.join(", ");
    format!(
        "{HEADER}\nimport type {{ {imports} }} from \"./types.js\";\n\n{RUNTIME}\n  return {{\n{members}  }};\n}}\n"
    )
}

/// The hand-written part of `index.ts`: errors, options and the call itself.
const RUNTIME: &str = r#"export type * from "./types.js";

/** A procedure failed: `status` is the HTTP status, `code` a stable error code
 *  (`UNAUTHENTICATED`, `BAD_USER_INPUT`, `NOT_FOUND`, ...), `problem` the RFC 9457 body. */
export class RpcError extends Error {
  constructor(
    readonly procedure: string,
    readonly status: number,
    readonly code: string,
    readonly problem: Record<string, unknown>,
  ) {
    super(`${procedure}: ${String(problem.detail ?? problem.title ?? code)}`);
    this.name = "RpcError";
  }
}

export interface ClientOptions {
  /** Where the service runs, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** The bearer token to send, if any; called before every request. */
  token?: () => string | undefined | Promise<string | undefined>;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

const codeForStatus: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  422: "BAD_USER_INPUT",
  429: "RATE_LIMITED",
};

/** A typed client: `createClient({ baseUrl }).notes.create({ body: "hello" })`. */
export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? fetch;
  async function call<O>(procedure: string, input: unknown): Promise<O> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    const token = await options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await doFetch(`${options.baseUrl}/rpc/${procedure}`, {
      method: "POST",
      headers,
      body: JSON.stringify(input),
    });
    const text = await response.text();
    const body: unknown = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const problem = (body ?? {}) as Record<string, unknown>;
      const code =
        typeof problem.code === "string"
          ? problem.code
          : (codeForStatus[response.status] ?? "INTERNAL_SERVER_ERROR");
      throw new RpcError(procedure, response.status, code, problem);
    }
    return body as O;
  }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in client is what the procedures describe. After changing a
    /// procedure or a type, run `UPDATE_CLIENT=1 cargo test --lib client_files` and
    /// commit `client/src/`.
    #[test]
    fn client_files_are_fresh() {
        let (_, procedures) = super::super::registry().into_parts();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/client/src");
        let mut stale = Vec::new();
        for (file, text) in [
            ("types.ts", types_ts(&procedures)),
            ("index.ts", index_ts(&procedures)),
        ] {
            let path = format!("{dir}/{file}");
            if std::env::var_os("UPDATE_CLIENT").is_some() {
                std::fs::write(&path, &text).expect("write the client");
            }
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(file);
            }
        }
        assert!(
            stale.is_empty(),
            "client/src/{stale:?} is stale: run `UPDATE_CLIENT=1 cargo test --lib client_files` and commit it"
        );
    }

    #[test]
    fn every_procedure_is_in_the_client() {
        let (_, procedures) = super::super::registry().into_parts();
        let index = index_ts(&procedures);
        for p in &procedures {
            assert!(
                index.contains(&format!("call(\"{}\"", p.name)),
                "{}",
                p.name
            );
        }
    }
}
