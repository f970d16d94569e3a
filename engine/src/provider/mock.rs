//! The mock provider: a carrier simulated in our own database, so everything runs with no
//! account at all. Filled in by the delivery pipeline.

use super::{OutboundSms, ProviderError, Sent};

#[derive(Clone, Debug)]
pub struct Mock;

impl Mock {
    pub async fn send(&self, _sms: &OutboundSms) -> Result<Sent, ProviderError> {
        Ok(Sent {
            provider_message_id: crate::ids::new_id(),
            status: "queued".to_owned(),
        })
    }
}
