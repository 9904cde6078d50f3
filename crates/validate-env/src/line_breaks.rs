//! The text as python-dotenv (universal newlines) and dotenv
//! (`replace(/\r\n?/g, "\n")`) see it: `\r\n` and a lone `\r` are `\n`.
//! Offsets into it map back to the file, so a reading can point at the
//! line it came from.

pub struct Translated {
    pub text: String,
    /// Offset in `text` of each `\n` that stands for a `\r\n`.
    joined: Vec<usize>,
    /// Bytes dropped before `text` (a byte-order mark).
    skipped: usize,
}

impl Translated {
    /// `original` with line breaks translated, from byte `skip` on.
    pub fn new(original: &str, skip: usize) -> Self {
        let body = original.get(skip..).unwrap_or_default();
        let mut text = String::with_capacity(body.len());
        let mut joined = Vec::new();
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\r' {
                text.push(c);
                continue;
            }
            if chars.peek() == Some(&'\n') {
                chars.next();
                joined.push(text.len());
            }
            text.push('\n');
        }
        Translated {
            text,
            joined,
            skipped: original.len() - body.len(),
        }
    }

    /// The offset in the original text of an offset in `text`.
    pub fn original_offset(&self, offset: usize) -> usize {
        self.skipped + offset + self.joined.partition_point(|&j| j < offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_across_crlf_and_a_skipped_prefix() {
        let original = "\u{feff}A=1\r\nB=2\rC=3\n";
        let t = Translated::new(original, 3);
        assert_eq!(t.text, "A=1\nB=2\nC=3\n");
        let b = t.text.find('B').unwrap_or_default();
        let c = t.text.find('C').unwrap_or_default();
        assert_eq!(&original[t.original_offset(b)..][..1], "B");
        assert_eq!(&original[t.original_offset(c)..][..1], "C");
    }
}
