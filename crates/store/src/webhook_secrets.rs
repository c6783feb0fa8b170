//! Webhook signing secrets, kept apart from the rules that use them.
//!
//! A rules list given to the API or CLI may carry a webhook's `secret`; before the rules are
//! recorded as an event, the secret is stored here under a random `secret_id` and the rule
//! keeps only the id. The event log, its exports and `GET` of the rules never show it.

use crate::backend::{Store, on_read, on_write};
use crate::error::StoreError;
use sanjeh_domain::{DomainError, EventBody, FieldError};
use sanjeh_sla::rules::{
    parse_alert_rules, parse_escalation_rules, rules_list, seal_webhook_secrets,
};
use serde_json::Value;

impl Store {
    /// The `escalation.rules` event for a request body (`{"rules": […]}` or a list): the
    /// rules validated, their new webhook secrets stored and replaced by ids.
    pub async fn escalation_rules_event(
        &self,
        body: Value,
        now_ms: i64,
    ) -> Result<EventBody, StoreError> {
        let mut rules = rules_list(body).map_err(invalid)?;
        parse_escalation_rules(&rules).map_err(invalid)?;
        self.seal_secrets(&mut rules, now_ms).await?;
        Ok(EventBody::EscalationRules { rules })
    }

    /// The `alert.rules` event for a request body, as [`Store::escalation_rules_event`].
    pub async fn alert_rules_event(
        &self,
        body: Value,
        now_ms: i64,
    ) -> Result<EventBody, StoreError> {
        let mut rules = rules_list(body).map_err(invalid)?;
        parse_alert_rules(&rules, sanjeh_metrics::output::KPI_IDS).map_err(invalid)?;
        self.seal_secrets(&mut rules, now_ms).await?;
        Ok(EventBody::AlertRules { rules })
    }

    /// The secret stored under `id`, if any.
    pub async fn webhook_secret(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT secret FROM webhook_secrets WHERE id = $1")
            .bind(id).fetch_optional(p).await)?)
    }

    /// Checks the ids `rules` already names, then stores its inline secrets under new ids.
    async fn seal_secrets(&self, rules: &mut Value, now_ms: i64) -> Result<(), StoreError> {
        let (sealed, named) = seal_webhook_secrets(rules, || {
            format!("whsec_{}", hex::encode(rand::random::<[u8; 12]>()))
        });
        for (field, id) in named {
            if self.webhook_secret(&id).await?.is_none() {
                return Err(invalid(FieldError::new(
                    field,
                    format!("no stored webhook secret has the id {id:?}"),
                )));
            }
        }
        for s in sealed {
            on_write!(self, p => sqlx::query(
                "INSERT INTO webhook_secrets (id, secret, created_at) VALUES ($1, $2, $3)")
                .bind(&s.id).bind(&s.secret).bind(now_ms).execute(p).await.map(|_| ()))?;
        }
        Ok(())
    }
}

fn invalid(e: FieldError) -> StoreError {
    StoreError::Domain(DomainError::Invalid(e))
}
