//! Customers: profiles recorded as `customer.profile` events, and their lifecycle
//! (`customer.lifecycle`, the basis of retention and churn).

use super::{created, email, json, opt_id, page_limit, record_new, recorded, text};
use crate::auth::{AnyRole, Worker};
use crate::dto::{CustomerDto, CustomerPatchBody, Lifecycle, NewCustomerBody, PageDto, PageQuery};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::ids::{generate, path_segment};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::get;
use sanjeh_domain::event::{CustomerProfile, LifecycleState};
use sanjeh_domain::{EventBody, Id};
use sanjeh_store::{Outcome, Request};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list).post(create))
        .route("/customers/{id}", get(show).patch(update))
}

const MAX_TEXT: usize = 256;

/// Customers in id order; `cursor` is the `next_cursor` of the previous page.
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    _: AnyRole,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<PageDto<CustomerDto>>, ApiError> {
    let page = state
        .store
        .customers(q.cursor.as_deref(), page_limit(q.limit)?)
        .await?;
    let mut items: Vec<CustomerDto> = page.items.into_iter().map(CustomerDto::from).collect();
    crate::bounces::attach(&state, &mut items).await?;
    Ok(Json(PageDto {
        items,
        next_cursor: page.next_cursor,
    }))
}

#[tracing::instrument(skip_all, fields(customer = %id))]
async fn show(
    State(state): State<AppState>,
    _: AnyRole,
    IdPath(id): IdPath,
) -> Result<Json<CustomerDto>, ApiError> {
    let customer = state
        .store
        .customer(id.as_str())
        .await?
        .ok_or_else(|| not_found(&id))?;
    let mut dto = [CustomerDto::from(customer)];
    crate::bounces::attach(&state, &mut dto).await?;
    let [dto] = dto;
    Ok(Json(dto))
}

#[tracing::instrument(skip_all, fields(customer))]
async fn create(
    State(state): State<AppState>,
    _: Worker,
    body: ApiJson<NewCustomerBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let id = Id::parse("id", &b.id.unwrap_or_else(|| generate("C-")))?;
    tracing::Span::current().record("customer", id.as_str());
    let profile = CustomerProfile {
        customer: id.clone(),
        name: b.name.map(|n| text("name", n, MAX_TEXT)).transpose()?,
        email: b.email.map(email).transpose()?,
        organization: opt_id("organization", b.organization)?,
        language: b.language.map(|l| text("language", l, 35)).transpose()?,
    };
    let exists = state.store.customer(id.as_str()).await?.is_some();
    let outcome = record_new(
        &state,
        exists,
        profile_events(profile, b.lifecycle),
        body.idempotency,
    )
    .await?;
    let Some(customer) = recorded_customer(&outcome, None)? else {
        return Err(ApiError::conflict(
            "id",
            format!("customer {id} already exists; PATCH /api/v1/customers/{id} changes it"),
        ));
    };
    let location = format!("/api/v1/customers/{}", path_segment(&customer.id));
    let mut customer = [customer];
    crate::bounces::attach(&state, &mut customer).await?;
    let [customer] = customer;
    Ok(created(&location, customer, outcome.replayed))
}

/// Changes the given fields; the profile is recorded whole (current values merged with the
/// change) so the response comes from the outcome. A lifecycle not changed here is shown as
/// read before the change.
#[tracing::instrument(skip_all, fields(customer = %id))]
async fn update(
    State(state): State<AppState>,
    _: Worker,
    IdPath(id): IdPath,
    body: ApiJson<CustomerPatchBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let current = state
        .store
        .customer(id.as_str())
        .await?
        .ok_or_else(|| not_found(&id))?;
    let profile = CustomerProfile {
        customer: id.clone(),
        name: match b.name {
            Some(n) => Some(text("name", n, MAX_TEXT)?),
            None => current.name,
        },
        email: b.email.map(email).transpose()?.or(current.email),
        organization: match b.organization {
            Some(o) => Some(Id::parse("organization", &o)?),
            None => opt_id("organization", current.organization)?,
        },
        language: match b.language {
            Some(l) => Some(text("language", l, 35)?),
            None => current.language,
        },
    };
    let outcome = state
        .submit(
            Request::Record(profile_events(profile, b.lifecycle)),
            body.idempotency,
        )
        .await?;
    let customer = recorded_customer(&outcome, current.lifecycle.as_deref())?
        .ok_or_else(|| ApiError::internal(&"a customer change recorded no profile"))?;
    let mut customer = [customer];
    crate::bounces::attach(&state, &mut customer).await?;
    let [customer] = customer;
    Ok(json(StatusCode::OK, customer, outcome.replayed))
}

fn profile_events(profile: CustomerProfile, lifecycle: Option<Lifecycle>) -> Vec<EventBody> {
    let customer = profile.customer.clone();
    let mut events = vec![EventBody::CustomerProfile(profile)];
    if let Some(state) = lifecycle {
        events.push(EventBody::CustomerLifecycle {
            customer,
            state: LifecycleState::from(state),
        });
    }
    events
}

/// The customer a request recorded, if it recorded one; `lifecycle` is shown when the
/// request did not set one.
fn recorded_customer(
    outcome: &Outcome,
    lifecycle: Option<&str>,
) -> Result<Option<CustomerDto>, ApiError> {
    let events = recorded(outcome)?;
    let lifecycle = events
        .iter()
        .find_map(|(_, e)| match &e.body {
            EventBody::CustomerLifecycle { state, .. } => Some(state.as_str()),
            _ => None,
        })
        .or(lifecycle);
    Ok(events.iter().find_map(|(_, e)| match &e.body {
        EventBody::CustomerProfile(p) => Some(CustomerDto::from_profile(p, lifecycle)),
        _ => None,
    }))
}

fn not_found(id: &Id) -> ApiError {
    ApiError::not_found("id", format!("customer {id} does not exist"))
}
