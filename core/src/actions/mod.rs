//! The nine actions, one file each, named by the WIT name and in the WIT's order: each file is
//! one `impl Shop` block with the action's method and its own helpers. The steps several
//! actions share (the call with its rate-limit retry, reading and verifying an order, the PUT,
//! the audit record) are in [`crate::shop`].

mod append_note;
mod customer_email;
mod order_detail;
mod order_documents;
mod orders_by_phone;
mod replace_note;
mod set_order_status;
mod verify_customer;
mod verify_order;
