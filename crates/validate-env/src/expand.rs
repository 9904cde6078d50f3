//! Variable interpolation, once per reader: docker compose, python-dotenv and
//! dotenv-expand (Next.js). They disagree on which forms exist, which is what
//! the portability check reports.

/// What an expansion produced besides the value.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub value: String,
    /// Names referenced without a default that were not defined.
    pub undefined: Vec<String>,
    /// `${X:?message}` failures and malformed templates.
    pub errors: Vec<String>,
    /// dotenv-expand never stopped (a value that refers to itself): its
    /// recursion overflows the stack and @next/env loads nothing from the
    /// file.
    pub runaway: bool,
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn name_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_name_start(c) => {}
        _ => return 0,
    }
    chars
        .find(|(_, c)| !is_name_char(*c))
        .map_or(s.len(), |(i, _)| i)
}

/// Index of the `}` closing a `${` whose body starts at `s[0]`, honouring
/// nested `${...}`.
fn matching_brace(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// docker compose: `$$`, `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`,
/// `${VAR:?e}`, `${VAR?e}`, `${VAR:+a}`, `${VAR+a}`; a lone `$` is literal.
pub fn compose(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Expansion {
    let mut out = Expansion::default();
    out.value = compose_into(s, lookup, &mut out);
    out
}

fn compose_into(s: &str, lookup: &dyn Fn(&str) -> Option<String>, out: &mut Expansion) -> String {
    let mut result = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        result.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            result.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let n = name_len(body);
            let Some(close) = matching_brace(body) else {
                out.errors.push(format!("unterminated \"${{\" in {s:?}"));
                result.push_str(&rest[i..]);
                return result;
            };
            if n == 0 {
                out.errors
                    .push(format!("invalid interpolation \"${{{}}}\"", &body[..close]));
                rest = &body[close + 1..];
                continue;
            }
            let name = &body[..n];
            let op_and_arg = &body[n..close];
            let value = lookup(name);
            let expanded = match op_and_arg {
                "" => value.unwrap_or_else(|| {
                    out.undefined.push(name.to_owned());
                    String::new()
                }),
                _ => {
                    let (op, arg) = split_op(op_and_arg);
                    let set = value.is_some();
                    let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
                    match op {
                        ":-" | "-" => {
                            let use_default = if op == ":-" { !non_empty } else { !set };
                            if use_default {
                                compose_into(arg, lookup, out)
                            } else {
                                value.unwrap_or_default()
                            }
                        }
                        ":?" | "?" => {
                            let missing = if op == ":?" { !non_empty } else { !set };
                            if missing {
                                let message = compose_into(arg, lookup, out);
                                out.errors.push(format!(
                                    "required variable {name} is missing a value{}",
                                    if message.is_empty() {
                                        String::new()
                                    } else {
                                        format!(": {message}")
                                    }
                                ));
                                String::new()
                            } else {
                                value.unwrap_or_default()
                            }
                        }
                        ":+" | "+" => {
                            let use_alt = if op == ":+" { non_empty } else { set };
                            if use_alt {
                                compose_into(arg, lookup, out)
                            } else {
                                String::new()
                            }
                        }
                        _ => {
                            out.errors
                                .push(format!("invalid interpolation \"${{{}}}\"", &body[..close]));
                            String::new()
                        }
                    }
                }
            };
            result.push_str(&expanded);
            rest = &body[close + 1..];
        } else {
            let n = name_len(after);
            if n == 0 {
                result.push('$');
                rest = after;
            } else {
                let name = &after[..n];
                match lookup(name) {
                    Some(v) => result.push_str(&v),
                    None => out.undefined.push(name.to_owned()),
                }
                rest = &after[n..];
            }
        }
    }
    result.push_str(rest);
    result
}

fn split_op(s: &str) -> (&str, &str) {
    for op in [":-", ":?", ":+", "-", "?", "+"] {
        if let Some(arg) = s.strip_prefix(op) {
            return (op, arg);
        }
    }
    (s, "")
}

