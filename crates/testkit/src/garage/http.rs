//! The few requests object_store has no API for, over a plain HTTP/1.1
//! connection to 127.0.0.1: S3 ListMultipartUploads and
//! AbortMultipartUpload, signed with AWS Signature Version 4, and the admin
//! API's unauthenticated `/health`.
//!
//! Hand-rolled on purpose: a few dozen lines of std + sha2 instead of a
//! Python awscli per call or a second HTTP client stack, and checked against
//! the signing example in AWS's documentation (see the tests).

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sha2::{Digest as _, Sha256};

/// A response: status code and body as text.
#[derive(Debug)]
pub(super) struct Response {
    pub status: u16,
    pub body: String,
}

/// Who signs, and for which region.
pub(super) struct Credentials<'a> {
    pub key_id: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
}

/// One multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Upload {
    pub key: String,
    pub upload_id: String,
}

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `GET http://<addr><path>` without authentication (the admin `/health`).
pub(super) fn get(addr: SocketAddr, path: &str) -> io::Result<Response> {
    send(addr, "GET", path, &[])
}

/// Every multipart upload in progress in `bucket`, following pagination.
pub(super) fn list_multipart_uploads(
    addr: SocketAddr,
    bucket: &str,
    credentials: &Credentials<'_>,
) -> io::Result<Vec<Upload>> {
    let mut uploads = Vec::new();
    let mut markers: Option<(String, String)> = None;
    loop {
        let mut query = vec![("uploads".to_owned(), String::new())];
        if let Some((key, id)) = &markers {
            query.push(("key-marker".to_owned(), key.clone()));
            query.push(("upload-id-marker".to_owned(), id.clone()));
        }
        let response = signed(addr, "GET", &format!("/{bucket}/"), &query, credentials)?;
        if response.status != 200 {
            return Err(io::Error::other(format!(
                "ListMultipartUploads on {bucket}: HTTP {}: {}",
                response.status, response.body
            )));
        }
        for block in elements(&response.body, "Upload") {
            uploads.push(Upload {
                key: element(block, "Key").unwrap_or_default(),
                upload_id: element(block, "UploadId").unwrap_or_default(),
            });
        }
        let truncated = element(&response.body, "IsTruncated").as_deref() == Some("true");
        let next = (
            element(&response.body, "NextKeyMarker").unwrap_or_default(),
            element(&response.body, "NextUploadIdMarker").unwrap_or_default(),
        );
        if !truncated || next.0.is_empty() || markers.as_ref() == Some(&next) {
            return Ok(uploads);
        }
        markers = Some(next);
    }
}

/// Abort one multipart upload (its parts are deleted).
pub(super) fn abort_multipart_upload(
    addr: SocketAddr,
    bucket: &str,
    upload: &Upload,
    credentials: &Credentials<'_>,
) -> io::Result<()> {
    let response = signed(
        addr,
        "DELETE",
        &format!("/{bucket}/{}", upload.key),
        &[("uploadId".to_owned(), upload.upload_id.clone())],
        credentials,
    )?;
    match response.status {
        200 | 204 | 404 => Ok(()),
        status => Err(io::Error::other(format!(
            "AbortMultipartUpload {}: HTTP {status}: {}",
            upload.key, response.body
        ))),
    }
}

/// A request signed with SigV4 (empty body; path-style; `path` unencoded).
fn signed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    query: &[(String, String)],
    credentials: &Credentials<'_>,
) -> io::Result<Response> {
    let now = chrono::Utc::now();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let canonical_uri = encode(path, false);
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (encode(k, true), encode(v, true)))
        .collect();
    pairs.sort();
    let canonical_query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let host = addr.to_string();
    let authorization = authorization(
        method,
        &canonical_uri,
        &canonical_query,
        &host,
        &amz_date,
        credentials,
    );
    let target = if canonical_query.is_empty() {
        canonical_uri
    } else {
        format!("{canonical_uri}?{canonical_query}")
    };
    send(
        addr,
        method,
        &target,
        &[
            ("x-amz-date", amz_date.as_str()),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("authorization", authorization.as_str()),
        ],
    )
}

/// The `Authorization` header value for a request with an empty body and
/// the signed headers host, x-amz-content-sha256 and x-amz-date.
fn authorization(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    host: &str,
    amz_date: &str,
    credentials: &Credentials<'_>,
) -> String {
    let date = &amz_date[..8];
    let signed_headers = "host;x-amz-content-sha256;x-amz-date";
    let canonical_request = format!(
        "{method}\n{canonical_uri}\n{canonical_query}\nhost:{host}\nx-amz-content-sha256:{EMPTY_SHA256}\n\
         x-amz-date:{amz_date}\n\n{signed_headers}\n{EMPTY_SHA256}"
    );
    let scope = format!("{date}/{}/s3/aws4_request", credentials.region);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let key = signing_key(credentials.secret, date, credentials.region, "s3");
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.key_id
    )
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// HMAC-SHA256 (RFC 2104): sha2 is already a dependency, hmac is not.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SigV4 URI encoding: everything but unreserved characters, and `/` too
/// unless this is a path.
fn encode(text: &str, slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !slash) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One HTTP/1.1 request with an empty body on a fresh connection.
fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!("{method} {target} HTTP/1.1\r\nhost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("content-length: 0\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> io::Result<Response> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("HTTP response without end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut body = &raw[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("HTTP response without a status code"))?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let mut decoded = Vec::new();
    if chunked {
        loop {
            let end = body
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| invalid("truncated chunk size"))?;
            let size_text = String::from_utf8_lossy(&body[..end]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| invalid("bad chunk size"))?;
            body = &body[end + 2..];
            if size == 0 {
                break;
            }
            let chunk = body.get(..size).ok_or_else(|| invalid("truncated chunk"))?;
            decoded.extend_from_slice(chunk);
            body = body.get(size + 2..).unwrap_or_default();
        }
    } else {
        decoded.extend_from_slice(body);
    }
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&decoded).into_owned(),
    })
}

/// The contents of every `<name>…</name>` in `xml`, in order.
fn elements<'x>(xml: &'x str, name: &str) -> Vec<&'x str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

/// The unescaped text of the first `<name>…</name>` in `xml`.
fn element(xml: &str, name: &str) -> Option<String> {
    elements(xml, name).first().map(|text| unescape(text))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (test case 6).
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // docs.aws.amazon.com, "Examples of how to derive a signing key for Signature Version 4"
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn uri_encoding_keeps_slashes_only_in_paths() {
        assert_eq!(encode("/b/a b/ü~", false), "/b/a%20b/%C3%BC~");
        assert_eq!(encode("a/b=c", true), "a%2Fb%3Dc");
    }

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").unwrap();
        assert_eq!((plain.status, plain.body.as_str()), (200, "ok"));
        let chunked = parse_response(
            b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((chunked.status, chunked.body.as_str()), (503, "abcde"));
    }

    #[test]
    fn reads_uploads_from_a_listing() {
        let xml = "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>\
                   <Upload><Key>a&amp;b/c</Key><UploadId>01</UploadId></Upload>\
                   <Upload><Key>d</Key><UploadId>02</UploadId></Upload></ListMultipartUploadsResult>";
        let uploads: Vec<_> = elements(xml, "Upload")
            .into_iter()
            .map(|u| (element(u, "Key").unwrap(), element(u, "UploadId").unwrap()))
            .collect();
        assert_eq!(
            uploads,
            [("a&b/c".into(), "01".into()), ("d".into(), "02".into())]
        );
        assert_eq!(element(xml, "IsTruncated").as_deref(), Some("false"));
    }
}
