//! Every code pg-restore can report (its own and the off-site fetch's),
//! registered so SARIF describes each one and a new code cannot be emitted
//! unregistered (the debug build checks every report).

shipshape_core::rules! {
    pub static RULES {
        DAMAGED_FILE = ("damaged-file", Error,
            "the backup file cannot be read to its end: it is truncated or corrupted",
            "use another backup (pg-backup verify checks them all)");
        NOT_A_DUMP = ("not-a-dump", Error,
            "the file is not a pg_dump plain or custom-format dump",
            "name a file written by pg-backup or pg_dump");
        NOT_A_DATABASE_DUMP = ("not-a-database-dump", Error,
            "the file is a pg_dumpall cluster dump, not a dump of one database",
            "restore a cluster dump with psql; pg-restore restores one database");
        INCOMPLETE_DUMP = ("incomplete-dump", Error,
            "the dump lacks pg_dump's closing line: it was cut short",
            "use another backup; find out why the dump stopped");
        DUMP_RECONNECTS = ("dump-reconnects", Error,
            "the dump contains \\connect (pg_dump --create) and would restore into the original database, not beside it",
            "dump without --create (pg-backup never uses it)");
        CHECKSUM_MISMATCH = ("checksum-mismatch", Error,
            "the file's SHA-256 differs from what its manifest recorded",
            "do not restore from this file; use an older backup");
        MANIFEST_NAME = ("manifest-name", Warning,
            "the manifest beside the file describes another file name",
            "check that the file is the backup you meant; the file itself was still checked");
        MANIFEST_UNREADABLE = ("manifest-unreadable", Warning,
            "the manifest beside the file cannot be read, so the checksum cannot be compared",
            "the file was still read completely; replace the damaged manifest");
        NO_MANIFEST = ("no-manifest", Info,
            "no manifest beside the file: integrity was checked by reading it completely, without a checksum",
            "take backups with pg-backup, which writes FILE.json beside each one");
        UNREADABLE = ("unreadable", Error,
            "the stored object could not be read",
            "check the store and the key's read permission; retry");
        SIZE_MISMATCH = ("size-mismatch", Error,
            "the stored object's size differs from what its manifest recorded",
            "the object was truncated or replaced; restore an older backup");
        CORRUPT = ("corrupt", Error,
            "the stored object cannot be decrypted or decompressed: it is damaged",
            "do not restore from this object; restore an older backup");
        WRONG_IDENTITY = ("wrong-identity", Error,
            "the backup is encrypted for another key, or no --identity was given",
            "pass the --identity FILE the backup was encrypted for");
        OLDER_SERVER = ("older-server", Warning,
            "the dump comes from a newer PostgreSQL than the target server",
            "restore onto a server at least as new as the one dumped; a failure leaves the target untouched");
        TRANSACTION_TIMEOUT_DROPPED = ("transaction-timeout-dropped", Info,
            "the dump's SET transaction_timeout lines are left out because the server does not know that setting",
            "nothing to do");
        STATISTICS_DROPPED = ("statistics-dropped", Info,
            "the dump's planner statistics (pg_dump 18 --statistics) are left out because the server, older than 18, cannot import them; ANALYZE computes them",
            "nothing to do");
        NEEDS_CREATEDB = ("needs-createdb", Error,
            "the role cannot create databases, which restoring beside the target needs",
            "ALTER ROLE … CREATEDB (as a superuser), or connect as a role that has it");
        NEEDS_OWNERSHIP = ("needs-ownership", Error,
            "the role does not own the target database, which the swap needs",
            "connect as the owner or a superuser");
        NEEDS_SIGNAL_BACKEND = ("needs-signal-backend", Error,
            "the role cannot end other roles' sessions on the target (an error when there are some now)",
            "GRANT pg_signal_backend TO the role, or connect as a superuser");
        MISSING_ROLE = ("missing-role", Error,
            "a role the restore needs (--owner-map) does not exist on the server",
            "create the role first, or map it to one that exists");
        LOW_DISK = ("low-disk", Warning,
            "the server's disk may not hold the restored copy beside the current database",
            "free space first, or use --in-place (which needs no second copy)");
        RESTORE_FAILED = ("restore-failed", Error,
            "a statement of the restore failed; the target was not changed",
            "fix the cause (see the statement) and run again");
        TABLE_MISSING = ("table-missing", Error,
            "a table the backup's manifest lists is missing after the restore",
            "do not swap it in: the backup or the restore is incomplete");
        ROW_COUNT = ("row-count", Error,
            "a table's row count after the restore differs from the backup's manifest",
            "do not swap it in: the backup or the restore is incomplete");
    }
}
