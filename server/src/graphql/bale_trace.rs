//! `baleTrace` (public, no sign-in): a lint bale's trace as the QR code on its
//! tag shows it — and the `BaleTrace` type, which has no field that could carry
//! personal data (tests/api/bale_trace.rs walks it by introspection).

use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::CtxExt;
use crate::graphql::quality::Inspection;
use crate::graphql::scalars::GqlDecimal;

/// What anyone scanning a lint bale's trace tag may see: no personal data.
pub struct BaleTrace(cotton_service::bale_trace::BaleTrace);

#[Object]
impl BaleTrace {
    async fn barcode(&self) -> &str {
        &self.0.barcode
    }
    /// The season of the bale's trace card.
    async fn season(&self) -> i32 {
        self.0.season
    }
    /// The ginning enterprise that pressed the bale.
    async fn enterprise_name(&self) -> &str {
        &self.0.enterprise_name
    }
    /// Where the seed cotton grew: the trace unit's regiment and company.
    async fn region_name(&self) -> &str {
        &self.0.region_name
    }
    async fn unit_code(&self) -> &str {
        &self.0.unit_code
    }
    async fn pressed_at(&self) -> DateTime<Utc> {
        self.0.pressed_at.and_utc()
    }
    /// GB 1103.1 conditioned weight computed at the press, kg (the inspection
    /// carries the official one).
    async fn conditioned_kg(&self) -> GqlDecimal {
        self.0.conditioned_kg.into()
    }
    /// The official inspection (公检), judged by the season's rules.
    async fn inspection(&self) -> Option<Inspection> {
        self.0.inspection.clone().map(|row| Inspection { row, premium: self.0.premium })
    }
    /// Premium cotton (优质棉) by the season's criteria; false before inspection.
    async fn premium(&self) -> bool {
        self.0.premium
    }
}

#[derive(Default)]
pub struct BaleTraceQuery;

#[Object]
impl BaleTraceQuery {
    /// Public, no sign-in: the bale's trace as its tag's QR code shows it; null for
    /// an unknown or untraced bale. Rate-limited per IP (`COTTON_PUBLIC_TRACE_PER_IP`).
    async fn bale_trace(&self, ctx: &Context<'_>, barcode: String) -> Result<Option<BaleTrace>> {
        Ok(cotton_service::bale_trace::bale_trace(ctx.state(), &barcode).await?.map(BaleTrace))
    }
}
