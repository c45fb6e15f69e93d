//! The runtime's table of the component's exports is indexed by `ActionName`'s discriminant.

use upgates_host::ActionName;

/// The runtime finds an action's export by the enum's discriminant.
#[test]
fn actions_are_numbered_in_their_list_order() {
    for (i, action) in ActionName::ALL.into_iter().enumerate() {
        assert_eq!(action as usize, i, "{}", action.as_str());
    }
}
