//! Step 3: which of the provider account's numbers answer clients at the front desk,
//! belong to a sitter, or wait in the pool. Numbers already in the inventory keep their
//! rows (and threads) and change type if chosen differently; the others are imported.

use serde::{Deserialize, Serialize};

use crate::{
    Engine, Error, Result,
    accounts::OwnerScope,
    audit,
    numbers::{self, Held, Number, NumberClass, acquire::refused, held, lifecycle, pool},
    phone::{self, redact},
    provider,
};

/// A number on the provider account, and what it does in this org if anything.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountNumber {
    pub e164: String,
    /// The provider's id for it.
    pub sid: String,
    /// Its type here, when it is one of the org's numbers.
    #[serde(rename = "type")]
    pub kind: Option<NumberClass>,
    pub status: Option<String>,
    pub assigned_to_user_id: Option<String>,
    /// Another organisation on this Switchboard uses it.
    pub elsewhere: bool,
}

/// The org's provider account's numbers, for choosing.
pub async fn account_numbers(engine: &Engine, scope: &OwnerScope) -> Result<Vec<AccountNumber>> {
    let provider = provider::for_org(engine, &scope.org_id).await?;
    let listed = provider
        .list_numbers(&scope.org_id)
        .await
        .map_err(|e| refused("the provider account could not be read", e))?;
    let mut out = Vec::with_capacity(listed.len());
    for n in listed {
        let here: Option<(String, String, String, Option<String>)> = crate::db!(&engine.db, c => sqlx::query_as(
            "select org_id, class, status, assigned_user_id from number where e164 = $1")
            .bind(&n.e164).fetch_optional(c).await)?;
        let mut number = AccountNumber {
            e164: n.e164,
            sid: n.sid,
            kind: None,
            status: None,
            assigned_to_user_id: None,
            elsewhere: false,
        };
        match here {
            Some((org_id, class, status, user)) if org_id == scope.org_id => {
                number.kind = Some(NumberClass::parse(&class));
                number.status = Some(status);
                number.assigned_to_user_id = user;
            }
            Some(_) => number.elsewhere = true,
            None => {}
        }
        out.push(number);
    }
    Ok(out)
}

/// One chosen number: its type (`frontDesk`, `sitter`, `pool`) and, for a sitter number,
/// whose it is.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    pub e164: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub user_id: Option<String>,
}

/// Saves the owner's choice, in one transaction: every chosen number must be on the
/// provider account and not another organisation's.
pub async fn choose(
    engine: &Engine,
    scope: &OwnerScope,
    choices: &[Choice],
) -> Result<Vec<Number>> {
    if choices.is_empty() {
        return Err(Error::invalid(
            "numbers",
            "is empty: choose at least one number",
        ));
    }
    let mut wanted: Vec<(String, NumberClass, Option<String>)> = Vec::new();
    for c in choices {
        let e164 = phone::parse_e164("e164", &c.e164)?;
        let class = NumberClass::from_api("type", &c.kind)?;
        let user = c
            .user_id
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        if user.is_some() && class != NumberClass::Sitter {
            return Err(Error::invalid(
                "userId",
                "only a sitter number is given to a sitter",
            ));
        }
        if wanted.iter().any(|(e, ..)| *e == e164) {
            return Err(Error::invalid("e164", format!("{e164} is chosen twice")));
        }
        wanted.push((e164, class, user.map(str::to_owned)));
    }
    let provider = provider::for_org(engine, &scope.org_id).await?;
    let account = provider
        .list_numbers(&scope.org_id)
        .await
        .map_err(|e| refused("the provider account could not be read", e))?;
    let org_id = &scope.org_id;
    let now = engine.clock.now();
    let mut tx = engine.db.begin().await?;
    let mut ids = Vec::new();
    for (e164, class, user) in &wanted {
        let Some(on_account) = account.iter().find(|n| n.e164 == *e164) else {
            return Err(Error::invalid(
                "e164",
                format!("{e164} is not on your provider account"),
            ));
        };
        if let Some(user_id) = user {
            lifecycle::check_sitter(&mut tx, org_id, user_id).await?;
        }
        let number_id = match held(&mut tx, org_id, e164).await? {
            Held::Here { number_id, status } if status != "released" => {
                lifecycle::set_type(&mut tx, scope, &number_id, *class, user.as_deref(), now)
                    .await?;
                number_id
            }
            Held::Elsewhere => return Err(numbers::elsewhere(e164)),
            _ => {
                let number_id =
                    numbers::add(&mut tx, org_id, e164, *class, Some(&on_account.sid), now).await?;
                lifecycle::set_type(&mut tx, scope, &number_id, *class, user.as_deref(), now)
                    .await?;
                let payload = serde_json::json!({
                    "e164": redact(e164),
                    "type": class.api_name(),
                    "providerSid": on_account.sid,
                });
                audit::record(
                    &mut tx,
                    org_id,
                    scope.into(),
                    "number.imported",
                    Some(("number", &number_id)),
                    &payload,
                    now,
                )
                .await?;
                number_id
            }
        };
        ids.push(number_id);
    }
    pool::check_low_water(&mut tx, org_id, now).await?;
    super::reached(&mut tx, org_id, 4, now).await?;
    tx.commit().await?;
    let mut chosen = Vec::with_capacity(ids.len());
    for id in ids {
        chosen.push(numbers::get(&engine.db, org_id, &id).await?);
    }
    Ok(chosen)
}
