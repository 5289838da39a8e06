//! The `events` subscription: live events filtered by topic, region and
//! enterprise, and by what the subscriber is allowed to see.

use async_graphql::{Context, ID, Result, SimpleObject, Subscription as SubscriptionObject};
use cotton_service::ids::{OrgId, TypedId};
use chrono::{DateTime, Utc};
use cotton_service::domain::orgs::Role;
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use cotton_service::error::AppError;
use cotton_service::events::{Event, EventTopic};
use crate::graphql::{CtxExt, typed_as};

#[derive(SimpleObject)]
#[graphql(name = "Event")]
pub struct GqlEvent {
    topic: EventTopic,
    at: DateTime<Utc>,
    region_id: Option<ID>,
    enterprise_id: Option<ID>,
    unit_id: Option<ID>,
    card_no: Option<String>,
    ticket_no: Option<String>,
    bale_barcode: Option<String>,
}

impl From<Event> for GqlEvent {
    fn from(e: Event) -> Self {
        let id = |v: Option<i64>| v.map(|v| ID(v.to_string()));
        GqlEvent {
            topic: e.topic,
            at: e.at,
            region_id: id(e.region_id),
            enterprise_id: id(e.enterprise_id),
            unit_id: id(e.unit_id),
            card_no: e.card_no,
            ticket_no: e.ticket_no,
            bale_barcode: e.bale_barcode,
        }
    }
}

pub struct Subscription;

#[SubscriptionObject]
impl Subscription {
    /// Live events the caller may see, optionally narrowed to topics, a region
    /// (regiment) or an enterprise.
    async fn events(
        &self,
        ctx: &Context<'_>,
        topics: Option<Vec<EventTopic>>,
        region_id: Option<ID>,
        enterprise_id: Option<ID>,
    ) -> Result<impl Stream<Item = GqlEvent>> {
        let who = ctx.principal()?.clone();
        if who.role == Role::Grower {
            // Growers see no event (see `events::visible_to`): say so instead of a silent stream.
            return Err(AppError::Forbidden("种植者不能订阅实时事件，请在结果页查询".into()).into());
        }
        let region = region_id.as_ref().map(|r| typed_as::<OrgId>(r, "地区").map(TypedId::get)).transpose()?;
        let enterprise = enterprise_id.as_ref().map(|e| typed_as::<OrgId>(e, "企业").map(TypedId::get)).transpose()?;
        let mut rx = ctx.state().bus.subscribe();
        Ok(async_stream::stream! {
            loop {
                match rx.recv().await {
                    // Missed events concern every subscriber, whatever it filters.
                    Ok(event) if event.topic == EventTopic::Resync => yield GqlEvent::from(event),
                    Ok(event) => {
                        let wanted = topics.as_ref().is_none_or(|t| t.contains(&event.topic))
                            && region.is_none_or(|r| event.region_id == Some(r))
                            && enterprise.is_none_or(|e| event.enterprise_id == Some(e))
                            && cotton_service::events::visible_to(&who, &event);
                        if wanted {
                            yield GqlEvent::from(event);
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "slow subscriber skipped events; sending RESYNC");
                        yield GqlEvent::from(Event::new(EventTopic::Resync));
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }
}
