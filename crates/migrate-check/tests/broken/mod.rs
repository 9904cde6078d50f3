//! Every broken fixture fails the right check and names the object and the
//! migration file.

use crate::{check_status, checked_run, errors, fixture, json, serial, tool_on_server};

/// Run on a broken fixture; returns the JSON report after asserting exit 1.
fn fails(name: &str) -> serde_json::Value {
    let _guard = serial();
    let dir = fixture(&format!("fixtures/migrate-check/{name}"));
    let run = checked_run(tool_on_server().arg(&dir).args(["--format", "json"]));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    json(&run)
}

fn assert_error(value: &serde_json::Value, check: &str, message: &str, file_end: &str) {
    let found = errors(value, check);
    assert!(
        found
            .iter()
            .any(|(m, f)| m.contains(message) && f.ends_with(file_end)),
        "no {check} error containing {message:?} in {file_end}: {found:#?}"
    );
}

#[test]
fn a_down_that_forgets_an_index_fails_the_stairway() {
    let value = fails("down-forgets-index");
    assert_eq!(check_status(&value, "stairway"), "failed");
    assert_error(
        &value,
        "stairway",
        "down of 20240302080000_account_activity did not reverse: index accounts_created_idx on public.accounts should not exist",
        "20240302080000_account_activity.down.sql",
    );
    // The later DROP TABLE hides the bug from an end-state check: reset passes.
    assert_eq!(check_status(&value, "reset"), "passed");
    assert_eq!(check_status(&value, "upgrade"), "passed");
}

#[test]
fn a_down_that_leaves_a_column_fails_the_stairway() {
    let value = fails("down-leaves-column");
    assert_error(
        &value,
        "stairway",
        "down of 20240311080000_project_status did not reverse: column public.projects.status still exists (text)",
        "20240311080000_project_status.sql",
    );
}

#[test]
fn a_down_that_leaves_a_type_and_an_extension_fails_stairway_and_reset() {
    let value = fails("down-leaves-type");
    for object in [
        "type public.mood left behind (enum)",
        "extension uuid-ossp left behind",
    ] {
        assert_error(&value, "stairway", object, "user_mood/down.sql");
    }
    assert_eq!(check_status(&value, "reset"), "failed");
    let reset = errors(&value, "reset");
    assert!(
        reset.iter().any(|(m, _)| m.contains("extension uuid-ossp")),
        "{reset:?}"
    );
}

#[test]
fn a_missing_down_fails_history_and_an_empty_up_needs_none() {
    let value = fails("missing-down");
    assert_eq!(check_status(&value, "history"), "failed");
    let history = errors(&value, "history");
    assert_eq!(history.len(), 1, "{history:?}");
    assert!(
        history[0]
            .0
            .contains("20240402080000_order_currency has no down"),
        "{history:?}"
    );
    // The migration without a down is skipped by the stairway, not failed;
    // reset cannot go down through it.
    assert_eq!(check_status(&value, "stairway"), "passed");
    assert_eq!(check_status(&value, "reset"), "skipped");
}

#[test]
fn declaring_a_migration_irreversible_accepts_its_missing_down() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        "[migrate-check]\nirreversible = ['20240402080000']\n",
    )
    .unwrap();
    let dir = fixture("fixtures/migrate-check/missing-down");
    let run = checked_run(
        tool_on_server()
            .current_dir(scratch.path())
            .arg(&dir)
            .args(["--skip", "reset", "--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
}

#[test]
fn an_up_failing_in_a_transaction_is_rolled_back_and_named_by_line() {
    let value = fails("up-fails-in-transaction");
    assert_eq!(check_status(&value, "upgrade"), "failed");
    let upgrade = errors(&value, "upgrade");
    assert!(
        upgrade[0]
            .0
            .contains("up of 20240502080000_order_items failed at line 6")
            && upgrade[0].0.contains("orderid")
            && upgrade[0].0.contains("rolled back"),
        "{upgrade:?}"
    );
    let line = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "upgrade")
        .unwrap()["line"]
        .clone();
    assert_eq!(line, 6);
    assert_eq!(check_status(&value, "stairway"), "skipped");
}

#[test]
fn an_up_failing_outside_a_transaction_shows_the_partial_state() {
    let value = fails("up-fails-outside-transaction");
    let upgrade = errors(&value, "upgrade");
    assert!(
        upgrade[0].0.contains("failed at line 5") && !upgrade[0].0.contains("rolled back"),
        "{upgrade:?}"
    );
    let partial: Vec<&str> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "info")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        partial
            .iter()
            .any(|m| m.contains("table public.order_notes was created before the failure")),
        "{partial:?}"
    );
    // One line for the new table, not one per column and index of it.
    assert_eq!(partial.len(), 1, "{partial:?}");
}

