//! How to reach an object store: endpoint, region, addressing style and
//! credentials, resolved the way the AWS CLI and SDKs do, so a machine that
//! already runs `aws s3 cp` needs nothing new:
//!
//! - credentials: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
//!   (`AWS_SESSION_TOKEN`), else the `AWS_PROFILE` (or `default`) profile in
//!   `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`), else web-identity,
//!   container and instance credentials (the client library's chain);
//! - endpoint: `--s3-endpoint`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`,
//!   the config file's `s3_endpoint`, the profile's `endpoint_url` in
//!   `~/.aws/config` (`AWS_CONFIG_FILE`); none means AWS itself;
//! - region: `--s3-region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the config
//!   file's `s3_region`, the profile's `region`, else `us-east-1`;
//! - path-style addressing (`endpoint/bucket/key`) unless
//!   `--s3-virtual-hosted`: every self-hosted store supports it.
//!
//! The secrets are [`Secret`]s: `Debug` never shows them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use shipshape_core::Secret;

/// Command-line options shared by pg-backup and pg-restore.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct S3Args {
    /// S3 endpoint of a store other than AWS: MinIO, Garage, Cloudflare R2, Backblaze B2
    /// [env: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub s3_endpoint: Option<String>,

    /// Region of the bucket [env: AWS_REGION, AWS_DEFAULT_REGION] [default: us-east-1]
    #[arg(long, global = true, value_name = "REGION")]
    pub s3_region: Option<String>,

    /// Address buckets as BUCKET.ENDPOINT (virtual-hosted style) instead of ENDPOINT/BUCKET
    #[arg(long, global = true)]
    pub s3_virtual_hosted: bool,
}

/// The same settings as keys of a tool's table in shipshape.toml.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct S3FileConfig {
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_virtual_hosted: Option<bool>,
}

/// Where the access key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    Environment,
    /// A profile of the shared credentials file.
    Profile { name: String, file: PathBuf },
    /// Whatever the client library finds: web identity, container or
    /// instance credentials.
    Ambient,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub endpoint: Option<String>,
    pub region: String,
    pub virtual_hosted: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret<String>>,
    pub session_token: Option<Secret<String>>,
    pub credentials: CredentialSource,
}

/// Reads a variable: `shipshape_core::config::env_var` (the one reader of
/// ecosystem variables, ignoring empty values as the AWS CLI does), or a
/// test's own environment.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl S3Settings {
    pub fn resolve(args: &S3Args, file: &S3FileConfig, env: Env<'_>) -> Self {
        let profile_name = env("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
        let home = env("HOME").map(PathBuf::from);
        let config_file = env("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws/config")));
        let credentials_file = env("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")));
        // In ~/.aws/config the default profile is [default], others [profile NAME].
        let config_section = if profile_name == "default" {
            "default".to_owned()
        } else {
            format!("profile {profile_name}")
        };
        let profile_config = config_file
            .as_ref()
            .and_then(|f| ini_section(f, &config_section))
            .unwrap_or_default();
        let endpoint = args
            .s3_endpoint
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .or_else(|| file.s3_endpoint.clone())
            .or_else(|| profile_config.get("endpoint_url").cloned());
        let region = args
            .s3_region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .or_else(|| file.s3_region.clone())
            .or_else(|| profile_config.get("region").cloned())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let virtual_hosted = args.s3_virtual_hosted || file.s3_virtual_hosted.unwrap_or(false);
        let mut settings = Self {
            endpoint,
            region,
            virtual_hosted,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            credentials: CredentialSource::Ambient,
        };
        if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            settings.access_key_id = Some(id);
            settings.secret_access_key = Some(Secret::new(secret));
            settings.session_token = env("AWS_SESSION_TOKEN").map(Secret::new);
            settings.credentials = CredentialSource::Environment;
        } else if let Some(file) = credentials_file {
            let section = ini_section(&file, &profile_name).unwrap_or_default();
            if let (Some(id), Some(secret)) = (
                section.get("aws_access_key_id"),
                section.get("aws_secret_access_key"),
            ) {
                settings.access_key_id = Some(id.clone());
                settings.secret_access_key = Some(Secret::new(secret.clone()));
                settings.session_token = section.get("aws_session_token").cloned().map(Secret::new);
                settings.credentials = CredentialSource::Profile {
                    name: profile_name,
                    file,
                };
            }
        }
        settings
    }

    /// The endpoint as users know it.
    pub fn endpoint_label(&self) -> String {
        self.endpoint
            .clone()
            .unwrap_or_else(|| format!("AWS S3 ({})", self.region))
    }
}

/// The `key = value` pairs of `[section]` in an INI file (AWS's shared
/// config format); `None` when the file or the section is missing.
fn ini_section(file: &std::path::Path, section: &str) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut found = None;
    let mut current = None::<String>;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.trim().to_owned());
            if current.as_deref() == Some(section) {
                found.get_or_insert_with(BTreeMap::new);
            }
            continue;
        }
        if current.as_deref() != Some(section) {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            found
                .get_or_insert_with(BTreeMap::new)
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn environment_wins_and_secrets_stay_out_of_debug() {
        let env = env_of(&[
            ("AWS_ACCESS_KEY_ID", "GK123"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t-value"),
            ("AWS_REGION", "garage"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:3900"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:3901"),
        ]);
        let s = S3Settings::resolve(&S3Args::default(), &S3FileConfig::default(), &env);
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:3901"));
        assert_eq!(s.region, "garage");
        assert_eq!(s.credentials, CredentialSource::Environment);
        let shown = format!("{s:?}");
        assert!(
            shown.contains("GK123") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }

    #[test]
    fn profile_files_as_the_aws_cli_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        let config = dir.path().join("config");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = A\naws_secret_access_key = B\n\n[backup]\naws_access_key_id=C\naws_secret_access_key=D\n",
        )
        .unwrap();
        std::fs::write(
            &config,
            "[default]\nregion = eu-west-1\n[profile backup]\nregion = auto\nendpoint_url = https://x.r2.cloudflarestorage.com\n",
        )
        .unwrap();
        let (c, f) = (creds.display().to_string(), config.display().to_string());
        let env = env_of(&[
            ("AWS_SHARED_CREDENTIALS_FILE", &c),
            ("AWS_CONFIG_FILE", &f),
            ("AWS_PROFILE", "backup"),
        ]);
        let s = S3Settings::resolve(&S3Args::default(), &S3FileConfig::default(), &env);
        assert_eq!(s.access_key_id.as_deref(), Some("C"));
        assert_eq!(s.region, "auto");
        assert_eq!(
            s.endpoint.as_deref(),
            Some("https://x.r2.cloudflarestorage.com")
        );
        let args = S3Args {
            s3_region: Some("us-west-2".into()),
            ..S3Args::default()
        };
        let env = env_of(&[("AWS_SHARED_CREDENTIALS_FILE", &c), ("AWS_CONFIG_FILE", &f)]);
        let s = S3Settings::resolve(&args, &S3FileConfig::default(), &env);
        assert_eq!(
            (s.access_key_id.as_deref(), s.region.as_str()),
            (Some("A"), "us-west-2")
        );
        assert_eq!(s.endpoint, None);
    }
}
