use super::*;

#[test]
fn names_round_trip_and_inputs_are_checked() {
    for a in ActionName::ALL {
        assert_eq!(a.as_str().parse::<ActionName>().unwrap(), a);
    }
    assert!("drop-table".parse::<ActionName>().is_err());
    let input: ActionInput = serde_json::from_str(r#"{"order":"1"}"#).unwrap();
    assert!(input.check(ActionName::VerifyOrder).is_ok());
    assert_eq!(
        input.check(ActionName::OrderDetail),
        Err(Failure::InvalidInput(
            "`email` is required for order-detail".into()
        ))
    );
    assert!(serde_json::from_str::<ActionInput>(r#"{"order":"1","evil":2}"#).is_err());
}

#[test]
fn input_names_are_unique() {
    for a in ActionName::ALL {
        let mut names: Vec<&str> = a.inputs().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), a.input_specs().len(), "{a}");
    }
}

#[test]
fn an_action_round_trips_through_its_input() {
    let full = ActionInput {
        order: Some("2025000123".into()),
        email: Some("jana@example.cz".into()),
        phone: Some("+420 777 123 456".into()),
        days: Some(30),
        status: Some("Vyřízena".into()),
        notify: true,
        text: Some("Poznámka".into()),
        proof: Some("1795885800.abc".into()),
    };
    for name in ActionName::ALL {
        let action = Action::from_input(name, &full).unwrap();
        assert_eq!(action.name(), name);
        assert_eq!(
            Action::from_input(name, &action.input()),
            Ok(action.clone())
        );
        let json = serde_json::to_value(action.input()).unwrap();
        for key in json.as_object().unwrap().keys() {
            assert!(
                name.inputs().any(|input| input == key),
                "{name} does not take {key}"
            );
        }
    }
    // The proof may be left out: only `require-proof` asks for it, and the action says so.
    let without_proof = ActionInput {
        proof: None,
        ..full
    };
    for name in [
        ActionName::CustomerEmail,
        ActionName::SetOrderStatus,
        ActionName::AppendNote,
        ActionName::ReplaceNote,
    ] {
        assert!(name.inputs().any(|input| input == "proof"), "{name}");
        assert_eq!(without_proof.check(name), Ok(()), "{name}");
    }
    assert_eq!(
        Action::from_input(ActionName::OrdersByPhone, &ActionInput::default()),
        Err(Failure::InvalidInput(
            "`phone` is required for orders-by-phone".into()
        ))
    );
}
