//! Schema differences in words: one sentence per object, phrased for the
//! situation it was found in.

use shipshape_pg::schema_snapshot::{COLUMN_ORDER, Change, SchemaObject};

/// Where a difference was found; decides the phrasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// After down N, compared with the schema before up N.
    Reverse,
    /// After re-applying up N, compared with the schema after the first up N.
    Reapply,
    /// After down to base, compared with the empty database.
    ResetDown,
    /// After up to head again, compared with the first head.
    ResetUp,
    /// A database compared with the schema at head.
    Drift,
    /// What a failed migration left behind, compared with before it.
    Partial,
}

/// `index accounts_created_idx on public.accounts`, `column public.t.c`.
pub fn describe(object: &SchemaObject) -> String {
    match object.kind.as_str() {
        "index" | "trigger" | "constraint" | "policy" => {
            let table = object.attribute("table").unwrap_or_default();
            let short = object
                .name
                .strip_prefix(&format!("{table}."))
                .or_else(|| object.name.split_once('.').map(|(_, n)| n))
                .unwrap_or(&object.name);
            format!("{} {short} on {table}", object.kind)
        }
        COLUMN_ORDER => format!("column order of {}", object.name),
        _ => format!("{} {}", object.kind, object.name),
    }
}

/// A short summary of what an object is (`text`, `enum`).
fn summary(object: &SchemaObject) -> Option<String> {
    match object.kind.as_str() {
        "column" => object.attribute("type").map(str::to_owned),
        "type" => object.attribute("kind").map(str::to_owned),
        _ => None,
    }
}

fn with_summary(text: String, object: &SchemaObject) -> String {
    match summary(object) {
        Some(s) => format!("{text} ({s})"),
        None => text,
    }
}

/// Leave out the parts of a table that is itself missing or extra (its
/// columns, constraints, indexes, triggers, policies, column order): one
/// line per table reads better than one per column.
pub fn collapse(changes: Vec<Change>) -> Vec<Change> {
    let whole: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Missing(o) | Change::Extra(o) if o.kind == "table" => Some(o.name.clone()),
            _ => None,
        })
        .collect();
    if whole.is_empty() {
        return changes;
    }
    changes
        .into_iter()
        .filter(|change| {
            let object = match change {
                Change::Missing(o) | Change::Extra(o) => o,
                Change::Changed { expected, .. } => expected,
            };
            let owner = match object.kind.as_str() {
                "column" => object.name.rsplit_once('.').map(|(t, _)| t.to_owned()),
                COLUMN_ORDER => Some(object.name.clone()),
                "constraint" | "index" | "trigger" | "policy" => {
                    object.attribute("table").map(str::to_owned)
                }
                _ => None,
            };
            !owner.is_some_and(|t| whole.contains(&t))
        })
        .collect()
}

/// Severity hint: column order is a lower-severity difference.
pub fn is_minor(change: &Change) -> bool {
    change.kind() == COLUMN_ORDER
}

/// One sentence for one change.
pub fn sentence(change: &Change, context: Context) -> String {
    match change {
        Change::Extra(object) => {
            let what = describe(object);
            let text = match context {
                Context::Reverse | Context::ResetDown => match object.kind.as_str() {
                    "column" => format!("{what} still exists"),
                    "extension" | "type" | "schema" => format!("{what} left behind"),
                    "index" => format!("{what} should not exist"),
                    _ => format!("{what} still exists"),
                },
                Context::Reapply | Context::ResetUp => {
                    format!("{what} exists now but did not after the first up")
                }
                Context::Drift => {
                    format!("{what} exists in the database but not in the migrations")
                }
                Context::Partial => format!("{what} was created before the failure"),
            };
            with_summary(text, object)
        }
        Change::Missing(object) => {
            let what = describe(object);
            let text = match context {
                Context::Reverse | Context::ResetDown => {
                    format!("{what} is missing (the down removed something the up did not create)")
                }
                Context::Reapply | Context::ResetUp => {
                    format!("{what} is missing after applying the up again")
                }
                Context::Drift => {
                    format!("{what} is in the migrations but missing from the database")
                }
                Context::Partial => format!("{what} was dropped before the failure"),
            };
            with_summary(text, object)
        }
        Change::Changed {
            expected,
            attributes,
            ..
        } => {
            let what = describe(expected);
            let parts: Vec<String> = attributes
                .iter()
                .map(|(name, want, have)| {
                    attribute_change(expected, name, want.as_deref(), have.as_deref())
                })
                .collect();
            let suffix = if context == Context::Partial {
                " (changed before the failure)"
            } else {
                ""
            };
            format!("{what}: {}{suffix}", parts.join("; "))
        }
    }
}

