//! `upgates check`'s reading of the API URL and of the API user's rights (cli/src/admin.rs).

use upgates_cli::admin::{Privilege, privilege_of, url_warning};
use upgates_core::admin::ApiStatus;

#[test]
fn url_shape() {
    assert_eq!(
        url_warning("https://demo.admin.s1.upgates.com/api/v2"),
        None
    );
    assert!(url_warning("https://demo.upgates.com/api/v2").is_some());
    assert!(url_warning("https://demo.admin.s1.upgates.com/api").is_some());
}

/// A service found by its URL when its name is not the one we look for.
#[test]
fn rights_by_name_or_by_endpoint_url() {
    let status: ApiStatus = serde_json::from_value(serde_json::json!({"services": [
        {"service": "Objednávky", "url": "https://x.admin.s1.upgates.com/api/v2/orders/",
         "privilege": "all"},
        {"service": "invoices", "url": "https://x.admin.s1.upgates.com/api/v2/elsewhere",
         "privilege": "readonly"},
        {"service": "Produkty", "url": "https://x.admin.s1.upgates.com/api/v2/products-old",
         "privilege": "all"},
    ]}))
    .unwrap();
    let services = &status.services;
    assert_eq!(privilege_of(services, "orders"), Privilege::All);
    assert_eq!(privilege_of(services, "invoices"), Privilege::ReadOnly);
    assert_eq!(privilege_of(services, "products"), Privilege::Deny);
}
