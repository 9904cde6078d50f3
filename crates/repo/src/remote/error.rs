//! What went wrong talking to the store, in words that say what to do.
//! The client's own message is kept as the cause; it never contains
//! credentials (requests are signed, not authorised by URL).

/// A failed request, classified.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("cannot use {url}: {reason}")]
    Config { url: String, reason: String },
    #[error(
        "the store at {endpoint} refused the credentials for {url}: {detail}\n  \
         hint: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), the region \
         (--s3-region; a self-hosted store has its own, e.g. \"garage\") and that the key may {action} in this bucket"
    )]
    Denied {
        action: String,
        url: String,
        endpoint: String,
        detail: String,
    },
    #[error(
        "bucket \"{bucket}\" does not exist at {endpoint} (while trying to {action} {url})\n  \
         hint: create it first (aws s3 mb s3://{bucket}, or your store's console), or check --s3-endpoint"
    )]
    NoBucket {
        action: String,
        bucket: String,
        url: String,
        endpoint: String,
    },
    #[error("{url} does not exist")]
    NotFound { url: String },
    #[error(
        "cannot {action} {url} at {endpoint}: {detail}\n  \
         hint: check that the store is reachable (--s3-endpoint, AWS_ENDPOINT_URL) and healthy"
    )]
    Failed {
        action: String,
        url: String,
        endpoint: String,
        detail: String,
    },
}

/// Map a client error to a [`RemoteError`].
pub(crate) fn classify(
    action: &str,
    url: &str,
    bucket: &str,
    endpoint: &str,
    err: object_store::Error,
) -> RemoteError {
    let detail = one_line(&err);
    let owned = |s: &str| s.to_owned();
    match err {
        object_store::Error::NotFound { .. } if detail.contains("NoSuchBucket") => {
            RemoteError::NoBucket {
                action: owned(action),
                bucket: owned(bucket),
                url: owned(url),
                endpoint: owned(endpoint),
            }
        }
        object_store::Error::NotFound { .. } => RemoteError::NotFound { url: owned(url) },
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => RemoteError::Denied {
            action: owned(action),
            url: owned(url),
            endpoint: owned(endpoint),
            detail,
        },
        _ if detail.contains("NoSuchBucket") => RemoteError::NoBucket {
            action: owned(action),
            bucket: owned(bucket),
            url: owned(url),
            endpoint: owned(endpoint),
        },
        _ if [
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
            "403 Forbidden",
        ]
        .iter()
        .any(|code| detail.contains(code)) =>
        {
            RemoteError::Denied {
                action: owned(action),
                url: owned(url),
                endpoint: owned(endpoint),
                detail,
            }
        }
        _ => RemoteError::Failed {
            action: owned(action),
            url: owned(url),
            endpoint: owned(endpoint),
            detail,
        },
    }
}

/// The error and its causes on one line, shortened.
fn one_line(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.len() > 600 {
        let mut cut = 600;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &text[..cut])
    } else {
        text
    }
}
