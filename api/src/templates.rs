//! Page templates (minijinja, `.html` so they auto-escape, strict about undefined
//! values), embedded in the binary so a release build is one file.

use std::sync::Arc;

use axum::response::Html;
use minijinja::{Environment, UndefinedBehavior, Value, context};

use crate::error::{ApiError, ApiResult};

const PAGES: [(&str, &str); 25] = [
    (
        "routing.html",
        include_str!("../../web/templates/routing.html"),
    ),
    (
        "alerts.html",
        include_str!("../../web/templates/alerts.html"),
    ),
    ("audit.html", include_str!("../../web/templates/audit.html")),
    (
        "audit_violations.html",
        include_str!("../../web/templates/audit_violations.html"),
    ),
    ("base.html", include_str!("../../web/templates/base.html")),
    (
        "settings.html",
        include_str!("../../web/templates/settings.html"),
    ),
    ("parts.html", include_str!("../../web/templates/parts.html")),
    ("login.html", include_str!("../../web/templates/login.html")),
    (
        "dashboard.html",
        include_str!("../../web/templates/dashboard.html"),
    ),
    ("inbox.html", include_str!("../../web/templates/inbox.html")),
    (
        "sitter_inbox.html",
        include_str!("../../web/templates/sitter_inbox.html"),
    ),
    (
        "sitter_thread.html",
        include_str!("../../web/templates/sitter_thread.html"),
    ),
    ("ops.html", include_str!("../../web/templates/ops.html")),
    (
        "ops_health.html",
        include_str!("../../web/templates/ops_health.html"),
    ),
    ("setup.html", include_str!("../../web/templates/setup.html")),
    (
        "clients.html",
        include_str!("../../web/templates/clients.html"),
    ),
    (
        "client.html",
        include_str!("../../web/templates/client.html"),
    ),
    (
        "bookings.html",
        include_str!("../../web/templates/bookings.html"),
    ),
    (
        "booking.html",
        include_str!("../../web/templates/booking.html"),
    ),
    (
        "assignments.html",
        include_str!("../../web/templates/assignments.html"),
    ),
    (
        "numbers.html",
        include_str!("../../web/templates/numbers.html"),
    ),
    (
        "automations.html",
        include_str!("../../web/templates/automations.html"),
    ),
    (
        "automation.html",
        include_str!("../../web/templates/automation.html"),
    ),
    (
        "automation_executions.html",
        include_str!("../../web/templates/automation_executions.html"),
    ),
    (
        "campaigns.html",
        include_str!("../../web/templates/campaigns.html"),
    ),
];

pub const APP_CSS: &str = include_str!("../../web/static/app.css");
pub const APP_JS: &str = include_str!("../../web/static/app.js");
/// The automation builder's script, loaded only by the automations pages and settings.
pub const AUTOMATIONS_JS: &str = include_str!("../../web/static/automations.js");

#[derive(Clone)]
pub struct Templates(Arc<Environment<'static>>);

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in PAGES {
            // The sources are compiled into the binary and checked by the tests.
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        Self(Arc::new(env))
    }

    pub fn render(&self, name: &str, ctx: Value) -> ApiResult<Html<String>> {
        self.0
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map(Html)
            .map_err(|e| {
                ApiError::Engine(engine::Error::Internal(format!("rendering {name}: {e:#}")))
            })
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

/// What every page's layout needs: who is logged in, their CSRF token, where they are.
pub fn layout(
    user: Option<&engine::accounts::User>,
    session_id: Option<&str>,
    nav: &str,
    page: &str,
) -> Value {
    context! {
        user => user.map(|u| context! { name => u.name.clone(), role => u.role.as_str() }),
        csrf => session_id.map(crate::auth::csrf_token).unwrap_or_default(),
        nav => nav,
        page => page,
        flash => Option::<String>::None,
        time_zone => Option::<String>::None,
    }
}

/// Renders a page for a logged-in caller: the layout (who, CSRF, where) merged with `ctx`,
/// whose values win (a page passes `flash` to say what its form did).
pub async fn page(
    state: &crate::AppState,
    caller: &engine::accounts::Caller,
    template: &str,
    nav: &str,
    page: &str,
    ctx: Value,
) -> ApiResult<Html<String>> {
    let user_id = caller.user_id.as_deref().unwrap_or_default();
    let user = engine::accounts::user(&state.engine.db, &caller.org_id, user_id).await?;
    let flags = engine::flags::for_org(&state.engine, &caller.org_id).await?;
    let time_zone = engine::accounts::org(&state.engine.db, &caller.org_id)
        .await?
        .time_zone;
    let on = |name: &str| flags.get(name).copied().unwrap_or(true);
    let messaging = on(engine::flags::MESSAGING_V1);
    let sitter_messaging = messaging && on(engine::flags::SITTER_MESSAGES_V1);
    state.templates.render(
        template,
        // The first source of a key wins.
        context! { ..ctx, ..context! { messaging, sitter_messaging, time_zone, ..layout(Some(&user), caller.session_id.as_deref(), nav, page) } },
    )
}
