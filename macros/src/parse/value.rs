//! Values inside attributes: keywords, durations, signal names, fd numbers,
//! and the handling of unknown and repeated keys.

use proc_macro2::TokenTree;
use process_graph_topology::{SIGNALS, signal_index};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Ident, LitInt, LitStr, Token, bracketed, parenthesized};

use crate::ctxt::Ctxt;
use crate::model::{Keyword, Millis, Spanned};
use crate::suggest;

/// The key of a `key` or `key = value` item, as a string.
pub fn key(meta: &ParseNestedMeta) -> String {
    match meta.path.get_ident() {
        Some(ident) => ident.unraw().to_string(),
        None => meta.path.to_token_stream().to_string().replace(' ', ""),
    }
}

/// Reports an unknown key (suggesting the closest known one) and skips its
/// value, so the keys after it are still checked.
pub fn unknown_key(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    attribute: &str,
    known: &[&str],
) -> syn::Result<()> {
    let key = key(meta);
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown key `{key}` in #[{attribute}]{}",
            suggest::hint(&key, known.iter().copied())
        ),
    );
    skip_value(meta.input)
}

/// Skips `= value` or `(...)` after a key, up to the next comma.
pub fn skip_value(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// The callback for `parse_nested_meta` or `syn::meta::parser` that reads
/// each `key`, `key = value` or `key(...)` of one attribute: `item` handles
/// a key the first time it is given; a repeat is reported and skipped.
pub fn each_key<'a>(
    cx: &'a Ctxt,
    mut item: impl FnMut(&ParseNestedMeta, &str) -> syn::Result<()> + 'a,
) -> impl FnMut(ParseNestedMeta) -> syn::Result<()> + 'a {
    let mut seen = SeenKeys::default();
    move |meta| {
        let key = key(&meta);
        if seen.first(cx, &meta, &key)? {
            item(&meta, &key)?;
        }
        Ok(())
    }
}

/// The keys already seen in one attribute.
#[derive(Default)]
struct SeenKeys(Vec<String>);

impl SeenKeys {
    /// True the first time `key` is seen; later, reports it and skips its
    /// value.
    fn first(&mut self, cx: &Ctxt, meta: &ParseNestedMeta, key: &str) -> syn::Result<bool> {
        if self.0.iter().any(|k| k == key) {
            cx.error_spanned_by(&meta.path, format!("`{key}` is given twice"));
            skip_value(meta.input)?;
            return Ok(false);
        }
        self.0.push(key.to_owned());
        Ok(true)
    }
}

/// `key = "word"`, one of `T`'s words.
pub fn keyword<T: Keyword>(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Spanned<T>>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(word(cx, &lit))
}

/// One of `T`'s words, or an error at `lit` suggesting the closest.
pub fn word<T: Keyword>(cx: &Ctxt, lit: &LitStr) -> Option<Spanned<T>> {
    let text = lit.value();
    let found = T::WORDS.iter().find(|(w, _)| *w == text);
    if found.is_none() {
        cx.error(
            lit.span(),
            format!(
                "unknown {} \"{text}\"{}",
                T::WHAT,
                suggest::hint(&text, T::WORDS.iter().map(|(w, _)| *w))
            ),
        );
    }
    found.map(|&(_, value)| Spanned {
        value,
        span: lit.span(),
    })
}

/// `key = N` with `N` in `range`, or an error at it naming `key` with an
/// example value.
pub fn int_in<T>(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    range: std::ops::RangeInclusive<T>,
    key: &str,
    example: &str,
) -> syn::Result<Option<Spanned<T>>>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    let lit: LitInt = meta.value()?.parse()?;
    match lit.base10_parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(Some(Spanned {
            value: n,
            span: lit.span(),
        })),
        _ => {
            cx.error(
                lit.span(),
                format!(
                    "`{key}` takes a whole number from {} to {}, e.g. `{key} = {example}`",
                    range.start(),
                    range.end()
                ),
            );
            Ok(None)
        }
    }
}

/// `key = "512M"` (units K, M, G, T: powers of 1024) or `key = 1048576`: a
/// size in bytes, more than 0.
pub fn bytes(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Spanned<u64>>> {
    bytes_in(cx, meta.value()?)
}

/// A size as [`bytes`] takes it, read from `input`.
pub fn bytes_in(cx: &Ctxt, input: ParseStream) -> syn::Result<Option<Spanned<u64>>> {
    let (parsed, span, written) = if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        (lit.base10_parse::<u64>().ok(), lit.span(), lit.to_string())
    } else {
        let lit: LitStr = input.parse()?;
        (
            parse_bytes(&lit.value()),
            lit.span(),
            format!("\"{}\"", lit.value()),
        )
    };
    match parsed.filter(|&n| n > 0) {
        Some(value) => Ok(Some(Spanned { value, span })),
        None => {
            cx.error(
                span,
                format!(
                    "bad size {written}; write bytes, or a number with unit K, M, G or T, e.g. \"512M\""
                ),
            );
            Ok(None)
        }
    }
}

