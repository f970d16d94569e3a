//! Times `policy::scan` on typical 160-character texts, clean and violating.
//!
//! `cargo run --release -p engine --example policy_bench [scans]`

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use engine::policy;

const TEXTS: [&str; 20] = [
    "Hi! Ziggy did great today. 2 walks, 30 min each, ate all his food at 5:30 and drank lots of water. He napped on the couch after. See you Thursday at 3pm!",
    "Gate code is 4821 and the door code 1234#. Keys are under the 2nd pot on the left. Feed 1 cup at 7 and 1 cup at 5, meds at 8am with food. Thanks so much!!",
    "Walk window is 3:30-4:30 today, I'll be there by 3:45. It's $25.50 for the walk and $120 for the week, invoice goes out 12/25 through the app as usual.",
    "Booked 2026-01-19 through 2026-01-23, 3 visits/day. The vet is at 1234 Elm St Apt 4B, their # is on the fridge. He's 12 years old so go easy on the stairs.",
    "I snapped a few pics of him at the park, he signals when he needs out. No signal in the basement so I'll text after. e.g. the blue leash, i.e. the long one.",
    "All done.See you tomorrow! Sounds good.Me and Ziggy are home. Temps are 95-100 this week so we kept walks short, 15 min @ 7am and 15 min after 8pm. Cheers!",
    "Can you swing by 930-1030 tomorrow instead? We'll be back Sunday around 9 or 10 pm. Left $40 cash on the counter for you as a tip, thanks for everything!!",
    "Reminder: your visit is tomorrow 8:00-8:30am. Please leave the lockbox code 7391 on the note. Reply with any changes. Ziggy says woof and thanks you. Bye!",
    "Omg he got into the trash again, 2nd time this week smh. Cleaned it up, he seems fine. Ate 1.5 cups at 6, 2 poops 1 pee. Snap me a pic when you're home?",
    "Hes been limping on his back left leg since about 2:30. Called the clinic, they said watch him tonight and call back at 8 if it's worse. Will update you soon.",
    "Hey it's Jane! Next time just text me on my personal, 555-123-4567, and you can pay me directly with venmo @jane-walks so we skip the app fees. Thanks!!",
    "Love Ziggy! Follow me @ziggy_the_doodle for more pics, or add me on IG and snap. My email is jane dot doe at gmail dot com if you want the full photo set.",
    "Book me directly at www.happypaws.com next time, rates are on mysite.com/rates and bit.ly/zigwalks. Paypal or zelle both work, cash app too. See you soon!",
    "Call me at (555) 123-4567 or five five five one two three four five six seven, whichever. Whatsapp works too, and telegram. I'm usually free after 6pm.",
    "Thanks for booking! I'm on facebook, Jane Walks Dogs, DM me there. Or email jane.smith+dogs@mail.co.uk. You can pay me cash when you get back on the 19th.",
    "My cell is +1 555 123 4567 and my home line is 123-4567. Let's keep talking outside the app, it takes a big cut. Venmo or cash app is fine for the deposit.",
    "Here's the link to my calendar: https://janespets.net/calendar?week=3 and my insta is zig.walks. Can I pay you in cash instead? It's easier for me honestly.",
    "The new alarm code is 4930 then press OFF. Wifi is ZiggyNet, password walkies2024. Fed him at 7:15 and 5:45. Poison control is 888-426-4435 just in case!",
    "sarah (at) yahoo (dot) com for the vet records please, or 555 one two three 4567 after 5. I'll be there 10:00am sharp Jan 19, door code 1234# as usual.",
    "He has an igloo dog house out back, they're installing a new fence so keep him on leash. The dog's name is Ziggy lol. Instant replay of the zoomies: 10/10.",
];

fn main() {
    let scans: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let lens: Vec<usize> = TEXTS.iter().map(|t| t.chars().count()).collect();
    let violating = TEXTS.iter().filter(|t| !policy::scan(t).is_empty()).count();
    println!(
        "{} texts, {}–{} chars, {violating} violating",
        TEXTS.len(),
        lens.iter().min().unwrap_or(&0),
        lens.iter().max().unwrap_or(&0),
    );

    for text in TEXTS.iter().cycle().take(20_000) {
        black_box(policy::scan(black_box(text)));
    }

    let mut times = Vec::with_capacity(scans);
    let started = Instant::now();
    for text in TEXTS.iter().cycle().take(scans) {
        let t0 = Instant::now();
        black_box(policy::scan(black_box(text)));
        times.push(t0.elapsed());
    }
    let wall = started.elapsed();

    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    let mean = times.iter().sum::<Duration>() / u32::try_from(times.len()).unwrap_or(u32::MAX);
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{scans} scans: median {:.2} µs, p99 {:.2} µs, mean {:.2} µs, max {:.2} µs, {:.0} scans/s",
        us(at(0.5)),
        us(at(0.99)),
        us(mean),
        us(at(1.0)),
        scans as f64 / wall.as_secs_f64(),
    );
}
