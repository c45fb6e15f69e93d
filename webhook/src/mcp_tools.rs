//! The nine actions as MCP tools: a name (the WIT's), a title, a description written for a
//! model, the input schema derived from the actions' input specs (what the webhook parses),
//! and the annotations a client shows its user or gates a call on.

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};
use upgates_core::ActionName;
use upgates_core::action::{InputKind, InputSpec};
use upgates_core::guardrails::EnabledActions;
use upgates_core::input::DAYS;

/// The actions the shop's `enabled-actions` allows, as `tools/list` lists them: an agent is
/// not offered what it may not call.
pub fn tools(enabled: EnabledActions) -> Vec<Tool> {
    enabled.iter().map(tool).collect()
}

pub fn tool(action: ActionName) -> Tool {
    Tool::new(action.as_str(), description(action), input_schema(action))
        .with_title(title(action))
        .with_annotations(annotations(action))
}

fn title(action: ActionName) -> &'static str {
    match action {
        ActionName::VerifyOrder => "Look up an order's status",
        ActionName::OrderDetail => "Show an order with its items",
        ActionName::CustomerEmail => "Read the e-mail an order was placed with",
        ActionName::SetOrderStatus => "Change an order's status",
        ActionName::VerifyCustomer => "Check a customer's order number and e-mail",
        ActionName::OrdersByPhone => "List a customer's orders by phone",
        ActionName::AppendNote => "Add a line to an order's internal note",
        ActionName::ReplaceNote => "Replace an order's internal note",
        ActionName::OrderDocuments => "Get an order's invoice",
    }
}

/// What a model needs to pick the tool and call it well: what it does and answers, when to
/// call it, what it costs the shop (requests to Upgates, counted against the shop's quota),
/// the personal data it answers, and where the proof of `verify-customer` goes.
fn description(action: ActionName) -> String {
    let what = match action {
        ActionName::VerifyOrder => {
            "Whether the order exists, and its status, payment (paid, amount to pay), shipping \
             and tracking number and link. Call it when a customer asks where their order is. \
             Answers no personal data, so it needs only the order number. Costs 1 request to \
             the shop."
        }
        ActionName::OrderDetail => {
            "The order's status, payment, shipping and tracking as verify-order answers them, \
             plus its items and the customer's phone, only for the customer who knows the \
             e-mail the order was placed with: a wrong \
             e-mail and a missing order both answer `not-verified`. Personal data: show it to \
             that customer only. After a few wrong e-mails for one order (the shop's attempt \
             limit) it answers `not-verified` even to the right one: hand over to staff then. \
             Costs 1 to 2 requests."
        }
        ActionName::CustomerEmail => {
            "The e-mail address the order was placed with (masked as j***@example.cz when the \
             shop masks personal data). Personal data: for staff workflows, not for telling an \
             unverified caller. When the shop requires proofs, pass the `proof` that \
             verify-customer answered for this order. Costs 1 request."
        }
        ActionName::SetOrderStatus => {
            "Sets the order's status (e.g. to cancel it), by the status's name in any of the \
             shop's languages or its id; with `notify` the shop e-mails/texts the customer. \
             Changes the order: confirm with the customer first, and call verify-customer \
             before it; when the shop requires proofs, pass the `proof` verify-customer \
             answered. The shop decides which statuses may be set (anything else answers \
             `not-allowed`). Costs 1 to 3 requests; every write is also recorded in the \
             order's history."
        }
        ActionName::VerifyCustomer => {
            "Whether the order number and the e-mail the customer gives belong together. Call \
             it before anything personal or any change to the order. Its answer carries a \
             `proof` when the shop makes proofs: pass it as `proof` to set-order-status, \
             append-note, replace-note and customer-email for the same order. Wrong e-mails \
             are counted: after a few for one order, it answers `not-verified` even to the \
             right one. Costs 1 request."
        }
        ActionName::OrdersByPhone => {
            "The customer's orders placed within the last `days` days (1 to 3650), found by \
             the phone number the customer gives (spaces, a country code or a leading 0 are \
             fine). No orders is a success with `count` 0. Answers personal data of whoever \
             owns that number: use it only for the caller's own number. Costs 1 request."
        }
        ActionName::AppendNote => {
            "Appends a line to the order's internal note for the shop's staff (a customer's \
             request, e.g. a delivery time), keeping what is there. Call verify-customer \
             first; when the shop requires proofs, pass its `proof`. Costs 3 to 4 requests; \
             recorded in the order's history."
        }
        ActionName::ReplaceNote => {
            "Replaces the order's whole internal note with `text`: what was there is lost. \
             Prefer append-note unless the note must be rewritten. Call verify-customer first; \
             when the shop requires proofs, pass its `proof`. Costs 2 requests; recorded in \
             the order's history."
        }
        ActionName::OrderDocuments => {
            "Whether the order has an invoice, and its number and PDF link, for the customer \
             who knows the e-mail the order was placed with: a wrong e-mail and a missing order \
             both answer `not-verified`. Where the shop hands out its own signed links, a link \
             expires after some minutes and a few downloads: give it to the customer at once. \
             Costs 1 to 2 requests."
        }
    };
    format!(
        "{what} A refusal is an error result with a `reason` (`not-found`, `not-verified`, \
         `not-allowed`, `invalid-input`, ...) and a `message` for you, not for the customer."
    )
}

/// Reads change nothing in the shop; writes change one order. Each write also adds a record
/// to the order's history (`audit-trail`) and may notify the customer, so none is idempotent.
fn annotations(action: ActionName) -> ToolAnnotations {
    let annotations = ToolAnnotations::with_title(title(action))
        // One shop's orders, not an open world.
        .open_world(false);
    match action {
        ActionName::SetOrderStatus | ActionName::ReplaceNote => annotations
            .read_only(false)
            .destructive(true)
            .idempotent(false),
        ActionName::AppendNote => annotations
            .read_only(false)
            .destructive(false)
            .idempotent(false),
        ActionName::VerifyOrder
        | ActionName::OrderDetail
        | ActionName::CustomerEmail
        | ActionName::VerifyCustomer
        | ActionName::OrdersByPhone
        | ActionName::OrderDocuments => annotations.read_only(true),
    }
}

/// The JSON Schema of the action's arguments, from [`ActionName::input_specs`]: the inputs
/// the webhook's body takes, the required ones required, no others.
pub fn input_schema(action: ActionName) -> JsonObject {
    let specs = action.input_specs();
    let properties: serde_json::Map<String, Value> = specs
        .iter()
        .map(|spec| (spec.name.to_owned(), property(spec)))
        .collect();
    let required: Vec<&str> = specs
        .iter()
        .filter(|spec| matches!(spec.kind, InputKind::Text | InputKind::Days))
        .map(|spec| spec.name)
        .collect();
    let schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    match schema {
        Value::Object(schema) => schema,
        _ => JsonObject::new(),
    }
}

fn property(spec: &InputSpec) -> Value {
    match spec.kind {
        InputKind::Text | InputKind::OptionalText => {
            json!({ "type": "string", "description": spec.help })
        }
        InputKind::Days => json!({
            "type": "integer",
            "minimum": *DAYS.start(),
            "maximum": *DAYS.end(),
            "description": spec.help,
        }),
        InputKind::Flag => json!({ "type": "boolean", "default": false, "description": spec.help }),
    }
}
