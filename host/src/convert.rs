//! From the component's WIT types to upgates-core's, which render the bot's JSON.

use upgates_core as core;

use crate::bindings::wit;

impl From<wit::Failure> for core::Failure {
    fn from(f: wit::Failure) -> Self {
        match f {
            wit::Failure::NotFound => core::Failure::NotFound,
            wit::Failure::NotVerified => core::Failure::NotVerified,
            wit::Failure::InvalidInput(m) => core::Failure::InvalidInput(m),
            wit::Failure::Unauthorized => core::Failure::Unauthorized,
            wit::Failure::Forbidden => core::Failure::Forbidden,
            wit::Failure::RateLimited(at) => core::Failure::RateLimited(at),
            wit::Failure::Timeout => core::Failure::Timeout,
            wit::Failure::Upstream(m) => core::Failure::Upstream(m),
            wit::Failure::Misconfigured(m) => core::Failure::Misconfigured(m),
            wit::Failure::NotAllowed(m) => core::Failure::NotAllowed(m),
        }
    }
}

impl From<wit::OrderSummary> for core::OrderSummary {
    fn from(s: wit::OrderSummary) -> Self {
        core::OrderSummary {
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

impl From<wit::OrderDetails> for core::OrderDetail {
    fn from(d: wit::OrderDetails) -> Self {
        core::OrderDetail {
            summary: d.summary.into(),
            url: d.url,
            phone: d.phone,
            items: d
                .items
                .into_iter()
                .map(|i| core::OrderItem {
                    name: i.name,
                    brand: i.brand,
                    code: i.code,
                })
                .collect(),
            proof: d.proof,
        }
    }
}

impl From<wit::Verified> for core::Verified {
    fn from(v: wit::Verified) -> Self {
        core::Verified { proof: v.proof }
    }
}

impl From<wit::PhoneOrders> for core::PhoneOrders {
    fn from(p: wit::PhoneOrders) -> Self {
        core::PhoneOrders {
            count: p.count,
            orders: p
                .orders
                .into_iter()
                .map(|o| core::OrderRef {
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

impl From<wit::InvoiceInfo> for core::OrderDocuments {
    fn from(d: wit::InvoiceInfo) -> Self {
        core::OrderDocuments {
            invoice: match d.invoice {
                wit::InvoiceState::Found => core::InvoiceState::Found,
                wit::InvoiceState::Notfound => core::InvoiceState::Notfound,
                wit::InvoiceState::Error => core::InvoiceState::Error,
            },
            invoice_url: d.invoiceurl,
            invoice_number: d.invoice_number,
            proof: d.proof,
        }
    }
}
