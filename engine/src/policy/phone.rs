//! Phone numbers: runs of digit groups and spelled digits, joined by spaces, dashes, dots
//! and brackets, judged by how many digits they hold and how the groups are shaped.

use super::{Finding, ViolationType, tokens::Tokens};

/// Punctuation that may sit between the groups of one number.
const SEPARATORS: [char; 4] = ['-', '.', '(', ')'];

/// Words that make a lone 7- or 8-digit number a code rather than a phone number.
const CODE_WORDS: [&str; 17] = [
    "code",
    "codes",
    "pin",
    "passcode",
    "password",
    "wifi",
    "lockbox",
    "combo",
    "combination",
    "alarm",
    "keypad",
    "gate",
    "door",
    "garage",
    "order",
    "confirmation",
    "invoice",
];

#[derive(Clone, Copy)]
struct Group<'a> {
    tok: usize,
    digits: &'a str,
    spelled: bool,
}

pub(super) fn find(t: &Tokens, out: &mut Vec<Finding>) {
    let mut groups = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let Some(first) = group(t, i) else {
            i += 1;
            continue;
        };
        groups.clear();
        groups.push(first);
        let mut last = i;
        let mut spelled = first.spelled;
        'run: loop {
            let mut k = last + 1;
            let mut comma = false;
            while k <= last + 3 {
                if let Some(g) = group(t, k) {
                    // `five, five, five`, `five dash one`: a comma or a spelled dash joins
                    // a run with spelled digits in it, not `7, 12`.
                    spelled |= g.spelled;
                    if comma && !spelled {
                        break;
                    }
                    groups.push(g);
                    last = k;
                    continue 'run;
                }
                match (t.punct(k), t.word(k)) {
                    (Some(c), _) if SEPARATORS.contains(&c) => {}
                    (Some(','), _) | (_, Some("dash")) => comma = true,
                    _ => break,
                }
                k += 1;
            }
            break;
        }
        judge_run(t, &groups, out);
        i = last + 1;
    }
}

/// A digit run, or a digit spelled as a word. A run glued to the letters after it is part
/// of a token like `3pm`, `4B` or `2nd`, not of a number.
fn group(t: &Tokens, i: usize) -> Option<Group<'_>> {
    if let Some(digits) = t.num(i) {
        let glued_word = t.joined(i + 1) && t.word(i + 1).is_some();
        return (!glued_word).then_some(Group {
            tok: i,
            digits,
            spelled: false,
        });
    }
    let digit = match t.word(i)? {
        "zero" | "oh" | "o" => "0",
        "one" => "1",
        "two" => "2",
        "three" => "3",
        "four" => "4",
        "five" => "5",
        "six" => "6",
        "seven" => "7",
        "eight" => "8",
        "nine" => "9",
        _ => return None,
    };
    t.standalone(i).then_some(Group {
        tok: i,
        digits: digit,
        spelled: true,
    })
}

