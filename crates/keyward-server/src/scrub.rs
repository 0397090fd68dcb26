//! Wiping plaintext from keyward's own buffers on the JSON paths.
//!
//! Request bodies and answers that carry secret values pass through buffers that
//! are not `SecretBytes`: the body's bytes, the parsed `serde_json::Value` tree,
//! the serialized answer. This module wipes those: the request body once parsed
//! (when keyward holds its only reference), every string of a parsed or built JSON
//! tree before it is dropped, and the serialized answer when the HTTP library
//! releases it (the body is handed over as a zeroizing owner, not copied).
//!
//! What it cannot reach, and the README says so: copies the HTTP library makes in
//! its own read/write buffers, serde_json's short-lived scratch buffer for escaped
//! strings, and the kernel's socket buffers.

use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

/// Zeroes every string in `v` (values only; keys are field names) and empties it.
pub fn scrub(v: &mut Value) {
    match v {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
    *v = Value::Null;
}

/// Zeroes a request body after parsing, when nothing else still holds it;
/// says whether it could.
pub fn wipe(body: Bytes) -> bool {
    match body.try_into_mut() {
        Ok(mut owned) => {
            owned.as_mut().zeroize();
            true
        }
        Err(_) => false,
    }
}

/// A parsed JSON tree that is scrubbed when dropped, on every path out.
#[derive(Debug)]
pub struct ScrubOnDrop(pub Value);

impl Drop for ScrubOnDrop {
    fn drop(&mut self) {
        scrub(&mut self.0);
    }
}

/// A JSON answer that may hold secret values: serialized into a buffer that is
/// zeroed when the HTTP library drops it, with the tree scrubbed right after.
#[derive(Debug)]
pub struct SecretJson {
    pub value: Value,
    pub content_type: &'static str,
}

impl IntoResponse for SecretJson {
    fn into_response(mut self) -> Response {
        let mut buf = Zeroizing::new(Vec::with_capacity(256));
        let written = serde_json::to_writer(&mut *buf, &self.value);
        scrub(&mut self.value);
        if written.is_err() {
            return http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        (
            [(http::header::CONTENT_TYPE, self.content_type)],
            Body::from(Bytes::from_owner(buf)),
        )
            .into_response()
    }
}

/// A typed answer holding secret values (as `SecretString`s, zeroized when the
/// answer is dropped): serialized into a buffer zeroed when the HTTP library
/// drops it, with no JSON tree in between.
#[derive(Debug)]
pub struct SecretBody<T>(pub T);

impl<T: serde::Serialize> IntoResponse for SecretBody<T> {
    fn into_response(self) -> Response {
        let mut buf = Zeroizing::new(Vec::with_capacity(256));
        if serde_json::to_writer(&mut *buf, &self.0).is_err() {
            return http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        (
            [(http::header::CONTENT_TYPE, "application/json")],
            Body::from(Bytes::from_owner(buf)),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrub_empties_every_string() {
        let mut v = json!({"SecretString": "s3cret", "nested": [{"Value": "other"}], "n": 1});
        scrub(&mut v);
        assert_eq!(v, Value::Null);
    }

    #[test]
    fn wipe_zeroes_a_body_nobody_else_holds() {
        // A body we hold alone is wiped in place; one still shared is left alone
        // (wiping it would pull the bytes from under the other holder).
        assert!(wipe(Bytes::from(b"alone-secret".to_vec())));
        let shared = Bytes::from(b"shared-secret".to_vec());
        let other = shared.clone();
        assert!(!wipe(shared));
        assert_eq!(&other[..], b"shared-secret");
    }

    #[tokio::test]
    async fn secret_json_answers_the_same_bytes_as_plain_json() {
        let v = json!({"SecretString": "value-1", "ARN": "arn"});
        let expected = serde_json::to_vec(&v).expect("json");
        let resp = SecretJson {
            value: v,
            content_type: "application/json",
        }
        .into_response();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        assert_eq!(&body[..], &expected[..]);
    }
}
