//! SMS segment counting: how many messages a text costs and how much room is left.
//!
//! The one segment counter: `engine` re-exports it as `engine::segments`.
//!
//! A text that fits the GSM 03.38 alphabet travels as 7-bit septets: 160 in one segment,
//! 153 per segment once it must be split (the rest is the concatenation header). Characters
//! of the extension table (`^ { } \ [ ~ ] | €` and form feed) are an escape plus a septet,
//! so they count 2. One character outside both tables switches the whole text to UCS-2:
//! 70 UTF-16 code units in one segment, 67 per segment when split, and a character outside
//! the Basic Multilingual Plane (most emoji) is a surrogate pair, 2 units.
//!
//! Splitting is counted the way carriers do it: an escape pair or a surrogate pair is never
//! cut between two segments, so a segment can end one unit short.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

impl Encoding {
    /// Units in a text that is sent as one segment.
    pub fn single(self) -> usize {
        match self {
            Self::Gsm7 => 160,
            Self::Ucs2 => 70,
        }
    }

    /// Units per segment once the text is split.
    pub fn per_part(self) -> usize {
        match self {
            Self::Gsm7 => 153,
            Self::Ucs2 => 67,
        }
    }
}

/// What a text costs. `units` are septets for GSM-7 and UTF-16 code units for UCS-2;
/// `remaining` is the room left in the last segment. The empty text is 0 segments with a
/// whole segment of room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Segments {
    pub encoding: Encoding,
    pub units: usize,
    pub segments: usize,
    pub remaining: usize,
}

pub fn count(text: &str) -> Segments {
    let gsm = text.chars().map(gsm_septets).sum::<Option<usize>>();
    let (encoding, units) = match gsm {
        Some(septets) => (Encoding::Gsm7, septets),
        None => (Encoding::Ucs2, text.encode_utf16().count()),
    };
    if units <= encoding.single() {
        return Segments {
            encoding,
            units,
            segments: usize::from(units > 0),
            remaining: encoding.single() - units,
        };
    }
    // Greedy packing, so an escape or surrogate pair that would straddle two segments
    // moves whole into the next one.
    let cap = encoding.per_part();
    let (mut segments, mut used) = (1, 0);
    for c in text.chars() {
        let cost = match encoding {
            Encoding::Gsm7 => gsm_septets(c).unwrap_or(1),
            Encoding::Ucs2 => c.len_utf16(),
        };
        if used + cost > cap {
            segments += 1;
            used = 0;
        }
        used += cost;
    }
    Segments {
        encoding,
        units,
        segments,
        remaining: cap - used,
    }
}

/// Septets for one character in GSM-7, or `None` when it is outside both tables.
fn gsm_septets(c: char) -> Option<usize> {
    match c {
        'A'..='Z' | 'a'..='z' | '0'..='9' => Some(1),
        ' ' | '!' | '"' | '#' | '%' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | '-' | '.'
        | '/' | ':' | ';' | '<' | '=' | '>' | '?' | '@' | '_' | '$' | '\n' | '\r' => Some(1),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' | '\u{0C}' => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(encoding: Encoding, units: usize, segments: usize, remaining: usize) -> Segments {
        Segments {
            encoding,
            units,
            segments,
            remaining,
        }
    }

    #[test]
    fn counts_gsm_texts_at_the_boundaries() {
        use Encoding::Gsm7;
        let a = |n| "a".repeat(n);
        assert_eq!(count(""), seg(Gsm7, 0, 0, 160));
        assert_eq!(count("Ziggy ate!"), seg(Gsm7, 10, 1, 150));
        assert_eq!(count(&a(160)), seg(Gsm7, 160, 1, 0));
        assert_eq!(count(&a(161)), seg(Gsm7, 161, 2, 145));
        assert_eq!(count(&a(306)), seg(Gsm7, 306, 2, 0));
        assert_eq!(count(&a(307)), seg(Gsm7, 307, 3, 152));
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        use Encoding::Gsm7;
        assert_eq!(count("€5 {ok} [x] ^~|\\"), seg(Gsm7, 25, 1, 135));
        assert_eq!(
            count(&format!("{}€", "a".repeat(158))),
            seg(Gsm7, 160, 1, 0)
        );
        assert_eq!(
            count(&format!("{}€", "a".repeat(159))),
            seg(Gsm7, 161, 2, 145)
        );
        // The escape pair would straddle segments 1 and 2, so it moves whole into 2.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(count(&text), seg(Gsm7, 164, 2, 141));
    }

    #[test]
    fn gsm_accented_letters_stay_gsm_but_others_switch_to_ucs2() {
        assert_eq!(count("¡Olé! Café à Øslo, ¿ñ?").encoding, Encoding::Gsm7);
        assert_eq!(count("café crêpe").encoding, Encoding::Ucs2); // ê is not in GSM-7
        assert_eq!(count("“smart quotes”").encoding, Encoding::Ucs2);
    }

    #[test]
    fn counts_ucs2_texts_in_utf16_units() {
        use Encoding::Ucs2;
        let d = |n| "д".repeat(n);
        assert_eq!(count(&d(70)), seg(Ucs2, 70, 1, 0));
        assert_eq!(count(&d(71)), seg(Ucs2, 71, 2, 63));
        assert_eq!(count(&d(134)), seg(Ucs2, 134, 2, 0));
        assert_eq!(count(&d(135)), seg(Ucs2, 135, 3, 66));
        assert_eq!(count("Walk done 🐶"), seg(Ucs2, 12, 1, 58));
        assert_eq!(count(&format!("{}🐶", d(68))), seg(Ucs2, 70, 1, 0));
        // The surrogate pair does not fit in the 1 unit left of segment 1.
        let text = format!("{}🐶{}", d(66), d(5));
        assert_eq!(count(&text), seg(Ucs2, 73, 2, 60));
    }

    #[test]
    fn encoding_serializes_as_carriers_name_it() {
        let json = serde_json::to_value(count("hi")).unwrap();
        assert_eq!(json["encoding"], "GSM-7");
        assert_eq!(serde_json::to_value(Encoding::Ucs2).unwrap(), "UCS-2");
    }
}
