//! Configuration: defaults in code, then an optional TOML file, then environment
//! variables. A bad value stops start-up with one line naming the variable.

use std::{net::SocketAddr, path::Path, time::Duration};

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://…` (embedded, default) or `postgres://…`.
    pub database_url: String,
    pub addr: SocketAddr,
    /// `mock` (default) or `twilio`.
    pub provider: String,
    /// The URL the provider calls us at; webhook signatures are computed over it.
    pub public_base_url: Option<String>,
    pub secret_key: Option<SecretString>,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<SecretString>,
    pub twilio_api_base: String,
    /// `text` (default) or `json` log lines.
    pub log_format: String,
    pub job_poll: Duration,
    pub job_concurrency: usize,
    pub retry_base: Duration,
    /// Pacing per business number; None means the provider's default (1 s for Twilio,
    /// none for the mock).
    pub send_interval: Option<Duration>,
    /// How long a send may stay in flight before it counts as `uncertain`.
    pub send_lease: Duration,
    /// How long a campaign run may show no progress before it is taken up again.
    pub run_lease: Duration,
    /// Feature flags from the seeds' rollout plan, global defaults (on unless turned off).
    pub flags: std::collections::BTreeMap<String, bool>,
}

pub const FLAGS: [&str; 3] = engine::flags::ALL;

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/switchboard.db".to_owned(),
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            provider: "mock".to_owned(),
            public_base_url: None,
            secret_key: None,
            twilio_account_sid: None,
            twilio_auth_token: None,
            twilio_api_base: engine::provider::twilio::API_BASE.to_owned(),
            log_format: "text".to_owned(),
            job_poll: Duration::from_millis(100),
            job_concurrency: 4,
            retry_base: Duration::from_secs(2),
            send_interval: None,
            send_lease: Duration::from_secs(60),
            run_lease: Duration::from_secs(60),
            flags: FLAGS.iter().map(|f| ((*f).to_owned(), true)).collect(),
        }
    }
}

/// The TOML file's keys: the environment variable names in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    switchboard_addr: Option<String>,
    switchboard_provider: Option<String>,
    public_base_url: Option<String>,
    switchboard_secret_key: Option<String>,
    twilio_account_sid: Option<String>,
    twilio_auth_token: Option<String>,
    twilio_api_base: Option<String>,
    switchboard_log_format: Option<String>,
    switchboard_job_poll_ms: Option<u64>,
    switchboard_job_concurrency: Option<u64>,
    switchboard_retry_base_ms: Option<u64>,
    switchboard_send_interval_ms: Option<u64>,
    switchboard_send_lease_ms: Option<u64>,
    switchboard_run_lease_ms: Option<u64>,
}

/// A configuration error: which setting, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    pub name: String,
    pub reason: String,
}

