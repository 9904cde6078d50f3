//! `pg-restore list FILE`: what a backup contains, from a full verification
//! pass, without touching a server.

use std::path::Path;

use shipshape_core::{ExitCode, Report, UsageError};

use super::Context;
use crate::verify::{self, Outcome};
use shipshape_core::human::bytes as human_bytes;

pub fn run(ctx: &Context, file: &Path) -> anyhow::Result<ExitCode> {
    let printer = &ctx.printer;
    if !file.exists() {
        return Err(UsageError::new(format!("{} does not exist", file.display())).into());
    }
    let pg_restore = if crate::input::detect(file)?.is_sql() {
        None
    } else {
        Some(ctx.archive_reader(file)?)
    };
    let mut report = Report::with_rules(
        "pg-restore",
        env!("CARGO_PKG_VERSION"),
        &crate::rules::RULES,
    );
    report.insert("file", file.display().to_string());
    let verified =
        match verify::verify(file, pg_restore.as_ref().map(|p| p.path.as_path()), printer)? {
            Outcome::Good(v) => *v,
            Outcome::Bad(d) => {
                report.push(d);
                printer.report(&report)?;
                return Ok(ExitCode::Findings);
            }
        };
    let info = &verified.info;
    let mut tables = info.tables.clone();
    tables.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.table.cmp(&b.table)));
    if printer.format() == shipshape_core::OutputFormat::Human {
        let mut out = String::new();
        out.push_str(&format!(
            "{}: {}, {} on disk, {} of SQL\n",
            file.display(),
            verified.kind.describe(),
            human_bytes(verified.size),
            human_bytes(info.bytes)
        ));
        out.push_str(&format!(
            "dumped from PostgreSQL {} by pg_dump {}\n",
            info.dumped_from.as_deref().unwrap_or("?"),
            info.dumped_by.as_deref().unwrap_or("?")
        ));
        match &verified.manifest {
            Some(m) => out.push_str(&format!(
                "manifest: database {}, started {}, SHA-256 matches\n",
                m.database,
                m.started_at.format("%Y-%m-%d %H:%M:%S UTC")
            )),
            None => out.push_str("manifest: none\n"),
        }
        out.push_str(&format!(
            "\n{:<40} {:>12} {:>12}\n",
            "TABLE", "ROWS", "DATA"
        ));
        for t in &tables {
            let rows = if t.copy {
                t.rows.to_string()
            } else {
                "-".into()
            };
            out.push_str(&format!(
                "{:<40} {:>12} {:>12}\n",
                format!("{}.{}", t.schema, t.table),
                rows,
                human_bytes(t.bytes)
            ));
        }
        out.push_str("\nOTHER OBJECTS\n");
        for (kind, n) in &info.objects {
            out.push_str(&format!("  {n:>6}  {}\n", kind.to_lowercase()));
        }
        let roles: Vec<&String> = info.owners.union(&info.grantees).collect();
        if !roles.is_empty() {
            out.push_str(&format!(
                "\nROLES NAMED\n  {}\n",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        printer.data(&out)?;
    } else {
        for d in &verified.notes {
            report.push(d.clone());
        }
        report.insert("kind", verified.kind);
        report.insert("size_bytes", verified.size);
        report.insert("sql_bytes", info.bytes);
        report.insert("sha256", &verified.sha256);
        report.insert("dumped_from", &info.dumped_from);
        report.insert("dumped_by", &info.dumped_by);
        report.insert("tables", &tables);
        report.insert("objects", &info.objects);
        report.insert("owners", &info.owners);
        report.insert("grantees", &info.grantees);
        printer.report(&report)?;
    }
    Ok(ExitCode::Ok)
}
