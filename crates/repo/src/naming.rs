//! Backup file names: `<prefix>_<YYYYmmdd_HHMMSS>.<ext>`, the timestamp in
//! UTC. Retention reads a backup's age from its name (mtime changes when
//! files are copied or restored from tape) and only ever touches names that
//! match this exact pattern for the prefix in use.

use chrono::{DateTime, NaiveDateTime, Utc};

use shipshape_pg::manifest::{Compression, DumpFormat};

const STAMP: &str = "%Y%m%d_%H%M%S";
const STAMP_LEN: usize = 15;

/// What kind of file a backup is, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `.sql.gz`
    SqlGzip,
    /// `.sql.zst`
    SqlZstd,
    /// `.dump` (pg_dump custom format)
    Custom,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::SqlGzip, Kind::SqlZstd, Kind::Custom];

    /// The kind of any file by its extension, whatever its stem.
    pub fn from_file_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| name.ends_with(k.extension()))
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::SqlGzip => ".sql.gz",
            Self::SqlZstd => ".sql.zst",
            Self::Custom => ".dump",
        }
    }

    pub fn format(self) -> DumpFormat {
        match self {
            Self::SqlGzip | Self::SqlZstd => DumpFormat::Plain,
            Self::Custom => DumpFormat::Custom,
        }
    }

    pub fn compression(self) -> Compression {
        match self {
            Self::SqlGzip => Compression::Gzip,
            Self::SqlZstd => Compression::Zstd,
            Self::Custom => Compression::None,
        }
    }
}

/// A parsed backup name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupName {
    pub prefix: String,
    pub time: DateTime<Utc>,
    pub kind: Kind,
    /// Encrypted with age: the name ends in `.age` (remote repositories).
    pub encrypted: bool,
}

impl BackupName {
    pub fn new(prefix: &str, time: DateTime<Utc>, kind: Kind) -> Self {
        Self {
            prefix: prefix.to_owned(),
            time,
            kind,
            encrypted: false,
        }
    }

    /// The same backup, encrypted or not.
    #[must_use]
    pub fn encrypted(mut self, encrypted: bool) -> Self {
        self.encrypted = encrypted;
        self
    }

    /// The file name.
    pub fn file_name(&self) -> String {
        format!(
            "{}_{}{}{}",
            self.prefix,
            self.time.format(STAMP),
            self.kind.extension(),
            if self.encrypted {
                crate::crypt::SUFFIX
            } else {
                ""
            }
        )
    }

    /// The file name without the encryption suffix: the name of the
    /// decrypted backup.
    pub fn plain_file_name(&self) -> String {
        self.clone().encrypted(false).file_name()
    }

    /// The file holding `pg_dumpall --globals-only` output for this backup.
    pub fn globals_file_name(&self) -> String {
        format!("{}_{}.globals.sql", self.prefix, self.time.format(STAMP))
    }

    /// Parse any pg-backup name (prefix unknown). The prefix is everything
    /// before the final `_YYYYmmdd_HHMMSS`.
    pub fn parse(name: &str) -> Option<Self> {
        if let Some(plain) = name.strip_suffix(crate::crypt::SUFFIX) {
            return Self::parse(plain)
                .filter(|n| !n.encrypted)
                .map(|n| n.encrypted(true));
        }
        let kind = Kind::ALL
            .into_iter()
            .find(|k| name.ends_with(k.extension()))?;
        let stem = &name[..name.len() - kind.extension().len()];
        if stem.len() < STAMP_LEN + 2 || !stem.is_char_boundary(stem.len() - STAMP_LEN - 1) {
            return None;
        }
        let (prefix, rest) = stem.split_at(stem.len() - STAMP_LEN - 1);
        let stamp = rest.strip_prefix('_')?;
        if prefix.is_empty()
            || prefix.starts_with('.')
            || !stamp.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        let time = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
        let parsed = Self::new(prefix, time, kind);
        // Round trip: rejects anything chrono accepted loosely.
        (parsed.file_name() == name).then_some(parsed)
    }

    /// Parse a name only if it belongs to `prefix` exactly.
    pub fn parse_for(name: &str, prefix: &str) -> Option<Self> {
        Self::parse(name).filter(|n| n.prefix == prefix)
    }
}

/// Is `prefix` usable in a file name? (No path separators, not hidden.)
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && !prefix.starts_with('.')
        && !prefix.contains(['/', '\0'])
        && prefix.len() <= 200
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn round_trips_and_rejects_lookalikes() {
        let time = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let name = BackupName::new("my_app", time, Kind::SqlGzip);
        assert_eq!(name.file_name(), "my_app_20260102_030405.sql.gz");
        assert_eq!(
            BackupName::parse("my_app_20260102_030405.sql.gz"),
            Some(name.clone())
        );
        assert_eq!(
            BackupName::parse_for("my_app_20260102_030405.sql.gz", "my_app"),
            Some(name)
        );
        assert_eq!(
            BackupName::parse_for("my_app_20260102_030405.sql.gz", "app"),
            None
        );
        assert_eq!(
            BackupName::parse("app_20260102_030405.dump").map(|n| n.kind),
            Some(Kind::Custom)
        );
        let age = BackupName::parse("app_20260102_030405.sql.zst.age").unwrap();
        assert!(age.encrypted);
        assert_eq!(age.file_name(), "app_20260102_030405.sql.zst.age");
        assert_eq!(age.plain_file_name(), "app_20260102_030405.sql.zst");
        for bad in [
            "app_20261302_030405.sql.gz",
            "app_20260102_030405.sql.gz.json",
            "app_2026010_0304051.sql.gz",
            "app_20260102_030405.sql",
            "_20260102_030405.sql.gz",
            ".app_20260102_030405.sql.gz.partial",
            "app-20260102-030405.sql.gz",
            "app_20260102_030405.globals.sql",
            "notes.txt",
            "app_20260102_030405.sql.gz.age.age",
            "app_20260102_030405.age",
        ] {
            assert_eq!(BackupName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn prefixes() {
        assert!(valid_prefix("app"));
        assert!(!valid_prefix("../x"));
        assert!(!valid_prefix(".hidden"));
        assert!(!valid_prefix(""));
    }
}
