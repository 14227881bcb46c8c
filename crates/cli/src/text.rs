//! Text the binary reads from stdin or a file, read one way everywhere.

use std::io::Read;

/// `text` without one leading byte order mark (U+FEFF). Windows PowerShell 5.1 on a UTF-8
/// console writes one into a child's stdin before its first write, and its `Out-File` into
/// files; left in, it makes the first product id, a secret or a baseline wrong.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// All of stdin as UTF-8 text, without a leading byte order mark.
pub fn read_stdin() -> std::io::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(without_bom(&text).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_leading_mark_goes_and_nothing_else() {
        assert_eq!(without_bom("\u{feff}CFQ7TTC0H9MP"), "CFQ7TTC0H9MP");
        assert_eq!(without_bom("\u{feff}\u{feff}x"), "\u{feff}x");
        assert_eq!(without_bom("a\u{feff}"), "a\u{feff}");
        assert_eq!(without_bom(""), "");
    }
}
