//! `Inspection`, `importInspections`, `premiumAllocation`, the grower's premium
//! shares, and the allocation types.

use crate::graphql::Batch;
use cotton_service::ids::UnitId;
use async_graphql::{Context, ID, Object, Result, SimpleObject, Upload};

use cotton_service::quality::{InspectionRow, UnitAllocation};
use crate::graphql::account_import::ImportReportObject;
use crate::graphql::scalars::GqlDecimal;
use crate::graphql::{CtxExt, typed};
use crate::graphql::rosters::{Grower, load_grower};
use crate::graphql::units::TraceUnit;

pub struct Inspection {
    pub row: InspectionRow,
    pub premium: bool,
}

#[Object]
impl Inspection {
    async fn color_grade(&self) -> Option<&str> {
        self.row.color_grade.as_deref()
    }
    async fn length_mm(&self) -> Option<GqlDecimal> {
        self.row.length_mm.map(|d| GqlDecimal::measured(d.0))
    }
    /// Breaking strength, cN/tex.
    async fn strength(&self) -> Option<GqlDecimal> {
        self.row.strength.map(|d| GqlDecimal::measured(d.0))
    }
    async fn micronaire(&self) -> Option<GqlDecimal> {
        self.row.micronaire.map(|d| GqlDecimal::measured(d.0))
    }
    async fn uniformity_pct(&self) -> Option<GqlDecimal> {
        self.row.uniformity_pct.map(|d| d.0.into())
    }
    async fn trash_pct(&self) -> Option<GqlDecimal> {
        self.row.trash_pct.map(|d| d.0.into())
    }
    async fn moisture_pct(&self) -> Option<GqlDecimal> {
        self.row.moisture_pct.map(|d| d.0.into())
    }
    async fn conditioned_kg(&self) -> Option<GqlDecimal> {
        self.row.conditioned_kg.map(|d| d.0.into())
    }
    /// Meets the season's premium criteria (default 双29B2).
    async fn premium(&self) -> bool {
        self.premium
    }
}

/// The inspection of a bale of `season`, judged against that season's rules.
pub async fn load_inspection(ctx: &Context<'_>, barcode: &str, season: i32) -> Result<Option<Inspection>> {
    let Some(row) = ctx.data_unchecked::<Batch<cotton_service::quality::InspectionsByBarcode>>().load_one(barcode.to_string()).await?.flatten() else {
        return Ok(None);
    };
    let rules = ctx
        .data_unchecked::<Batch<cotton_service::quality::SeasonRulesBySeason>>()
        .load_one(season)
        .await?
        .unwrap_or_else(|| cotton_service::domain::season::SeasonRules::defaults(season));
    let premium = row.premium(&rules);
    Ok(Some(Inspection { row, premium }))
}

pub struct PremiumShare {
    grower_id: i64,
    seed_kg: rust_decimal::Decimal,
    share_kg: rust_decimal::Decimal,
}

#[Object]
impl PremiumShare {
    async fn grower(&self, ctx: &Context<'_>) -> Result<Grower> {
        load_grower(ctx, self.grower_id).await
    }
    /// S_g: the grower's net seed cotton on the unit's carded tickets, kg.
    async fn seed_kg(&self) -> GqlDecimal {
        self.seed_kg.into()
    }
    /// Q × S_g / S, to 0.01 kg (largest remainder; shares add up to Q).
    async fn share_kg(&self) -> GqlDecimal {
        self.share_kg.into()
    }
}

pub struct Allocation(pub UnitAllocation);

#[Object]
impl Allocation {
    async fn unit(&self) -> TraceUnit {
        TraceUnit(self.0.unit.clone())
    }
    /// Q: Σ conditioned weight of the unit's premium bales, kg.
    async fn premium_kg(&self) -> GqlDecimal {
        self.0.premium_kg.into()
    }
    /// S: the unit's net seed cotton on carded tickets, kg.
    async fn total_seed_kg(&self) -> GqlDecimal {
        self.0.total_seed_kg.into()
    }
    async fn shares(&self) -> Vec<PremiumShare> {
        self.0
            .shares
            .iter()
            .map(|(g, s, q)| PremiumShare { grower_id: *g, seed_kg: *s, share_kg: *q })
            .collect()
    }
    /// A cooperative unit: the legal person's share (all of Q).
    async fn legal_person_share_kg(&self) -> Option<GqlDecimal> {
        self.0.legal_person_kg.map(Into::into)
    }
    /// Σ conditioned weight of all the unit's traced bales, kg.
    async fn lint_kg(&self) -> GqlDecimal {
        self.0.lint_kg.into()
    }
    async fn bale_count(&self) -> i32 {
        self.0.bales as i32
    }
    async fn premium_bale_count(&self) -> i32 {
        self.0.premium_bales as i32
    }
}

#[derive(SimpleObject)]
pub struct PremiumShareOfUnit {
    pub unit: TraceUnit,
    pub seed_kg: GqlDecimal,
    pub share_kg: GqlDecimal,
}

#[derive(Default)]
pub struct QualityQuery;

#[Object]
impl QualityQuery {
    /// A unit's premium cotton and its split over the growers (rules §9). For the
    /// unit's regiment, its creator, the admin, and its growers (who see only
    /// their own share).
    async fn premium_allocation(&self, ctx: &Context<'_>, unit_id: ID) -> Result<Allocation> {
        let me = ctx.principal()?;
        let unit_id = typed::<UnitId>(&unit_id)?;
        let alloc = cotton_service::quality::premium_allocation(ctx.state(), me, unit_id).await?;
        Ok(Allocation(alloc))
    }
}

#[derive(Default)]
pub struct QualityMutation;

#[Object]
impl QualityMutation {
    /// Platform admin: official inspection results per bale barcode (CSV or xlsx;
    /// columns 条码, 颜色级, 长度, 强度, 马克隆值, 整齐度, 含杂率, 回潮率, 公定重量).
    async fn import_inspections(&self, ctx: &Context<'_>, file: Upload) -> Result<ImportReportObject> {
        let me = ctx.principal()?;
        let read = || crate::upload::read_upload(ctx, &file).map(|(_, bytes)| bytes);
        Ok(cotton_service::quality::import_inspections(ctx.state(), me, read).await?.into())
    }
}
