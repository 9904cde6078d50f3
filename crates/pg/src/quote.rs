//! Quoting for SQL that contains names we did not write (database names
//! typed by a user may hold spaces, quotes and capitals).

/// `my "db"` → `"my ""db"""`: a PostgreSQL identifier, always quoted so
/// case and special characters survive.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `it's` → `'it''s'`: a string literal (standard_conforming_strings is on
/// by default since PostgreSQL 9.1, so backslashes are ordinary characters).
/// NUL bytes cannot appear in PostgreSQL text and are dropped.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\0', "").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(quote_ident("app"), "\"app\"");
        assert_eq!(quote_ident("My DB"), "\"My DB\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn literals() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("back\\slash"), "'back\\slash'");
    }
}
