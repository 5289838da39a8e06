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
    /// Opaque and increasing: pass the last one seen as `events(after:)` when
    /// subscribing again to first receive every visible event missed.
    cursor: String,
    topic: EventTopic,
    at: DateTime<Utc>,
    region_id: Option<ID>,
    enterprise_id: Option<ID>,
    unit_id: Option<ID>,
    card_no: Option<String>,
    ticket_no: Option<String>,
    bale_barcode: Option<String>,
}

impl GqlEvent {
    fn new(cursor: i64, e: &Event) -> Self {
        let id = |v: Option<i64>| v.map(|v| ID(v.to_string()));
        GqlEvent {
            cursor: cursor.to_string(),
            topic: e.topic,
            at: e.at,
            region_id: id(e.region_id),
            enterprise_id: id(e.enterprise_id),
            unit_id: id(e.unit_id),
            card_no: e.card_no.clone(),
            ticket_no: e.ticket_no.clone(),
            bale_barcode: e.bale_barcode.clone(),
        }
    }

    /// Events were lost for good (pruned past the retention): re-query, then
    /// go on after `cursor`.
    fn resync(cursor: i64) -> Self {
        GqlEvent::new(cursor, &Event::new(EventTopic::Resync))
    }
}

pub struct Subscription;

#[SubscriptionObject]
impl Subscription {
    /// Live events the caller may see, optionally narrowed to topics, a region
    /// (regiment) or an enterprise. With `after` (the cursor of the last event
    /// received), first every such event since then, from the outbox.
    async fn events(
        &self,
        ctx: &Context<'_>,
        topics: Option<Vec<EventTopic>>,
        region_id: Option<ID>,
        enterprise_id: Option<ID>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = GqlEvent>> {
        let who = ctx.principal()?.clone();
        if who.role == Role::Grower {
            // Growers see no event (see `events::visible_to`): say so instead of a silent stream.
            return Err(AppError::Forbidden("种植者不能订阅实时事件，请在结果页查询".into()).into());
        }
        let region = region_id.as_ref().map(|r| typed_as::<OrgId>(r, "地区").map(TypedId::get)).transpose()?;
        let enterprise = enterprise_id.as_ref().map(|e| typed_as::<OrgId>(e, "企业").map(TypedId::get)).transpose()?;
        let after = after.as_deref().map(cotton_service::events::parse_cursor).transpose()?;
        let state = ctx.state().clone();
        // Subscribed before the replay reads the outbox: nothing committed in
        // between is lost (what both carry is skipped by its cursor).
        let mut rx = state.bus.subscribe();
        // Live only: after every change answered so far.
        let start = match after {
            Some(c) => c,
            None => cotton_service::events::last_cursor_now(&state.db, &state.bus).await?,
        };
        let wanted = move |event: &Event| {
            topics.as_ref().is_none_or(|t| t.contains(&event.topic))
                && region.is_none_or(|r| event.region_id == Some(r))
                && enterprise.is_none_or(|e| event.enterprise_id == Some(e))
                && cotton_service::events::visible_to(&who, event)
        };
        Ok(async_stream::stream! {
            // The last cursor this subscriber got or skipped.
            let mut seen = start;
            let mut replay_from = after;
            loop {
                if let Some(from) = replay_from.take() {
                    let mut from = from;
                    loop {
                        let page = match cotton_service::events::replay(&state.db, from).await {
                            Ok(page) => page,
                            Err(e) => {
                                tracing::warn!(error = ?e, "cannot replay events; sending RESYNC");
                                yield GqlEvent::resync(from);
                                break;
                            }
                        };
                        if let Some(pruned) = page.pruned_through {
                            yield GqlEvent::resync(pruned);
                            from = pruned;
                        }
                        for p in &page.events {
                            from = p.cursor;
                            if wanted(&p.event) {
                                yield GqlEvent::new(p.cursor, &p.event);
                            }
                        }
                        if !page.more {
                            break;
                        }
                    }
                    seen = from;
                }
                match rx.recv().await {
                    Ok(p) => {
                        if p.cursor <= seen {
                            continue;
                        }
                        seen = p.cursor;
                        if wanted(&p.event) {
                            yield GqlEvent::new(p.cursor, &p.event);
                        }
                    }
                    // Fell behind the fan-out: read what was skipped from the outbox.
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "slow subscriber; replaying from the outbox");
                        replay_from = Some(seen);
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }
}
