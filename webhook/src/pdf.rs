//! `GET /v1/invoice/<token>`'s answer: the invoice's PDF from Upgates, told apart from an
//! error page Upgates may send with status 200 by its first bytes, under headers that keep it
//! out of caches and name the file.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, REFERRER_POLICY,
};
use http::{HeaderValue, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt as _;

/// Every PDF starts so (ISO 32000-1, 7.5.2: the header line `%PDF-1.n`).
pub const MAGIC: &[u8] = b"%PDF-";

/// The largest PDF passed on; beyond it the stream is cut (an invoice is far smaller).
pub const MAX_PDF_BYTES: usize = 32 << 20;

/// The `200` answer's head for `invoice_number`'s PDF, with `body`. `length` (Upgates' own
/// `Content-Length`) is passed on only when the whole body will follow: past
/// [`MAX_PDF_BYTES`] the stream is cut, and a length it does not reach would make the client
/// wait, then fail, on a broken file.
pub fn reply<B>(invoice_number: &str, length: Option<&HeaderValue>, body: B) -> http::Response<B> {
    let mut reply = http::Response::new(body);
    *reply.status_mut() = StatusCode::OK;
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(REFERRER_POLICY, crate::reply::no_referrer());
    let whole = |length: &&HeaderValue| {
        length
            .to_str()
            .ok()
            .and_then(|l| l.trim().parse::<usize>().ok())
            .is_some_and(|l| l <= MAX_PDF_BYTES)
    };
    if let Some(length) = length.filter(whole) {
        headers.insert(CONTENT_LENGTH, length.clone());
    }
    if let Ok(value) = HeaderValue::from_str(&format!(
        "inline; filename=\"{}.pdf\"",
        file_name(invoice_number)
    )) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    reply
}

/// The invoice number as a safe file name: letters, digits, `-` and `_`; others become `_`.
fn file_name(invoice_number: &str) -> String {
    let name: String = invoice_number
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "invoice".into()
    } else {
        name
    }
}

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
    fn file_names_are_plain() {
        assert_eq!(file_name("FA-2025/0042"), "FA-2025_0042");
        assert_eq!(file_name("\"; x=\r\n"), "___x___");
        assert_eq!(file_name(""), "invoice");
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
