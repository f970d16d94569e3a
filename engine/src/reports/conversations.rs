//! The org's texts over recent days, a row per message, for the conversations export.
//! Client numbers are redacted unless the owner asks for them, and asking is audited.

use crate::{
    Db, Result,
    accounts::OwnerScope,
    audit,
    clock::{DAY, Millis},
    db, phone,
};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ConversationRow {
    pub created_at: Millis,
    pub thread_id: String,
    pub message_id: String,
    pub direction: String,
    /// `sms`, or `system` for an event such as an opt-out.
    pub kind: String,
    pub client_name: Option<String>,
    pub client_phone: String,
    /// The business number the conversation runs on.
    pub business_number: String,
    /// Who wrote an outbound text (the owner or a sitter); none for automated texts.
    pub sender_name: Option<String>,
    /// An outbound text's latest delivery status.
    pub status: Option<String>,
    pub body: String,
}

/// Every message of the last `days` days, oldest first. With `include_phone` false the
/// client's number and any number written in a text are redacted (`+1555****4567`);
/// with it true the owner's choice is recorded in the audit trail first.
pub async fn recent(
    db: &Db,
    scope: &OwnerScope,
    days: u32,
    include_phone: bool,
    now: Millis,
) -> Result<Vec<ConversationRow>> {
    if include_phone {
        let mut tx = db.begin().await?;
        audit::record(
            &mut tx,
            &scope.org_id,
            scope.into(),
            "export.phone_numbers_included",
            None,
            &serde_json::json!({ "export": "conversations", "days": days }),
            now,
        )
        .await?;
        tx.commit().await?;
    }
    let from = now - i64::from(days) * DAY;
    let mut rows: Vec<ConversationRow> = db!(db, c => sqlx::query_as(
        "select m.created_at, m.thread_id, m.message_id, m.direction, m.kind, cl.name as client_name,
                t.client_e164 as client_phone, n.e164 as business_number, u.name as sender_name,
                (select d.status from delivery d where d.message_id = m.message_id
                  order by d.attempt_no desc limit 1) as status,
                m.body
           from message m
           join thread t on t.thread_id = m.thread_id
           join number n on n.number_id = t.number_id
           left join client cl on cl.client_id = t.client_id
           left join app_user u on u.user_id = m.sender_user_id
          where m.org_id = $1 and m.created_at >= $2 and m.created_at <= $3
          order by m.created_at, m.message_id")
        .bind(&scope.org_id).bind(from).bind(now).fetch_all(c).await)?;
    if !include_phone {
        for r in &mut rows {
            r.client_phone = phone::redact(&r.client_phone);
            if let std::borrow::Cow::Owned(body) = phone::redact_text(&r.body) {
                r.body = body;
            }
        }
    }
    Ok(rows)
}
