//! A shop as the runtime calls it: its settings, its HTTP policy, its clock and where its
//! `wasi:keyvalue` store (its failed e-mail checks) is kept; signed invoice links are made here, not in the component.

use std::sync::Arc;
use std::time::SystemTime;

use wasmtime_wasi_config::WasiConfigVariables;

use upgates_core::config::{
    CREDENTIALS_FROM_HOST, KEY_API_CREDENTIALS, KEY_API_KEY, KEY_API_LOGIN,
};
use upgates_core::{Answer, Failure, ShopConfig};

use crate::keyvalue::KeyValueStore;
use crate::sandbox::HttpPolicy;

/// A shop the host calls the component for: its credentials and its HTTP policy.
#[derive(Clone, Debug)]
pub struct ShopConnection {
    pub config: ShopConfig,
    pub policy: HttpPolicy,
    /// Pins the component's wall clock (tests, replays); `None` is the real clock.
    pub fixed_time: Option<SystemTime>,
    /// The component's `wasi:keyvalue` store, where it counts failed e-mail checks; `None`:
    /// in memory, in the policy's shop state (shared by the process's calls to the shop). The
    /// CLI uses files.
    pub keyvalue: Option<Arc<dyn KeyValueStore>>,
}

impl ShopConnection {
    /// The shop with the default policy (its own origin, default timeouts and caps). This host
    /// adds the credentials to the component's requests, so it needs them: a config with
    /// `api-credentials = host` (meant for the component, its login and key left out) is
    /// misconfigured here, not sent as an empty `Authorization`.
    pub fn new(config: ShopConfig) -> Result<Self, Failure> {
        if config.credentials_from_host {
            return Err(Failure::Misconfigured(format!(
                "`{KEY_API_CREDENTIALS}` is set to `{CREDENTIALS_FROM_HOST}`: that is the \
                 component's setting, for a host that adds the credentials itself; this host \
                 needs `{KEY_API_LOGIN}` and `{KEY_API_KEY}`"
            )));
        }
        let policy = HttpPolicy::for_shop(&config)?;
        Ok(Self {
            config,
            policy,
            fixed_time: None,
            keyvalue: None,
        })
    }

    /// The settings the component gets. Not the API login and key: the host adds
    /// `Authorization` to the component's requests itself (`api-credentials = host`), so a
    /// component cannot write them into a note or answer them. Signed invoice links are the
    /// host's to make too (the component carries no signing code): it answers Upgates' URL
    /// and the invoice number, and [`Self::sign_invoice_link`] puts our link in its place.
    pub(super) fn config_vars(&self) -> WasiConfigVariables {
        let pairs = self.config.to_pairs();
        WasiConfigVariables::from_iter(
            pairs
                .iter()
                .filter(|(k, _)| {
                    !k.starts_with(INVOICE_LINK_KEYS) && *k != KEY_API_LOGIN && *k != KEY_API_KEY
                })
                .map(|(k, v)| (*k, v.as_str()))
                .chain([(KEY_API_CREDENTIALS, CREDENTIALS_FROM_HOST)]),
        )
    }

    /// With `invoice-links = signed`, `order-documents`' link is ours: `<base>/v1/invoice/<token>`.
    pub(super) fn sign_invoice_link(&self, order: &str, answer: &mut Answer) {
        let Answer::Documents(documents) = answer else {
            return;
        };
        let Some(invoice_number) = documents.invoice_number.as_deref() else {
            return;
        };
        let now = self.fixed_time.unwrap_or_else(SystemTime::now);
        if let Some(link) =
            upgates_core::invoice_link::signed_url(&self.config, order.trim(), invoice_number, now)
        {
            documents.invoice_url = Some(link);
        }
    }
}

/// `invoice-links`, `invoice-link-secret`, ...: what only the host uses.
const INVOICE_LINK_KEYS: &str = "invoice-link";
