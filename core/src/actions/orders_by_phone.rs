//! `orders-by-phone`: the customer's orders by phone within the last `days` days, newest first.

use std::time::{Duration, UNIX_EPOCH};

use crate::answer::{OrderRef, PhoneOrders};
use crate::api::{Upstream, parse_json};
use crate::attempts::AttemptLog;
use crate::calendar::{iso8601, start_of_minute};
use crate::display;
use crate::failure::Failure;
use crate::input;
use crate::model::OrdersPage;
use crate::shop::Shop;

/// The most orders `orders-by-phone` lists: Upgates' first page, newest first. One request,
/// however many orders the phone has: anyone can type a phone (the shop's own, a B2B
/// buyer's with thousands of orders), and every further page would be one more paid request
/// for a list no one picks from in a chat. `count` is still Upgates' total.
pub const MAX_PHONE_ORDERS: usize = 100;

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Načíst objednávky zákazníka dle telefonu za posledních `days` dní, newest first.
    pub async fn orders_by_phone(&self, phone: &str, days: u32) -> Result<PhoneOrders, Failure> {
        let phone = input::phone(phone, &self.config.default_country_code)?;
        let days = input::days(days)?;
        // From the start of that minute: the same question asked again a few seconds later is
        // then the same URL, which a host's GET cache can answer without a paid request.
        let since = self
            .upstream
            .now()
            .checked_sub(Duration::from_secs(u64::from(days) * 86_400))
            .unwrap_or(UNIX_EPOCH);
        let since = iso8601(start_of_minute(since));
        let request = self.requests().get(
            &["orders"],
            &[
                ("phone", &phone),
                ("creation_time_from", &since),
                ("order_by", "creation_time"),
                ("order_dir", "desc"),
                ("page", "1"),
            ],
        );
        // No orders in the period is an answer, "Ano" with an empty list: the seed keeps "Ne"
        // for a list that could not be loaded. Upgates may say so with a 404 on the list.
        let page: OrdersPage = match self.call(request).await {
            Ok(response) => parse_json(&response)?,
            Err(Failure::NotFound) => OrdersPage::default(),
            Err(other) => return Err(other),
        };
        let total = page.number_of_items;
        let orders: Vec<OrderRef> = page
            .orders
            .into_iter()
            .filter_map(|o| {
                Some(OrderRef {
                    price_text: display::amount(o.order_total, o.currency_id.as_deref()),
                    date_text: display::date(o.creation_time.as_deref()),
                    orderid: o.order_number?,
                    date: o.creation_time,
                    price: o.order_total,
                    currency: o.currency_id,
                })
            })
            .take(MAX_PHONE_ORDERS)
            .collect();
        // Upgates' total (at least the orders listed), and 0 when none is listed: `count` and
        // `orders` agree on "none".
        let count = match orders.len() {
            0 => 0,
            listed => total
                .unwrap_or(0)
                .max(u32::try_from(listed).unwrap_or(u32::MAX)),
        };
        Ok(PhoneOrders { count, orders })
    }
}
