//! `order-documents`: the order's invoice, for the customer who knows its e-mail.

use crate::answer::{InvoiceState, OrderDocuments};
use crate::api::{Upstream, parse_json};
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input;
use crate::model::{InvoicesPage, Order};
use crate::shop::Shop;

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Načíst doklady k objednávce. "Ne" only when the customer is not verified; an invoice
    /// that cannot be loaded is the answer `error`. Verified, it carries the order's proof
    /// whatever became of the invoice.
    pub async fn order_documents(
        &self,
        order_number: &str,
        email: &str,
    ) -> Result<OrderDocuments, Failure> {
        let order_number = input::order_number(order_number)?;
        let email = input::email(email)?;
        let order = self.verified_order(&order_number, &email).await?;
        Ok(OrderDocuments {
            proof: self.proof(&order_number),
            ..self.invoice(&order_number, order).await
        })
    }

    /// The verified order's invoice.
    async fn invoice(&self, order_number: &str, order: Order) -> OrderDocuments {
        let notfound = OrderDocuments::without_link(InvoiceState::Notfound);
        let error = OrderDocuments::without_link(InvoiceState::Error);
        let Some(invoice_number) = order.invoice_number.filter(|n| !n.trim().is_empty()) else {
            return notfound;
        };
        // The invoice number comes from the shop's answer and becomes a path segment. "." or
        // ".." would turn `<api>/invoices/..` into `<api>/` once the path is normalised, and
        // percent-encoding cannot help (`.` is unreserved, and `%2E%2E` is a dot segment to
        // URL parsers too), so such a number is never requested.
        if matches!(invoice_number.as_str(), "." | "..") {
            return error;
        }
        let request = self.requests().get(&["invoices", &invoice_number], &[]);
        let page: InvoicesPage = match self.call(request).await {
            Ok(response) => match parse_json(&response) {
                Ok(page) => page,
                Err(_) => return error,
            },
            Err(Failure::NotFound) => return notfound,
            Err(_) => return error,
        };
        let invoice = page.invoices.into_iter().find(|i| {
            i.invoice_number
                .as_deref()
                .is_none_or(|n| n == invoice_number)
                && i.order_number.as_deref().is_none_or(|n| n == order_number)
        });
        match invoice {
            None => notfound,
            Some(i) => match i.invoice_pdf_url.filter(|u| !u.trim().is_empty()) {
                Some(url) => OrderDocuments {
                    invoice: InvoiceState::Found,
                    invoice_url: Some(self.invoice_url(order_number, &invoice_number, url)),
                    invoice_number: Some(invoice_number),
                    proof: None,
                },
                None => error,
            },
        }
    }

    /// Upgates' PDF URL, or in `signed` mode our expiring link to it.
    fn invoice_url(&self, order_number: &str, invoice_number: &str, upgates_url: String) -> String {
        // Without the feature `signed` is refused when the config is read
        // (`Guardrails::from_lookup`); the component's host signs its own links.
        #[cfg(feature = "signed-links")]
        if let Some(link) = crate::invoice_link::signed_url(
            &self.config,
            order_number,
            invoice_number,
            self.upstream.now(),
        ) {
            return link;
        }
        let _ = (order_number, invoice_number);
        upgates_url
    }
}
