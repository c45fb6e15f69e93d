//! The sample products and their variants.

use serde_json::{Value, json};

use super::ADMIN;

fn variant(code: &str, variant_id: i64, product_code: &str, product_id: i64, stock: i64) -> Value {
    json!({
        "code": code, "code_supplier": null, "ean": null, "variant_id": variant_id,
        "product_code": product_code, "product_id": product_id,
        "active_yn": null, "main_yn": false, "can_add_to_basket_yn": null,
        "stock": stock, "stock_position": null,
        "availability_id": 2, "availability": "Skladem", "availability_type": "InStock",
        "weight": null, "image": null, "stocks": [],
    })
}

fn product(
    code: &str,
    id: i64,
    manufacturer: Option<&str>,
    stock: i64,
    weight: i64,
    variants: Vec<Value>,
) -> Value {
    json!({
        "code": code, "code_supplier": null, "supplier": null, "ean": null, "product_id": id,
        "active_yn": true, "archived_yn": false, "replacement_product_code": null,
        "can_add_to_basket_yn": true, "adult_yn": false, "set_yn": false, "in_set_yn": false,
        "exclude_from_search_yn": false, "variants_exists_yn": !variants.is_empty(),
        "manufacturer": manufacturer,
        "stock": stock, "stock_position": null, "limit_orders": null,
        "availability_id": 2, "availability": "Skladem", "availability_type": "InStock",
        "weight": weight, "shipment_group": null, "stocks": [], "groups": [],
        "variants": variants,
        "creation_time": "2024-03-01T10:00:00+01:00", "last_update_time": "2025-02-01T10:00:00+01:00",
        "admin_url": format!("{ADMIN}/links/products/{id}"),
    })
}

pub(super) fn products() -> Vec<Value> {
    vec![
        product(
            "TRIKO",
            101,
            Some("Upgates Wear"),
            20,
            185,
            vec![
                variant("TRIKO-M", 1011, "TRIKO", 101, 12),
                variant("TRIKO-L", 1012, "TRIKO", 101, 8),
            ],
        ),
        product("HRNEK", 102, Some("Keramika Bílovec"), 35, 350, vec![]),
        product("TASKA", 103, None, 50, 120, vec![]),
    ]
}
