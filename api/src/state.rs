//! `AppState`: what every handler can read. Cheap to clone.

use std::sync::Arc;

use axum::extract::FromRef;
use engine::Engine;

use crate::{auth::LoginLimiter, config::Config, templates::Templates};

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub config: Arc<Config>,
    pub templates: Templates,
    pub login_limiter: LoginLimiter,
}

impl FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Self {
        state.engine.clone()
    }
}
