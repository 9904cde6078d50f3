//! `s3://bucket/prefix`: where a remote repository is. The prefix is a
//! "directory" inside the bucket: backups are `<prefix>/<backup name>`, so
//! two repositories in one bucket never see each other's objects.

use std::fmt;

/// A parsed `s3://bucket[/prefix]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty (the bucket's root).
    pub prefix: String,
}

/// Why a repository URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url:?} is not an object-store location: {reason} (expected s3://BUCKET/PREFIX)")]
pub struct BadUrl {
    pub url: String,
    pub reason: &'static str,
}

impl RemoteUrl {
    /// Is `text` meant as an object-store URL (rather than a local path)?
    pub fn looks_remote(text: &str) -> bool {
        text.contains("://")
    }

    pub fn parse(text: &str) -> Result<Self, BadUrl> {
        let bad = |reason| BadUrl {
            url: text.to_owned(),
            reason,
        };
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| bad("only s3:// is supported (any S3-compatible store)"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("the bucket name is missing"));
        }
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(bad(
                "a bucket name has only lower-case letters, digits, '-' and '.'",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|part| part == "." || part == "..")
            || prefix.contains("//")
            || prefix.contains(['\\', '\0'])
        {
            return Err(bad("the prefix must not contain '.', '..' or empty parts"));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    /// The key of `name` in this repository.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    /// The URL of one backup in this repository.
    pub fn join(&self, name: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(name))
    }

    /// Split `s3://bucket/prefix/name` into the repository and the name.
    pub fn split_object(text: &str) -> Result<(Self, String), BadUrl> {
        let url = Self::parse(text)?;
        match url.prefix.rsplit_once('/') {
            Some((prefix, name)) => Ok((
                Self {
                    bucket: url.bucket,
                    prefix: prefix.to_owned(),
                },
                name.to_owned(),
            )),
            None if !url.prefix.is_empty() => Ok((
                Self {
                    bucket: url.bucket,
                    prefix: String::new(),
                },
                url.prefix,
            )),
            None => Err(BadUrl {
                url: text.to_owned(),
                reason: "it names a bucket, not a backup",
            }),
        }
    }
}

impl fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_joins() {
        let url = RemoteUrl::parse("s3://backups/prod/app/").unwrap();
        assert_eq!(url.bucket, "backups");
        assert_eq!(url.prefix, "prod/app");
        assert_eq!(url.key("a.sql.gz"), "prod/app/a.sql.gz");
        assert_eq!(url.to_string(), "s3://backups/prod/app");
        let root = RemoteUrl::parse("s3://backups").unwrap();
        assert_eq!(root.key("a"), "a");
        for bad in [
            "backups/x",
            "s3://",
            "s3://Upper/x",
            "s3://b/../x",
            "gs://b/x",
            "s3://b/a//c",
        ] {
            assert!(RemoteUrl::parse(bad).is_err(), "{bad}");
        }
        let (repo, name) = RemoteUrl::split_object("s3://b/p/q/app_1.sql.gz").unwrap();
        assert_eq!(
            (repo.prefix.as_str(), name.as_str()),
            ("p/q", "app_1.sql.gz")
        );
        assert!(RemoteUrl::split_object("s3://b").is_err());
    }
}
