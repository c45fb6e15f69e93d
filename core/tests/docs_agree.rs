//! docs/akce.md (Czech) and docs/actions.md (English) document the same answer variables, for
//! the same actions, and the same "Ne" reasons.
//!
//! The convention both files follow, which this test reads:
//!
//! - The table after the line `<!-- docs_agree:variables -->` (up to `<!-- docs_agree:end -->`)
//!   lists every answer variable, one per row, keys inside `items` and `orders` included. The
//!   first cell is the variable's name in backticks and nothing else; the second names the
//!   actions that answer it, each in backticks (`verify-order`, ...).
//! - The table after `<!-- docs_agree:reasons -->` lists every "Ne" reason, one per row, the
//!   first cell the reason in backticks and nothing else.
//! - Every `{{something.name}}` template anywhere in a file (`{{[box].status}}`,
//!   `{{box.status}}`, `{{$detail.phone}}`, `{{o.orderid}}` in a loop) names a variable of that
//!   file's table, so an example a builder copies cannot carry a misspelt variable.
//!
//! Only `std`: `cargo test -p upgates-core --test docs_agree`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const REASONS: [&str; 10] = [
    "not-found",
    "not-verified",
    "invalid-input",
    "unauthorized",
    "forbidden",
    "rate-limited",
    "timeout",
    "upstream",
    "misconfigured",
    "not-allowed",
];

const REQUIRED_VARIABLES: [&str; 23] = [
    "status",
    "billing",
    "shipping",
    "paid",
    "topay",
    "topaytext",
    "currency",
    "tracking",
    "trackingurl",
    "url",
    "phone",
    "items",
    "email",
    "count",
    "orders",
    "orderid",
    "date",
    "datetext",
    "price",
    "pricetext",
    "invoice",
    "invoiceurl",
    "invoicenumber",
];

const END: &str = "<!-- docs_agree:end -->";

struct Doc {
    name: &'static str,
    text: String,
}

fn read(name: &'static str) -> Doc {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Doc {
        name: match name {
            "akce.md" => "docs/akce.md",
            _ => "docs/actions.md",
        },
        text,
    }
}

/// The data rows (as cells) of the one table between `<!-- docs_agree:<kind> -->` and
/// the end marker, with their line numbers.
fn table_rows(doc: &Doc, kind: &str) -> Vec<(usize, Vec<String>)> {
    let start = format!("<!-- docs_agree:{kind} -->");
    let lines: Vec<&str> = doc.text.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim() == start)
        .collect();
    assert!(
        starts.len() == 1,
        "{} must have exactly one line `{start}` before its {kind} table (found {})",
        doc.name,
        starts.len()
    );
    let first = starts[0] + 1;
    let end = (first..lines.len())
        .find(|&i| lines[i].trim() == END)
        .unwrap_or_else(|| panic!("{}: `{start}` has no `{END}` after it", doc.name));
    let table: Vec<(usize, &str)> = (first..end)
        .map(|i| (i + 1, lines[i].trim()))
        .filter(|(_, line)| !line.is_empty())
        .collect();
    for (number, line) in &table {
        assert!(
            line.starts_with('|'),
            "{}:{number}: only a table may stand between `{start}` and `{END}`",
            doc.name
        );
    }
    assert!(
        table.len() >= 3,
        "{}: the {kind} table needs a header, a separator and rows",
        doc.name
    );
    let separator = cells(table[1].1);
    assert!(
        separator
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))),
        "{}:{}: the {kind} table's second line must be its |---| separator",
        doc.name,
        table[1].0
    );
    table[2..]
        .iter()
        .map(|(number, line)| (*number, cells(line)))
        .collect()
}

/// A table row's cells; `\|` inside a cell is not a boundary.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// Every `...` span in a cell.
fn backticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// A first cell that is one backticked name and nothing else.
fn key(doc: &Doc, number: usize, cell: &str) -> String {
    let name = cell
        .strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    match name {
        Some(name) => name.to_owned(),
        None => panic!(
            "{}:{number}: a row's first cell must be one name in backticks, like `status`; found {cell:?}",
            doc.name
        ),
    }
}

/// Variable name -> the actions that answer it.
fn variables(doc: &Doc) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (number, row) in table_rows(doc, "variables") {
        let name = key(doc, number, &row[0]);
        let actions: BTreeSet<String> = row
            .get(1)
            .map(|cell| backticked(cell))
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert!(
            !actions.is_empty(),
            "{}:{number}: `{name}`'s second cell must name its actions in backticks",
            doc.name
        );
        for action in &actions {
            assert!(
                action.parse::<upgates_core::ActionName>().is_ok(),
                "{}:{number}: `{name}`'s second cell names `{action}`, which is no action (expected one of {:?})",
                doc.name,
                upgates_core::ActionName::ALL.map(|a| a.as_str())
            );
        }
        assert!(
            out.insert(name.clone(), actions).is_none(),
            "{}:{number}: `{name}` is listed twice in the variables table",
            doc.name
        );
    }
    out
}

