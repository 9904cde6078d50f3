//! Every code `pg-backup verify` can report (its own, the file checks' and
//! the off-site fetch's), registered so SARIF describes each one and a new
//! code cannot be emitted unregistered (the debug build checks every report).

shipshape_core::rules! {
    pub static RULES {
        VERIFIED = ("verified", Info,
            "the backup was read back completely and matches its manifest",
            "nothing to do");
        RESTORED = ("restored", Info,
            "the restore drill restored the backup into a throwaway database and the row counts match",
            "nothing to do");
        CORRUPT = ("corrupt", Error,
            "the backup (or the stored object) cannot be decompressed or decrypted: it is damaged",
            "do not restore from this file; use an older backup and check the disk or the store");
        UNREADABLE = ("unreadable", Error,
            "the backup (or the stored object) could not be read",
            "check the file's permissions and the disk, or the store and the key's read permission");
        INCOMPLETE = ("incomplete", Error,
            "the dump was cut short: it lacks pg_dump's end marker or archive header",
            "do not restore from this file; take a new backup and find out why the dump stopped");
        MANIFEST_MISMATCH = ("manifest-mismatch", Error,
            "the manifest beside the backup describes another file",
            "put the right manifest beside the file; the file itself was still checked");
        SIZE_MISMATCH = ("size-mismatch", Error,
            "the backup's size differs from what its manifest recorded (truncated or appended to)",
            "do not restore from this file; use an older backup");
        CHECKSUM_MISMATCH = ("checksum-mismatch", Error,
            "the backup's SHA-256 differs from what its manifest recorded",
            "do not restore from this file; use an older backup and check the disk or the store");
        WRONG_IDENTITY = ("wrong-identity", Error,
            "the stored object is encrypted for another key, or no --identity was given",
            "pass the --identity FILE the backup was encrypted for");
        MANIFEST_INVALID = ("manifest-invalid", Error,
            "the manifest beside the backup cannot be read",
            "the manifest is damaged; the file itself was still checked");
        MANIFEST_MISSING = ("manifest-missing", Warning,
            "the backup has no manifest, so its checksum cannot be compared",
            "take backups with pg-backup, which writes FILE.json beside each one");
        NOT_DECRYPTED = ("not-decrypted", Warning,
            "the stored object is intact but encrypted, and without --identity its contents were not checked",
            "run the restore drill where the identity is kept: pg-backup verify --restore --latest --to URL --identity FILE");
        NOTHING_TO_RESTORE = ("nothing-to-restore", Error,
            "--verify-restore found no intact backup with a manifest to restore",
            "take a backup with pg-backup first, or point verify at the directory or store holding them");
        RESTORE_MISMATCH = ("restore-mismatch", Error,
            "the backup is intact but does not restore to what was dumped",
            "do not rely on it: take a new backup and check the dump's source");
    }
}
