//! `append-note`: a line appended to the order's internal note, checked against concurrent
//! writers when `verify-appends` is on.

use std::time::{Duration, UNIX_EPOCH};

use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input;
use crate::model::OrderUpdate;
use crate::shop::Shop;

/// Attempts of a verified append before giving up.
pub const APPEND_ATTEMPTS: u32 = 5;
/// How long a verified append waits before re-reading the note: about one API round trip,
/// the window in which another host's stale write can still land.
pub const APPEND_SETTLE: Duration = Duration::from_millis(300);

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Přidat text k interní poznámce: a fresh read, then the old note + newline + text.
    ///
    /// Upgates has no compare-and-swap, so two writers can overwrite each other's line. With
    /// `verify-appends` on (several hosts writing one shop), the note is read again once
    /// concurrent writers have had time to land (`APPEND_SETTLE`), and the text appended
    /// again, after a jittered back-off, when it went missing: up to `APPEND_ATTEMPTS` times.
    /// Once Upgates has confirmed a write, a check read that fails answers "Ano": the line is
    /// in, and a "Ne" would have the bot send it again.
    ///
    /// With `require-proof`, nothing is read or written without the order's `proof`.
    pub async fn append_note(
        &self,
        order_number: &str,
        text: &str,
        proof: Option<&str>,
    ) -> Result<(), Failure> {
        let order_number = input::order_number(order_number)?;
        let text = input::note_text(text)?;
        self.check_proof(&order_number, proof)?;
        self.config.guardrails.check_note(&text)?;
        let mut note = self.order(&order_number, true).await?.internal_note;
        // Counted, not just looked for: the note may already hold the same text (an "OK"),
        // and then only one more occurrence shows that our line was kept. Compared as lines
        // (see `same_lines`): a text Upgates stored reformatted would never be found, and
        // every attempt would append it again.
        let wanted = same_lines(&text);
        let occurrences = |note: &Option<String>| {
            note.as_deref()
                .map_or(0, |n| count_as_lines(&same_lines(n), &wanted))
        };
        for attempt in 0..APPEND_ATTEMPTS {
            let before = occurrences(&note);
            let appended = match note.as_deref() {
                Some(old) if !old.is_empty() => format!("{old}\n{text}"),
                _ => text.clone(),
            };
            self.put_order(
                OrderUpdate {
                    internal_note: Some(&appended),
                    ..OrderUpdate::new(&order_number)
                },
                false,
            )
            .await?;
            let kept = if self.config.verify_appends {
                self.upstream.sleep(APPEND_SETTLE).await;
                match self.order(&order_number, true).await {
                    Ok(order) => {
                        note = order.internal_note;
                        occurrences(&note) > before
                    }
                    // Upgates said `updated_yn` (else `put_order` failed): the line was
                    // written. Unchecked is no reason for a "Ne" the bot would retry, nor for
                    // appending again blind: either could leave the line in twice.
                    Err(_) => true,
                }
            } else {
                true
            };
            if kept {
                self.audit(&order_number, "Chatbot: doplnění poznámky", &text)
                    .await;
                return Ok(());
            }
            if attempt + 1 == APPEND_ATTEMPTS {
                // Out of attempts: another wait and read would be paid for and thrown away.
                break;
            }
            self.upstream.sleep(self.backoff(attempt)).await;
            note = self.order(&order_number, true).await?.internal_note;
        }
        Err(Failure::Upstream(
            "the note kept changing under concurrent writers; the text was not kept".into(),
        ))
    }

    /// 50 ms, 100 ms, 200 ms... plus up to as much again, so colliding writers spread out.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = Duration::from_millis(50) * 2u32.saturating_pow(attempt.min(6));
        let nanos = self
            .upstream
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        // Integer arithmetic: float Durations would pull their conversions into the component.
        base + base * (nanos % 1000) / 1000
    }
}

/// `text` as `append-note` compares it: CRLF and lone CR as LF, and each line without its
/// trailing whitespace. Upgates does not document that it stores a note byte for byte.
fn same_lines(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line.trim_end());
    }
    out
}

/// How often `block` (one or more whole lines) stands in `text` as whole lines, not inside a
/// longer one: a concurrent writer's "OK, díky" is not our "OK", nor "host 10" our "host 1".
fn count_as_lines(text: &str, block: &str) -> usize {
    let bytes = text.as_bytes();
    text.match_indices(block)
        .filter(|(at, _)| {
            let end = at + block.len();
            (*at == 0 || bytes[at - 1] == b'\n') && (end == bytes.len() || bytes[end] == b'\n')
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An append is found as whole lines, not inside another writer's longer line.
    #[test]
    fn appended_text_counts_as_whole_lines() {
        assert_eq!(count_as_lines("OK", "OK"), 1);
        assert_eq!(count_as_lines("Poznámka\nOK\nOK", "OK"), 2);
        assert_eq!(count_as_lines("OK, díky\nNOK", "OK"), 0);
        assert_eq!(count_as_lines("host 10\nhost 11", "host 1"), 0);
        assert_eq!(
            count_as_lines("a\nŘádek 1\nŘádek 2\nb", "Řádek 1\nŘádek 2"),
            1
        );
        assert_eq!(count_as_lines("Řádek 1\nŘádek 2x", "Řádek 1\nŘádek 2"), 0);
        assert_eq!(count_as_lines("", "OK"), 0);
    }
}
