//! Reading `.properties` files: the basics of the Java format.
//!
//! Supported: `#` and `!` comment lines; `key=value`, `key: value` and
//! `key value`; whitespace around keys and values trimmed; a line ending in an
//! odd number of backslashes continues on the next line (whose leading
//! whitespace is dropped); escapes `\t`, `\n`, `\r`, `\f`, `\uXXXX`, and `\`
//! before any other character for that character (`\=`, `\:`, `\ `, `\\`).
//! A key given twice keeps the later value, as in Java.

use std::io;
use std::path::{Path, PathBuf};

use super::error::ConfigError;

/// One `key=value` line of a properties file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileEntry {
    pub(crate) key: String,
    pub(crate) value: String,
    /// 1-based line where the entry starts (continuations follow it).
    pub(crate) line: usize,
}

/// A parsed properties file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PropertiesFile {
    pub(crate) path: PathBuf,
    /// Entries in file order, one per key (the last definition of each key).
    pub(crate) entries: Vec<FileEntry>,
}

impl PropertiesFile {
    /// Reads and parses `path`; `Ok(None)` if there is no such file.
    pub(crate) fn read(path: &Path) -> Result<Option<Self>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text).map(Some),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ConfigError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses `text` as the contents of `path` (the path is used in messages).
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut entries: Vec<FileEntry> = Vec::new();
        let mut lines = text.lines().enumerate();
        while let Some((index, first)) = lines.next() {
            let line = index + 1;
            let first = first.trim();
            if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
                continue;
            }
            let mut logical = first.to_owned();
            while ends_with_continuation(&logical) {
                logical.pop();
                match lines.next() {
                    Some((_, next)) => logical.push_str(next.trim()),
                    None => break,
                }
            }
            let (raw_key, raw_value) = split_key_value(&logical);
            let syntax_error = |message: String| ConfigError::InvalidSyntax {
                path: path.to_owned(),
                line,
                message,
            };
            let key = unescape(raw_key).map_err(syntax_error)?;
            let value = unescape(raw_value).map_err(syntax_error)?;
            entries.retain(|entry| entry.key != key);
            entries.push(FileEntry { key, value, line });
        }
        Ok(Self {
            path: path.to_owned(),
            entries,
        })
    }

    /// The entry for `key`, if the file defines it.
    pub(crate) fn get(&self, key: &str) -> Option<&FileEntry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

/// Whether the line ends in an odd number of backslashes (an even number is
/// escaped backslashes).
fn ends_with_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1
}

/// Splits a logical line at the first unescaped `=`, `:` or whitespace; the
/// separator and the whitespace around it belong to neither side.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (index, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' => return (&line[..index], line[index + 1..].trim()),
            c if c.is_whitespace() => {
                let rest = line[index..].trim_start();
                let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest);
                return (&line[..index], rest.trim());
            }
            _ => {}
        }
    }
    (line, "")
}

/// Resolves backslash escapes.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let decoded = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                match decoded {
                    Some(decoded) => out.push(decoded),
                    None => {
                        return Err(format!(
                            "malformed escape `\\u{hex}`: expected `\\u` and four hex digits"
                        ));
                    }
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(text: &str) -> Vec<(String, String, usize)> {
        PropertiesFile::parse(Path::new("test.properties"), text)
            .unwrap()
            .entries
            .into_iter()
            .map(|entry| (entry.key, entry.value, entry.line))
            .collect()
    }

    fn entry(key: &str, value: &str, line: usize) -> (String, String, usize) {
        (key.to_owned(), value.to_owned(), line)
    }

    #[test]
    fn separators_comments_and_whitespace() {
        let text = "# comment\n! also a comment\n\n  a=1\nb : 2 \nc 3\nd\t=  4\ne=\nf\n";
        assert_eq!(
            parse(text),
            vec![
                entry("a", "1", 4),
                entry("b", "2", 5),
                entry("c", "3", 6),
                entry("d", "4", 7),
                entry("e", "", 8),
                entry("f", "", 9),
            ]
        );
    }

    #[test]
    fn continuation_lines_keep_the_first_line_number() {
        let text = "list = a,\\\n       b,\\\n       c\nnext=1\n";
        assert_eq!(parse(text), vec![entry("list", "a,b,c", 1), entry("next", "1", 4)]);
    }

    #[test]
    fn an_escaped_backslash_does_not_continue() {
        assert_eq!(
            parse("path=C:\\\\\nx=1"),
            vec![entry("path", "C:\\", 1), entry("x", "1", 2)]
        );
    }

    #[test]
    fn escapes_in_keys_and_values() {
        assert_eq!(
            parse("a\\=b\\ c = x\\ty\\u0041\\:\n"),
            vec![entry("a=b c", "x\tyA:", 1)]
        );
    }

    #[test]
    fn later_definition_wins() {
        assert_eq!(parse("a=1\nb=2\na=3\n"), vec![entry("b", "2", 2), entry("a", "3", 3)]);
    }

    #[test]
    fn malformed_unicode_escape_names_file_and_line() {
        let error = PropertiesFile::parse(Path::new("conf/app.properties"), "ok=1\nbad=\\u12G4\n").unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("conf/app.properties:2: malformed escape"),
            "{message}"
        );
    }

    #[test]
    fn missing_file_is_none() {
        let path = std::env::temp_dir().join("clustered-session-no-such-file.properties");
        assert!(PropertiesFile::read(&path).unwrap().is_none());
    }
}