fn reasons(doc: &Doc) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (number, row) in table_rows(doc, "reasons") {
        let reason = key(doc, number, &row[0]);
        assert!(
            out.insert(reason.clone()),
            "{}:{number}: `{reason}` is listed twice in the reasons table",
            doc.name
        );
    }
    out
}

/// The variable each `{{prefix.name...}}` template in the text names, with its line.
fn templates(doc: &Doc) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in doc.text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("{{") {
            rest = &rest[at + 2..];
            let inside = &rest[..rest.find("}}").unwrap_or(rest.len())];
            if let Some((_, path)) = inside.split_once('.') {
                let name: String = path
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // `{{[box].…}}` and `{{box.*}}` stand for "a variable": no name to check.
                if !name.is_empty() {
                    out.push((i + 1, name));
                }
            }
        }
    }
    out
}

fn differences<T: Ord + Clone + std::fmt::Debug>(
    a: (&str, &BTreeSet<T>),
    b: (&str, &BTreeSet<T>),
    what: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let only_a: Vec<&T> = a.1.difference(b.1).collect();
    let only_b: Vec<&T> = b.1.difference(a.1).collect();
    if !only_a.is_empty() {
        out.push(format!("{} has {what} {} lacks: {only_a:?}", a.0, b.0));
    }
    if !only_b.is_empty() {
        out.push(format!("{} has {what} {} lacks: {only_b:?}", b.0, a.0));
    }
    out
}

#[test]
fn both_documents_name_the_same_variables_for_the_same_actions() {
    let (cs, en) = (read("akce.md"), read("actions.md"));
    let (cs_vars, en_vars) = (variables(&cs), variables(&en));
    let cs_names: BTreeSet<String> = cs_vars.keys().cloned().collect();
    let en_names: BTreeSet<String> = en_vars.keys().cloned().collect();
    let mut problems = differences((cs.name, &cs_names), (en.name, &en_names), "variables");
    for (name, cs_actions) in &cs_vars {
        if let Some(en_actions) = en_vars.get(name) {
            problems.extend(differences(
                (cs.name, cs_actions),
                (en.name, en_actions),
                &format!("`{name}` answered by actions"),
            ));
        }
    }
    for doc in [&cs, &en] {
        let names = if doc.name == cs.name {
            &cs_names
        } else {
            &en_names
        };
        let missing: Vec<&str> = REQUIRED_VARIABLES
            .into_iter()
            .filter(|v| !names.contains(*v))
            .collect();
        if !missing.is_empty() {
            problems.push(format!("{}'s variables table lacks {missing:?}", doc.name));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn both_documents_name_exactly_the_ne_reasons() {
    let (cs, en) = (read("akce.md"), read("actions.md"));
    let (cs_reasons, en_reasons) = (reasons(&cs), reasons(&en));
    let expected: BTreeSet<String> = REASONS.into_iter().map(str::to_owned).collect();
    let mut problems = differences((cs.name, &cs_reasons), (en.name, &en_reasons), "reasons");
    problems.extend(differences(
        (cs.name, &cs_reasons),
        ("the answers' reason list", &expected),
        "reasons",
    ));
    problems.extend(differences(
        (en.name, &en_reasons),
        ("the answers' reason list", &expected),
        "reasons",
    ));
    problems.dedup();
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn every_template_in_the_documents_names_a_documented_variable() {
    let mut problems = Vec::new();
    for doc in [read("akce.md"), read("actions.md")] {
        let known = variables(&doc);
        for (line, name) in templates(&doc) {
            if !known.contains_key(&name) {
                problems.push(format!(
                    "{}:{line}: `{name}` in a {{{{…}}}} template is not in the file's variables table",
                    doc.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_convention_is_read_as_described() {
    let table = |second_row: &str| Doc {
        name: "example",
        text: format!(
            "intro {{{{[box].status}}}} and {{{{obj}}}} and {{{{[box].…}}}}\n\
             <!-- docs_agree:variables -->\n\
             | variable | actions | value |\n\
             |---|---|---|\n\
             | `status` | `verify-order`, `order-detail` | a \\| b `x` |\n\
             {second_row}\n\
             <!-- docs_agree:end -->\n\
             loop: {{{{o.orderid}}}}, {{{{$detail.phone}}}}\n"
        ),
    };
    let doc = table("| `orderid` | `orders-by-phone` | in `orders`: text |");
    let vars = variables(&doc);
    assert_eq!(
        vars.keys().map(String::as_str).collect::<Vec<_>>(),
        ["orderid", "status"]
    );
    assert_eq!(
        vars["status"]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["order-detail", "verify-order"]
    );
    assert_eq!(
        templates(&doc),
        [
            (1, "status".to_owned()),
            (8, "orderid".to_owned()),
            (8, "phone".to_owned())
        ]
    );
    // The second cell names actions only; a first cell holds one name only.
    for bad_row in [
        "| `orderid` | `orders-by-phone` (in `orders`) | text |",
        "| `orderid`, `date` | `orders-by-phone` | text |",
        "| orderid | `orders-by-phone` | text |",
    ] {
        let refused = std::panic::catch_unwind(|| variables(&table(bad_row)));
        assert!(refused.is_err(), "{bad_row} must be refused");
    }
}
