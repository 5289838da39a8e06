//! `ProductionLine`, `productionLines`, `createProductionLine`, `exportTraceFile`,
//! `platformPublicKey`.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use cotton_service::ids::LineId;
use base64::Engine;
use chrono::{DateTime, Utc};
use cotton_service::domain::processing::CollectorModel as Model;

use cotton_service::lines::LineRow;
use cotton_service::error::AppError;
use crate::graphql::{CtxExt, typed};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectorModel {
    #[graphql(name = "IV")]
    Iv,
    #[graphql(name = "V")]
    V,
    #[graphql(name = "VI")]
    Vi,
}

impl From<CollectorModel> for Model {
    fn from(m: CollectorModel) -> Self {
        match m {
            CollectorModel::Iv => Model::Iv,
            CollectorModel::V => Model::V,
            CollectorModel::Vi => Model::Vi,
        }
    }
}

impl From<Model> for CollectorModel {
    fn from(m: Model) -> Self {
        match m {
            Model::Iv => CollectorModel::Iv,
            Model::V => CollectorModel::V,
            Model::Vi => CollectorModel::Vi,
        }
    }
}

pub struct ProductionLine(pub LineRow);

#[Object]
impl ProductionLine {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn collector_model(&self) -> CollectorModel {
        self.0.model().into()
    }
    /// The line id written into export and upload files (`L` + id).
    async fn line_ref(&self) -> String {
        self.0.line_ref()
    }
    /// The line's private Ed25519 key (base64) to install on its collector: the
    /// device signs upload files with it. Only its enterprise may read it (a
    /// regiment reaches lines through `bale { line }`).
    async fn device_key(&self, ctx: &Context<'_>) -> Result<&str> {
        let me = ctx.principal()?;
        if !me.scope.is_enterprise(self.0.enterprise_id) {
            return Err(AppError::Forbidden("生产线的设备密钥只对本企业可见".into()).into());
        }
        Ok(&self.0.device_key)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
    async fn state(&self, ctx: &Context<'_>) -> Result<crate::graphql::processing::LineState> {
        crate::graphql::processing::stored_line_state(ctx, self.0.id, self.0.enterprise_id).await
    }
}

#[derive(SimpleObject)]
pub struct ExportedFile {
    file_name: String,
    mime_type: String,
    base64: String,
    card_count: i32,
}

#[derive(Default)]
pub struct LineQuery;

#[Object]
impl LineQuery {
    /// The enterprise's production lines.
    async fn production_lines(&self, ctx: &Context<'_>) -> Result<Vec<ProductionLine>> {
        let me = ctx.principal()?;
        let enterprise_id = cotton_service::tickets::enterprise_of(me)?;
        let rows: Vec<LineRow> = cotton_service::lines::list_for_enterprise(ctx.state(), enterprise_id).await?;
        Ok(rows.into_iter().map(ProductionLine).collect())
    }

    /// The platform's public key (base64 Ed25519): collectors verify export files with it.
    async fn platform_public_key(&self, ctx: &Context<'_>) -> Result<String> {
        ctx.principal()?;
        Ok(cotton_service::lines::platform_public_key(ctx.state()).await?)
    }
}

#[derive(Default)]
pub struct LineMutation;

#[Object]
impl LineMutation {
    async fn create_production_line(&self, ctx: &Context<'_>, name: String, collector_model: CollectorModel) -> Result<ProductionLine> {
        let me = ctx.principal()?;
        Ok(ProductionLine(cotton_service::lines::create(ctx.state(), me, &name, collector_model.into()).await?))
    }

    /// Exports every not-yet-processed card of the enterprise for a IV or V line,
    /// signed by the platform. The cards become EXPORTED.
    async fn export_trace_file(&self, ctx: &Context<'_>, line_id: ID) -> Result<ExportedFile> {
        let me = ctx.principal()?;
        let e = cotton_service::lines::export(ctx.state(), me, typed::<LineId>(&line_id)?).await?;
        Ok(ExportedFile {
            file_name: e.file_name,
            mime_type: e.mime_type,
            base64: base64::engine::general_purpose::STANDARD.encode(&e.bytes),
            card_count: e.card_count as i32,
        })
    }
}
