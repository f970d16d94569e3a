//! The anti-poaching policy against texts the way sitters and clients write them: each
//! case names the kinds of violation it must report, none for a clean text. The clean
//! cases are the near misses (times, prices, dates, codes, addresses, words that contain
//! an app's name); the violating ones include the usual ways people dodge a filter.

use std::collections::HashSet;

use engine::policy::{self, ViolationType};

const PHONE: ViolationType = ViolationType::Phone;
const EMAIL: ViolationType = ViolationType::Email;
const URL: ViolationType = ViolationType::Url;
const SOCIAL: ViolationType = ViolationType::Social;
const PAY: ViolationType = ViolationType::Payment;

const CASES: &[(&str, &[ViolationType])] = &[
    // Phone numbers, written every way.
    ("Call me at 555-123-4567 if anything comes up", &[PHONE]),
    ("My cell is (555) 123-4567, text anytime", &[PHONE]),
    ("you can reach me on +1 555 123 4567", &[PHONE]),
    ("5551234567 is my number", &[PHONE]),
    ("text 555.123.4567 next time, easier", &[PHONE]),
    ("555 123 4567 thats me", &[PHONE]),
    ("five five five one two three four five six seven", &[PHONE]),
    ("Its 555 one two three 4567 lol", &[PHONE]),
    ("5 5 5 1 2 3 4 5 6 7 call me", &[PHONE]),
    ("home line is 123-4567", &[PHONE]),
    ("1-800-555-0199 ask for Dana", &[PHONE]),
    (
        "Five-Five-Five, one-two-three, four-five-six-seven!",
        &[PHONE],
    ),
    ("call5551234567", &[PHONE]),
    ("Number: 555 123 4567. Walked Ziggy 2 times", &[PHONE]),
    ("ok 555-123-4567 3 walks tomorrow?", &[PHONE]),
    (
        "Fed both cats at 7:30. my number 555-1234 if you need",
        &[PHONE],
    ),
    ("+44 7700 900123 is my UK mobile", &[PHONE]),
    ("ring 07700 900123 when you land", &[PHONE]),
    ("５５５－１２３－４５６７", &[PHONE]),
    (
        "5\u{FE0F}\u{20E3}5\u{FE0F}\u{20E3}5\u{FE0F}\u{20E3} 1234",
        &[PHONE],
    ),
    ("lockbox code 555-1234", &[PHONE]),
    ("On my way! 555 oh one two 3456", &[PHONE]),
    ("five five five dash one two one two", &[PHONE]),
    ("call me on five five five, 123, 4567", &[PHONE]),
    ("Poison control 888-426-4435", &[PHONE]),
    // Email addresses.
    ("email me at jane.doe@gmail.com with the photos", &[EMAIL]),
    ("jane at gmail dot com", &[EMAIL]),
    ("sarah (at) yahoo (dot) com", &[EMAIL]),
    ("write to dogmom@gmail", &[EMAIL]),
    ("my email: Jane_Doe99 AT outlook DOT com", &[EMAIL]),
    (
        "send the vet records to mike [at] mikespets [dot] net",
        &[EMAIL],
    ),
    ("jdoe @ icloud.com", &[EMAIL]),
    ("ｊａｎｅ＠ｇｍａｉｌ．ｃｏｍ", &[EMAIL]),
    ("Thanks! jane.smith+dogs@mail.co.uk.", &[EMAIL]),
    ("rick at hotmail", &[EMAIL]),
    ("my email is jane dot doe at gmail dot com", &[EMAIL]),
    ("contact info at happypaws dot com", &[EMAIL]),
    // Links and bare domains.
    ("Book me directly at www.happypaws.com next time", &[URL]),
    ("see my rates at https://janespets.net/rates", &[URL]),
    ("mysite.com has my calendar", &[URL]),
    ("bit.ly/zigwalks", &[URL]),
    ("check happytails dot com for openings", &[URL]),
    ("all my reviews: rover-jane.io", &[URL]),
    ("t.me/janedoe", &[URL]),
    ("links in my profile linktr.ee/janewalks", &[URL]),
    ("youtu.be/abc123 cute video of him", &[URL]),
    ("follow x.com/ziggydog", &[URL]),
    ("you can find my rates at happypawsjane dot com", &[URL]),
    ("Saw this at PetSmart.com, want me to grab it?", &[URL]),
    // Social apps and handles.
    ("follow me @ziggy_the_doodle for more pics", &[SOCIAL]),
    ("add me on IG", &[SOCIAL]),
    ("my insta is zig.walks", &[SOCIAL]),
    ("Insta: janewalksdogs", &[SOCIAL]),
    ("do you have instagram?", &[SOCIAL]),
    ("add me on snap", &[SOCIAL]),
    ("whats your snapchat", &[SOCIAL]),
    ("snap me tonight", &[SOCIAL]),
    ("I'm on whatsapp if thats easier", &[SOCIAL]),
    ("message me on whats app", &[SOCIAL]),
    ("telegram works better for me", &[SOCIAL]),
    ("text me on signal instead", &[SOCIAL]),
    ("Find me on facebook, Jane Walks Dogs", &[SOCIAL]),
    ("FB/IG both work", &[SOCIAL]),
    ("dm me and we can set something up", &[SOCIAL]),
    ("just text me on my personal.", &[SOCIAL]),
    ("here's my personal cell", &[SOCIAL]),
    ("lets keep talking outside the app", &[SOCIAL]),
    ("pm me", &[SOCIAL]),
    ("snap chat is jane", &[SOCIAL]),
    ("Check out my tiktok @zigwalks", &[SOCIAL]),
    ("іnstаgrаm", &[SOCIAL]),
    ("in\u{200B}sta", &[SOCIAL]),
    // Payment outside the platform.
    ("you can venmo me", &[PAY]),
    ("Venmo @jane-doe-12 for the walks", &[PAY]),
    ("I take cashapp or zelle", &[PAY]),
    ("cash app works too", &[PAY]),
    ("$JaneWalks on cash app", &[PAY]),
    ("paypal is fine", &[PAY]),
    ("next time just pay me directly, no fees", &[PAY]),
    ("you can pay me cash when you get back", &[PAY]),
    ("Can I pay you in cash instead?", &[PAY]),
    ("pay outside the app and I'll knock $5 off", &[PAY]),
    ("I venmoed you for Saturday", &[PAY]),
    // More than one at once.
    ("Text me on my personal 5551234567", &[SOCIAL, PHONE]),
    ("venmo or call 555-123-4567", &[PAY, PHONE]),
    ("IG @zigwalks or jane@gmail.com", &[SOCIAL, EMAIL]),
    ("paypal.me/janedoe", &[URL, PAY]),
    ("instagram.com/zigwalks", &[URL, SOCIAL]),
    ("wa.me/15551234567", &[URL]),
    (
        "call 555-123-4567, zelle me at jane@gmail.com",
        &[PHONE, PAY, EMAIL],
    ),
    // Times, durations and counts.
    ("Walk window is 3:30-4:30 today", &[]),
    ("See you at 3pm!", &[]),
    ("I'll be there 10:00am sharp", &[]),
    ("I can swing by 930-1030 tomorrow", &[]),
    ("9.30-10.30 works for me", &[]),
    ("2 walks and 30 min play, back by 11", &[]),
    ("walks at 7, 12 and 5 each day", &[]),
    ("can you do 8 10 12 2 and 4?", &[]),
    ("Done at 5:45. 2 poops 1 pee, ate 1.5 cups", &[]),
    ("see you @ 3pm", &[]),
    ("@3pm works", &[]),
    ("meet@noon?", &[]),
    ("be there a.m./p.m. both days", &[]),
    ("at 5 pm me and Ziggy are going to the park", &[]),
    // Prices.
    ("That's $25.50 for the walk", &[]),
    ("$120 for the week, $1,250.00 for the month", &[]),
    ("it's 25 dollars, 15% off the second dog", &[]),
    ("Total $2,450,120 lol jk it's $45", &[]),
    // Dates.
    ("Is 12/25 still on?", &[]),
    ("Booked 2026-01-19 through 2026-01-23", &[]),
    ("see you 1-19-2026", &[]),
    ("Jan 19 at 8", &[]),
    ("back on 01/19/2026 around 6", &[]),
    // Codes, addresses, apartments.
    ("gate code is 4821", &[]),
    ("door code 1234# then push hard", &[]),
    ("the lockbox code is 1234567", &[]),
    ("alarm 7391 disarm, then 4402 to re-arm", &[]),
    ("order #1234567 from Chewy is on the porch", &[]),
    ("123 Main St Apt 4B, unit 12 is the neighbor", &[]),
    ("1200 NW 23rd Ave, Portland OR 97210", &[]),
    ("Zip is 97210-1234", &[]),
    // Words that contain an app's name, or mean something else.
    ("I snapped a few pics of him at the park", &[]),
    ("He signals when he needs out", &[]),
    ("instant replay of the zoomies", &[]),
    ("they're installing a new fence", &[]),
    ("He has an igloo dog house out back", &[]),
    ("the dog's name is Ziggy", &[]),
    ("snap me a pic when you get there!", &[]),
    ("oh snap, forgot the treats", &[]),
    ("the snap on his harness is loose", &[]),
    ("no signal in the basement, will text after", &[]),
    ("my personal favorite is when he sneezes", &[]),
    ("Sorry, the app was glitching earlier", &[]),
    ("pay through the app like usual", &[]),
    ("you can pay directly in the app now", &[]),
    ("cash tip is on the counter", &[]),
    ("I'll leave cash for the tip", &[]),
    ("paid in the app, thanks!", &[]),
    // Punctuation that looks like a domain but is not.
    ("Use the blue leash, e.g. the one by the door", &[]),
    ("bring treats, i.e. the chicken ones", &[]),
    ("All done.See you tomorrow", &[]),
    ("Sounds good.Me and Ziggy are home", &[]),
    ("Ok.So he ate half", &[]),
    ("Sent photo.jpg and IMG_2041.png", &[]),
    ("polka dot collar is on the hook", &[]),
    ("at the vet dot clinic on 5th", &[]),
    ("lunch@home today", &[]),
    ("he's 3.5 yrs and 45.5 lbs", &[]),
    // Plain everyday texts.
    (
        "Ziggy did great today! 2 walks, ate all his food. See you Thursday",
        &[],
    ),
    ("Can you add a 15 min visit on Sat the 14th?", &[]),
    ("Meds: 1/2 pill at 8am and 8pm with food", &[]),
    ("Feed 1 cup at 7 and 1 cup at 5, water bowl refill", &[]),
    ("We'll be back Sunday around 9 or 10 pm", &[]),
    ("Key is under the mat, 2nd pot on the left", &[]),
    ("She's 12 years old, be gentle with her hips", &[]),
    ("rooms 101 and 102 have cat litter", &[]),
    ("1 2 3 4 5 6 7 8 9 10 count the treats", &[]),
    ("Reservation #A7X-2291 confirmed", &[]),
    ("He's microchipped, chip number 900164000123456", &[]),
    ("Hmm @the park now, back in 20", &[]),
    ("3 walks @ $22 = $66", &[]),
    ("That's a good signal he's comfortable", &[]),
    ("Wifi is ZiggyNet, password walkies2024", &[]),
];

