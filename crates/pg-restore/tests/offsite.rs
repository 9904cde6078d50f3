//! Restoring from an off-site repository in a real Garage store: the
//! backups are laid out exactly as pg-backup writes them (object, then its
//! manifest object; encrypted with age to a recipient), and pg-restore must
//! find, download, check, decrypt and restore them, or refuse before it
//! touches the server.

use std::io::Write as _;
use std::path::Path;

use age::secrecy::ExposeSecret as _;
use shipshape_pg::manifest::{Compression, DumpFormat, EncryptionInfo, Manifest, RemoteObject};
use shipshape_testkit::cli;
use shipshape_testkit::garage::{self, TestBucket};

use crate::inputs::{table_rows, write_manifest};
use crate::{Cleanup, dump, fill, fingerprint, list_databases, server, tool_for};

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A key pair: (identity file, public key).
#[allow(deprecated)] // classic X25519: what age-keygen writes today
fn age_key(dir: &Path, name: &str) -> (std::path::PathBuf, String) {
    let identity = age::x25519::Identity::generate();
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", identity.to_string().expose_secret())).unwrap();
    (path, identity.to_public().to_string())
}

/// Upload a pg-backup-style backup of `db` (gzip, manifest, optionally
/// encrypted to `recipient`) under `prefix/`; returns the object's name.
fn upload_backup(
    bucket: &TestBucket<'_>,
    prefix: &str,
    db: &str,
    stamp: &str,
    recipient: Option<&str>,
) -> String {
    let work = tempfile::tempdir().unwrap();
    let dumped = dump(db, work.path(), "gzip");
    let plain_name = format!("{db}_{stamp}.sql.gz");
    let plain = work.path().join(&plain_name);
    std::fs::rename(&dumped, &plain).unwrap();
    write_manifest(
        &plain,
        db,
        table_rows(db),
        DumpFormat::Plain,
        Compression::Gzip,
    );
    let mut manifest: Manifest = serde_json::from_str(
        &std::fs::read_to_string(shipshape_pg::manifest::manifest_path(&plain)).unwrap(),
    )
    .unwrap();
    let plain_bytes = std::fs::read(&plain).unwrap();
    let (name, stored) = match recipient {
        None => (plain_name, plain_bytes.clone()),
        Some(recipient) => {
            #[allow(deprecated)]
            let to: age::x25519::Recipient = recipient.parse().unwrap();
            let encryptor =
                age::Encryptor::with_recipients(std::iter::once(&to as &dyn age::Recipient))
                    .unwrap();
            let mut out = Vec::new();
            let mut writer = encryptor.wrap_output(&mut out).unwrap();
            writer.write_all(&plain_bytes).unwrap();
            writer.finish().unwrap();
            manifest.encryption = Some(EncryptionInfo {
                method: "age".into(),
                recipients: vec![recipient.to_owned()],
                plain_sha256: manifest.sha256.clone(),
                plain_bytes: manifest.compressed_bytes,
            });
            (format!("{plain_name}.age"), out)
        }
    };
    manifest.file.clone_from(&name);
    manifest.sha256 = sha256(&stored);
    manifest.compressed_bytes = stored.len() as u64;
    manifest.remote = Some(RemoteObject {
        url: format!("s3://{}/{prefix}/{name}", bucket.name()),
        e_tag: None,
        size: stored.len() as u64,
        part_size: 8 << 20,
        parts: 1,
    });
    bucket.put(&format!("{prefix}/{name}"), stored);
    bucket.put(
        &format!("{prefix}/{name}.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    );
    name
}

/// pg-restore with the store's credentials and a private TMPDIR, which
/// must be empty again afterwards (the spool is removed, whatever happened).
fn restore_from_store(target: &str, args: &[&str]) -> cli::Run {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = tool_for(target);
    for (name, value) in garage::single().env() {
        cmd.env(name, value);
    }
    cmd.env("TMPDIR", tmp.path());
    let run = cli::run(cmd.args(args).args(["--target", target, "--yes"]));
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "spool left behind: {left:?}");
    run
}

#[test]
fn latest_encrypted_backup_restores_from_the_store() {
    let s = server();
    let src = s.create_database("prs_s3src");
    fill(&src.name, 200);
    let bucket = garage::single().create_bucket("prs-latest");
    let keys = tempfile::tempdir().unwrap();
    let (identity, public) = age_key(keys.path(), "k");
    upload_backup(&bucket, "app", &src.name, "20260101_000000", Some(&public));
    let newest = upload_backup(&bucket, "app", &src.name, "20260102_000000", Some(&public));
    bucket.put("app/notes.txt", b"not a backup");
    let target = format!("{}_copy", src.name);
    let _cleanup = Cleanup(target.clone());
    let run = restore_from_store(
        &target,
        &[
            "--latest",
            "--from",
            &bucket.url("app"),
            "--identity",
            identity.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.snapshot().contains(&newest), "{}", run.snapshot());
    assert_eq!(fingerprint(&src.name), fingerprint(&target));
}

#[test]
fn named_url_wrong_identity_and_damaged_objects_never_touch_the_server() {
    let s = server();
    let src = s.create_database("prs_s3bad");
    fill(&src.name, 50);
    let bucket = garage::single().create_bucket("prs-bad");
    let keys = tempfile::tempdir().unwrap();
    let (identity, public) = age_key(keys.path(), "right");
    let (wrong, _) = age_key(keys.path(), "wrong");
    let name = upload_backup(&bucket, "app", &src.name, "20260101_000000", Some(&public));
    let plain = upload_backup(&bucket, "plain", &src.name, "20260101_000000", None);
    let target = format!("{}_t", src.name);
    let _cleanup = Cleanup(target.clone());
    let url = format!("{}/{name}", bucket.url("app"));

    // A plain object named by its URL restores.
    let run = restore_from_store(&target, &[&format!("{}/{plain}", bucket.url("plain"))]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(fingerprint(&src.name), fingerprint(&target));
    let before = fingerprint(&target);

    // The wrong identity: exit 1, names the recipient, target unchanged.
    let run = restore_from_store(&target, &[&url, "--identity", wrong.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(run.snapshot().contains(&public), "{}", run.snapshot());
    // No identity at all.
    let run = restore_from_store(&target, &[&url]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(
        run.snapshot().contains("no --identity"),
        "{}",
        run.snapshot()
    );

    // A bit flipped, then a truncated object: refused before the server.
    let key = format!("app/{name}");
    let good = bucket.get(&key).unwrap();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x10;
    for (damaged, code) in [
        (flipped, "checksum-mismatch"),
        (good[..good.len() / 2].to_vec(), "size-mismatch"),
    ] {
        bucket.put(&key, damaged);
        let run = restore_from_store(&target, &[&url, "--identity", identity.to_str().unwrap()]);
        assert_eq!(run.code, Some(1), "{code}: {}", run.snapshot());
        assert!(run.snapshot().contains(code), "{code}: {}", run.snapshot());
        assert_eq!(before, fingerprint(&target));
        let restoring = format!("{target}_restoring");
        assert!(!list_databases().iter().any(|d| d.starts_with(&restoring)));
    }
}
