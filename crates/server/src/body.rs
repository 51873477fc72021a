//! Request bodies: read within a deadline and a size limit, then parsed with errors that name the field.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use crate::ApiError;

/// Reads the whole body (408 if it takes longer than `read_timeout`, 413 beyond `max_bytes`) and parses it as
/// JSON into `T` (400 naming the field and record index).
pub async fn read_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    max_bytes: usize,
    read_timeout: Duration,
) -> Result<T, ApiError> {
    let bytes = read_body(headers, body, max_bytes, read_timeout).await?;
    parse_json(&bytes)
}

async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max_bytes: usize,
    read_timeout: Duration,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body exceeds the limit of {max_bytes} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes as u64) {
        return Err(too_large());
    }
    let collect = async {
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|error| ApiError::bad_request(format!("reading the request body failed: {error}")))?;
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    match tokio::time::timeout(read_timeout, collect).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request body did not arrive within {} ms", read_timeout.as_millis()),
        )),
    }
}

/// Parses JSON into `T`; errors say where (line and column for syntax, the field path for shape).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().clone();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::bad_request(format!("the body is not valid JSON: {inner}"));
        }
        let field = path.to_string();
        let index = path.iter().find_map(|segment| match segment {
            Segment::Seq { index } => Some(*index),
            _ => None,
        });
        let mut api = if field == "." {
            ApiError::bad_request(format!("the body has the wrong shape: {inner}"))
        } else {
            ApiError::bad_request(format!("field `{field}`: {inner}")).field(field)
        };
        api.index = index;
        api
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::bad_request(format!("the body is not valid JSON: {error}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Request {
        query: Vec<String>,
    }

    #[test]
    fn wrong_types_name_the_field_and_index() {
        let error = parse_json::<Request>(br#"{"query": ["a", "b", 3]}"#).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("query[2]"));
        assert_eq!(error.index, Some(2));
        let error = parse_json::<Request>(br#"{"query": ["a"#).unwrap_err();
        assert!(error.message.contains("not valid JSON"), "{}", error.message);
        assert_eq!(error.field, None);
        let error = parse_json::<Request>(br#"{}"#).unwrap_err();
        assert!(error.message.contains("missing field `query`"), "{}", error.message);
        let error = parse_json::<Request>(br#"{"query": []} trailing"#).unwrap_err();
        assert!(error.message.contains("not valid JSON"), "{}", error.message);
    }
}
