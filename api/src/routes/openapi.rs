//! The OpenAPI description of the JSON API, generated from the handlers' annotations.

use axum::{Json, Router, routing::get};
use utoipa::OpenApi;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard API", description = "Routing, masking and automations for businesses that run on text messages."),
    paths(
        super::alerts::list,
        super::alerts::resolve,
        super::audit::list,
        super::auth::login,
        super::auth::logout,
        super::auth::session,
        super::diagnostics::show,
        super::routing::list,
        super::routing::history,
        super::routing::replay,
        super::threads::list,
        super::threads::messages,
        super::threads::set_override,
        super::threads::clear_override,
        super::settings::create_api_key,
        super::settings::list_flags,
        super::settings::set_flags,
        super::settings::automation_settings,
        super::settings::set_automation_settings,
        super::automations::list,
        super::automations::create,
        super::automations::show,
        super::automations::update,
        super::automations::versions,
        super::automations::test,
        super::automations::activate,
        super::automations::pause,
        super::automations::archive,
        super::automations::recent_events,
        super::automations::executions,
        super::automations::execution,
        super::automations::rerun,
        super::automations::catalog,
        super::automations::preview,
        super::webhooks::inbound_sms,
        super::webhooks::status_callback,
        super::messages::send,
        super::messages::retry,
        super::sitter::list,
        super::sitter::messages,
        super::sitter::send,
        super::policy::list,
        super::policy::resolve,
        super::ops::list,
        super::ops::replay,
        super::ops::discard,
        super::ops::health,
        super::dev::messages,
        super::dev::config,
        super::dev::set_config,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics_json,
        super::health::metrics_prometheus,
        super::clients::list,
        super::clients::show,
        super::clients::create,
        super::clients::update,
        super::clients::archive,
        super::clients::restore,
        super::sitters::list,
        super::sitters::show,
        super::sitters::create,
        super::sitters::update,
        super::bookings::list,
        super::bookings::show,
        super::bookings::create,
        super::bookings::update,
        super::bookings::cancel,
        super::assignments::list,
        super::assignments::show,
        super::assignments::create,
        super::assignments::replace,
        super::assignments::delete,
        super::window_settings::show,
        super::window_settings::update,
        super::numbers::list,
        super::numbers::search,
        super::numbers::buy,
        super::numbers::import,
        super::numbers::assign,
        super::numbers::quarantine,
        super::numbers::release,
        super::numbers::show_pool,
        super::numbers::set_pool,
        super::setup::progress,
        super::setup::go_to,
        super::setup::connect,
        super::setup::provider_status,
        super::setup::test,
        super::setup::account_numbers,
        super::setup::choose,
        super::setup::install_webhooks,
        super::setup::webhook_status,
        super::setup::readiness,
        super::setup::finish,
        super::owner::tomorrow,
        super::owner::today,
        super::owner::service_mix,
        super::owner::sms_metrics,
        super::owner::reschedules,
        super::owner::retention,
        super::campaigns::list,
        super::campaigns::send_reminders,
        super::campaigns::send_follow_ups,
        super::campaigns::send_retention,
        super::campaigns::show,
        super::campaigns::update,
        super::campaigns::preview,
        super::campaigns::run_now,
        super::campaigns::history,
        super::campaigns::run,
        super::exports::service_mix_csv,
        super::exports::conversations_csv,
    ),
    components(schemas(crate::error::ErrorBody)),
    tags((name = "owner", description = "The owner's summaries and exports; every path also answers under `/v1/owner/` (the seed's paths).")),
    tags((name = "owner", description = "The owner's summaries and exports; every path also answers under `/v1/owner/` (the seed's paths)."),
        (name = "campaigns", description = "Reminders, lead follow-ups and win-back on a schedule. The send endpoints also answer at the seed's `/v1/reminders/send-upcoming`, `/v1/reminders/send-followups` and `/v1/retention/send-retention`.")),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
