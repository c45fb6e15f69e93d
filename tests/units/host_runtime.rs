//! The runtime's table of the component's exports is indexed by `ActionName`'s discriminant;
//! a shop connection needs the credentials it adds.

use upgates_host::{ActionName, Failure, ShopConfig, ShopConnection};

/// The runtime finds an action's export by the enum's discriminant.
#[test]
fn actions_are_numbered_in_their_list_order() {
    for (i, action) in ActionName::ALL.into_iter().enumerate() {
        assert_eq!(action as usize, i, "{}", action.as_str());
    }
}

/// A config with `api-credentials = host` (the component's: no login, no key) is refused: this
/// host adds the credentials, and would otherwise send `Authorization: Basic Og==`.
#[test]
fn a_connection_needs_the_credentials_it_adds() {
    let config = |credentials: Option<&str>| {
        ShopConfig::from_lookup(|key| match key {
            "api-url" => Some("https://demo.admin.s1.upgates.com/api/v2".into()),
            "api-login" => Some("demo".into()),
            "api-key" => Some("k".into()),
            "api-credentials" => credentials.map(str::to_owned),
            _ => None,
        })
        .unwrap()
    };
    let Err(Failure::Misconfigured(why)) = ShopConnection::new(config(Some("host"))) else {
        panic!("a config without credentials was accepted");
    };
    assert!(
        why.starts_with("`api-credentials` is set to `host`"),
        "{why}"
    );
    let shop = ShopConnection::new(config(None)).unwrap();
    assert_eq!(shop.config.login, "demo");
}
