//! Opt-in variable expansion.

/// Whether `${VAR}` / `$VAR` references in unquoted and double-quoted values are
/// expanded. Expansion is never implicit: [`ExpandMode::None`] returns the text as
/// written (after quote and escape processing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpandMode {
    #[default]
    None,
    /// Expand references. A reference resolves first through the caller's lookup
    /// (normally the process environment, which outranks `.env` files anyway), then
    /// through variables defined earlier in the same document; an unknown variable
    /// expands to `${VAR:-default}`'s default or to the empty string, as in a shell.
    Expand,
}
