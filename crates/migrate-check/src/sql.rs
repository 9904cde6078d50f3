//! Just enough SQL lexing to split a migration into statements and to see
//! which statements PostgreSQL refuses inside a transaction block.
//!
//! Why split at all: the simple query protocol runs a multi-statement string
//! as one implicit transaction, so `CREATE INDEX CONCURRENTLY` fails there
//! even without BEGIN. Statements of a migration that must run outside a
//! transaction are therefore sent one at a time.

/// One statement of a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement text as written (without the closing `;`).
    pub text: String,
    /// Its code with comments removed, literals blanked, upper-cased and
    /// whitespace collapsed: for keyword checks only.
    pub code: String,
    /// 1-based line where the statement starts.
    pub line: u32,
}

/// Split SQL text into statements, honouring `--` and nested `/* */`
/// comments, `'…'`, `E'…'`, `"…"` and `$tag$…$tag$` quoting. Statements that
/// hold only comments are dropped.
pub fn split(sql: &str) -> Vec<Statement> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut code = String::new();
    let mut line: u32 = 1;
    let mut start_line: Option<u32> = None;
    let mut i = 0;
    let mut finish = |text: &mut String, code: &mut String, start: &mut Option<u32>| {
        let normalized = normalize(code);
        if !normalized.is_empty() {
            out.push(Statement {
                text: text.trim().to_owned(),
                code: normalized,
                line: start.unwrap_or(1),
            });
        }
        text.clear();
        code.clear();
        *start = None;
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                text.push(chars[i]);
                i += 1;
            }
            code.push(' ');
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    text.push_str("/*");
                    i += 2;
                    continue;
                }
                if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    text.push_str("*/");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                text.push(chars[i]);
                i += 1;
            }
            code.push(' ');
            continue;
        }
        if c == ';' {
            finish(&mut text, &mut code, &mut start_line);
            i += 1;
            continue;
        }
        if !c.is_whitespace() && start_line.is_none() {
            start_line = Some(line);
        }
        if c == '\'' || c == '"' {
            let backslash = c == '\'' && matches!(text.chars().last(), Some('E' | 'e'));
            text.push(c);
            i += 1;
            while i < chars.len() {
                let ch = chars[i];
                if ch == '\n' {
                    line += 1;
                }
                text.push(ch);
                i += 1;
                if backslash && ch == '\\' {
                    if let Some(&escaped) = chars.get(i) {
                        text.push(escaped);
                        i += 1;
                    }
                    continue;
                }
                if ch == c {
                    if chars.get(i) == Some(&c) {
                        text.push(c);
                        i += 1;
                        continue;
                    }
                    break;
                }
            }
            code.push_str(if c == '"' { " \"\" " } else { " '' " });
            continue;
        }
        if c == '$'
            && let Some(tag) = dollar_tag(&chars[i..])
        {
            let tag_chars: Vec<char> = tag.chars().collect();
            text.push_str(&tag);
            i += tag_chars.len();
            while i < chars.len() {
                if chars[i..].starts_with(&tag_chars) {
                    text.push_str(&tag);
                    i += tag_chars.len();
                    break;
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                text.push(chars[i]);
                i += 1;
            }
            code.push_str(" $$ ");
            continue;
        }
        if c == '\n' {
            line += 1;
        }
        text.push(c);
        code.push(c);
        i += 1;
    }
    finish(&mut text, &mut code, &mut start_line);
    out
}

/// `$$` or `$tag$` at the start of `chars` (a tag is an identifier, not a
/// positional parameter like `$1`).
fn dollar_tag(chars: &[char]) -> Option<String> {
    let mut tag = String::from("$");
    for (n, &c) in chars.iter().enumerate().skip(1) {
        if c == '$' {
            tag.push('$');
            return Some(tag);
        }
        let ok = c == '_' || c.is_alphabetic() || (n > 1 && c.is_ascii_digit());
        if !ok {
            return None;
        }
        tag.push(c);
    }
    None
}

fn normalize(code: &str) -> String {
    code.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// Why a statement cannot run inside a transaction block, if it cannot.
pub fn needs_no_transaction(statement: &Statement) -> Option<&'static str> {
    let code = statement.code.as_str();
    let starts = |prefix: &str| code == prefix || code.starts_with(&format!("{prefix} "));
    if (starts("CREATE INDEX") || starts("CREATE UNIQUE INDEX")) && word(code, "CONCURRENTLY") {
        return Some("CREATE INDEX CONCURRENTLY");
    }
    if starts("DROP INDEX") && word(code, "CONCURRENTLY") {
        return Some("DROP INDEX CONCURRENTLY");
    }
    if starts("REINDEX") && word(code, "CONCURRENTLY") {
        return Some("REINDEX CONCURRENTLY");
    }
    if starts("ALTER TABLE") && word(code, "DETACH") && word(code, "CONCURRENTLY") {
        return Some("DETACH PARTITION CONCURRENTLY");
    }
    [
        "VACUUM",
        "CREATE DATABASE",
        "DROP DATABASE",
        "ALTER SYSTEM",
        "CREATE TABLESPACE",
        "DROP TABLESPACE",
    ]
    .into_iter()
    .find(|prefix| starts(prefix))
}

/// True when the statement opens or ends a transaction itself (a file
/// written for psql with its own BEGIN/COMMIT).
pub fn is_transaction_control(statement: &Statement) -> bool {
    let first = statement.code.split(' ').next().unwrap_or_default();
    matches!(
        first,
        "BEGIN" | "COMMIT" | "ROLLBACK" | "END" | "START" | "ABORT"
    ) && !statement.code.starts_with("START WITH")
}

fn word(code: &str, word: &str) -> bool {
    code.split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_around_quotes_comments_and_dollar_bodies() {
        let sql = "-- header\nCREATE TABLE a (x text DEFAULT ';');\n\
                   /* a ; /* nested ; */ */\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                   SELECT E'it\\'s;', \"we;ird\";\n-- only a comment;\n";
        let statements = split(sql);
        assert_eq!(statements.len(), 3, "{statements:#?}");
        assert_eq!(statements[0].line, 2);
        assert!(
            statements[0].code.starts_with("CREATE TABLE A"),
            "{statements:#?}"
        );
        assert_eq!(statements[1].line, 4);
        assert!(statements[1].text.ends_with("LANGUAGE sql"));
        assert_eq!(statements[2].line, 5);
    }

    #[test]
    fn comment_only_files_have_no_statements() {
        assert!(split("-- nothing to do\n/* really */\n").is_empty());
    }

    #[test]
    fn detects_statements_that_refuse_transactions() {
        let check = |sql: &str| needs_no_transaction(&split(sql)[0]);
        assert_eq!(
            check("create unique index concurrently if not exists i on t (x)"),
            Some("CREATE INDEX CONCURRENTLY")
        );
        assert_eq!(
            check("DROP INDEX CONCURRENTLY i"),
            Some("DROP INDEX CONCURRENTLY")
        );
        assert_eq!(check("vacuum analyze t"), Some("VACUUM"));
        assert_eq!(check("CREATE INDEX i ON t (concurrently_x)"), None);
        assert_eq!(
            check("COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY'"),
            None
        );
        assert!(is_transaction_control(&split("BEGIN;")[0]));
        assert!(!is_transaction_control(&split("CREATE TABLE t ()")[0]));
    }
}
