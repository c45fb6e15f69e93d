//! The component's nine exports: found once per component, and called with each action's
//! typed inputs, one `Action` variant to one export.

use wasmtime::Store;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, Lift, Lower,
};

use upgates_core::{Action, ActionName, Answer, Failure};

use super::PluginRuntime;
use super::store_setup::HostState;
use crate::bindings::wit;

impl PluginRuntime {
    pub(super) async fn run(
        &self,
        store: &mut Store<HostState>,
        action: &Action,
    ) -> wasmtime::Result<Result<Answer, Failure>> {
        let instance = self.pre.instantiate_async(&mut *store).await?;
        let export = ExportCall {
            store,
            instance,
            export: self.exports.of_action(action.name()),
        };
        let done = |r: Result<(), wit::Failure>| r.map(|()| Answer::Done).map_err(Failure::from);
        Ok(match action {
            Action::VerifyOrder { order } => export
                .call::<_, Result<wit::OrderSummary, wit::Failure>>((order.as_str(),))
                .await?
                .map(|a| Answer::Summary(a.into()))
                .map_err(Failure::from),
            Action::OrderDetail { order, email } => export
                .call::<_, Result<wit::OrderDetails, wit::Failure>>((
                    order.as_str(),
                    email.as_str(),
                ))
                .await?
                .map(|a| Answer::Detail(a.into()))
                .map_err(Failure::from),
            Action::CustomerEmail { order, proof } => export
                .call::<_, Result<String, wit::Failure>>((order.as_str(), proof.as_deref()))
                .await?
                .map(Answer::Email)
                .map_err(Failure::from),
            Action::SetOrderStatus {
                order,
                status,
                notify,
                proof,
            } => done(
                export
                    .call((order.as_str(), status.as_str(), *notify, proof.as_deref()))
                    .await?,
            ),
            Action::VerifyCustomer { order, email } => export
                .call::<_, Result<wit::Verified, wit::Failure>>((order.as_str(), email.as_str()))
                .await?
                .map(|a| Answer::Verified(a.into()))
                .map_err(Failure::from),
            Action::OrdersByPhone { phone, days } => export
                .call::<_, Result<wit::PhoneOrders, wit::Failure>>((phone.as_str(), *days))
                .await?
                .map(|a| Answer::Orders(a.into()))
                .map_err(Failure::from),
            // The same signature; `export` is the one the action names.
            Action::AppendNote { order, text, proof }
            | Action::ReplaceNote { order, text, proof } => done(
                export
                    .call((order.as_str(), text.as_str(), proof.as_deref()))
                    .await?,
            ),
            Action::OrderDocuments { order, email } => export
                .call::<_, Result<wit::InvoiceInfo, wit::Failure>>((order.as_str(), email.as_str()))
                .await?
                .map(|a| Answer::Documents(a.into()))
                .map_err(Failure::from),
        })
    }
}

/// The nine exported functions of `upgates:bot/actions`, found once per component (in
/// [`ActionName::ALL`]'s order). A call then looks up and type-checks only the function it
/// runs, where the generated `PluginPre` would load and check all nine for every instance
/// (docs/performance.md).
#[derive(Clone)]
pub(super) struct Exports([ComponentExportIndex; ActionName::ALL.len()]);

impl Exports {
    const INTERFACE: &str = "upgates:bot/actions@0.2.0";

    pub(super) fn of(component: &Component) -> wasmtime::Result<Self> {
        let interface = component
            .get_export_index(None, Self::INTERFACE)
            .ok_or_else(|| {
                wasmtime::format_err!("the component does not export `{}`", Self::INTERFACE)
            })?;
        let mut found = Vec::with_capacity(ActionName::ALL.len());
        for action in ActionName::ALL {
            let name = action.as_str();
            found.push(
                component
                    .get_export_index(Some(&interface), name)
                    .ok_or_else(|| {
                        wasmtime::format_err!("`{}` has no function `{name}`", Self::INTERFACE)
                    })?,
            );
        }
        let found: [ComponentExportIndex; ActionName::ALL.len()] = found
            .try_into()
            .map_err(|_| wasmtime::format_err!("one export per action expected"))?;
        Ok(Self(found))
    }

    fn of_action(&self, action: ActionName) -> &ComponentExportIndex {
        &self.0[action as usize]
    }
}

/// One export of a fresh instance, ready to call once.
struct ExportCall<'a> {
    store: &'a mut Store<HostState>,
    instance: Instance,
    export: &'a ComponentExportIndex,
}

impl ExportCall<'_> {
    /// Calls it; the signature is checked against the component's (a mismatch is an error,
    /// not undefined behaviour).
    async fn call<P, R>(self, params: P) -> wasmtime::Result<R>
    where
        P: ComponentNamedList + Lower + Send + Sync,
        R: Lift + Send + Sync + 'static,
        (R,): ComponentNamedList + Lift + Send + Sync,
    {
        let func = self
            .instance
            .get_typed_func::<P, (R,)>(&mut *self.store, self.export)?;
        let (result,) = func.call_async(&mut *self.store, params).await?;
        Ok(result)
    }
}
