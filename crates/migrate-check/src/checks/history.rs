//! `history`: versions unique and ordered, a single head (no Alembic
//! branches), every up that does something has a down unless declared
//! irreversible, and one layout per directory.

use std::collections::BTreeSet;

use crate::checks::Check;
use crate::layout::{Layout, Migration, Problem, alembic};

pub fn check(
    migrations: &[Migration],
    layout: Layout,
    detected: &[Layout],
    irreversible: &BTreeSet<String>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if detected.len() > 1 {
        let names: Vec<&str> = detected.iter().map(|l| l.name()).collect();
        problems.push(
            Problem::new(
                Check::History,
                format!(
                    "this directory mixes migration layouts ({}); only the {layout} files are checked",
                    names.join(", ")
                ),
            )
            .help("keep one tool's migrations per directory, or choose one with --layout"),
        );
    }
    if layout == Layout::Alembic {
        let heads = alembic::heads(migrations);
        if heads.len() > 1 {
            let list: Vec<String> = heads
                .iter()
                .map(|m| format!("{} ({})", m.version, m.file))
                .collect();
            let mut problem = Problem::new(
                Check::History,
                format!("the revision graph has {} heads: {}", heads.len(), list.join(", ")),
            )
            .help("merge them with `alembic merge heads -m merge`, or rebase one branch onto the other");
            problem.file = heads.last().map(|m| m.file.clone());
            problems.push(problem);
        }
    }
    for migration in migrations {
        let declared =
            irreversible.contains(&migration.version) || irreversible.contains(&migration.id);
        let down_does_something = match layout {
            Layout::Alembic | Layout::Command => migration.has_down,
            _ => migration.down.as_ref().is_some_and(|d| !d.is_empty()),
        };
        if !down_does_something && !migration.up_is_empty() && !declared {
            let what = match layout {
                Layout::Alembic => "its downgrade() does nothing".to_owned(),
                Layout::Updown => format!("there is no {}.down.sql (or it is empty)", migration.id),
                Layout::Diesel => "its down.sql is missing or empty".to_owned(),
                Layout::Dbmate => "its -- migrate:down section is missing or empty".to_owned(),
                Layout::Command => "it has no down".to_owned(),
            };
            problems.push(
                Problem::new(
                    Check::History,
                    format!("{} has no down: {what}", migration.id),
                )
                .file(migration.file.clone())
                .help(format!(
                    "write the down, or declare it with irreversible = [\"{}\"] in [migrate-check]",
                    migration.version
                )),
            );
        }
    }
    problems
}