fn judge_run(t: &Tokens, groups: &[Group<'_>], out: &mut Vec<Finding>) {
    let (Some(first), Some(last)) = (groups.first(), groups.last()) else {
        return;
    };
    if is_counting(groups) {
        return;
    }
    let before = |g: &Group<'_>| t.joined(g.tok).then(|| t.punct(g.tok - 1)).flatten();
    let num_before =
        |g: &Group<'_>| g.tok >= 2 && t.joined(g.tok - 1) && t.num(g.tok - 2).is_some();
    let num_after = |g: &Group<'_>| t.joined(g.tok + 2) && t.num(g.tok + 2).is_some();
    let mut groups = groups;
    // `$25 …`, `3:30 …`, `12/25 …`, `1,250 …`: the first group ends a price, time or date.
    let lead_taken = match before(first) {
        Some('$' | '€' | '£' | '¥') => true,
        Some(':' | '/' | ',' | '.') => num_before(first),
        _ => false,
    };
    if lead_taken {
        groups = &groups[1..];
    }
    // `… 12:30`, `… 12/25`, `… 50%`: the last group starts one.
    let tail_taken = match t
        .joined(last.tok + 1)
        .then(|| t.punct(last.tok + 1))
        .flatten()
    {
        Some('%') => true,
        Some(':' | '/') => num_after(last),
        _ => false,
    };
    if tail_taken && !groups.is_empty() {
        groups = &groups[..groups.len() - 1];
    }
    let Some(head) = groups.first() else {
        return;
    };
    let plus = before(head) == Some('+');

    let mut emit = |w: &[Group<'_>]| {
        let (Some(a), Some(b)) = (w.first(), w.last()) else {
            return;
        };
        if w.len() == 1 && a.digits.len() <= 8 && is_code(t, a.tok) {
            return;
        }
        let from = if matches!(before(a), Some('+' | '(')) {
            a.tok - 1
        } else {
            a.tok
        };
        if let Some((start, end)) = t.span(from, b.tok) {
            out.push(Finding {
                kind: ViolationType::Phone,
                start,
                end,
            });
        }
    };

    if plausible(groups, plus) {
        emit(groups);
        return;
    }
    // The run holds more than one number, or a number plus a stray count: look for the
    // usual shapes inside it.
    let mut found = false;
    let mut p = 0;
    while p < groups.len() {
        let hit = [4, 3, 2, 1].into_iter().find_map(|n| {
            let w = groups.get(p..p + n)?;
            (usual_shape(w) && plausible(w, false)).then_some(n)
        });
        if let Some(n) = hit {
            emit(&groups[p..p + n]);
            found = true;
            p += n;
        } else {
            p += 1;
        }
    }
    if found {
        return;
    }
    // Spelled or spaced digits with a stray number at either end.
    for drop in 1..=4usize {
        for lead in 0..=drop.min(2) {
            let tail = drop - lead;
            if tail > 2 || lead + tail >= groups.len() {
                continue;
            }
            let w = &groups[lead..groups.len() - tail];
            let loose = w.iter().any(|g| g.spelled) || w.iter().all(|g| g.digits.len() == 1);
            if loose && plausible(w, false) {
                emit(w);
                return;
            }
        }
    }
}

fn digits<'a>(w: &'a [Group<'a>]) -> impl Iterator<Item = u8> + 'a {
    w.iter().flat_map(|g| g.digits.bytes())
}

/// A window of groups that holds as many digits as a phone number and is shaped like one
/// rather than like a date, a time range or a list of small numbers.
fn plausible(w: &[Group<'_>], plus: bool) -> bool {
    let n: usize = w.iter().map(|g| g.digits.len()).sum();
    if plus {
        return (8..=15).contains(&n);
    }
    let mut lead = [0u8; 3];
    for (slot, d) in lead.iter_mut().zip(digits(w)) {
        *slot = d;
    }
    let count_ok = match n {
        7 | 10 => true,
        11 => matches!(lead[0], b'0' | b'1'),
        12..=15 => lead.starts_with(b"00") || lead == *b"011",
        _ => false,
    };
    if !count_ok {
        return false;
    }
    if w.iter().any(|g| g.spelled) {
        return true;
    }
    let small_inside = w.iter().skip(1).any(|g| g.digits.len() < 2);
    let first_ok = w
        .first()
        .is_some_and(|g| g.digits.len() >= 2 || matches!(g.digits, "0" | "1"));
    let all_single = w.iter().all(|g| g.digits.len() == 1);
    if w.len() >= 3 && !all_single && (small_inside || !first_ok) {
        return false;
    }
    !is_date(w) && !is_time_range(w)
}

/// `555 123 4567`, `1 555 123 4567`, `555 1234`, or one group of 7, 10 or 11 digits.
fn usual_shape(w: &[Group<'_>]) -> bool {
    if w.iter().any(|g| g.spelled) {
        return false;
    }
    let lens: Vec<usize> = w.iter().map(|g| g.digits.len()).collect();
    match lens.as_slice() {
        [1, 3, 3, 4] => w.first().is_some_and(|g| g.digits == "1"),
        [3, 3, 4] | [3, 4] | [7 | 10 | 11] => true,
        _ => false,
    }
}

fn value(g: &Group<'_>) -> Option<u32> {
    if g.digits.len() > 4 {
        return None;
    }
    g.digits.parse().ok()
}

/// `1-19-2026`, `2026.1.19`: 7 digits, but a date.
fn is_date(w: &[Group<'_>]) -> bool {
    let [a, b, c] = w else {
        return false;
    };
    let year =
        |g: &Group<'_>| g.digits.len() == 4 && value(g).is_some_and(|y| (1900..2100).contains(&y));
    let small =
        |g: &Group<'_>| g.digits.len() <= 2 && value(g).is_some_and(|v| (1..=31).contains(&v));
    (small(a) && small(b) && year(c)) || (year(a) && small(b) && small(c))
}

/// `930-1030`, `1145-100`: two quarter-hour times up to four hours apart.
fn is_time_range(w: &[Group<'_>]) -> bool {
    let [a, b] = w else {
        return false;
    };
    let minutes = |g: &Group<'_>| {
        let v = value(g)?;
        let (h, m) = (v / 100, v % 100);
        ((1..=12).contains(&h) && m % 15 == 0 && m < 60).then_some(h * 60 + m)
    };
    match (minutes(a), minutes(b)) {
        (Some(from), Some(to)) => {
            let span = (to + 720 - from) % 720;
            (1..=240).contains(&span)
        }
        _ => false,
    }
}

/// `1 2 3 4 5 6 7 8 9 10`: someone counting, not a number.
fn is_counting(groups: &[Group<'_>]) -> bool {
    groups.len() >= 5
        && groups
            .windows(2)
            .all(|w| matches!((value(&w[0]), value(&w[1])), (Some(a), Some(b)) if b == a + 1))
}

/// `gate code is 1234567`, `order #1234567`, `1234567#`.
fn is_code(t: &Tokens, tok: usize) -> bool {
    let hash_before = t.joined(tok) && t.punct(tok - 1) == Some('#');
    let hash_after = t.joined(tok + 1) && t.punct(tok + 1) == Some('#');
    let named = (1..=4).any(|back| {
        tok.checked_sub(back)
            .and_then(|p| t.word(p))
            .is_some_and(|w| CODE_WORDS.contains(&w))
    });
    hash_before || hash_after || named
}

#[cfg(test)]
mod tests {
    use super::super::scan;

    fn phones(text: &str) -> Vec<&str> {
        scan(text)
            .into_iter()
            .filter(|f| f.kind == super::ViolationType::Phone)
            .map(|f| &text[f.start..f.end])
            .collect()
    }

    #[test]
    fn spans_cover_the_whole_number() {
        let cases: [(&str, &[&str]); 8] = [
            ("call (555) 123-4567 now", &["(555) 123-4567"]),
            ("+1 555 123 4567", &["+1 555 123 4567"]),
            ("+44 7700 900123.", &["+44 7700 900123"]),
            (
                "555-123-4567 555-987-6543",
                &["555-123-4567", "555-987-6543"],
            ),
            ("call 555 123 4567 3 times", &["555 123 4567"]),
            ("it's 555 123 4567, 2 walks", &["555 123 4567"]),
            (
                "five five five one two three four five six seven 2 times",
                &["five five five one two three four five six seven"],
            ),
            ("0044 7700 900123", &["0044 7700 900123"]),
        ];
        for (text, want) in cases {
            assert_eq!(phones(text), want, "{text}");
        }
    }

    #[test]
    fn dates_times_and_codes_are_not_numbers() {
        for text in [
            "see you 1-19-2026",
            "2026.1.19 works",
            "I can swing by 930-1030",
            "walk 1145-100 ok",
            "lockbox code 1234567",
            "order #1234567",
            "keypad 2468013#",
            "walks at 10 12 2 4 6",
            "9.30-10.30 tomorrow",
            "zip 97201-1234",
        ] {
            assert_eq!(phones(text), Vec::<&str>::new(), "{text}");
        }
    }
}
