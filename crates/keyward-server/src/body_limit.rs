//! The request body limit, decided once for the whole router by [`layer`] and
//! honoured by every body read through [`LimitedBody`].
//!
//! The layer only marks each request with the limit; it answers nothing itself. A
//! layer that refused an oversize `Content-Length` up front (tower_http's
//! `RequestBodyLimitLayer`) would answer before authentication and before the
//! request is audited, and in neither API's error format. Instead each handler
//! reads its body where it does today, after checking credentials, and renders a
//! body past the limit as its own API's error: the native `payload_too_large`, or
//! AWS's `RequestEntityTooLargeException`. A body is read at most up to the limit,
//! so an oversize one never costs more than the limit in memory.

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Extension, FromRequest, Request};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};

/// The body limit when none is configured: 256 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// The largest request body accepted, in bytes, as set on the request by [`layer`].
#[derive(Debug, Clone, Copy)]
pub struct MaxBodyBytes(usize);

/// The layer that puts `max` bytes on every request: [`LimitedBody`] reads it, and
/// axum's own body extractors are given the same limit through `DefaultBodyLimit`,
/// so no way of reading a body can take more.
pub fn layer(
    max: usize,
) -> ServiceBuilder<Stack<DefaultBodyLimit, Stack<Extension<MaxBodyBytes>, Identity>>> {
    ServiceBuilder::new()
        .layer(Extension(MaxBodyBytes(max)))
        .layer(DefaultBodyLimit::max(max))
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The body is larger than `limit` bytes.
    TooLarge { limit: usize },
    /// The body broke off or was malformed (the client went away, bad chunking).
    Unreadable(axum::Error),
}

/// A request's body with the limit [`layer`] set, not yet read: handlers take it as
/// their last argument and read it only once the caller is known.
#[derive(Debug)]
pub struct LimitedBody {
    body: Body,
    limit: usize,
}

impl LimitedBody {
    /// Splits a whole request into its head and its limited body.
    pub fn split(req: Request) -> (http::request::Parts, Self) {
        let limit = limit_of(&req);
        let (parts, body) = req.into_parts();
        (parts, Self { body, limit })
    }

    /// Reads the whole body, refusing it once it passes the limit.
    pub async fn read(self) -> Result<Bytes, BodyError> {
        let limit = self.limit;
        axum::body::to_bytes(self.body, limit).await.map_err(|e| {
            if is_length_limit(&e) {
                BodyError::TooLarge { limit }
            } else {
                BodyError::Unreadable(e)
            }
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::split(req).1)
    }
}

/// The limit set by [`layer`]; a request that did not pass through it (only
/// possible in a router assembled without it) gets the default, never no limit.
fn limit_of(req: &Request) -> usize {
    req.extensions()
        .get::<MaxBodyBytes>()
        .map_or(DEFAULT_MAX_BODY_BYTES, |m| m.0)
}

/// Whether a body error is the length limit's (it arrives wrapped in axum's error,
/// so the whole chain of sources is searched).
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &'static str, limit: Option<usize>) -> Request {
        let mut req = Request::new(Body::from(body));
        if let Some(l) = limit {
            req.extensions_mut().insert(MaxBodyBytes(l));
        }
        req
    }

    #[tokio::test]
    async fn a_body_at_the_limit_is_read_and_one_byte_more_is_too_large() {
        let (_, body) = LimitedBody::split(request("12345", Some(5)));
        assert_eq!(body.read().await.expect("at the limit"), "12345");
        let (_, body) = LimitedBody::split(request("123456", Some(5)));
        assert!(matches!(
            body.read().await,
            Err(BodyError::TooLarge { limit: 5 })
        ));
    }

    #[tokio::test]
    async fn a_broken_body_is_not_reported_as_too_large() {
        let broken = futures::stream::iter([
            Ok(Bytes::from_static(b"12")),
            Err(std::io::Error::other("connection reset")),
        ]);
        let req = Request::new(Body::from_stream(broken));
        let (_, body) = LimitedBody::split(req);
        assert!(matches!(body.read().await, Err(BodyError::Unreadable(_))));
    }

    #[test]
    fn without_the_layer_the_default_limit_applies() {
        assert_eq!(limit_of(&request("", None)), DEFAULT_MAX_BODY_BYTES);
        assert_eq!(limit_of(&request("", Some(7))), 7);
    }
}
