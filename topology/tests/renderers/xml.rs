//! A strict little XML checker, enough to prove the SVG is well-formed:
//! balanced tags, quoted attributes, unique attribute names, no raw `<` or
//! stray `&` in text or attribute values, known entities only, one root.

pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    /// The element's own text (entities decoded), not its children's.
    pub text: String,
}

pub fn parse(xml: &str) -> Result<Vec<Element>, String> {
    let bytes = xml.as_bytes();
    let mut elements: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut closed_root = false;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'<' {
            let end = xml[at..].find('<').map_or(xml.len(), |i| at + i);
            let text = decode(&xml[at..end]).map_err(|e| format!("text at {at}: {e}"))?;
            match open.last() {
                Some(&e) => elements[e].text.push_str(&text),
                None if text.trim().is_empty() => {}
                None => return Err(format!("text outside the root at {at}")),
            }
            at = end;
            continue;
        }
        let end = tag_end(xml, at).ok_or_else(|| format!("unterminated tag at {at}"))?;
        let tag = &xml[at + 1..end];
        at = end + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let e = open.pop().ok_or_else(|| format!("stray </{name}>"))?;
            if elements[e].name != name.trim() {
                return Err(format!("</{name}> closes <{}>", elements[e].name));
            }
            closed_root |= open.is_empty();
            continue;
        }
        if closed_root {
            return Err(format!("second root element <{tag}>"));
        }
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(t) => (t, true),
            None => (tag, false),
        };
        let element = parse_tag(tag)?;
        elements.push(element);
        if empty {
            closed_root |= open.is_empty();
        } else {
            open.push(elements.len() - 1);
        }
    }
    if !open.is_empty() {
        return Err(format!(
            "<{}> is never closed",
            elements[*open.last().unwrap()].name
        ));
    }
    if elements.is_empty() {
        return Err("no element".into());
    }
    Ok(elements)
}

/// The `>` that ends the tag starting at `start`, skipping quoted values.
fn tag_end(xml: &str, start: usize) -> Option<usize> {
    let mut quote = None;
    for (i, c) in xml[start + 1..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(start + 1 + i),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
}

fn parse_tag(tag: &str) -> Result<Element, String> {
    let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
    let name = &tag[..name_end];
    if !is_name(name) {
        return Err(format!("bad element name {name:?}"));
    }
    let mut attributes: Vec<(String, String)> = Vec::new();
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("attribute without value in <{name}>"))?;
        let attribute = rest[..eq].trim();
        if !is_name(attribute) {
            return Err(format!("bad attribute name {attribute:?} in <{name}>"));
        }
        let value_part = rest[eq + 1..].trim_start();
        let quote = value_part
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'');
        let quote = quote.ok_or_else(|| format!("unquoted {attribute} in <{name}>"))?;
        let close = value_part[1..]
            .find(quote)
            .ok_or_else(|| format!("unterminated {attribute} in <{name}>"))?;
        let raw = &value_part[1..1 + close];
        if raw.contains('<') {
            return Err(format!("raw < in {attribute} of <{name}>"));
        }
        let value = decode(raw).map_err(|e| format!("{attribute} of <{name}>: {e}"))?;
        if attributes.iter().any(|(a, _)| a == attribute) {
            return Err(format!("duplicate {attribute} in <{name}>"));
        }
        attributes.push((attribute.to_owned(), value));
        let after = &value_part[1 + close + 1..];
        if !after.is_empty() && !after.starts_with(char::is_whitespace) {
            return Err(format!("no space after {attribute} in <{name}>"));
        }
        rest = after.trim_start();
    }
    Ok(Element {
        name: name.to_owned(),
        attributes,
        text: String::new(),
    })
}

fn decode(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = rest[amp..].find(';').ok_or("& without ;")? + amp;
        let entity = &rest[amp + 1..semi];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity &{entity};"))?
            }
        };
        out.push(c);
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    if out.chars().any(|c| c.is_control() && !"\t\n\r".contains(c)) {
        return Err("control character".into());
    }
    Ok(out)
}

#[test]
fn the_checker_rejects_what_it_should() {
    assert!(parse("<a x=\"1\"><b/>t &amp; u</a>").is_ok());
    for bad in [
        "<a><b></a></b>",
        "<a>",
        "<a>x < y</a>",
        "<a>fish & chips</a>",
        "<a x=1/>",
        "<a x=\"1\" x=\"2\"/>",
        "<a/><b/>",
        "<a x=\"<\"/>",
        "<a>&bogus;</a>",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad}");
    }
}
