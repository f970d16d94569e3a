//! The token stream the detectors read: words, digit runs and single punctuation marks,
//! each with its byte range in the original text and whether whitespace comes before it.
//!
//! Normalisation happens here, once: ASCII case is folded, fullwidth forms and the
//! common Cyrillic and Greek look-alikes become ASCII, Unicode dashes become `-`, and
//! invisible characters (zero-width spaces, soft hyphens, variation selectors, the keycap
//! mark) vanish without splitting a token, so `in\u{200B}sta` is still `insta`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Word,
    Num,
    Punct(char),
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// Whitespace, or the start of the text, comes right before this token.
    pub gap: bool,
    norm: (usize, usize),
}

pub(super) struct Tokens {
    toks: Vec<Tok>,
    norm: String,
}

enum Class {
    Invisible,
    Space,
    Letter(char),
    Digit(char),
    Punct(char),
}

impl Tokens {
    pub fn new(text: &str) -> Self {
        let mut toks = Vec::with_capacity(text.len() / 3 + 1);
        let mut norm = String::with_capacity(text.len());
        let mut gap = true;
        let mut open: Option<Tok> = None;
        for (at, c) in text.char_indices() {
            let end = at + c.len_utf8();
            let (kind, ch) = match classify(c) {
                Class::Invisible => continue,
                Class::Space => {
                    toks.extend(open.take());
                    gap = true;
                    continue;
                }
                Class::Punct(p) => {
                    toks.extend(open.take());
                    let norm = (norm.len(), norm.len());
                    let kind = Kind::Punct(p);
                    toks.push(Tok {
                        kind,
                        start: at,
                        end,
                        gap,
                        norm,
                    });
                    gap = false;
                    continue;
                }
                Class::Letter(l) => (Kind::Word, l),
                Class::Digit(d) => (Kind::Num, d),
            };
            match &mut open {
                Some(tok) if tok.kind == kind => {
                    norm.extend(ch.to_lowercase());
                    tok.end = end;
                    tok.norm.1 = norm.len();
                }
                _ => {
                    toks.extend(open.take());
                    let from = norm.len();
                    norm.extend(ch.to_lowercase());
                    let norm = (from, norm.len());
                    open = Some(Tok {
                        kind,
                        start: at,
                        end,
                        gap,
                        norm,
                    });
                    gap = false;
                }
            }
        }
        toks.extend(open);
        Self { toks, norm }
    }

    pub fn len(&self) -> usize {
        self.toks.len()
    }

    pub fn get(&self, i: usize) -> Option<&Tok> {
        self.toks.get(i)
    }

    /// Byte range in the original text from token `a` through token `b`.
    pub fn span(&self, a: usize, b: usize) -> Option<(usize, usize)> {
        Some((self.get(a)?.start, self.get(b)?.end))
    }

    /// The normalised text of a word.
    pub fn word(&self, i: usize) -> Option<&str> {
        self.get(i)
            .filter(|t| t.kind == Kind::Word)
            .and_then(|t| self.norm.get(t.norm.0..t.norm.1))
    }

    /// The ASCII digits of a digit run.
    pub fn num(&self, i: usize) -> Option<&str> {
        self.get(i)
            .filter(|t| t.kind == Kind::Num)
            .and_then(|t| self.norm.get(t.norm.0..t.norm.1))
    }

    pub fn punct(&self, i: usize) -> Option<char> {
        match self.get(i)?.kind {
            Kind::Punct(c) => Some(c),
            Kind::Word | Kind::Num => None,
        }
    }

    pub fn is_word(&self, i: usize, w: &str) -> bool {
        self.word(i) == Some(w)
    }

    pub fn is_alnum(&self, i: usize) -> bool {
        self.get(i)
            .is_some_and(|t| matches!(t.kind, Kind::Word | Kind::Num))
    }

    /// Token `i` exists and touches the token before it.
    pub fn joined(&self, i: usize) -> bool {
        i > 0 && self.get(i).is_some_and(|t| !t.gap)
    }

