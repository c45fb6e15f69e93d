//! From upgates-core's types to the WIT-generated ones.

use upgates_core as core;

use crate::exports::upgates::bot::actions::{
    Failure, InvoiceInfo, InvoiceState, OrderDetails, OrderItem, OrderRef, OrderSummary,
    PhoneOrders,
};

impl From<core::Failure> for Failure {
    fn from(f: core::Failure) -> Self {
        match f {
            core::Failure::NotFound => Failure::NotFound,
            core::Failure::NotVerified => Failure::NotVerified,
            core::Failure::InvalidInput(m) => Failure::InvalidInput(m),
            core::Failure::Unauthorized => Failure::Unauthorized,
            core::Failure::Forbidden => Failure::Forbidden,
            core::Failure::RateLimited(at) => Failure::RateLimited(at),
            core::Failure::Timeout => Failure::Timeout,
            core::Failure::Upstream(m) => Failure::Upstream(m),
            core::Failure::Misconfigured(m) => Failure::Misconfigured(m),
            core::Failure::NotAllowed(m) => Failure::NotAllowed(m),
        }
    }
}

impl From<core::OrderSummary> for OrderSummary {
    fn from(s: core::OrderSummary) -> Self {
        OrderSummary {
            status: s.status,
            billing: s.billing,
            shipping: s.shipping,
            paid: s.paid,
            topay: s.topay,
            topay_text: s.topay_text,
            currency: s.currency,
            tracking: s.tracking,
            tracking_url: s.tracking_url,
        }
    }
}

impl From<core::OrderDetail> for OrderDetails {
    fn from(d: core::OrderDetail) -> Self {
        OrderDetails {
            summary: d.summary.into(),
            url: d.url,
            phone: d.phone,
            items: d
                .items
                .into_iter()
                .map(|i| OrderItem {
                    name: i.name,
                    brand: i.brand,
                    code: i.code,
                })
                .collect(),
            proof: d.proof,
        }
    }
}

impl From<core::PhoneOrders> for PhoneOrders {
    fn from(p: core::PhoneOrders) -> Self {
        PhoneOrders {
            count: p.count,
            orders: p
                .orders
                .into_iter()
                .map(|o| OrderRef {
                    orderid: o.orderid,
                    date: o.date,
                    price: o.price,
                    currency: o.currency,
                    price_text: o.price_text,
                    date_text: o.date_text,
                })
                .collect(),
        }
    }
}

impl From<core::OrderDocuments> for InvoiceInfo {
    fn from(d: core::OrderDocuments) -> Self {
        InvoiceInfo {
            invoice: match d.invoice {
                core::InvoiceState::Found => InvoiceState::Found,
                core::InvoiceState::Notfound => InvoiceState::Notfound,
                core::InvoiceState::Error => InvoiceState::Error,
            },
            invoiceurl: d.invoice_url,
            invoice_number: d.invoice_number,
            proof: d.proof,
        }
    }
}