/// python-dotenv: only `${VAR}` and `${VAR:-default}` (default taken
/// literally); `$VAR` and `$$` are plain text.
pub fn python(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Expansion {
    let mut out = Expansion::default();
    let mut result = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        result.push_str(&rest[..i]);
        let body = &rest[i + 2..];
        let Some(close) = body.find('}') else {
            result.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let inner = &body[..close];
        let (name, default) = match inner.find(':') {
            Some(colon) => match inner[colon..].strip_prefix(":-") {
                Some(default) => (&inner[..colon], Some(default)),
                // `${A:x}` does not match python-dotenv's pattern here: the
                // `$` is literal and the search goes on after it.
                None => {
                    result.push('$');
                    rest = &rest[i + 1..];
                    continue;
                }
            },
            None => (inner, None),
        };
        match (lookup(name), default) {
            (Some(v), _) => result.push_str(&v),
            (None, Some(d)) => result.push_str(d),
            (None, None) => out.undefined.push(name.to_owned()),
        }
        rest = &body[close + 1..];
    }
    result.push_str(rest);
    out.value = result;
    out
}

/// dotenv-expand as bundled in @next/env (15 and 16), which works
/// differently from a shell:
///
/// - it repeatedly takes the *last* `$` not preceded by a backslash, matches
///   `${?NAME(:-default)?}?` there (NAME is `[A-Za-z0-9_]+`, braces optional
///   and unbalanced ones accepted), and replaces the *first* occurrence of the
///   matched text in the value (with JavaScript's `$$`, `$&`, `` $` ``, `$'`
///   replacement patterns), then starts again on the result — so
///   substituted text is expanded again: `$$X` is `$` when X is unset
///   and empty when X is set;
/// - the replacement is the first non-empty of: the process environment
///   (`env`), the default, the file's own parsed values (`parsed`, already
///   expanded for keys before this one), else empty — so a non-empty default
///   beats a variable set in the same file;
/// - `${A-d}` and `${A:+x}` are not understood (`${A` is expanded, the rest
///   stays); `$5` expands a variable named `5`;
/// - finally `\$` becomes `$`.
pub fn nextjs(
    s: &str,
    env: &dyn Fn(&str) -> Option<String>,
    parsed: &dyn Fn(&str) -> Option<String>,
) -> Expansion {
    let mut out = Expansion::default();
    let mut value = s.to_owned();
    let non_empty = |v: Option<String>| v.filter(|v| !v.is_empty());
    // dotenv-expand recurses without a limit, so a self-reference
    // overflows its stack (thousands of rounds); stop well before that.
    let mut rounds = 0;
    while let Some(pos) = last_unescaped_dollar(&value) {
        let Some((len, name, default)) = nextjs_match(&value[pos..]) else {
            break;
        };
        rounds += 1;
        if rounds > 1000 {
            out.runaway = true;
            break;
        }
        let matched = value[pos..pos + len].to_owned();
        let replacement = non_empty(env(name))
            .or_else(|| default.filter(|d| !d.is_empty()).map(str::to_owned))
            .or_else(|| non_empty(parsed(name)))
            .unwrap_or_else(|| {
                if env(name).is_none() && parsed(name).is_none() {
                    out.undefined.push(name.to_owned());
                }
                String::new()
            });
        let first = value.find(&matched).unwrap_or(pos);
        let inserted = js_replacement(&replacement, &value, first, first + len);
        value.replace_range(first..first + len, &inserted);
    }
    out.value = value.replace("\\$", "$");
    out
}

/// JavaScript's `String.prototype.replace` replacement patterns for a
/// string pattern: `$$`, `$&` (the match), `` $` `` (before), `$'` (after).
fn js_replacement(replacement: &str, subject: &str, start: usize, end: usize) -> String {
    let mut out = String::with_capacity(replacement.len());
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => out.push('$'),
            Some('&') => out.push_str(&subject[start..end]),
            Some('`') => out.push_str(&subject[..start]),
            Some('\'') => out.push_str(&subject[end..]),
            _ => {
                out.push('$');
                continue;
            }
        }
        chars.next();
    }
    out
}

fn last_unescaped_dollar(s: &str) -> Option<usize> {
    s.match_indices('$')
        .map(|(i, _)| i)
        .rfind(|&i| !s[..i].ends_with('\\'))
}

/// `${?NAME(:-default)?}?` at the start of `s` (which starts with `$`):
/// the matched length, the name and the default.
fn nextjs_match(s: &str) -> Option<(usize, &str, Option<&str>)> {
    let mut i = 1;
    if s[i..].starts_with('{') {
        i += 1;
    }
    let name_start = i;
    let name_len = s[i..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len() - i);
    if name_len == 0 {
        return None;
    }
    let name = &s[name_start..name_start + name_len];
    i += name_len;
    let mut default = None;
    if s[i..].starts_with(":-") {
        let d_start = i + 2;
        let d_len = s[d_start..].find(['}', '\\']).unwrap_or(s.len() - d_start);
        default = Some(&s[d_start..d_start + d_len]);
        i = d_start + d_len;
    }
    if s[i..].starts_with('}') {
        i += 1;
    }
    Some((i, name, default))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("a".into()),
            "E" => Some(String::new()),
            "L" => Some("$L".into()),
            _ => None,
        }
    }

    #[test]
    fn compose_forms() {
        let c = |s: &str| compose(s, &env).value;
        assert_eq!(c("$A-${A}"), "a-a");
        assert_eq!(c("$$A"), "$A");
        assert_eq!(c("${X:-d}|${E:-d}|${E-d}|${X-d}"), "d|d||d");
        assert_eq!(c("${A:+x}|${E:+x}|${E+x}"), "x||x");
        assert_eq!(c("${X:-${A}}"), "a");
        assert_eq!(c("p$1 $"), "p$1 $");
        assert_eq!(compose("${X}", &env).undefined, ["X"]);
        assert_eq!(compose("${E:?boom}", &env).errors.len(), 1);
        assert_eq!(compose("${A", &env).errors.len(), 1);
    }

    #[test]
    fn python_forms() {
        let p = |s: &str| python(s, &env).value;
        assert_eq!(p("$A ${A} ${X:-d} ${X-d} $$"), "$A a d  $$");
        assert_eq!(p("${A:x${A}}|${A${A}}|${X:-${A}}"), "${A:xa}|}|${A}");
    }

    #[test]
    fn nextjs_forms() {
        let n = |s: &str| nextjs(s, &|_| None, &env).value;
        assert_eq!(n("$A ${A} ${X:-d} \\$A"), "a a d $A");
        // Behaviour measured on @next/env 15.5 and 16.4:
        assert_eq!(n("${A:-d}"), "d");
        assert_eq!(n("${E-x}"), "-x}");
        assert_eq!(n("${A:+x}"), "a:+x}");
        assert_eq!(n("$$A"), "");
        assert_eq!(n("$$X"), "$");
        let q = |name: &str| (name == "Q").then(|| "[$']".to_owned());
        assert_eq!(nextjs("$Q!", &|_| None, &q).value, "[!]!");
        assert_eq!(n("cost $5"), "cost ");
        // A self-reference never stops: @next/env fails on the file.
        assert!(nextjs("loop $L", &|_| None, &env).runaway);
    }
}