fn err(name: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

impl Config {
    /// Defaults, then `file` (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut values: Vec<(&'static str, String)> = Vec::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| err("--config", format!("cannot read {}: {e}", path.display())))?;
            let f: FileConfig = toml::from_str(&text)
                .map_err(|e| err("--config", format!("{}: {}", path.display(), e.message())))?;
            let num = |v: Option<u64>| v.map(|n| n.to_string());
            for (name, v) in [
                ("DATABASE_URL", f.database_url),
                ("SWITCHBOARD_ADDR", f.switchboard_addr),
                ("SWITCHBOARD_PROVIDER", f.switchboard_provider),
                ("PUBLIC_BASE_URL", f.public_base_url),
                ("SWITCHBOARD_SECRET_KEY", f.switchboard_secret_key),
                ("TWILIO_ACCOUNT_SID", f.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", f.twilio_auth_token),
                ("TWILIO_API_BASE", f.twilio_api_base),
                ("SWITCHBOARD_LOG_FORMAT", f.switchboard_log_format),
                ("SWITCHBOARD_JOB_POLL_MS", num(f.switchboard_job_poll_ms)),
                (
                    "SWITCHBOARD_JOB_CONCURRENCY",
                    num(f.switchboard_job_concurrency),
                ),
                (
                    "SWITCHBOARD_RETRY_BASE_MS",
                    num(f.switchboard_retry_base_ms),
                ),
                (
                    "SWITCHBOARD_SEND_INTERVAL_MS",
                    num(f.switchboard_send_interval_ms),
                ),
                (
                    "SWITCHBOARD_SEND_LEASE_MS",
                    num(f.switchboard_send_lease_ms),
                ),
                ("SWITCHBOARD_RUN_LEASE_MS", num(f.switchboard_run_lease_ms)),
            ] {
                if let Some(v) = v {
                    values.push((name, v));
                }
            }
        }
        for name in VARS.iter().chain(FLAGS.iter()) {
            if let Ok(v) = std::env::var(name) {
                values.push((name, v));
            }
        }
        let mut config = Self::default();
        for (name, value) in values {
            config.set(name, &value)?;
        }
        config.check()?;
        Ok(config)
    }

    /// Applies one setting by its environment-variable name.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let ms = |v: &str| {
            v.trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| err(name, "must be a whole number of milliseconds"))
        };
        match name {
            "DATABASE_URL" => {
                if !(value.starts_with("sqlite:") || engine::store::is_postgres_url(value)) {
                    return Err(err(name, "must start with sqlite:// or postgres://"));
                }
                self.database_url = value.to_owned();
            }
            "SWITCHBOARD_ADDR" => {
                self.addr = value.parse().map_err(|_| {
                    err(
                        name,
                        format!("`{value}` is not an address such as 127.0.0.1:3000"),
                    )
                })?;
            }
            "SWITCHBOARD_PROVIDER" => match value {
                "mock" | "twilio" => self.provider = value.to_owned(),
                _ => return Err(err(name, "must be `mock` or `twilio`")),
            },
            "PUBLIC_BASE_URL" => {
                if !(value.starts_with("http://") || value.starts_with("https://")) {
                    return Err(err(name, "must be an http:// or https:// URL"));
                }
                self.public_base_url = Some(value.trim_end_matches('/').to_owned());
            }
            "SWITCHBOARD_SECRET_KEY" => self.secret_key = Some(value.to_owned().into()),
            "TWILIO_ACCOUNT_SID" => self.twilio_account_sid = Some(value.to_owned()),
            "TWILIO_AUTH_TOKEN" => self.twilio_auth_token = Some(value.to_owned().into()),
            "TWILIO_API_BASE" => self.twilio_api_base = value.trim_end_matches('/').to_owned(),
            "SWITCHBOARD_LOG_FORMAT" => match value {
                "text" | "json" => self.log_format = value.to_owned(),
                _ => return Err(err(name, "must be `text` or `json`")),
            },
            "SWITCHBOARD_JOB_POLL_MS" => self.job_poll = ms(value)?.max(Duration::from_millis(10)),
            "SWITCHBOARD_JOB_CONCURRENCY" => {
                self.job_concurrency = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .ok_or_else(|| err(name, "must be a number from 1 to 256"))?;
            }
            "SWITCHBOARD_RETRY_BASE_MS" => self.retry_base = ms(value)?,
            "SWITCHBOARD_SEND_INTERVAL_MS" => self.send_interval = Some(ms(value)?),
            "SWITCHBOARD_SEND_LEASE_MS" => {
                self.send_lease = ms(value)?.max(Duration::from_millis(100));
            }
            "SWITCHBOARD_RUN_LEASE_MS" => {
                self.run_lease = ms(value)?.max(Duration::from_millis(100));
            }
            flag if FLAGS.contains(&flag) => {
                let on = match value.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "on" | "yes" => true,
                    "false" | "0" | "off" | "no" => false,
                    _ => return Err(err(name, "must be true or false")),
                };
                self.flags.insert(flag.to_owned(), on);
            }
            _ => return Err(err(name, "is not a setting Switchboard knows")),
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.provider == "twilio" {
            for (name, missing) in [
                ("TWILIO_ACCOUNT_SID", self.twilio_account_sid.is_none()),
                ("TWILIO_AUTH_TOKEN", self.twilio_auth_token.is_none()),
                ("PUBLIC_BASE_URL", self.public_base_url.is_none()),
            ] {
                if missing {
                    return Err(err(name, "is required when SWITCHBOARD_PROVIDER=twilio"));
                }
            }
        }
        Ok(())
    }

    /// The engine's view of these settings.
    pub fn engine_settings(&self) -> engine::Settings {
        let provider = match (&self.twilio_account_sid, &self.twilio_auth_token) {
            (Some(account_sid), Some(auth_token)) if self.provider == "twilio" => {
                engine::ProviderSettings::Twilio {
                    api_base: self.twilio_api_base.clone(),
                    account_sid: account_sid.clone(),
                    auth_token: auth_token.clone(),
                }
            }
            _ => engine::ProviderSettings::Mock,
        };
        engine::Settings {
            retry_base: self.retry_base,
            provider,
            twilio_api_base: self.twilio_api_base.clone(),
            secret_key: self.secret_key.clone(),
            public_base_url: self.public_base_url.clone(),
            send_interval: self.send_interval,
            send_lease: self.send_lease,
            run_lease: self.run_lease,
            flag_defaults: self.flags.clone(),
        }
    }

    /// Cookies get `Secure` when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

const VARS: [&str; 15] = [
    "DATABASE_URL",
    "SWITCHBOARD_ADDR",
    "SWITCHBOARD_PROVIDER",
    "PUBLIC_BASE_URL",
    "SWITCHBOARD_SECRET_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_BASE",
    "SWITCHBOARD_LOG_FORMAT",
    "SWITCHBOARD_JOB_POLL_MS",
    "SWITCHBOARD_JOB_CONCURRENCY",
    "SWITCHBOARD_RETRY_BASE_MS",
    "SWITCHBOARD_SEND_INTERVAL_MS",
    "SWITCHBOARD_SEND_LEASE_MS",
    "SWITCHBOARD_RUN_LEASE_MS",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_the_variable() {
        let mut c = Config::default();
        let e = c.set("SWITCHBOARD_ADDR", "nope").unwrap_err();
        assert_eq!(e.name, "SWITCHBOARD_ADDR");
        assert!(
            c.set("DATABASE_URL", "mysql://x")
                .unwrap_err()
                .to_string()
                .starts_with("DATABASE_URL:")
        );
        assert!(c.set("SWITCHBOARD_PROVIDER", "carrier-pigeon").is_err());
        c.set("SWITCHBOARD_PROVIDER", "twilio").unwrap();
        assert_eq!(c.check().unwrap_err().name, "TWILIO_ACCOUNT_SID");
    }
}