#[test]
fn a_reset_step_failing_outside_a_transaction_shows_the_partial_state() {
    let value = fails("reset-down-fails-outside-transaction");
    let reset = errors(&value, "reset");
    assert!(
        reset.iter().any(
            |(m, f)| m.contains("down of 20240701080000_create_invoices failed")
                && !m.contains("rolled back")
                && f.ends_with("20240701080000_create_invoices.down.sql")
        ),
        "{reset:?}"
    );
    let partial: Vec<&str> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "reset" && d["severity"] == "info")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        partial
            .iter()
            .any(|m| m.starts_with("partial state after the failed down")
                && m.contains("public.invoices")),
        "{partial:?}"
    );
}

#[test]
fn mixed_layouts_fail_history_and_own_transactions_are_respected() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    // An updown pair whose up manages its own transaction, plus a stray dbmate file.
    std::fs::write(
        dir.join("1_accounts.up.sql"),
        "BEGIN;\nCREATE TABLE accounts (id int PRIMARY KEY);\nCOMMIT;\n",
    )
    .unwrap();
    std::fs::write(dir.join("1_accounts.down.sql"), "DROP TABLE accounts;\n").unwrap();
    std::fs::write(
        dir.join("2_stray.sql"),
        "-- migrate:up\nCREATE TABLE stray (id int);\n-- migrate:down\nDROP TABLE stray;\n",
    )
    .unwrap();
    let run = checked_run(
        tool_on_server()
            .arg(dir)
            .args(["--layout", "updown", "--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    let history = errors(&value, "history");
    assert!(
        history
            .iter()
            .any(|(m, _)| m.contains("mixes migration layouts (updown, dbmate)")),
        "{history:?}"
    );
    let prerequisites = errors(&value, "prerequisites");
    assert!(
        prerequisites
            .iter()
            .any(|(m, _)| m.contains("2_stray.sql is neither")),
        "{prerequisites:?}"
    );

    // Without the stray file, the self-managed transaction runs as written.
    std::fs::remove_file(dir.join("2_stray.sql")).unwrap();
    let run = checked_run(tool_on_server().arg(dir).args(["--format", "json"]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(check_status(&json(&run), "stairway"), "passed");
}

#[test]
fn sarif_lists_the_checks_as_rules_and_points_at_the_down_file() {
    let _guard = serial();
    let dir = fixture("fixtures/migrate-check/down-leaves-column");
    let run = checked_run(tool_on_server().arg(&dir).args(["--format", "sarif"]));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let sarif = json(&run);
    let driver = &sarif["runs"][0]["tool"]["driver"];
    let rules: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // Rules are listed for the checks that produced results.
    assert!(rules.contains(&"stairway"), "{rules:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let stairway = results.iter().find(|r| r["ruleId"] == "stairway").unwrap();
    let uri = stairway["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("20240311080000_project_status.sql"), "{uri}");
}

#[test]
fn sequences_of_ignored_bookkeeping_tables_are_not_left_behind() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    // A tool's bookkeeping table with a `serial` id (goose before identity
    // columns) and a table listed in `ignore`: both outlive every down, and
    // so do the sequences behind their ids.
    std::fs::write(
        dir.join("1_accounts.up.sql"),
        "CREATE TABLE IF NOT EXISTS goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL);\n\
         CREATE TABLE IF NOT EXISTS audit_log (id bigserial PRIMARY KEY, entry text);\n\
         CREATE TABLE accounts (id bigserial PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(dir.join("1_accounts.down.sql"), "DROP TABLE accounts;\n").unwrap();
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        "[migrate-check]\nignore = ['audit_log']\n",
    )
    .unwrap();
    let run = checked_run(
        tool_on_server()
            .current_dir(scratch.path())
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(check_status(&value, "stairway"), "passed");
    assert_eq!(check_status(&value, "reset"), "passed");

    // The sequence of a table that is not ignored still counts.
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        "[migrate-check]\nignore = []\n",
    )
    .unwrap();
    let value = fails_in(scratch.path());
    assert_error(
        &value,
        "stairway",
        "sequence public.audit_log_id_seq",
        "1_accounts.down.sql",
    );
}

/// Run in `cwd` (its shipshape.toml, its migrations/); asserts exit 1.
fn fails_in(cwd: &std::path::Path) -> serde_json::Value {
    let run = checked_run(tool_on_server().current_dir(cwd).args(["--format", "json"]));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    json(&run)
}

#[test]
fn every_kind_of_object_a_down_forgets_is_named() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::write(
        dir.join("1_items.up.sql"),
        "CREATE TABLE items (id int NOT NULL, name text);\n",
    )
    .unwrap();
    std::fs::write(dir.join("1_items.down.sql"), "DROP TABLE items;\n").unwrap();
    std::fs::write(
        dir.join("2_everything.up.sql"),
        "ALTER TABLE items ALTER COLUMN name TYPE text COLLATE \"C\";\n\
         CREATE SEQUENCE ticket_seq START 100;\n\
         CREATE MATERIALIZED VIEW item_names AS SELECT name FROM items;\n\
         CREATE PROCEDURE purge_items() LANGUAGE sql AS $$ DELETE FROM items $$;\n\
         CREATE DOMAIN positive AS int CHECK (VALUE > 0);\n\
         CREATE TYPE money_amount AS (cents bigint, currency text);\n\
         ALTER TABLE items ADD COLUMN doubled int GENERATED ALWAYS AS (id * 2) STORED;\n\
         ALTER TABLE items ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;\n",
    )
    .unwrap();
    std::fs::write(dir.join("2_everything.down.sql"), "SELECT 1;\n").unwrap();
    let run = checked_run(tool_on_server().arg(dir).args(["--format", "json"]));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    for object in [
        "sequence public.ticket_seq still exists",
        "materialized view public.item_names still exists",
        "procedure public.purge_items() still exists",
        "type public.positive left behind (domain)",
        "type public.money_amount left behind (composite)",
        "column public.items.doubled still exists (integer)",
        "column public.items.id: identity was added (always)",
        "column public.items.name: collation was added (C)",
    ] {
        assert_error(
            &value,
            "stairway",
            &format!("down of 2_everything did not reverse: {object}"),
            "2_everything.down.sql",
        );
    }
}

#[test]
fn a_failed_statement_keeps_postgresqls_detail_and_locks_are_skipped() {
    let value = fails("up-fails-with-detail");
    let upgrade = errors(&value, "upgrade");
    assert!(
        upgrade[0].0.contains("could not create unique index")
            && upgrade[0]
                .0
                .contains("DETAIL:  Key (sku)=(SKU-001) is duplicated."),
        "{upgrade:?}"
    );
    // After a failed upgrade nothing after it ran: locks too is skipped.
    assert_eq!(check_status(&value, "locks"), "skipped");
    assert_eq!(check_status(&value, "stairway"), "skipped");
}

#[test]
fn declaring_a_comment_only_up_irreversible_skips_the_reset() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        "[migrate-check]\nirreversible = ['20240702080000']\n",
    )
    .unwrap();
    let dir = fixture("fixtures/migrate-check/irreversible-comment-only");
    let run = checked_run(
        tool_on_server()
            .current_dir(scratch.path())
            .arg(&dir)
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(check_status(&value, "reset"), "skipped");
    let reset = value["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "reset")
        .unwrap()["detail"]
        .clone();
    assert_eq!(
        reset,
        "skipped: 20240702080000_backfill_note is declared irreversible"
    );
}