/// `"512M"` → 536 870 912; units K, M, G, T are powers of 1024; no unit:
/// bytes.
fn parse_bytes(text: &str) -> Option<u64> {
    let (digits, shift) = match text.strip_suffix(['K', 'M', 'G', 'T']) {
        Some(digits) => {
            let unit = text.chars().last()?;
            (digits, 10 * (1 + "KMGT".find(unit)? as u32))
        }
        None => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse::<u64>()
        .ok()?
        .checked_mul(1u64.checked_shl(shift)?)
}

/// `key = "1m30s"`: a duration written as numbers with units.
pub fn duration(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Spanned<Millis>>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(duration_lit(cx, &lit).map(|value| Spanned {
        value,
        span: lit.span(),
    }))
}

/// A duration inside a string literal, or an error at it.
pub fn duration_lit(cx: &Ctxt, lit: &LitStr) -> Option<Millis> {
    let parsed = parse_duration(&lit.value());
    if parsed.is_none() {
        cx.error(
            lit.span(),
            format!(
                "bad duration \"{}\"; write numbers with units ms, s, m or h, e.g. \"500ms\", \"10s\" or \"1m30s\"",
                lit.value()
            ),
        );
    }
    parsed
}

/// `"1m30s"` → 90 000. Units: `ms`, `s`, `m`, `h`; at least one part.
fn parse_duration(text: &str) -> Option<Millis> {
    let mut rest = text;
    let mut total: Millis = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let number: Millis = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(number.checked_mul(scale)?)?;
    }
    (!text.is_empty()).then_some(total)
}

/// `key = "SIGTERM"` (also `"TERM"` or `"term"`) → `"TERM"`.
pub fn signal(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    if let Some(index) = signal_index(&lit.value()) {
        return Ok(Some(SIGNALS[index].to_owned()));
    }
    // Compared without `SIG`: with it, every candidate shares three
    // letters, and "SIGFOO" would look close to "SIGFPE".
    let upper = lit.value().to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    let hint = match suggest::closest(bare, SIGNALS) {
        Some(best) => format!("; did you mean \"SIG{best}\"?"),
        None => "; write a name such as \"SIGTERM\", \"SIGINT\" or \"SIGHUP\"".to_owned(),
    };
    cx.error(
        lit.span(),
        format!("unknown signal \"{}\"{hint}", lit.value()),
    );
    Ok(None)
}

/// `key = ident`.
pub fn ident(meta: &ParseNestedMeta) -> syn::Result<Ident> {
    meta.value()?.parse()
}

/// `[a, b]`, or a single `a`.
pub fn idents(meta: &ParseNestedMeta) -> syn::Result<Vec<Ident>> {
    let input = meta.value()?;
    if input.peek(syn::token::Bracket) {
        let content;
        bracketed!(content in input);
        let list = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
        Ok(list.into_iter().collect())
    } else {
        Ok(vec![input.parse()?])
    }
}

/// `(N)` after `fd`: a non-negative fd number without a suffix.
pub fn fd_number(input: ParseStream) -> syn::Result<Spanned<i32>> {
    let content;
    let parens = parenthesized!(content in input);
    if content.is_empty() {
        return Err(syn::Error::new(
            parens.span.join(),
            "expected an fd number, e.g. `fd(3)`",
        ));
    }
    if content.peek(Token![-]) {
        let minus: Token![-] = content.parse()?;
        return Err(syn::Error::new(minus.span, "fd numbers are not negative"));
    }
    let lit: LitInt = content
        .parse()
        .map_err(|e| syn::Error::new(e.span(), "expected an fd number, e.g. `fd(3)`"))?;
    if !lit.suffix().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "write the fd number without a type suffix",
        ));
    }
    let value = lit.base10_parse::<i32>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!("fd {lit} is too large; fd numbers fit in an i32"),
        )
    })?;
    if !content.is_empty() {
        return Err(content.error("expected `)` after the fd number"));
    }
    Ok(Spanned {
        value,
        span: lit.span(),
    })
}

/// Rejects a value after a flag key (`critical = true`).
pub fn flag(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        let key = key(meta);
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` is a flag and takes no value; write `{key}`"),
        );
        skip_value(meta.input)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{parse_bytes, parse_duration};

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("512M"), Some(512 << 20));
        assert_eq!(parse_bytes("64K"), Some(64 << 10));
        assert_eq!(parse_bytes("1G"), Some(1 << 30));
        assert_eq!(parse_bytes("4096"), Some(4096));
        for bad in ["", "M", "1.5G", "12MB", "-1", "99999999999T"] {
            assert_eq!(parse_bytes(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("100ms"), Some(100));
        assert_eq!(parse_duration("10s"), Some(10_000));
        assert_eq!(parse_duration("1m30s"), Some(90_000));
        assert_eq!(parse_duration("2h"), Some(7_200_000));
        assert_eq!(parse_duration("0s"), Some(0));
        for bad in [
            "",
            "10",
            "s",
            "10 s",
            "1.5s",
            "10sec",
            "-1s",
            "99999999999999999999h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
