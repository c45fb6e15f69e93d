//! `GET /api/v2/products[/{code}][/simple]`: products filtered by product codes, variant codes
//! or ids, 50 a page.

use serde_json::{Value, json};

use crate::query::Query;
use crate::respond::{ApiResult, ok, paged};
use crate::state::{State, str_at};

/// Products per page, as documented.
const PER_PAGE: usize = 50;

/// Lists of the full listing that a products/simple item lacks.
const FULL_ONLY_LISTS: [&str; 5] = ["descriptions", "images", "categories", "prices", "metas"];

pub(crate) fn list(state: &State, query: &Query, code: Option<&str>, simple: bool) -> ApiResult {
    let mut codes = query.list("codes");
    if let Some(code) = code.or(query.non_empty("code")) {
        codes.get_or_insert_with(Vec::new).push(code.to_owned());
    }
    let variant_codes = query.list("variant_codes");
    let mut ids = query.ints("product_ids")?;
    if let Some(id) = query.int("product_id")? {
        ids.get_or_insert_with(Vec::new).push(id);
    }
    let with_variants = query.bool("variants_yn")?.unwrap_or(true);
    let page = query.page()?;
    let found: Vec<Value> = state
        .products
        .iter()
        .filter(|p| {
            codes
                .as_ref()
                .is_none_or(|cs| cs.iter().any(|c| Some(c.as_str()) == str_at(p, "code")))
                && ids.as_ref().is_none_or(|is| {
                    is.iter()
                        .any(|i| Some(*i) == p.get("product_id").and_then(Value::as_i64))
                })
                && variant_codes.as_ref().is_none_or(|vs| {
                    variants(p).any(|v| vs.iter().any(|c| Some(c.as_str()) == str_at(v, "code")))
                })
        })
        .map(|p| shape(p, simple, with_variants))
        .collect();
    ok(&paged(found, page, PER_PAGE, "products"))
}

fn variants(product: &Value) -> impl Iterator<Item = &Value> {
    product
        .get("variants")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The item as a listing returns it: the full listing adds its extra lists (empty when not
/// stored); `variants_yn=0` empties `variants`.
fn shape(product: &Value, simple: bool, with_variants: bool) -> Value {
    let mut item = product.clone();
    if let Some(map) = item.as_object_mut() {
        if !simple {
            for key in FULL_ONLY_LISTS {
                map.entry(key).or_insert_with(|| json!([]));
            }
        }
        if !with_variants {
            map.insert("variants".into(), json!([]));
        }
    }
    item
}
