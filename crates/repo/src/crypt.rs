//! Client-side encryption with [age](https://age-encryption.org): backups
//! leave the host encrypted to public recipients (X25519 `age1…` keys or
//! SSH public keys), so the database host, which holds no private key,
//! cannot read old backups even if it is compromised. Restoring needs an
//! identity file. A passphrase (scrypt) is allowed for small setups, read
//! from a file or an environment variable, never from the command line.

use std::io::{self, BufRead as _, Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;

/// The environment variable that may hold a backup passphrase.
pub const PASSPHRASE_ENV: &str = shipshape_core::command::BACKUP_PASSPHRASE_VAR;
/// Added to the name of an encrypted object.
pub const SUFFIX: &str = ".age";

/// Why encryption could not be set up or a backup could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    #[error(
        "{source_name}: {text:?} is not an age recipient (age1…, age1pq1…) or SSH public key (ssh-ed25519 …, ssh-rsa …)"
    )]
    BadRecipient { source_name: String, text: String },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} holds no recipients")]
    NoRecipients { path: PathBuf },
    #[error(
        "{path} holds no usable identity: {reason}\n  hint: pass the file age-keygen wrote (AGE-SECRET-KEY-1…) or an unencrypted SSH private key"
    )]
    BadIdentity { path: PathBuf, reason: String },
    #[error("{what} is empty")]
    EmptyPassphrase { what: String },
    #[error(
        "{name} is encrypted and no identity was given\n  \
         it was encrypted to: {recipients}\n  \
         hint: pass --identity FILE with the matching private key (or --passphrase-file / {PASSPHRASE_ENV} for a passphrase backup)"
    )]
    NoIdentity { name: String, recipients: String },
    #[error(
        "none of the identities given can decrypt {name}\n  \
         it was encrypted to: {recipients}\n  \
         hint: pass the identity file whose public key is listed (age-keygen -y FILE prints it); \
         a key rotated since still decrypts the backups made before"
    )]
    WrongIdentity { name: String, recipients: String },
    #[error("{name} is not a readable age file: {reason}")]
    Corrupt { name: String, reason: String },
}

/// Where recipients and passphrases come from (flags and config keys).
#[derive(Debug, Clone, Default)]
pub struct EncryptionSources {
    /// `--encrypt-to`: recipients given directly.
    pub recipients: Vec<String>,
    /// `--recipients-file`: files of recipients, one per line, `#` comments.
    pub recipients_files: Vec<PathBuf>,
    /// `--passphrase-file`.
    pub passphrase_file: Option<PathBuf>,
    /// The value of [`PASSPHRASE_ENV`], if set.
    pub passphrase_env: Option<String>,
}

impl EncryptionSources {
    /// Only a passphrase: `file` (`--passphrase-file`), else the value of
    /// [`PASSPHRASE_ENV`]; what decrypting and encrypting both start from.
    pub fn passphrase(file: Option<PathBuf>) -> Self {
        Self {
            passphrase_file: file,
            passphrase_env: std::env::var(PASSPHRASE_ENV).ok(),
            ..Self::default()
        }
    }
}

/// How new backups are encrypted.
pub enum Encryption {
    Recipients {
        recipients: Vec<Box<dyn age::Recipient + Send + Sync>>,
        /// The public keys as given, recorded in the manifest.
        labels: Vec<String>,
    },
    Passphrase(SecretString),
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.labels()).finish()
    }
}