fn kinds_of(text: &str) -> HashSet<ViolationType> {
    policy::scan(text).into_iter().map(|f| f.kind).collect()
}

fn key(k: &ViolationType) -> &'static str {
    k.as_str()
}

#[test]
fn every_case_reports_the_expected_kinds() {
    let mut failures = Vec::new();
    for (text, want) in CASES {
        let want: HashSet<ViolationType> = want.iter().copied().collect();
        let got = kinds_of(text);
        if got != want {
            let spans: Vec<_> = policy::scan(text)
                .into_iter()
                .map(|f| format!("{}:{:?}", key(&f.kind), &text[f.start..f.end]))
                .collect();
            failures.push(format!("{text:?}: want {want:?}, got {spans:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_is_big_and_balanced() {
    let violating = CASES.iter().filter(|(_, k)| !k.is_empty()).count();
    let clean = CASES.len() - violating;
    assert!(CASES.len() >= 100, "{}", CASES.len());
    assert!(
        violating >= 40 && clean >= 40,
        "{violating} violating, {clean} clean"
    );
}

#[test]
fn redaction_keeps_the_rest_of_the_text() {
    let cases = [
        (
            "Call me at 555-123-4567 if anything comes up",
            "Call me at [phone removed] if anything comes up",
        ),
        (
            "sarah (at) yahoo (dot) com or (555) 123-4567",
            "[email removed] or [phone removed]",
        ),
        (
            "Book at www.happypaws.com, or venmo @jane-doe-12.",
            "Book at [link removed], or [payment removed].",
        ),
        (
            "j a n e at gmail, 5 5 5 1 2 3 4 5 6 7",
            "[email removed], [phone removed]",
        ),
        (
            "my insta is zig.walks and snap me tonight",
            "my [contact removed] and [contact removed] me tonight",
        ),
        (
            "next time just pay me directly, no fees",
            "next time just [payment removed], no fees",
        ),
        (
            "Walk window is 3:30-4:30 today",
            "Walk window is 3:30-4:30 today",
        ),
        ("ｊａｎｅ＠ｇｍａｉｌ．ｃｏｍ!", "[email removed]!"),
    ];
    for (text, want) in cases {
        assert_eq!(policy::redact(text, &policy::scan(text)), want, "{text}");
    }
}

#[test]
fn spans_point_into_the_original_text() {
    let text = "🐶 Ziggy says call (555) 123-4567 or email jane@gmail.com 🐾";
    let found = policy::scan(text);
    let parts: Vec<_> = found.iter().map(|f| &text[f.start..f.end]).collect();
    assert_eq!(parts, ["(555) 123-4567", "jane@gmail.com"]);
}
