//! `pg-restore prune`: drop kept databases of a target beyond
//! `keep_previous`, newest kept first. Only names of the exact form
//! `<target>_pre_restore_<ts>` / `<target>_rolled_back_<ts>` are touched.

use shipshape_core::{ExitCode, Report};
use shipshape_pg::Db;

use super::{Context, check_target_name, kept_databases};
use crate::PruneArgs;
use crate::dbops;
use crate::names::{PRE_RESTORE, ROLLED_BACK};

pub fn run(ctx: &Context, args: &PruneArgs) -> anyhow::Result<ExitCode> {
    let printer = &ctx.printer;
    let connection = ctx.connection()?;
    let target = args
        .target
        .clone()
        .unwrap_or_else(|| connection.database.clone());
    check_target_name(&target)?;
    let keep = args.keep.unwrap_or(ctx.settings.keep_previous);
    let mut admin = Db::connect(&connection.maintenance())?;
    let all = dbops::list_databases(&mut admin)?;
    let kept = kept_databases(&all, &target, &[PRE_RESTORE, ROLLED_BACK]);
    let doomed: Vec<String> = kept.iter().skip(keep).map(|(_, n)| n.clone()).collect();
    let lock = if args.dry_run {
        None
    } else {
        Some(ctx.lock(&connection, &target)?)
    };
    let mut out = String::new();
    for name in &doomed {
        if args.dry_run {
            out.push_str(&format!("would drop \"{name}\"\n"));
        } else {
            dbops::drop_database(&mut admin, name)?;
            out.push_str(&format!("dropped \"{name}\"\n"));
        }
    }
    drop(lock);
    let kept_names: Vec<&String> = kept.iter().take(keep).map(|(_, n)| n).collect();
    if printer.format() == shipshape_core::OutputFormat::Human {
        if doomed.is_empty() {
            out.push_str(&format!(
                "nothing to prune: {} kept database(s) of \"{target}\", keep_previous = {keep}\n",
                kept.len()
            ));
        }
        printer.data(&out)?;
    } else {
        let mut report = Report::with_rules(
            "pg-restore",
            env!("CARGO_PKG_VERSION"),
            &crate::rules::RULES,
        );
        report.insert("target", &target);
        report.insert("keep_previous", keep);
        report.insert("kept", &kept_names);
        report.insert(
            if args.dry_run {
                "would_drop"
            } else {
                "dropped"
            },
            &doomed,
        );
        printer.report(&report)?;
    }
    Ok(ExitCode::Ok)
}
