//! The audit trail's wire type: the record a write adds to the order's history
//! (`POST /orders/{n}/history`), when `audit-trail` is on.

/// The order history record of a write (Upgates cuts names to 50 and values to 500 characters;
/// cut here, so what is sent is what is kept).
pub(crate) fn audit_record(name: &str, value: &str) -> AuditRecord {
    AuditRecord {
        data: [AuditEntry {
            name: cut(name, 50),
            value: cut(value, 500),
        }],
    }
}

/// `POST /orders/{n}/history` body: `{"data": [{"name": ..., "value": ...}]}`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct AuditRecord {
    data: [AuditEntry; 1],
}

#[derive(Debug, serde::Serialize)]
struct AuditEntry {
    name: String,
    value: String,
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut kept: String = text.chars().take(max - 1).collect();
        kept.push('…');
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_records_are_cut_to_upgates_limits() {
        let record = serde_json::to_value(audit_record(&"n".repeat(60), &"v".repeat(600))).unwrap();
        let name = record["data"][0]["name"].as_str().unwrap();
        let value = record["data"][0]["value"].as_str().unwrap();
        assert_eq!((name.chars().count(), value.chars().count()), (50, 500));
        assert!(value.ends_with('…'));
    }
}
