//! Choosing how to write a value so that it reads back exactly.

/// Whether `key` is a name this crate writes: `[A-Za-z_][A-Za-z0-9_.-]*`.
pub fn is_valid_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-./:@%+,=~^*!?&;".contains(c)
}

/// The value token for `value`: bare when every character is plainly safe, single
/// quotes when possible (literal, never expanded), double quotes with escapes
/// (`\\ \" \$ \n \r`) when the value holds a `'`, a newline or a carriage return.
pub fn encode_value(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    if value.chars().all(is_plain) {
        return value.to_owned();
    }
    if !value.contains(['\'', '\n', '\r']) {
        return format!("'{value}'");
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}
