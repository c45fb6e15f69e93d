//! The invoice PDF's body as it streams through: its first bytes are read before the answer
//! starts, to tell a PDF from an error page Upgates may send with status 200, then handed on
//! ahead of the rest.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt as _;

/// Every PDF starts so (ISO 32000-1, 7.5.2: the header line `%PDF-1.n`).
const MAGIC: &[u8] = b"%PDF-";

/// A body whose first bytes were taken out to look at, and are given back first.
pub struct Peeked<B> {
    head: Option<Bytes>,
    rest: B,
}

/// Reads `body` until its first [`MAGIC`]-length bytes are known (or it ends) and tells
/// whether they are a PDF's; the body is handed back whole either way.
pub async fn starts_as_pdf<B>(mut body: B) -> Result<(bool, Peeked<B>), B::Error>
where
    B: Body<Data = Bytes> + Unpin,
{
    let mut head = BytesMut::new();
    while head.len() < MAGIC.len() {
        match body.frame().await {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => head.extend_from_slice(&data),
                // Trailers before the header line: no PDF.
                Err(_) => break,
            },
            Some(Err(e)) => return Err(e),
            None => break,
        }
    }
    let is_pdf = head.starts_with(MAGIC);
    let head = (!head.is_empty()).then(|| head.freeze());
    Ok((is_pdf, Peeked { head, rest: body }))
}

impl<B> Body for Peeked<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(head) = this.head.take() {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        Pin::new(&mut this.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let held = self.head.as_ref().map_or(0, |h| h.len() as u64);
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower().saturating_add(held));
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper.saturating_add(held));
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Waker;

    use http_body_util::BodyExt as _;

    use super::*;

    /// Runs a future that never waits (the bodies here are all in memory).
    fn now<T>(future: impl Future<Output = T>) -> T {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("an in-memory body does not wait"),
        }
    }

    /// A body of these chunks.
    struct Chunks(std::collections::VecDeque<&'static [u8]>);

    fn chunks(parts: &[&'static [u8]]) -> Chunks {
        Chunks(parts.iter().copied().collect())
    }

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let next = self.get_mut().0.pop_front();
            Poll::Ready(next.map(|part| Ok(Frame::data(Bytes::from_static(part)))))
        }
    }

    #[test]
    fn a_pdf_split_across_chunks_is_recognised_and_passed_on_whole() {
        let (is_pdf, body) = now(starts_as_pdf(chunks(&[b"%P", b"DF-1.7\n", b"rest"]))).unwrap();
        assert!(is_pdf);
        let whole = now(body.collect()).unwrap().to_bytes();
        assert_eq!(whole, "%PDF-1.7\nrest");
    }

    #[test]
    fn anything_else_is_not_a_pdf() {
        for parts in [
            &[b"{\"messages\": []}".as_slice()][..],
            &[b"<html>".as_slice()],
            &[b"%PD".as_slice()],
            &[],
        ] {
            let (is_pdf, body) = now(starts_as_pdf(chunks(parts))).unwrap();
            assert!(!is_pdf, "{parts:?}");
            assert_eq!(now(body.collect()).unwrap().to_bytes(), parts.concat());
        }
    }
}
