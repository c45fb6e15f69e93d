//! `order-detail`: the order with its items and their brands, for the customer who knows its
//! e-mail.

use crate::answer::{OrderDetail, OrderItem};
use crate::api::{Upstream, parse_json};
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input;
use crate::model::{OrderLine, Product, ProductsPage};
use crate::personal_data::mask_phone;
use crate::shop::{Shop, summary};

/// At most this many products go into one brand lookup (Upgates pages products by 50).
pub const MAX_BRAND_PRODUCTS: usize = 50;

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Načíst detail objednávky (for the customer who knows the order's e-mail).
    pub async fn order_detail(
        &self,
        order_number: &str,
        email: &str,
    ) -> Result<OrderDetail, Failure> {
        let order_number = input::order_number(order_number)?;
        let email = input::email(email)?;
        let order = self.verified_order(&order_number, &email).await?;
        let goods: Vec<&OrderLine> = order.products.iter().filter(|l| l.is_goods()).collect();
        let catalogue = self.catalogue_products(&goods).await;
        let items = goods
            .iter()
            .map(|line| OrderItem {
                name: line.title.clone().unwrap_or_default(),
                brand: manufacturer(&catalogue, line),
                code: line.code.clone().filter(|c| !c.trim().is_empty()),
            })
            .collect();
        let cc = &self.config.default_country_code;
        // `+420601223344`, as the seed shows it, when it parses; else as the shop stored it.
        let mut phone = order.customer.phone.as_deref().map(|stored| {
            input::phone(stored, cc).map_or_else(
                |_| stored.to_owned(),
                |mut msisdn| {
                    msisdn.insert(0, '+');
                    msisdn
                },
            )
        });
        if self.config.guardrails.mask_personal_data {
            phone = phone.map(|p| mask_phone(&p, cc));
        }
        Ok(OrderDetail {
            summary: summary(&order),
            url: order.admin_url.clone(),
            phone,
            items,
            proof: self.proof(&order_number),
        })
    }

    /// The lines' catalogue products, for their manufacturers: one batched
    /// `GET /products/simple?product_ids=`. By id, not code: a variant's line carries the
    /// variant's code, which `codes=` does not find, but its product's id, so one request
    /// covers variants and plain products alike. `variants_yn=0` leaves out the products'
    /// variant lists, which can be most of a page's bytes (up to 100 variants a product).
    /// Brands are a nicety: when the lookup fails the detail is still answered, without them.
    async fn catalogue_products(&self, lines: &[&OrderLine]) -> Vec<Product> {
        let mut ids: Vec<&str> = Vec::new();
        for id in lines.iter().filter_map(|l| catalogue_id(l)) {
            if !ids.contains(&id) && ids.len() < MAX_BRAND_PRODUCTS {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Vec::new();
        }
        let request = self.requests().get(
            &["products", "simple"],
            &[("product_ids", &ids.join(";")), ("variants_yn", "0")],
        );
        let Ok(response) = self.call(request).await else {
            return Vec::new();
        };
        parse_json::<ProductsPage>(&response).map_or_else(|_| Vec::new(), |page| page.products)
    }
}

/// A line's catalogue product id, if it names one: digits only, so nothing else reaches the
/// query.
fn catalogue_id(line: &OrderLine) -> Option<&str> {
    line.product_id
        .as_deref()
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// The manufacturer of the line's product, as the catalogue has it.
fn manufacturer(catalogue: &[Product], line: &OrderLine) -> Option<String> {
    let id = catalogue_id(line)?;
    catalogue
        .iter()
        .find(|p| p.product_id.as_deref() == Some(id))?
        .manufacturer
        .clone()
        .filter(|m| !m.trim().is_empty())
}
