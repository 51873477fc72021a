//! JSON errors: every refusal says what kind it is and, where it can, which record and which field.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A refused or failed request, answered as `{"error": {"kind", "message", "index"?, "field"?}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable kind (also the `kind` label of `assay_errors_total`).
    pub kind: &'static str,
    /// What went wrong, for a human.
    pub message: String,
    /// The 0-based record index the error is about, if any.
    pub index: Option<usize>,
    /// The field (a JSON path such as `query[3]`) the error is about, if any.
    pub field: Option<String>,
    /// Seconds for `Retry-After` (503 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, kind and message.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            index: None,
            field: None,
            retry_after: None,
        }
    }

    /// 400: the body is not what the endpoint accepts.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Names the field the error is about.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Names the record the error is about.
    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }

    /// 503 with `Retry-After`.
    pub fn overloaded(retry_after: u64) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the server is scoring as many requests as it is configured to; retry later",
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// 500: something inside the server failed (for example a reward panicked).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = json!({"kind": self.kind, "message": self.message});
        if let Some(index) = self.index {
            error["index"] = json!(index);
        }
        if let Some(field) = &self.field {
            error["field"] = json!(field);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(ErrorKind(self.kind));
        response
    }
}

/// Attached to error responses so the metrics layer can count errors by kind.
#[derive(Debug, Clone, Copy)]
pub struct ErrorKind(pub &'static str);
