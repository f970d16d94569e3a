//! The mock provider's account: the numbers each org holds at the simulated carrier
//! (`mock_number` rows), so buying, importing, listing and giving numbers back behave as
//! with Twilio, with no account at all.
//!
//! Numbers for sale are deterministic: five per area code, `+1 AAA 555-0100` to `-0104`
//! (the 555-01xx block is reserved for fiction), minus those any org holds; a state
//! searches a made-up area code of its own. An account connected to the mock starts with
//! the seeds' numbers, so the setup wizard has something to choose from.

use super::{Account, AvailableNumber, ProviderError, ProviderNumber, Region};
use crate::{Db, clock::Millis, db, phone::redact};

/// What a fresh mock account holds: the seeds' demo numbers.
pub const STARTER_NUMBERS: [&str; 6] = [
    crate::demo::FRONT_DESK,
    crate::demo::SARAH_NUMBER,
    "+15552222223",
    "+15552222224",
    crate::demo::POOL_NUMBER,
    crate::demo::LENT_POOL_NUMBER,
];

/// How many numbers an area code offers.
const FOR_SALE_PER_AREA: u32 = 5;

fn unavailable(e: sqlx::Error) -> ProviderError {
    ProviderError::from_code(None, Some(503), format!("mock carrier unavailable: {e}"))
}

pub fn account() -> Account {
    Account {
        friendly_name: "Switchboard test provider".to_owned(),
        status: "active".to_owned(),
    }
}

/// The area code a region searches: its own, or a made-up one per state (201, 216, …).
fn area_code(region: &Region) -> String {
    match (region, region.state_index()) {
        (Region::AreaCode(code), _) => code.clone(),
        (Region::State(_), Some(i)) => (201 + i * 15).to_string(),
        (Region::State(_), None) => "555".to_owned(),
    }
}

fn for_sale(area: &str) -> Vec<String> {
    (0..FOR_SALE_PER_AREA)
        .map(|i| format!("+1{area}555{:04}", 100 + i))
        .collect()
}

pub async fn available(
    db: &Db,
    _org_id: &str,
    region: &Region,
) -> Result<Vec<AvailableNumber>, ProviderError> {
    let area = area_code(region);
    let held: Vec<String> = db!(db, c => sqlx::query_scalar(
        "select e164 from mock_number where e164 like $1")
        .bind(format!("+1{area}%")).fetch_all(c).await)
    .map_err(unavailable)?;
    let state = match region {
        Region::State(s) => Some(s.clone()),
        Region::AreaCode(_) => None,
    };
    Ok(for_sale(&area)
        .into_iter()
        .filter(|n| !held.contains(n))
        .map(|e164| AvailableNumber {
            e164,
            locality: Some("Mock City".to_owned()),
            region: state.clone(),
        })
        .collect())
}

pub async fn buy(
    db: &Db,
    org_id: &str,
    e164: &str,
    now: Millis,
) -> Result<ProviderNumber, ProviderError> {
    let area = e164.strip_prefix("+1").and_then(|rest| rest.get(..3));
    let on_sale = area.is_some_and(|a| for_sale(a).iter().any(|n| n == e164));
    let not_available = || {
        ProviderError::from_code(
            Some(21422),
            Some(400),
            format!("Phone number {} is not available.", redact(e164)),
        )
    };
    if !on_sale {
        return Err(not_available());
    }
    let sid = new_sid();
    let turn = db.write_turn().await;
    // Held by anyone (this org or another) means sold.
    let inserted = db!(db, c => sqlx::query(
        "insert into mock_number (sid, org_id, e164, created_at) values ($1, $2, $3, $4)
         on conflict (e164) do nothing")
        .bind(&sid).bind(org_id).bind(e164).bind(now).execute(c).await.map(|r| r.rows_affected()));
    drop(turn);
    if inserted.map_err(unavailable)? == 0 {
        return Err(not_available());
    }
    Ok(number(sid, e164.to_owned()))
}

pub async fn list(db: &Db, org_id: &str) -> Result<Vec<ProviderNumber>, ProviderError> {
    let rows: Vec<(String, String)> = db!(db, c => sqlx::query_as(
        "select sid, e164 from mock_number where org_id = $1 order by e164")
        .bind(org_id).fetch_all(c).await)
    .map_err(unavailable)?;
    Ok(rows
        .into_iter()
        .map(|(sid, e164)| number(sid, e164))
        .collect())
}

pub async fn release(db: &Db, org_id: &str, sid: &str) -> Result<(), ProviderError> {
    let turn = db.write_turn().await;
    let deleted = db!(db, c => sqlx::query("delete from mock_number where org_id = $1 and sid = $2")
        .bind(org_id).bind(sid).execute(c).await.map(|r| r.rows_affected()));
    drop(turn);
    match deleted.map_err(unavailable)? {
        0 => Err(ProviderError::from_code(
            Some(20404),
            Some(404),
            "The requested resource was not found",
        )),
        _ => Ok(()),
    }
}

/// Puts the starter numbers on the org's mock account (those it does not hold yet and
/// no other org holds), inside the caller's transaction.
pub async fn stock(tx: &mut crate::Tx, org_id: &str, now: Millis) -> crate::Result<()> {
    for e164 in STARTER_NUMBERS {
        crate::tx!(tx, c => sqlx::query(
            "insert into mock_number (sid, org_id, e164, created_at) values ($1, $2, $3, $4)
             on conflict (e164) do nothing")
            .bind(new_sid()).bind(org_id).bind(e164).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// A number's id in Twilio's shape: `PN` and 32 hex digits.
fn new_sid() -> String {
    format!("PN{}", uuid::Uuid::now_v7().simple())
}

fn number(sid: String, e164: String) -> ProviderNumber {
    ProviderNumber {
        sid,
        e164,
        sms_url: None,
        status_callback: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_sale_are_the_same_every_time() {
        let area = area_code(&Region::parse("415").unwrap());
        assert_eq!(
            for_sale(&area),
            [
                "+14155550100",
                "+14155550101",
                "+14155550102",
                "+14155550103",
                "+14155550104"
            ]
        );
        assert_eq!(area_code(&Region::parse("AL").unwrap()), "201");
        assert_eq!(area_code(&Region::parse("ca").unwrap()), "261");
        assert_eq!(area_code(&Region::parse("WY").unwrap()), "951");
        for e164 in for_sale("951") {
            crate::phone::parse_e164("e164", &e164).unwrap();
        }
    }
}
