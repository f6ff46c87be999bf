//! The calls of the sample flow, in the case's API style: REST routes, GraphQL
//! operations or RPC procedures. The flow (and the worker-crash check) is written once
//! against this surface; what each call means is the same in every style.

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::cases::Case;
use crate::http::{Reply, call};

/// How the service is called.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Api {
    Rest,
    Graphql,
    Rpc,
}

impl Api {
    pub fn of(case: &Case) -> Self {
        if case.has("api", "graphql") {
            Api::Graphql
        } else if case.has("api", "rpc") {
            Api::Rpc
        } else {
            Api::Rest
        }
    }
}

/// A note as the flow sees it.
pub struct NoteState {
    pub processed: bool,
    pub word_count: Option<i64>,
}

/// Tokens of a JWT log-in.
pub struct Session {
    pub access: String,
    pub refresh: String,
}

pub struct Driver<'a> {
    pub api: Api,
    base: &'a str,
}

const NOTE_FIELDS: &str = "id body wordCount processedAt";

impl<'a> Driver<'a> {
    pub fn new(api: Api, base: &'a str) -> Self {
        Self { api, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A GraphQL operation; `Ok` holds `data`, `Err` the first error's code.
    pub fn graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Result<Value, String>> {
        let reply = call(
            "POST",
            &self.url("/graphql"),
            token,
            Some(json!({ "query": query, "variables": variables })),
        )?
        .expect(200, "POST /graphql")?
        .json()?;
        Ok(match reply["errors"].as_array().and_then(|e| e.first()) {
            Some(error) => Err(error["extensions"]["code"]
                .as_str()
                .unwrap_or("NO_CODE")
                .to_owned()),
            None => Ok(reply["data"].clone()),
        })
    }

    fn graphql_ok(&self, token: Option<&str>, query: &str, variables: Value) -> Result<Value> {
        self.graphql(token, query, variables)?
            .map_err(|code| anyhow::anyhow!("GraphQL `{query}` failed with {code}"))
    }

    pub fn rpc(&self, procedure: &str, token: Option<&str>, input: Value) -> Result<Reply> {
        call(
            "POST",
            &self.url(&format!("/rpc/{procedure}")),
            token,
            Some(input),
        )
    }

    /// Signs a new user up and logs in.
    pub fn sign_up_and_log_in(&self, email: &str) -> Result<Session> {
        let password = "correct horse battery staple";
        let tokens = match self.api {
            Api::Rest => {
                let credentials = json!({ "email": email, "password": password });
                let signup = call(
                    "POST",
                    &self.url("/auth/signup"),
                    None,
                    Some(credentials.clone()),
                )?;
                ensure!(
                    signup.status == 201,
                    "sign up: HTTP {}: {}",
                    signup.status,
                    signup.body
                );
                let t = call("POST", &self.url("/auth/login"), None, Some(credentials))?
                    .expect(200, "log in")?
                    .json()?;
                json!({ "access": t["access_token"], "refresh": t["refresh_token"] })
            }
            Api::Graphql => {
                let vars = json!({ "email": email, "password": password });
                self.graphql_ok(
                    None,
                    "mutation($email: String!, $password: String!) { signUp(email: $email, password: $password) { id } }",
                    vars.clone(),
                )?;
                let t = self.graphql_ok(
                    None,
                    "mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken refreshToken } }",
                    vars,
                )?;
                json!({ "access": t["logIn"]["accessToken"], "refresh": t["logIn"]["refreshToken"] })
            }
            Api::Rpc => {
                let credentials = json!({ "email": email, "password": password });
                self.rpc("auth.signUp", None, credentials.clone())?
                    .expect(200, "auth.signUp")?;
                let t = self
                    .rpc("auth.logIn", None, credentials)?
                    .expect(200, "auth.logIn")?
                    .json()?;
                json!({ "access": t["accessToken"], "refresh": t["refreshToken"] })
            }
        };
        session(&tokens)
    }

    /// Rotates the refresh token; `None` when it was refused.
    pub fn refresh(&self, refresh: &str) -> Result<Option<Session>> {
        let tokens = match self.api {
            Api::Rest => {
                let reply = call(
                    "POST",
                    &self.url("/auth/refresh"),
                    None,
                    Some(json!({ "refresh_token": refresh })),
                )?;
                if reply.status == 401 {
                    return Ok(None);
                }
                let t = reply.expect(200, "refresh")?.json()?;
                json!({ "access": t["access_token"], "refresh": t["refresh_token"] })
            }
            Api::Graphql => match self.graphql(
                None,
                "mutation($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }",
                json!({ "t": refresh }),
            )? {
                Ok(t) => {
                    json!({ "access": t["refresh"]["accessToken"], "refresh": t["refresh"]["refreshToken"] })
                }
                Err(code) if code == "UNAUTHENTICATED" => return Ok(None),
                Err(code) => bail!("refresh failed with {code}"),
            },
            Api::Rpc => {
                let reply = self.rpc("auth.refresh", None, json!({ "refreshToken": refresh }))?;
                if reply.status == 401 {
                    return Ok(None);
                }
                let t = reply.expect(200, "auth.refresh")?.json()?;
                json!({ "access": t["accessToken"], "refresh": t["refreshToken"] })
            }
        };
        session(&tokens).map(Some)
    }

    /// Revokes the login of `refresh`.
    pub fn log_out(&self, access: &str, refresh: &str) -> Result<()> {
        match self.api {
            Api::Rest => {
                let out = call(
                    "POST",
                    &self.url("/auth/logout"),
                    Some(access),
                    Some(json!({ "refresh_token": refresh })),
                )?;
                ensure!(
                    out.status == 204,
                    "log out: HTTP {}: {}",
                    out.status,
                    out.body
                );
            }
            Api::Graphql => {
                self.graphql_ok(
                    Some(access),
                    "mutation($t: String!) { logOut(refreshToken: $t) }",
                    json!({ "t": refresh }),
                )?;
            }
            Api::Rpc => {
                self.rpc(
                    "auth.logOut",
                    Some(access),
                    json!({ "refreshToken": refresh }),
                )?
                .expect(200, "auth.logOut")?;
            }
        }
        Ok(())
    }

    /// Who the token's bearer is (`subject`, for the providers and `none`), or the HTTP
    /// status that refused the token.
    pub fn me(&self, token: Option<&str>) -> Result<Result<Value, u16>> {
        let reply = match self.api {
            Api::Rest => call("GET", &self.url("/me"), token, None)?,
            Api::Graphql => call(
                "POST",
                &self.url("/graphql"),
                token,
                Some(json!({ "query": "{ me { id subject } }" })),
            )?,
            Api::Rpc => self.rpc("me", token, json!({}))?,
        };
        if reply.status != 200 {
            return Ok(Err(reply.status));
        }
        let body = reply.json()?;
        Ok(Ok(match self.api {
            Api::Graphql => body["data"]["me"].clone(),
            _ => body,
        }))
    }

    /// Whether listing notes without credentials is refused.
    pub fn anonymous_list_refused(&self) -> Result<bool> {
        Ok(match self.api {
            Api::Rest => call("GET", &self.url("/notes"), None, None)?.status == 401,
            Api::Graphql => {
                self.graphql(None, "{ notes { total } }", json!({}))?
                    == Err("UNAUTHENTICATED".to_owned())
            }
            Api::Rpc => self.rpc("notes.list", None, json!({}))?.status == 401,
        })
    }

    /// Creates a note; returns its id.
    pub fn create_note(&self, token: Option<&str>, body: &str) -> Result<String> {
        let note = match self.api {
            Api::Rest => call(
                "POST",
                &self.url("/notes"),
                token,
                Some(json!({ "body": body })),
            )?
            .expect(201, "create a note")?
            .json()?,
            Api::Graphql => self.graphql_ok(
                token,
                &format!("mutation($b: String!) {{ createNote(body: $b) {{ {NOTE_FIELDS} }} }}"),
                json!({ "b": body }),
            )?["createNote"]
                .clone(),
            Api::Rpc => self
                .rpc("notes.create", token, json!({ "body": body }))?
                .expect(200, "notes.create")?
                .json()?,
        };
        Ok(note["id"].as_str().context("a note has an id")?.to_string())
    }

    /// The note as it is now.
    pub fn note(&self, token: Option<&str>, id: &str) -> Result<NoteState> {
        let (note, word_count, processed_at) = match self.api {
            Api::Rest => (
                call("GET", &self.url(&format!("/notes/{id}")), token, None)?
                    .expect(200, "get the note")?
                    .json()?,
                "word_count",
                "processed_at",
            ),
            Api::Graphql => (
                self.graphql_ok(
                    token,
                    &format!("query($id: UUID!) {{ note(id: $id) {{ {NOTE_FIELDS} }} }}"),
                    json!({ "id": id }),
                )?["note"]
                    .clone(),
                "wordCount",
                "processedAt",
            ),
            Api::Rpc => (
                self.rpc("notes.get", token, json!({ "id": id }))?
                    .expect(200, "notes.get")?
                    .json()?,
                "wordCount",
                "processedAt",
            ),
        };
        Ok(NoteState {
            processed: note[processed_at].is_string(),
            word_count: note[word_count].as_i64(),
        })
    }

    /// How many notes the first page lists.
    pub fn listed(&self, token: Option<&str>) -> Result<usize> {
        Ok(self.bodies(token)?.len())
    }

    /// The bodies of the notes the first page lists, newest first.
    pub fn bodies(&self, token: Option<&str>) -> Result<Vec<String>> {
        let items = match self.api {
            Api::Rest => call("GET", &self.url("/notes?page=1&per_page=10"), token, None)?
                .expect(200, "list notes")?
                .json()?["items"]
                .clone(),
            Api::Graphql => self.graphql_ok(
                token,
                "{ notes(page: 1, perPage: 10) { items { id body } } }",
                json!({}),
            )?["notes"]["items"]
                .clone(),
            Api::Rpc => self
                .rpc("notes.list", token, json!({ "page": 1, "perPage": 10 }))?
                .expect(200, "notes.list")?
                .json()?["items"]
                .clone(),
        };
        Ok(items
            .as_array()
            .into_iter()
            .flatten()
            .map(|note| note["body"].as_str().unwrap_or_default().to_owned())
            .collect())
    }

    /// Ids of the notes a fuzzy search finds, best first (pg_trgm).
    pub fn search(&self, token: Option<&str>, q: &str) -> Result<Vec<String>> {
        let found = match self.api {
            Api::Rest => call(
                "GET",
                &self.url(&format!("/notes/search?q={}", q.replace(' ', "%20"))),
                token,
                None,
            )?
            .expect(200, "fuzzy search (pg_trgm)")?
            .json()?,
            Api::Graphql => self.graphql_ok(
                token,
                "query($q: String!) { searchNotes(q: $q) { id } }",
                json!({ "q": q }),
            )?["searchNotes"]
                .clone(),
            Api::Rpc => self
                .rpc("notes.search", token, json!({ "q": q }))?
                .expect(200, "notes.search")?
                .json()?,
        };
        Ok(ids(&found, |n| &n["id"]))
    }

    /// Places a note (PostGIS).
    pub fn place(&self, token: Option<&str>, id: &str, lat: f64, lon: f64) -> Result<()> {
        match self.api {
            Api::Rest => {
                call(
                    "PUT",
                    &self.url(&format!("/notes/{id}/location")),
                    token,
                    Some(json!({ "lat": lat, "lon": lon })),
                )?
                .expect(204, "place the note (PostGIS)")?;
            }
            Api::Graphql => {
                self.graphql_ok(
                    token,
                    "mutation($id: UUID!, $lat: Float!, $lon: Float!) { setNoteLocation(id: $id, lat: $lat, lon: $lon) }",
                    json!({ "id": id, "lat": lat, "lon": lon }),
                )?;
            }
            Api::Rpc => {
                self.rpc(
                    "notes.setLocation",
                    token,
                    json!({ "id": id, "lat": lat, "lon": lon }),
                )?
                .expect(200, "notes.setLocation")?;
            }
        }
        Ok(())
    }

    /// Notes within `radius_m` of a point: (id, distance in metres), nearest first.
    pub fn near(
        &self,
        token: Option<&str>,
        (lat, lon): (f64, f64),
        radius_m: f64,
    ) -> Result<Vec<(String, f64)>> {
        let (found, distance) = match self.api {
            Api::Rest => (
                call(
                    "GET",
                    &self.url(&format!("/notes/near?lat={lat}&lon={lon}&radius_m={radius_m}")),
                    token,
                    None,
                )?
                .expect(200, "notes near a point (PostGIS)")?
                .json()?,
                "distance_m",
            ),
            Api::Graphql => (
                self.graphql_ok(
                    token,
                    "query($lat: Float!, $lon: Float!, $r: Float) { notesNear(lat: $lat, lon: $lon, radiusM: $r) { note { id } distanceM } }",
                    json!({ "lat": lat, "lon": lon, "r": radius_m }),
                )?["notesNear"]
                    .clone(),
                "distanceM",
            ),
            Api::Rpc => (
                self.rpc(
                    "notes.near",
                    token,
                    json!({ "lat": lat, "lon": lon, "radiusM": radius_m }),
                )?
                .expect(200, "notes.near")?
                .json()?,
                "distanceM",
            ),
        };
        let list = found.as_array().cloned().unwrap_or_default();
        Ok(list
            .iter()
            .filter_map(|n| Some((n["note"]["id"].as_str()?.to_owned(), n[distance].as_f64()?)))
            .collect())
    }
}

fn session(tokens: &Value) -> Result<Session> {
    Ok(Session {
        access: tokens["access"]
            .as_str()
            .context("an access token")?
            .to_owned(),
        refresh: tokens["refresh"]
            .as_str()
            .context("a refresh token")?
            .to_owned(),
    })
}

fn ids(list: &Value, id: impl Fn(&Value) -> &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|n| id(n).as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
