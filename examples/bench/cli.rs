//! Command-line options of a subcommand: `--name value`, `--name=value`, and
//! switches that take an optional `=value`.

use std::collections::HashMap;
use std::str::FromStr;

/// The options given, by name (without the leading `--`).
pub struct Flags(HashMap<String, Option<String>>);

impl Flags {
    /// Parses `args`. Names in `takes_value` need a value; names in
    /// `switches` may carry one after `=`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        takes_value: &[&str],
        switches: &[&str],
    ) -> Result<Flags, String> {
        let mut flags = HashMap::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(option) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}"));
            };
            let (name, inline) = match option.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (option, None),
            };
            let value = if takes_value.contains(&name) {
                match inline {
                    Some(value) => Some(value),
                    None => Some(args.next().ok_or(format!("--{name} needs a value"))?),
                }
            } else if switches.contains(&name) {
                inline
            } else {
                return Err(format!("unknown option --{name}"));
            };
            flags.insert(name.to_owned(), value);
        }
        Ok(Flags(flags))
    }

    /// The value of `--name`, or `default` if it was not given.
    pub fn value<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.0.get(name) {
            Some(Some(text)) => parse(name, text),
            _ => Ok(default),
        }
    }

    /// The comma-separated values of `--name`, or `default`.
    pub fn list<T: FromStr + Clone>(&self, name: &str, default: &[T]) -> Result<Vec<T>, String> {
        match self.0.get(name) {
            Some(Some(text)) => text
                .split(',')
                .map(|item| parse(name, item.trim()))
                .collect(),
            _ => Ok(default.to_vec()),
        }
    }

    /// `None` if the switch was not given, else its value or `default`.
    pub fn switch<T: FromStr>(&self, name: &str, default: T) -> Result<Option<T>, String> {
        match self.0.get(name) {
            None => Ok(None),
            Some(None) => Ok(Some(default)),
            Some(Some(text)) => parse(name, text).map(Some),
        }
    }
}

fn parse<T: FromStr>(name: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("--{name}: cannot read {text:?} as a number"))
}
