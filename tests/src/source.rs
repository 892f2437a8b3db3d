//! Reading Rust sources the way the structure tests need: without comments, string and char
//! literals, or the bodies of inline modules (the unit tests). Used by `module_graph.rs` and
//! `adding_a_kind.rs`.

/// The source without comments and string literals.
pub fn strip(source: &str) -> String {
    let (mut out, mut chars) = (String::new(), source.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal ('"', '\'', 'x'), not a lifetime ('a): skip it whole.
            '\'' => {
                let mut ahead = chars.clone();
                let literal = match ahead.next() {
                    Some('\\') => true,
                    Some(_) => ahead.next() == Some('\''),
                    None => false,
                };
                if literal {
                    if chars.next() == Some('\\') {
                        chars.next();
                    }
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                    }
                    out.push_str("' '");
                } else {
                    out.push('\'');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The source without the bodies of inline modules (`mod tests { … }`: the unit tests, whose
/// `super` is not the file's).
pub fn without_inline_modules(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("mod ") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let name_end = after[4..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(after.len(), |e| e + 4);
        let tail = after[name_end..].trim_start();
        if !starts_word(rest, at) || !tail.starts_with('{') {
            out.push_str(&after[..name_end]);
            rest = &after[name_end..];
            continue;
        }
        let open = after.len() - tail.len();
        let mut depth = 0;
        let mut close = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push_str(&after[..name_end]);
        out.push_str(" {}");
        rest = &after[close..];
    }
    out.push_str(rest);
    out
}

/// Whether the text just before `at` ends a word (so `at` starts one).
pub fn starts_word(source: &str, at: usize) -> bool {
    !source[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_strings_and_chars_go_lifetimes_stay() {
        let source = "let a = \"use crate::x;\"; // use crate::y;\nlet q = '\"'; fn f<'a>(x: &'a str) {}\n/* mod z; */";
        let stripped = strip(source);
        assert!(!stripped.contains("crate::"), "{stripped}");
        assert!(stripped.contains("fn f<'a>(x: &'a str)"), "{stripped}");
        assert!(!stripped.contains("mod z"), "{stripped}");
    }

    #[test]
    fn inline_module_bodies_go() {
        let source = "mod a;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    fn t() { {} }\n}\nfn after() {}";
        let out = without_inline_modules(source);
        assert!(
            out.contains("mod a;") && out.contains("mod tests {}"),
            "{out}"
        );
        assert!(
            out.contains("fn after()") && !out.contains("super::*"),
            "{out}"
        );
        assert!(starts_word("a b", 2) && !starts_word("ab", 1));
    }
}
