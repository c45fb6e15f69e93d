//! The whole call's deadline. The Rust host stops a call after 30 s and answers `Ne: timeout`;
//! the Spin app does the same, so a bot never waits out every request's own timeouts in turn
//! (connect 5 s, first byte 15 s, retries).

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

/// As the Rust host's default `call_timeout`.
pub const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// `work`'s output, or `None` when `deadline` completes first. `work` is then dropped, which
/// cancels its request in flight.
pub async fn within<T>(
    work: impl Future<Output = T>,
    deadline: impl Future<Output = ()>,
) -> Option<T> {
    let mut work = pin!(work);
    let mut deadline = pin!(deadline);
    poll_fn(|cx| {
        if let Poll::Ready(output) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::future::{pending, ready};
    use std::task::{Context, Waker};

    use super::*;

    /// One poll of `within`, as an executor would make it.
    fn poll_once<T>(future: impl Future<Output = Option<T>>) -> Poll<Option<T>> {
        pin!(future).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn the_work_wins_unless_the_deadline_has_passed() {
        assert_eq!(poll_once(within(ready(7), pending())), Poll::Ready(Some(7)));
        // Both ready: the answer is already there, so it is given.
        assert_eq!(poll_once(within(ready(7), ready(()))), Poll::Ready(Some(7)));
        assert_eq!(
            poll_once(within(pending::<u8>(), ready(()))),
            Poll::Ready(None)
        );
        assert_eq!(poll_once(within(pending::<u8>(), pending())), Poll::Pending);
    }
}
