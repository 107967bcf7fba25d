//! A query-string extractor whose rejections are our problem+json, not the framework's text.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `Query<T>` with our own error for a query string that does not fit `T`
/// (a repeated parameter, say): 422 `invalid_input`, as the OpenAPI document says.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Query<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(AppError::invalid(format!(
                "the query string does not have the expected parameters: {}",
                rejection.body_text()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{Request, StatusCode};
    use axum::response::IntoResponse;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Filter {
        q: Option<String>,
    }

    async fn extract(uri: &str) -> Result<Option<String>, AppError> {
        let (mut parts, ()) = Request::builder().uri(uri).body(()).expect("request").into_parts();
        Query::<Filter>::from_request_parts(&mut parts, &()).await.map(|Query(f)| f.q)
    }

    #[tokio::test]
    async fn a_query_that_does_not_fit_is_a_problem_not_plain_text() {
        assert_eq!(extract("/x?q=a").await.expect("fits"), Some("a".into()));
        assert_eq!(extract("/x").await.expect("absent is fine"), None);
        let error = extract("/x?q=a&q=b").await.expect_err("a repeated parameter does not fit");
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
}
