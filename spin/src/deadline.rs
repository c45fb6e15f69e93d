//! The whole call's deadline. The Rust host stops a call after 30 s and answers `Ne: timeout`;
//! the Spin app does the same, so a bot never waits out every request's own timeouts in turn
//! (connect 5 s, first byte 15 s, retries).

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};

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

/// A response body cut off at a deadline. Each read has its own timeout, but an Upgates that
/// sends a byte just within it would hold the request (and the app's instance) open for as
/// long as it liked; past `deadline` the stream ends in an error instead.
pub struct BodyWithin<B, D> {
    body: Pin<Box<B>>,
    /// `None` once it has fired: a finished future must not be polled again. `Unpin` (a boxed
    /// future is), so it is not boxed again here.
    deadline: Option<D>,
}

impl<B, D> BodyWithin<B, D> {
    pub fn new(body: B, deadline: D) -> Self {
        Self {
            body: Box::pin(body),
            deadline: Some(deadline),
        }
    }
}

/// Why a [`BodyWithin`] stream ended early.
#[derive(Debug)]
pub struct TooSlow;

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the body did not arrive before the deadline")
    }
}

impl std::error::Error for TooSlow {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B, D> Body for BodyWithin<B, D>
where
    B: Body,
    B::Error: Into<BoxError>,
    D: Future<Output = ()> + Unpin,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let Some(deadline) = this.deadline.as_mut() else {
            // Cut off: the error was given, the stream is over.
            return Poll::Ready(None);
        };
        if let Poll::Ready(frame) = this.body.as_mut().poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if Pin::new(deadline).poll(cx).is_ready() {
            this.deadline = None;
            return Poll::Ready(Some(Err(TooSlow.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.deadline.is_none() || self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
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

    /// A body that never finishes ends in an error once the deadline has passed; before it,
    /// it waits; what arrives is passed on either way.
    #[test]
    fn a_body_is_cut_off_at_the_deadline() {
        use http_body_util::{BodyExt, Full};

        let mut cx = Context::from_waker(Waker::noop());
        let mut waiting = BodyWithin::new(Stalled, pending::<()>());
        assert!(Pin::new(&mut waiting).poll_frame(&mut cx).is_pending());
        let mut late = BodyWithin::new(Stalled, ready(()));
        match Pin::new(&mut late).poll_frame(&mut cx) {
            Poll::Ready(Some(Err(e))) => assert!(e.is::<TooSlow>(), "{e}"),
            _ => panic!("a stalled body past its deadline is an error"),
        }
        // Then the stream is over, without polling the finished deadline again.
        assert!(matches!(
            Pin::new(&mut late).poll_frame(&mut cx),
            Poll::Ready(None)
        ));
        assert!(late.is_end_stream());
        let whole = BodyWithin::new(Full::new(bytes::Bytes::from_static(b"%PDF")), ready(()));
        match pin!(whole.collect()).poll(&mut cx) {
            Poll::Ready(Ok(body)) => assert_eq!(body.to_bytes(), "%PDF"),
            _ => panic!("a body already there is passed on"),
        }
    }

    /// A body whose next frame never comes (a trickling Upgates, between two bytes).
    struct Stalled;

    impl Body for Stalled {
        type Data = bytes::Bytes;
        type Error = TooSlow;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
            Poll::Pending
        }
    }
}
