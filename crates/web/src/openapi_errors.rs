//! Error responses in the OpenAPI document, defined once and referenced by every operation.
//!
//! Every error the API answers is an RFC 9457 problem document ([`crate::error::Problem`],
//! served as `application/problem+json`). The document defines that response once, under
//! `components/responses` (`Problem`; `Unauthorized` adds its `WWW-Authenticate` header and
//! `TooManyRequests` its `Retry-After`), and each error status of each operation is a
//! reference to it. Two kinds of status are documented:
//!
//! - those a handler answers itself (a role that may not, a conflict, an upstream failure):
//!   its `#[utoipa::path]` lists each as `(status = 409, description = "…")`, without a body;
//!   [`document_errors`] replaces it with the reference, keeping the description;
//! - those its extractors and middleware answer, which follow from the operation's shape
//!   ([`Shape`]): every operation may meet the `Host` guard, a state-changing one the
//!   `Origin` guard, an authenticated one the `Actor` extractor, one with a body our `Json`
//!   extractor, one with path ids a lookup that finds nothing. [`implied_errors`] names them
//!   and [`document_errors`] adds them, so no handler repeats them.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, OpenApi, PathItem, Ref, RefOr, Response, ResponseBuilder, Type};

/// The media type of every error response.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// What an operation looks like from outside, which decides the errors it may meet
/// before (or besides) its handler's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Answered whatever the `Host` (`/healthz`, `/readyz`, `/metrics`, for probes by IP).
    pub(crate) probe: bool,
    /// POST, PUT, PATCH or DELETE.
    pub(crate) changes_state: bool,
    /// Has a `security` requirement: the `Actor` extractor runs first.
    pub(crate) authenticated: bool,
    /// Takes a JSON request body through `crate::json::Json`.
    pub(crate) json_body: bool,
    /// Has ids in its path.
    pub(crate) path_ids: bool,
    /// Has query parameters (`crate::query::Query`).
    pub(crate) query: bool,
}

impl Shape {
    fn of(path: &str, method: &str, operation: &Operation) -> Self {
        let has_params = |place: ParameterIn| operation.parameters.iter().flatten().any(|p| p.parameter_in == place);
        Shape {
            probe: crate::middleware::is_probe(path),
            changes_state: matches!(method, "post" | "put" | "patch" | "delete"),
            authenticated: operation.security.as_ref().is_some_and(|s| !s.is_empty()),
            json_body: operation.request_body.is_some(),
            path_ids: has_params(ParameterIn::Path),
            query: has_params(ParameterIn::Query),
        }
    }
}

/// The error statuses an operation of this shape may answer besides its handler's own,
/// each with what it means there.
pub(crate) fn implied_errors(shape: Shape) -> Vec<(u16, &'static str)> {
    let mut errors = vec![];
    if shape.json_body {
        errors.push((400, "the body is not JSON (`invalid_json`)"));
    }
    if shape.authenticated {
        errors.push((
            401,
            "no credentials, or an unknown, revoked or expired token or session (`not_signed_in`, `invalid_token`, \
             `session_expired`)",
        ));
    }
    match (shape.changes_state, shape.authenticated) {
        (true, true) => errors.push((
            403,
            "sent from another origin (`cross_origin`), or with a session cookie but without its `X-CSRF-Token` \
             (`csrf_token_invalid`)",
        )),
        (true, false) => errors.push((403, "sent from another origin (`cross_origin`)")),
        (false, _) => {}
    }
    if shape.path_ids {
        errors.push((404, "nothing of that id that you may see (`not_found`)"));
    }
    if shape.json_body {
        errors.push((413, "the body is larger than the server accepts (`payload_too_large`)"));
        errors.push((415, "the body is not sent as `application/json` (`unsupported_media_type`)"));
    }
    if !shape.probe {
        errors.push((421, "the `Host` header names another server (`host_not_allowed`)"));
    }
    match (shape.json_body, shape.query) {
        (true, true) => errors.push((422, "the body or a query parameter is malformed (`invalid_input`)")),
        (true, false) => errors.push((422, "the JSON does not have the expected shape (`invalid_input`)")),
        (false, true) => errors.push((422, "a query parameter is malformed (`invalid_input`)")),
        (false, false) => {}
    }
    if shape.authenticated {
        errors.push((503, "the database is not reachable right now (`unavailable`)"));
    }
    errors
}

/// The shared response an error status refers to.
fn component_for(status: u16) -> &'static str {
    match status {
        401 => "Unauthorized",
        429 => "TooManyRequests",
        _ => "Problem",
    }
}

fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
}

fn header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(Type::String)).description(Some(description)).build()
}

