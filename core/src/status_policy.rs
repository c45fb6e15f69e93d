//! `allowed-statuses`, the statuses the bot may set and from which: the grammar
//! ([`StatusPolicy::parse`]) and how `set-order-status` resolves a status against it, reading
//! the shop's statuses only when an id meets a name.

use std::fmt::{self, Write as _};

use crate::api::{Upstream, parse_json};
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input::{self, StatusRef};
use crate::model::StatusesPage;
use crate::settings::{KEY_ALLOWED_STATUSES, misconfigured};
use crate::shop::Shop;

/// `allowed-statuses`: the statuses the bot may set, each with the current statuses it may
/// set them from (empty: from any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusPolicy {
    pub rules: Vec<StatusRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRule {
    pub target: StatusRef,
    pub from: Vec<StatusRef>,
}

impl StatusRule {
    /// Adds what another entry for the same status allows: a status listed twice may be set
    /// from what either entry allows, and from any when either says so (no current statuses).
    pub(crate) fn absorb(&mut self, from: Vec<StatusRef>) {
        if self.from.is_empty() || from.is_empty() {
            self.from.clear();
            return;
        }
        for status in from {
            if !self.from.contains(&status) {
                self.from.push(status);
            }
        }
    }
}

impl StatusPolicy {
    /// `Odeslaná; Stornovaná: Přijatá|2; 5`: rules split by `;`, a rule's allowed current
    /// statuses after `:`, split by `|`. Ids are numbers, anything else a name.
    pub fn parse(raw: &str) -> Result<Self, Failure> {
        let bad = |why: &str| misconfigured(KEY_ALLOWED_STATUSES, why);
        let status = |s: &str| {
            input::status(s).map_err(|_| bad("has an empty, too long or malformed status"))
        };
        let mut rules: Vec<StatusRule> = Vec::new();
        for entry in raw.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (target, from) = match entry.split_once(':') {
                Some((target, from)) => (target, Some(from)),
                None => (entry, None),
            };
            let from = match from {
                None => Vec::new(),
                Some(list) => list.split('|').map(status).collect::<Result<Vec<_>, _>>()?,
            };
            if from.len() > 50 {
                return Err(bad("lists too many statuses"));
            }
            let target = status(target)?;
            match rules
                .iter_mut()
                .find(|rule| same_as_written(&rule.target, &target))
            {
                Some(rule) => {
                    rule.absorb(from);
                    if rule.from.len() > 50 {
                        return Err(bad("lists too many statuses"));
                    }
                }
                None => rules.push(StatusRule { target, from }),
            }
        }
        if rules.is_empty() || rules.len() > 100 {
            return Err(bad("must list 1 to 100 statuses, separated by `;`"));
        }
        Ok(Self { rules })
    }
}

impl fmt::Display for StatusPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rule) in self.rules.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}", StatusName(&rule.target))?;
            for (j, from) in rule.from.iter().enumerate() {
                f.write_str(if j == 0 { ": " } else { "|" })?;
                write!(f, "{}", StatusName(from))?;
            }
        }
        Ok(())
    }
}

/// Two statuses as written are the same: equal ids, or names equal after trimming, ignoring
/// ASCII case only (Unicode case tables would add kilobytes to the component, and a mismatch
/// refuses: the safe side). An id and a name are not, without the shop's statuses.
pub(crate) fn same_as_written(a: &StatusRef, b: &StatusRef) -> bool {
    match (a, b) {
        (StatusRef::Id(x), StatusRef::Id(y)) => x == y,
        (StatusRef::Name(x), StatusRef::Name(y)) => same_name(x, y),
        _ => false,
    }
}

/// Two status names are the same status (see [`same_as_written`]).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A status as people write it: its id or its name.
pub(crate) struct StatusName<'a>(pub &'a StatusRef);