fn parse_recipient(
    text: &str,
    source_name: &str,
) -> Result<Box<dyn age::Recipient + Send + Sync>, CryptError> {
    let bad = || CryptError::BadRecipient {
        source_name: source_name.to_owned(),
        // A private key where a public one belongs must not be echoed.
        text: if text.starts_with("AGE-SECRET-KEY") || text.contains("PRIVATE KEY") {
            "<a private key: pass its public key, `age-keygen -y FILE` prints it>".to_owned()
        } else {
            text.to_owned()
        },
    };
    // age 0.13 marks the classic X25519 and SSH recipients deprecated in
    // favour of post-quantum ones (age1pq1…); both are what age-keygen and
    // ssh-keygen produce today and what existing keys are, so they stay
    // supported beside the new kind.
    #[allow(deprecated)]
    let parsed: Option<Box<dyn age::Recipient + Send + Sync>> = if text.starts_with("age1pq1") {
        text.parse::<age::pq::Recipient>()
            .ok()
            .map(|r| Box::new(r) as _)
    } else if text.starts_with("age1") {
        text.parse::<age::x25519::Recipient>()
            .ok()
            .map(|r| Box::new(r) as _)
    } else if text.starts_with("ssh-") {
        text.parse::<age::ssh::Recipient>()
            .ok()
            .map(|r| Box::new(r) as _)
    } else {
        None
    };
    parsed.ok_or_else(bad)
}

fn read_passphrase(sources: &EncryptionSources) -> Result<Option<SecretString>, CryptError> {
    if let Some(path) = &sources.passphrase_file {
        let text = std::fs::read_to_string(path).map_err(|source| CryptError::Read {
            path: path.clone(),
            source,
        })?;
        // The first line, as `age -p` and password managers write it.
        let line = text.lines().next().unwrap_or_default().to_owned();
        if line.is_empty() {
            return Err(CryptError::EmptyPassphrase {
                what: path.display().to_string(),
            });
        }
        return Ok(Some(SecretString::from(line)));
    }
    match &sources.passphrase_env {
        Some(value) if value.is_empty() => Err(CryptError::EmptyPassphrase {
            what: PASSPHRASE_ENV.to_owned(),
        }),
        Some(value) => Ok(Some(SecretString::from(value.clone()))),
        None => Ok(None),
    }
}

impl Encryption {
    /// The encryption the sources ask for; `None` when they name nothing.
    /// Recipients win over a passphrase when both are given.
    pub fn resolve(sources: &EncryptionSources) -> Result<Option<Self>, CryptError> {
        let mut recipients = Vec::new();
        let mut labels = Vec::new();
        for text in &sources.recipients {
            recipients.push(parse_recipient(text.trim(), "--encrypt-to")?);
            labels.push(text.trim().to_owned());
        }
        for path in &sources.recipients_files {
            let text = std::fs::read_to_string(path).map_err(|source| CryptError::Read {
                path: path.clone(),
                source,
            })?;
            let before = recipients.len();
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                recipients.push(parse_recipient(line, &path.display().to_string())?);
                labels.push(line.to_owned());
            }
            if recipients.len() == before {
                return Err(CryptError::NoRecipients { path: path.clone() });
            }
        }
        if !recipients.is_empty() {
            return Ok(Some(Self::Recipients { recipients, labels }));
        }
        Ok(read_passphrase(sources)?.map(Self::Passphrase))
    }

    /// What the manifest records: the recipients' public keys, or that a
    /// passphrase was used.
    pub fn labels(&self) -> Vec<String> {
        match self {
            Self::Recipients { labels, .. } => labels.clone(),
            Self::Passphrase(_) => vec![PASSPHRASE_LABEL.to_owned()],
        }
    }

    /// An age writer around `out`; call `finish()` on it to write the last
    /// chunk and the authentication tag.
    pub fn wrap<W: Write>(&self, out: W) -> io::Result<age::stream::StreamWriter<W>> {
        let encryptor = match self {
            Self::Recipients { recipients, .. } => age::Encryptor::with_recipients(
                recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
            )
            .map_err(|e| io::Error::other(format!("cannot encrypt: {e}")))?,
            Self::Passphrase(pass) => age::Encryptor::with_user_passphrase(pass.clone()),
        };
        encryptor.wrap_output(out)
    }
}

/// The recipient label recorded for a passphrase backup.
pub const PASSPHRASE_LABEL: &str = "passphrase (scrypt)";