fn attribute_change(
    object: &SchemaObject,
    name: &str,
    want: Option<&str>,
    have: Option<&str>,
) -> String {
    if object.kind == COLUMN_ORDER {
        return format!(
            "expected {}, found {}",
            want.unwrap_or_default(),
            have.unwrap_or_default()
        );
    }
    match (name, want, have) {
        ("not null", Some(_), None) => "NOT NULL was lost".to_owned(),
        ("not null", None, Some(_)) => "NOT NULL was added".to_owned(),
        (_, Some(w), None) => format!("{name} was lost (was {w})"),
        (_, None, Some(h)) => format!("{name} was added ({h})"),
        (_, Some(w), Some(h)) if w.contains('\n') || h.contains('\n') || w.len() > 80 => {
            format!(
                "{name} differs:\n  expected: {}\n  found:    {}",
                one_line(w),
                one_line(h)
            )
        }
        (_, Some(w), Some(h)) => format!("{name} changed from {w} to {h}"),
        (_, None, None) => format!("{name} differs"),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: &str, name: &str, attrs: &[(&str, &str)]) -> SchemaObject {
        SchemaObject {
            kind: kind.into(),
            name: name.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn sentences_read_like_the_issue() {
        let column = object("column", "public.projects.status", &[("type", "text")]);
        assert_eq!(
            sentence(&Change::Extra(column), Context::Reverse),
            "column public.projects.status still exists (text)"
        );
        let index = object(
            "index",
            "public.accounts_created_idx",
            &[("table", "public.accounts")],
        );
        assert_eq!(
            sentence(&Change::Extra(index), Context::Reverse),
            "index accounts_created_idx on public.accounts should not exist"
        );
        let ext = object("extension", "uuid-ossp", &[]);
        assert_eq!(
            sentence(&Change::Extra(ext), Context::ResetDown),
            "extension uuid-ossp left behind"
        );
        let want = object(
            "column",
            "public.item.owner_id",
            &[("type", "integer"), ("not null", "yes"), ("default", "0")],
        );
        let have = object("column", "public.item.owner_id", &[("type", "integer")]);
        let change = Change::Changed {
            expected: want,
            actual: have,
            attributes: vec![
                ("default".into(), Some("0".into()), None),
                ("not null".into(), Some("yes".into()), None),
            ],
        };
        assert_eq!(
            sentence(&change, Context::Reapply),
            "column public.item.owner_id: default was lost (was 0); NOT NULL was lost"
        );
    }

    #[test]
    fn parts_of_a_missing_table_collapse_into_the_table() {
        let changes = vec![
            Change::Extra(object("table", "public.t", &[])),
            Change::Extra(object("column", "public.t.a", &[("type", "int")])),
            Change::Extra(object("index", "public.t_a_idx", &[("table", "public.t")])),
            Change::Extra(object("column", "public.u.b", &[("type", "int")])),
        ];
        let kept = collapse(changes);
        let keys: Vec<String> = kept.iter().map(Change::key).collect();
        assert_eq!(keys, ["table public.t", "column public.u.b"]);
    }
}