impl fmt::Display for StatusName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            StatusRef::Id(id) => write!(f, "{id}"),
            StatusRef::Name(name) => f.write_str(name),
        }
    }
}

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// The rule for setting `target`, if the policy lists it. A status may be listed by id and
    /// again by name: it may then be set from what either entry allows. Entries of the same
    /// kind were merged when the policy was read, so only an id meeting a name needs the
    /// shop's statuses, and not when the direct entry already allows any current status.
    pub(crate) async fn rule_for(
        &self,
        statuses: &mut StatusBook,
        policy: &StatusPolicy,
        target: &StatusRef,
    ) -> Result<Option<StatusRule>, Failure> {
        let same_kind = |rule: &StatusRule| {
            matches!(rule.target, StatusRef::Id(_)) == matches!(target, StatusRef::Id(_))
        };
        let direct = policy
            .rules
            .iter()
            .find(|rule| same_as_written(&rule.target, target));
        let other_kind = policy.rules.iter().any(|rule| !same_kind(rule));
        if !other_kind || direct.is_some_and(|rule| rule.from.is_empty()) {
            return Ok(direct.cloned());
        }
        let page = self.status_book(statuses).await?;
        let mut merged = direct.cloned();
        for rule in policy
            .rules
            .iter()
            .filter(|rule| !same_kind(rule) && same_status(&rule.target, target, Some(page)))
        {
            match &mut merged {
                None => merged = Some(rule.clone()),
                Some(found) => found.absorb(rule.from.clone()),
            }
        }
        Ok(merged)
    }

    /// The shop's statuses, read on first use within a call (the host caches them for an hour).
    async fn status_book<'b>(
        &self,
        statuses: &'b mut StatusBook,
    ) -> Result<&'b StatusesPage, Failure> {
        let page = match statuses.0.take() {
            Some(page) => page,
            None => {
                let request = self.requests().get(&["order-statuses"], &[]);
                parse_json(&self.call(request).await?)?
            }
        };
        Ok(statuses.0.insert(page))
    }

    /// `not-allowed` unless the order's current status is one `rule` allows changing from.
    pub(crate) async fn check_from(
        &self,
        statuses: &mut StatusBook,
        order_number: &str,
        rule: &StatusRule,
    ) -> Result<(), Failure> {
        if rule.from.is_empty() {
            return Ok(());
        }
        let order = self.order(order_number, true).await?;
        let current: Vec<StatusRef> = order
            .status_id
            .map(StatusRef::Id)
            .into_iter()
            .chain(order.status.clone().map(StatusRef::Name))
            .collect();
        let allowed: Vec<&StatusRef> = rule.from.iter().collect();
        if self
            .first_match(statuses, &allowed, &current)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let mut from = String::new();
        for (i, status) in rule.from.iter().enumerate() {
            let _ = write!(
                from,
                "{}{}",
                if i == 0 { "`" } else { "`, `" },
                StatusName(status)
            );
        }
        let current = order
            .status
            .or_else(|| order.status_id.map(|id| id.to_string()))
            .unwrap_or_else(|| "unknown".into());
        Err(Failure::NotAllowed(format!(
            "`{}` allows `{}` only from {from}`; the order is `{current}`",
            KEY_ALLOWED_STATUSES,
            StatusName(&rule.target),
        )))
    }

    /// The first candidate naming one of `wanted`: ids with ids and names with names first
    /// (names ignoring ASCII case and surrounding space); only when that finds nothing and an
    /// id meets a name are the shop's statuses read (once per call; the host caches them for
    /// an hour), matching a name in any of the shop's languages. Answers the candidate's index.
    async fn first_match(
        &self,
        statuses: &mut StatusBook,
        candidates: &[&StatusRef],
        wanted: &[StatusRef],
    ) -> Result<Option<usize>, Failure> {
        let find = |page: Option<&StatusesPage>| {
            candidates
                .iter()
                .position(|c| wanted.iter().any(|w| same_status(c, w, page)))
        };
        let direct = find(None);
        let mixed = candidates.iter().any(|c| {
            wanted
                .iter()
                .any(|w| matches!(c, StatusRef::Id(_)) != matches!(w, StatusRef::Id(_)))
        });
        if direct.is_some() || !mixed {
            return Ok(direct);
        }
        Ok(find(Some(self.status_book(statuses).await?)))
    }
}

/// The shop's statuses, read at most once per call and only when needed.
#[derive(Default)]
pub(crate) struct StatusBook(pub(crate) Option<StatusesPage>);

/// The id of the shop's status one of whose names is `name` (as [`same_name`]).
pub(crate) fn id_named(page: &StatusesPage, name: &str) -> Option<u32> {
    page.order_statuses
        .iter()
        .find(|s| {
            s.descriptions
                .iter()
                .any(|d| d.name.as_deref().is_some_and(|n| same_name(n, name)))
        })?
        .id
}

/// Two references to one status: ids and names directly; an id and a name only through the
/// shop's statuses (`page`), by the name in any language.
fn same_status(a: &StatusRef, b: &StatusRef, page: Option<&StatusesPage>) -> bool {
    match (a, b) {
        (StatusRef::Id(id), StatusRef::Name(name)) | (StatusRef::Name(name), StatusRef::Id(id)) => {
            page.is_some_and(|page| {
                page.order_statuses.iter().any(|s| {
                    s.id == Some(*id)
                        && s.descriptions
                            .iter()
                            .any(|d| d.name.as_deref().is_some_and(|n| same_name(n, name)))
                })
            })
        }
        _ => same_as_written(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_rules_and_round_trips() {
        let policy = StatusPolicy::parse(" Odeslaná ; Stornovaná: Přijatá | 2 ;5;").unwrap();
        assert_eq!(
            policy.rules,
            vec![
                StatusRule {
                    target: StatusRef::Name("Odeslaná".into()),
                    from: vec![]
                },
                StatusRule {
                    target: StatusRef::Name("Stornovaná".into()),
                    from: vec![StatusRef::Name("Přijatá".into()), StatusRef::Id(2)],
                },
                StatusRule {
                    target: StatusRef::Id(5),
                    from: vec![]
                },
            ]
        );
        assert_eq!(policy.to_string(), "Odeslaná; Stornovaná: Přijatá|2; 5");
        assert_eq!(StatusPolicy::parse(&policy.to_string()).unwrap(), policy);
        // A status listed twice: from what either entry allows, from any when one says so.
        let twice = StatusPolicy::parse("Stornovaná: Přijatá|2; 5: 1;  stornovaná : 2|Nová; 5");
        assert_eq!(twice.unwrap().to_string(), "Stornovaná: Přijatá|2|Nová; 5");
        for bad in ["", " ; ", "A: ", "A:|B"] {
            assert_eq!(
                StatusPolicy::parse(bad).unwrap_err().reason(),
                "misconfigured",
                "{bad}"
            );
        }
    }
}
