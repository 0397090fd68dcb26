//! Unseal attempts. `POST /v1/sys/unseal` has to be reachable without credentials
//! (no keys exist to check any while sealed), so it must not become a key oracle:
//!
//! - while unsealed it answers the same way whatever is sent, and runs nothing;
//! - while sealed, one attempt runs at a time, and each failure doubles the wait
//!   before the next is allowed (1 s, 2 s, … up to [`MAX_BACKOFF`]);
//! - every attempt is logged at once (the audit key does not exist while sealed)
//!   and kept in a bounded buffer, which is written to the audit chain the moment
//!   the server unseals.

use keyward_store::{AuditEvent, Outcome};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Attempts kept for the audit chain while sealed; older ones are counted instead.
pub const MAX_BUFFERED: usize = 1000;
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Why an attempt was not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Another attempt is running.
    Busy,
    /// The last failure's backoff has not run out.
    Backoff { retry_after: Duration },
}

#[derive(Debug, Default)]
struct State {
    running: bool,
    failures: u32,
    not_before: Option<Instant>,
    buffered: VecDeque<AuditEvent>,
    dropped: u64,
}

/// The throttle and the buffer of attempts made while sealed.
#[derive(Debug, Default)]
pub struct UnsealGuard {
    state: std::sync::Mutex<State>,
}

/// Holds the single attempt slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Attempt<'a> {
    guard: &'a UnsealGuard,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.guard.lock().running = false;
    }
}

impl UnsealGuard {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the attempt slot, or says why not.
    pub fn begin(&self) -> Result<Attempt<'_>, Refused> {
        let mut s = self.lock();
        if s.running {
            return Err(Refused::Busy);
        }
        if let Some(at) = s.not_before {
            let now = Instant::now();
            if now < at {
                return Err(Refused::Backoff {
                    retry_after: at - now,
                });
            }
        }
        s.running = true;
        Ok(Attempt { guard: self })
    }

    /// Records how an attempt ended (its event, for the audit chain) and sets the
    /// backoff after a failure; a success clears it.
    pub fn finish(&self, _attempt: Attempt<'_>, event: AuditEvent) {
        let mut s = self.lock();
        if event.outcome == Outcome::Success {
            s.failures = 0;
            s.not_before = None;
        } else if event.outcome == Outcome::Unauthenticated {
            // A wrong key or passphrase: the next guess waits.
            s.failures = s.failures.saturating_add(1);
            let wait = FIRST_BACKOFF
                .saturating_mul(1u32 << (s.failures - 1).min(16))
                .min(MAX_BACKOFF);
            s.not_before = Some(Instant::now() + wait);
        }
        if s.buffered.len() >= MAX_BUFFERED {
            s.buffered.pop_front();
            s.dropped += 1;
        }
        s.buffered.push_back(event);
    }

    /// Records a refused attempt (busy or backing off) for the audit chain.
    pub fn note_refused(&self, event: AuditEvent) {
        let mut s = self.lock();
        if s.buffered.len() >= MAX_BUFFERED {
            s.buffered.pop_front();
            s.dropped += 1;
        }
        s.buffered.push_back(event);
    }

    /// Everything buffered since the last drain, and how many older attempts did
    /// not fit the buffer.
    pub fn drain(&self) -> (Vec<AuditEvent>, u64) {
        let mut s = self.lock();
        let dropped = std::mem::take(&mut s.dropped);
        (s.buffered.drain(..).collect(), dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(outcome: Outcome) -> AuditEvent {
        AuditEvent {
            time: time::OffsetDateTime::now_utc(),
            request_id: "r".into(),
            principal: None,
            access_key_id: None,
            source_ip: Some("127.0.0.1".into()),
            user_agent: None,
            action: crate::action::Action::Unseal.name().into(),
            resource: None,
            version_id: None,
            outcome,
            error_code: None,
            api: "native".into(),
            count: None,
        }
    }

    #[test]
    fn one_attempt_at_a_time() {
        let g = UnsealGuard::default();
        let a = g.begin().expect("first attempt runs");
        assert_eq!(g.begin().unwrap_err(), Refused::Busy);
        drop(a);
        assert!(g.begin().is_ok(), "the slot is free again");
    }

    #[test]
    fn failures_back_off_and_success_clears_it() {
        let g = UnsealGuard::default();
        let a = g.begin().expect("runs");
        g.finish(a, event(Outcome::Unauthenticated));
        match g.begin() {
            Err(Refused::Backoff { retry_after }) => {
                assert!(retry_after <= FIRST_BACKOFF && retry_after > Duration::ZERO)
            }
            other => panic!("expected a backoff, got {other:?}"),
        }
        // Force the backoff to end, then fail again: the wait doubles.
        g.lock().not_before = Some(Instant::now());
        let a = g.begin().expect("runs after the backoff");
        g.finish(a, event(Outcome::Unauthenticated));
        match g.begin() {
            Err(Refused::Backoff { retry_after }) => {
                assert!(retry_after > FIRST_BACKOFF && retry_after <= 2 * FIRST_BACKOFF)
            }
            other => panic!("expected a longer backoff, got {other:?}"),
        }
        g.lock().not_before = Some(Instant::now());
        let a = g.begin().expect("runs");
        g.finish(a, event(Outcome::Success));
        assert!(g.begin().is_ok(), "success clears the backoff");
        let (events, dropped) = g.drain();
        assert_eq!(events.len(), 3);
        assert_eq!(dropped, 0);
        assert!(g.drain().0.is_empty(), "drain empties the buffer");
    }

    #[test]
    fn the_buffer_is_bounded() {
        let g = UnsealGuard::default();
        for _ in 0..MAX_BUFFERED + 5 {
            g.note_refused(event(Outcome::Unauthenticated));
        }
        let (events, dropped) = g.drain();
        assert_eq!(events.len(), MAX_BUFFERED);
        assert_eq!(dropped, 5);
    }
}
