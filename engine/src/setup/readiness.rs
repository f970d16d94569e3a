//! Step 6: is the org ready to text its clients? Each check passes or says what to do,
//! in the owner's words.

use serde::Serialize;

use crate::{
    Engine, Result,
    accounts::{self, OwnerScope},
    db,
    provider::{self, connection},
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// `provider`, `frontDesk`, `sitters`, `webhooks`, `publicUrl` or `owner`.
    pub id: String,
    pub label: String,
    pub ok: bool,
    /// What was found, or what to do.
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Vec<Check>,
}

fn check(id: &str, label: &str, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        id: id.to_owned(),
        label: label.to_owned(),
        ok,
        detail: detail.into(),
    }
}

pub async fn readiness(engine: &Engine, scope: &OwnerScope) -> Result<Readiness> {
    let org_id = &scope.org_id;
    let db = &engine.db;
    let mut checks = Vec::new();

    let status = connection::status(engine, org_id).await?;
    let provider = provider::for_org(engine, org_id).await;
    checks.push(if let Err(e) = &provider {
        check("provider", "Provider connected", false, e.to_string())
    } else if status.connected {
        check(
            "provider",
            "Provider connected",
            true,
            format!("Connected: {}", status.label),
        )
    } else {
        check(
            "provider",
            "Provider connected",
            false,
            "Choose how texts are sent and connect it in step 1",
        )
    });

    let front_desk: Option<String> = db!(db, c => sqlx::query_scalar(
        "select e164 from number where org_id = $1 and class = 'front_desk' and status = 'active' order by created_at limit 1")
        .bind(org_id).fetch_optional(c).await)?;
    checks.push(match front_desk {
        Some(e164) => check(
            "frontDesk",
            "Front desk number",
            true,
            format!("Clients text {e164}"),
        ),
        None => check(
            "frontDesk",
            "Front desk number",
            false,
            "Choose a front desk number in step 3, or buy one in step 4",
        ),
    });

    let sitters = accounts::sitters(db, org_id).await?;
    let covered: Vec<String> = db!(db, c => sqlx::query_scalar(
        "select distinct assigned_user_id from number
          where org_id = $1 and class = 'sitter' and status = 'active' and assigned_user_id is not null")
        .bind(org_id).fetch_all(c).await)?;
    let pool: i64 = db!(db, c => sqlx::query_scalar(
        "select count(*) from number where org_id = $1 and class = 'pool' and status = 'active'")
        .bind(org_id).fetch_one(c).await)?;
    let missing: Vec<&str> = sitters
        .iter()
        .filter(|s| !covered.contains(&s.id))
        .map(|s| s.name.as_str())
        .collect();
    checks.push(if missing.is_empty() {
        check(
            "sitters",
            "Sitters can be reached",
            true,
            "Every sitter has a number",
        )
    } else if pool > 0 {
        check(
            "sitters",
            "Sitters can be reached",
            true,
            format!("{pool} pool number(s) cover sitters without a number of their own"),
        )
    } else {
        check(
            "sitters",
            "Sitters can be reached",
            false,
            format!(
                "Give {} a sitter number in step 3, or add pool numbers",
                missing.join(", ")
            ),
        )
    });

    let needs_webhooks = provider
        .as_ref()
        .map_or(true, provider::Provider::needs_webhooks);
    let webhooks = match super::webhooks::status(engine, scope).await {
        Ok(w) if !w.needed => check("webhooks", "Texts reach Switchboard", true, w.message),
        Ok(w) if w.verified => check("webhooks", "Texts reach Switchboard", true, w.message),
        Ok(w) => check(
            "webhooks",
            "Texts reach Switchboard",
            false,
            format!("{} Install them in step 5.", w.message),
        ),
        Err(e) => check("webhooks", "Texts reach Switchboard", false, e.to_string()),
    };
    checks.push(webhooks);

    checks.push(match (&engine.settings.public_base_url, needs_webhooks) {
        (_, false) => check(
            "publicUrl",
            "Public address",
            true,
            "Not needed with the test provider",
        ),
        (Some(url), true) => check(
            "publicUrl",
            "Public address",
            true,
            format!("Your provider reaches Switchboard at {url}"),
        ),
        (None, true) => check(
            "publicUrl",
            "Public address",
            false,
            super::webhooks::NO_PUBLIC_URL,
        ),
    });

    let owners: i64 = db!(db, c => sqlx::query_scalar(
        "select count(*) from app_user where org_id = $1 and role = 'owner'")
        .bind(org_id).fetch_one(c).await)?;
    checks.push(if owners > 0 {
        check(
            "owner",
            "An owner",
            true,
            format!("{owners} owner(s) can read the inbox"),
        )
    } else {
        check(
            "owner",
            "An owner",
            false,
            "Add an owner to read the owner inbox",
        )
    });

    Ok(Readiness {
        ready: checks.iter().all(|c| c.ok),
        checks,
    })
}
