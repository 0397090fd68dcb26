//! `keyward-policy`: IAM-style policy documents — parsing, validation and
//! evaluation — for keyward's Secrets Manager / SSM Parameter Store APIs.
//!
//! This crate **owns**:
//! * the policy document model and strict parser ([`Policy::parse`]), which
//!   accepts full documents and lone statement objects and produces error
//!   messages naming the statement (index, Sid) and field;
//! * pre-compiled `*`/`?` wildcard matching for `Action` (case-insensitive)
//!   and `Resource` (case-sensitive, per ARN segment), IAM policy variables
//!   (`${aws:username}`, `${key, 'default'}`, `${*}` `${?}` `${$}`);
//! * the `Condition` operators with AWS semantics (including `...IfExists`,
//!   `ForAnyValue:` / `ForAllValues:`, `Null`);
//! * the allow/deny decision ([`evaluate`]) and validation findings
//!   ([`validate`]), including the broad-access flag for `BlockPublicPolicy`;
//! * ARN helpers ([`arn`]).
//!
//! It **must not** do I/O, spawn threads, use async, read clocks or the
//! environment, log, or use `unsafe`. The server assembles a
//! [`RequestContext`] (including `aws:CurrentTime`, `aws:EpochTime`,
//! `aws:SourceIp`, `aws:SecureTransport`, principal and resource tags…) and
//! this crate only computes. It knows nothing of storage, users, SigV4 or
//! HTTP. Evaluation is on every request's hot path: patterns are compiled at
//! parse time (hand-written byte glob matcher, no regex) and evaluating an
//! allowed request does not allocate.
//!
//! Module map: `parse` (document model, strict parser, canonical JSON),
//! `principal` (the `Principal` element: model, parser, match), `matcher`
//! (globs, ARN-segment matching, policy variables), `condition` (operators),
//! `evaluate` (context, decision), `validate` (findings, broad-access flag),
//! [`arn`] (ARN builders/parsers).
//!
//! ```
//! use keyward_policy::{evaluate, Decision, Policy, RequestContext};
//!
//! let p = Policy::parse(r#"{
//!   "Effect": "Allow",
//!   "Action": ["ssm:GetParameter"],
//!   "Resource": "arn:aws:ssm:*:*:parameter/myapp/prod/*"
//! }"#).unwrap();
//! let req = RequestContext::new(
//!     "ssm:GetParameter",
//!     keyward_policy::arn::parameter_arn("us-east-1", "123456789012", "/myapp/prod/database_url"),
//!     "arn:aws:iam::123456789012:user/app",
//!     "123456789012",
//! );
//! assert_eq!(evaluate(&[&p], None, &req), Decision::Allow);
//! ```

pub mod arn;
mod condition;
mod evaluate;
mod matcher;
mod parse;
mod principal;
mod validate;

pub use evaluate::{Decision, RequestContext, evaluate};
pub use parse::{Effect, Policy, PolicyError, PolicyVersion, Statement};
pub use principal::{AwsPrincipal, Principal};
pub use validate::{Finding, PolicyKind, Severity, ValidationReport, validate, validate_str};