/// What can decrypt: identity files and/or a passphrase.
#[derive(Default)]
pub struct Decryption {
    identities: Vec<Box<dyn age::Identity + Send + Sync>>,
    passphrase: Option<SecretString>,
}

impl std::fmt::Debug for Decryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Decryption({} identities, passphrase: {})",
            self.identities.len(),
            self.passphrase.is_some()
        )
    }
}

impl Decryption {
    /// Read `--identity` files and the passphrase sources.
    pub fn load(
        identity_files: &[PathBuf],
        sources: &EncryptionSources,
    ) -> Result<Self, CryptError> {
        let mut identities = Vec::new();
        for path in identity_files {
            identities.extend(load_identity_file(path)?);
        }
        Ok(Self {
            identities,
            passphrase: read_passphrase(sources)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.identities.is_empty() && self.passphrase.is_none()
    }

    /// Decrypt `input` (an age file named `name` in messages, encrypted to
    /// `recipients` according to its manifest).
    pub fn reader<R: Read>(
        &self,
        input: R,
        name: &str,
        recipients: &[String],
    ) -> Result<age::stream::StreamReader<R>, CryptError> {
        let listed = || {
            if recipients.is_empty() {
                "(not recorded: the manifest is missing)".to_owned()
            } else {
                recipients.join(", ")
            }
        };
        if self.is_empty() {
            return Err(CryptError::NoIdentity {
                name: name.to_owned(),
                recipients: listed(),
            });
        }
        let decryptor = age::Decryptor::new(input).map_err(|e| CryptError::Corrupt {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        let scrypt = self.passphrase.clone().map(age::scrypt::Identity::new);
        let mut all: Vec<&dyn age::Identity> = self
            .identities
            .iter()
            .map(|i| i.as_ref() as &dyn age::Identity)
            .collect();
        if let Some(identity) = &scrypt {
            all.push(identity);
        }
        decryptor.decrypt(all.into_iter()).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => {
                CryptError::WrongIdentity {
                    name: name.to_owned(),
                    recipients: listed(),
                }
            }
            other => CryptError::Corrupt {
                name: name.to_owned(),
                reason: other.to_string(),
            },
        })
    }
}

/// An age identity file (`AGE-SECRET-KEY-1…` lines) or an SSH private key.
fn load_identity_file(
    path: &Path,
) -> Result<Vec<Box<dyn age::Identity + Send + Sync>>, CryptError> {
    let bytes = std::fs::read(path).map_err(|source| CryptError::Read {
        path: path.to_owned(),
        source,
    })?;
    let bad = |reason: String| CryptError::BadIdentity {
        path: path.to_owned(),
        reason,
    };
    let first = bytes
        .lines()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default();
    if first.starts_with("-----BEGIN") {
        let identity =
            age::ssh::Identity::from_buffer(&bytes[..], Some(path.display().to_string()))
                .map_err(|e| bad(e.to_string()))?;
        return match identity {
            age::ssh::Identity::Unencrypted(_) => Ok(vec![Box::new(identity)]),
            age::ssh::Identity::Encrypted(_) => Err(bad(
                "the SSH key is protected by a passphrase; use an unencrypted copy kept offline, or an age identity".to_owned(),
            )),
            age::ssh::Identity::Unsupported(_) => Err(bad("this SSH key type is not supported".to_owned())),
        };
    }
    let file = age::IdentityFile::from_buffer(&bytes[..]).map_err(|e| bad(e.to_string()))?;
    let identities = file.into_identities().map_err(|e| bad(e.to_string()))?;
    if identities.is_empty() {
        return Err(bad("no AGE-SECRET-KEY-1 line found".to_owned()));
    }
    Ok(identities
        .into_iter()
        .map(|i| i as Box<dyn age::Identity + Send + Sync>)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret as _;

    #[allow(deprecated)]
    fn keypair() -> (String, String) {
        let identity = age::x25519::Identity::generate();
        (
            identity.to_string().expose_secret().to_owned(),
            identity.to_public().to_string(),
        )
    }

    fn encrypt(enc: &Encryption, plain: &[u8]) -> Vec<u8> {
        let mut w = enc.wrap(Vec::new()).unwrap();
        w.write_all(plain).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn round_trip_and_wrong_identity_names_the_recipient() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = keypair();
        let (other_secret, _) = keypair();
        let right = dir.path().join("right.txt");
        let wrong = dir.path().join("wrong.txt");
        std::fs::write(&right, format!("# created: now\n{secret}\n")).unwrap();
        std::fs::write(&wrong, format!("{other_secret}\n")).unwrap();
        let enc = Encryption::resolve(&EncryptionSources {
            recipients: vec![public.clone()],
            ..Default::default()
        })
        .unwrap()
        .unwrap();
        assert_eq!(enc.labels(), vec![public.clone()]);
        let cipher = encrypt(&enc, b"hello dump");
        let dec = Decryption::load(&[right], &EncryptionSources::default()).unwrap();
        let mut plain = Vec::new();
        dec.reader(&cipher[..], "x.age", std::slice::from_ref(&public))
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, b"hello dump");
        let dec = Decryption::load(&[wrong], &EncryptionSources::default()).unwrap();
        let err = dec
            .reader(&cipher[..], "x.age", std::slice::from_ref(&public))
            .err()
            .unwrap();
        assert!(matches!(err, CryptError::WrongIdentity { .. }));
        assert!(err.to_string().contains(&public), "{err}");
        let err = Decryption::default()
            .reader(&cipher[..], "x.age", &[])
            .err()
            .unwrap();
        assert!(matches!(err, CryptError::NoIdentity { .. }));
    }

    /// An SSH key pair as ssh-keygen makes it (OpenSSH is on every machine
    /// these tests run on; the key types age supports are ed25519 and RSA).
    #[test]
    fn ssh_recipients_and_identities() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id_ed25519");
        let made = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "backup@test", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen (openssh-client) is needed for this test");
        assert!(made.success());
        let public = std::fs::read_to_string(dir.path().join("id_ed25519.pub")).unwrap();
        let enc = Encryption::resolve(&EncryptionSources {
            recipients: vec![public.trim().to_owned()],
            ..Default::default()
        })
        .unwrap()
        .unwrap();
        let cipher = encrypt(&enc, b"over ssh");
        let dec =
            Decryption::load(std::slice::from_ref(&key), &EncryptionSources::default()).unwrap();
        let mut plain = Vec::new();
        dec.reader(&cipher[..], "x.age", &enc.labels())
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, b"over ssh");
        // A passphrase-protected SSH key is refused with a clear message.
        let locked = dir.path().join("locked");
        std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "secret-pass", "-f"])
            .arg(&locked)
            .status()
            .unwrap();
        let err = Decryption::load(&[locked], &EncryptionSources::default())
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("protected by a passphrase"),
            "{err}"
        );
    }

    #[test]
    fn passphrase_from_file_and_bad_recipients() {
        let dir = tempfile::tempdir().unwrap();
        let pass = dir.path().join("pass");
        std::fs::write(&pass, "correct horse\n").unwrap();
        let sources = EncryptionSources {
            passphrase_file: Some(pass),
            ..Default::default()
        };
        let enc = Encryption::resolve(&sources).unwrap().unwrap();
        assert_eq!(enc.labels(), vec![PASSPHRASE_LABEL.to_owned()]);
        let cipher = encrypt(&enc, b"x");
        let dec = Decryption::load(&[], &sources).unwrap();
        let mut plain = Vec::new();
        dec.reader(&cipher[..], "x", &[])
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, b"x");
        let err = Encryption::resolve(&EncryptionSources {
            recipients: vec!["AGE-SECRET-KEY-1XYZ".into()],
            ..Default::default()
        })
        .err()
        .unwrap();
        // A private key passed as a recipient is refused without echoing it.
        assert!(err.to_string().contains("not an age recipient"));
        assert!(!err.to_string().contains("XYZ"), "{err}");
    }
}
