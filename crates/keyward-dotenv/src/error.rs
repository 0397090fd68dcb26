//! Errors. None of them ever contains text from a value: a parse error names the
//! file, line and column and says what is wrong there.

use std::fmt;

/// What went wrong while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// A line that is not blank or a comment does not start with a variable name.
    InvalidKeyStart,
    /// A variable name is followed by something other than `=`.
    ExpectedEquals,
    /// A single-quoted value has no closing quote.
    UnterminatedSingleQuote,
    /// A double-quoted value has no closing quote.
    UnterminatedDoubleQuote,
    /// Something other than whitespace or a comment follows a closing quote.
    TrailingCharacters,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidKeyStart => {
                "expected a variable name (letters, digits, '_', '.' or '-', not starting with a digit), a comment or a blank line"
            }
            Self::ExpectedEquals => "expected '=' after the variable name",
            Self::UnterminatedSingleQuote => "unterminated single-quoted value started here",
            Self::UnterminatedDoubleQuote => "unterminated double-quoted value started here",
            Self::TrailingCharacters => {
                "unexpected characters after the closing quote (only whitespace or a '# comment' may follow)"
            }
        })
    }
}

/// A parse error at a 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}:{line}:{column}: {kind}")]
pub struct ParseError {
    pub name: String,
    pub line: usize,
    pub column: usize,
    pub kind: ParseErrorKind,
}

/// Reading a `.env` file from disk failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("could not read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid UTF-8 text")]
    NotUtf8 { path: String },
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// An edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error(
        "'{0}' is not a valid variable name (use letters, digits, '_', '.' and '-', not starting with a digit)"
    )]
    InvalidKey(String),
    #[error("a comment must be a single line")]
    MultilineComment,
}