/// The shared error responses, by component name.
fn shared_responses() -> [(&'static str, Response); 3] {
    [
        ("Problem", problem("An error: an RFC 9457 problem document with a stable `code`").build()),
        (
            "Unauthorized",
            problem("Not authenticated: an RFC 9457 problem document with a stable `code`")
                .header("WWW-Authenticate", header("`Bearer realm=\"switchboard\"`"))
                .build(),
        ),
        (
            "TooManyRequests",
            problem("Too many attempts: an RFC 9457 problem document with a stable `code`")
                .header("Retry-After", header("seconds to wait before trying again"))
                .build(),
        ),
    ]
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
}

/// Make every error status of every operation a reference to the shared problem
/// response, and add the statuses each operation's shape implies.
pub(crate) fn document_errors(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, response) in shared_responses() {
        components.responses.insert(name.to_owned(), RefOr::T(response));
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            let implied = implied_errors(Shape::of(path, method, operation));
            refer_errors(operation, &implied);
        }
    }
}

fn description_of(response: &RefOr<Response>) -> &str {
    match response {
        RefOr::T(response) => &response.description,
        RefOr::Ref(reference) => &reference.description,
    }
}

fn refer_errors(operation: &mut Operation, implied: &[(u16, &str)]) {
    let responses = &mut operation.responses.responses;
    for &(status, description) in implied {
        let key = status.to_string();
        let own = responses.get(&key).map(description_of).unwrap_or_default();
        let merged = match own {
            "" => description.to_owned(),
            own if own.contains(description) => own.to_owned(),
            own => format!("{own}; or {description}"),
        };
        let mut reference = Ref::from_response_name(component_for(status));
        reference.description = merged;
        responses.insert(key, RefOr::Ref(reference));
    }
    for (key, response) in responses.iter_mut() {
        let Ok(status) = key.parse::<u16>() else { continue };
        if status < 400 || matches!(response, RefOr::Ref(_)) {
            continue;
        }
        let mut reference = Ref::from_response_name(component_for(status));
        reference.description = description_of(response).to_owned();
        *response = RefOr::Ref(reference);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(shape: Shape) -> Vec<u16> {
        implied_errors(shape).into_iter().map(|(status, _)| status).collect()
    }

    #[test]
    fn the_shape_decides_the_implied_statuses() {
        let get = Shape { authenticated: true, ..Shape::default() };
        let cases = [
            (Shape { probe: true, ..Shape::default() }, vec![]),
            (Shape::default(), vec![421]),
            (get, vec![401, 421, 503]),
            (Shape { query: true, ..get }, vec![401, 421, 422, 503]),
            (Shape { path_ids: true, ..get }, vec![401, 404, 421, 503]),
            (Shape { changes_state: true, path_ids: true, ..get }, vec![401, 403, 404, 421, 503]),
            (Shape { changes_state: true, json_body: true, ..get }, vec![400, 401, 403, 413, 415, 421, 422, 503]),
            // Sign-in: no credentials to check, but a body and the origin guard.
            (Shape { changes_state: true, json_body: true, ..Shape::default() }, vec![400, 403, 413, 415, 421, 422]),
        ];
        for (shape, expect) in cases {
            assert_eq!(statuses(shape), expect, "{shape:?}");
        }
    }

    #[test]
    fn the_csrf_check_is_named_only_where_someone_is_signed_in() {
        let signed = implied_errors(Shape { changes_state: true, authenticated: true, ..Shape::default() });
        let anonymous = implied_errors(Shape { changes_state: true, ..Shape::default() });
        let forbidden = |errors: &[(u16, &str)]| errors.iter().find(|(s, _)| *s == 403).map(|(_, d)| d.to_string());
        assert!(forbidden(&signed).is_some_and(|d| d.contains("csrf_token_invalid")));
        assert!(forbidden(&anonymous).is_some_and(|d| !d.contains("csrf") && d.contains("cross_origin")));
    }

    #[test]
    fn a_handlers_error_becomes_a_reference_keeping_its_description() {
        let mut operation = Operation::new();
        let responses = &mut operation.responses.responses;
        responses.insert("200".into(), RefOr::T(Response::new("ok")));
        responses.insert("409".into(), RefOr::T(Response::new("already published")));
        responses.insert("429".into(), RefOr::T(Response::new("too many")));
        responses.insert("403".into(), RefOr::T(Response::new("members may not")));
        refer_errors(&mut operation, &[(403, "sent from another origin (`cross_origin`)"), (421, "host")]);
        let reference = |key: &str| match &operation.responses.responses[key] {
            RefOr::Ref(r) => (r.ref_location.clone(), r.description.clone()),
            RefOr::T(r) => panic!("{key} stayed inline: {}", r.description),
        };
        assert!(matches!(operation.responses.responses["200"], RefOr::T(_)), "successes stay as written");
        assert_eq!(reference("409"), ("#/components/responses/Problem".into(), "already published".into()));
        assert_eq!(reference("429"), ("#/components/responses/TooManyRequests".into(), "too many".into()));
        assert_eq!(
            reference("403"),
            (
                "#/components/responses/Problem".into(),
                "members may not; or sent from another origin (`cross_origin`)".into()
            )
        );
        assert_eq!(reference("421"), ("#/components/responses/Problem".into(), "host".into()));
    }
}