    /// A word or number that is not glued to another word or number on either side, so
    /// `ig` in `IG:` counts but not in `ig2`.
    pub fn standalone(&self, i: usize) -> bool {
        let glued_left = self.joined(i) && self.is_alnum(i - 1);
        let glued_right = self.joined(i + 1) && self.is_alnum(i + 1);
        !glued_left && !glued_right
    }

    /// The word before token `i`, if the token right before it is one.
    pub fn prev_word(&self, i: usize) -> Option<&str> {
        i.checked_sub(1).and_then(|p| self.word(p))
    }
}

fn classify(c: char) -> Class {
    match c {
        'a'..='z' => Class::Letter(c),
        'A'..='Z' => Class::Letter(c.to_ascii_lowercase()),
        '0'..='9' => Class::Digit(c),
        c if c.is_whitespace() => Class::Space,
        c if c.is_ascii() => Class::Punct(c),
        // Fullwidth ASCII: ５５５, ｉｎｓｔａ, ＠.
        '\u{FF10}'..='\u{FF19}' => Class::Digit(fullwidth(c)),
        '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            Class::Letter(fullwidth(c).to_ascii_lowercase())
        }
        '\u{FF01}'..='\u{FF5E}' => Class::Punct(fullwidth(c)),
        '\u{00AD}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'
        | '\u{FEFF}'
        | '\u{FE0E}'
        | '\u{FE0F}'
        | '\u{20E3}' => Class::Invisible,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => Class::Punct('-'),
        '\u{FE6B}' => Class::Punct('@'),
        '\u{2024}' | '\u{3002}' | '\u{FF61}' => Class::Punct('.'),
        c => match lookalike(c) {
            Some(l) => Class::Letter(l),
            None if c.is_alphabetic() => Class::Letter(c),
            None => Class::Punct(c),
        },
    }
}

fn fullwidth(c: char) -> char {
    char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
}

/// Cyrillic and Greek letters that render like Latin ones, the cheap way to write
/// `vеnmo` so that a plain comparison misses it.
fn lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'А' | 'α' | 'Α' => 'a',
        'В' | 'Β' => 'b',
        'с' | 'С' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'Ε' => 'e',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' => 'i',
        'ј' | 'Ј' => 'j',
        'К' | 'κ' | 'Κ' => 'k',
        'М' | 'Μ' => 'm',
        'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ѕ' | 'Ѕ' => 's',
        'Т' | 'Τ' => 't',
        'υ' => 'u',
        'ν' => 'v',
        'х' | 'Х' | 'Χ' => 'x',
        'у' | 'У' | 'Υ' => 'y',
        'Ζ' => 'z',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let t = Tokens::new(text);
        (0..t.len())
            .map(|i| {
                let g = if t.get(i).is_some_and(|k| k.gap) {
                    "_"
                } else {
                    ""
                };
                let body = t
                    .word(i)
                    .or(t.num(i))
                    .map(str::to_owned)
                    .or(t.punct(i).map(String::from))
                    .unwrap_or_default();
                format!("{g}{body}")
            })
            .collect()
    }

    #[test]
    fn splits_words_digits_and_marks() {
        assert_eq!(
            words("Call5551234 @ 3pm, (555)"),
            ["_call", "5551234", "_@", "_3", "pm", ",", "_(", "555", ")"]
        );
    }

    #[test]
    fn normalises_look_alikes_and_drops_invisible_characters() {
        assert_eq!(words("ＶＥＮＭＯ ５５５"), ["_venmo", "_555"]);
        assert_eq!(words("іnstаgrаm in\u{200B}sta"), ["_instagram", "_insta"]);
        assert_eq!(words("5\u{FE0F}\u{20E3}5\u{FE0F}\u{20E3}"), ["_55"]);
        assert_eq!(words("555\u{2013}1234"), ["_555", "-", "1234"]);
        assert_eq!(words("Ĳ ǅ"), ["_ĳ", "_ǆ"]);
    }

    #[test]
    fn keeps_byte_ranges_of_the_original_text() {
        let text = "é ５５ x";
        let t = Tokens::new(text);
        let spans: Vec<_> = (0..t.len()).filter_map(|i| t.span(i, i)).collect();
        let parts: Vec<_> = spans.iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(parts, ["é", "５５", "x"]);
    }
}
