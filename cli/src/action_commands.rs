//! The nine action subcommands, built from core's list of actions ([`ActionName::ALL`], each
//! action's summary and input specs): `upgates verify-order --order N` and so on. The binary
//! flattens them into its derive-defined commands.
//!
//! `--input -` (or `--input FILE`) takes the inputs as one JSON object instead, read by the
//! webhook's parser (the same names and value rules as a bot platform's body), so an e-mail,
//! a phone or a note need not appear in the process list, which every local user can read.

use std::io::Read as _;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, FromArgMatches, Subcommand};
use serde_json::{Map, Value};
use upgates_core::{ActionInput, ActionName, InputKind, InputSpec};

/// One action and its inputs, as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionCommand {
    pub action: ActionName,
    pub input: ActionInput,
}

/// The argument that reads the inputs as JSON.
const INPUT: &str = "input";

/// The subcommand of `action`: its WIT name, its summary as help, a flag per input, and
/// `--input` in place of them all.
fn subcommand(action: ActionName) -> clap::Command {
    action
        .input_specs()
        .iter()
        .fold(clap::Command::new(action.as_str()), |command, spec| {
            command.arg(flag(spec))
        })
        .arg(
            Arg::new(INPUT)
                .long(INPUT)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help(
                    "Read the inputs as a JSON object from FILE (`-`: stdin) instead of the \
                     flags, keeping them out of the process list",
                ),
        )
        .about(sentence(action.summary()))
}

/// Help lines without their full stop, as clap's derive writes the other commands' help.
fn sentence(text: &'static str) -> &'static str {
    text.strip_suffix('.').unwrap_or(text)
}

fn flag(spec: &InputSpec) -> Arg {
    let arg = Arg::new(spec.name)
        .long(spec.name)
        .help(sentence(spec.help))
        .conflicts_with(INPUT);
    match spec.kind {
        InputKind::Text => arg
            .required_unless_present(INPUT)
            .value_name(spec.name.to_uppercase())
            .value_parser(clap::value_parser!(String)),
        InputKind::OptionalText => arg
            .value_name(spec.name.to_uppercase())
            .value_parser(clap::value_parser!(String)),
        InputKind::Days => arg
            .required_unless_present(INPUT)
            .value_name(spec.name.to_uppercase())
            .value_parser(clap::value_parser!(u32)),
        InputKind::Flag => arg.action(ArgAction::SetTrue),
    }
}

/// Most bytes `--input` reads: the webhook's body limit.
const MAX_INPUT_BYTES: u64 = upgates_webhook::input::MAX_BODY_BYTES as u64;

/// The inputs `--input` names (`-`: stdin), read as the webhook reads a JSON body. Errors name
/// the input at fault but never quote a value.
fn input_from_json(action: ActionName, from: &std::path::Path) -> Result<ActionInput, String> {
    let mut bytes = Vec::new();
    let read = if from == std::path::Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(from).and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!("more than {MAX_INPUT_BYTES} bytes of inputs"));
    }
    upgates_webhook::input::parse_input(action, &http::HeaderMap::new(), &bytes).map_err(
        |r| match r {
            upgates_webhook::Rejection::BadRequest(message) => message,
            other => other.reason().to_owned(),
        },
    )
}

/// The inputs given to `action`'s subcommand, as the JSON object core reads them from.
fn input(action: ActionName, matches: &ArgMatches) -> Result<ActionInput, clap::Error> {
    if let Some(from) = matches.get_one::<PathBuf>(INPUT) {
        return input_from_json(action, from).map_err(|message| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("--input: {message}"),
            )
        });
    }
    let mut object = Map::new();
    for spec in action.input_specs() {
        let value = match spec.kind {
            InputKind::Text | InputKind::OptionalText => matches
                .get_one::<String>(spec.name)
                .cloned()
                .map(Value::from),
            InputKind::Days => matches.get_one::<u32>(spec.name).copied().map(Value::from),
            InputKind::Flag => Some(Value::Bool(matches.get_flag(spec.name))),
        };
        if let Some(value) = value {
            object.insert(spec.name.to_owned(), value);
        }
    }
    serde_json::from_value(Value::Object(object))
        .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e))
}

impl FromArgMatches for ActionCommand {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, sub_matches)) = matches.subcommand() else {
            return Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand));
        };
        let action = name
            .parse::<ActionName>()
            .map_err(|_| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
        Ok(Self {
            action,
            input: input(action, sub_matches)?,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Subcommand for ActionCommand {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        ActionName::ALL
            .into_iter()
            .fold(command, |command, action| {
                command.subcommand(subcommand(action))
            })
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        Self::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        name.parse::<ActionName>().is_ok()
    }
}
