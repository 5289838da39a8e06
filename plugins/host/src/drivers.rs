//! Typed, checked access to a loaded plugin: [`Printer`] and [`Collector`].
//!
//! Nothing a plugin returns is trusted: JSON is parsed and validated with the
//! domain rules, outputs are size-checked, and statuses map to [`HostError`]:
//! a decode that the plugin refuses as bad input, or whose result breaks a
//! rule, is `BadFile`; a failure, a panic or malformed output is `Plugin`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cotton_plugin_abi::ffi::*;
use cotton_plugin_abi::wire::*;

use crate::error::HostError;
use crate::loader::{CallFailure, LoadedPlugin};
use crate::signing::{self, FilePurpose, SigningKey, VerifyingKey};

/// A file for the operator to download or send on: the GraphQL `FileOutput` /
/// `ExportedFile` without the base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

fn plugin_failure(p: &LoadedPlugin, op: u32, f: CallFailure) -> HostError {
    let name = &p.info().name;
    match f.status {
        COTTON_STATUS_UNSUPPORTED => HostError::Plugin(format!("插件{name}不支持此操作（{}）：{}", op_name(op), f.message)),
        COTTON_STATUS_PANIC => {
            tracing::error!(plugin = %name, op = op_name(op), message = %f.message, "plugin panicked");
            HostError::Plugin(format!("插件{name}运行出错：{}", f.message))
        }
        _ => {
            tracing::warn!(plugin = %name, op = op_name(op), status = status_name(f.status), message = %f.message, "plugin call failed");
            HostError::Plugin(format!("插件{name}运行出错：{}", f.message))
        }
    }
}

/// Runs an encode-type operation: INVALID_INPUT is the request's fault.
fn run_encode(p: &LoadedPlugin, op: u32, input: &[u8]) -> Result<Vec<u8>, HostError> {
    match p.call(op, input) {
        Ok(out) if out.is_empty() => Err(HostError::Plugin(format!("插件{}返回了空输出", p.info().name))),
        Ok(out) => Ok(out),
        Err(f) if f.status == COTTON_STATUS_INVALID_INPUT => Err(HostError::Invalid(f.message)),
        Err(f) => Err(plugin_failure(p, op, f)),
    }
}

/// Runs a decode-type operation: INVALID_INPUT means the payload is bad.
fn run_decode<T: serde::de::DeserializeOwned>(p: &LoadedPlugin, op: u32, payload: &[u8]) -> Result<T, HostError> {
    match p.call(op, payload) {
        Ok(out) => serde_json::from_slice(&out).map_err(|e| {
            tracing::warn!(plugin = %p.info().name, op = op_name(op), error = %e, "plugin returned malformed JSON");
            HostError::Plugin(format!("插件{}返回了无法识别的数据", p.info().name))
        }),
        Err(f) if f.status == COTTON_STATUS_INVALID_INPUT => Err(HostError::BadFile(format!("文件内容无法读取：{}", f.message))),
        Err(f) => Err(plugin_failure(p, op, f)),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("wire types always serialise")
}

fn stamp(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y%m%d%H%M%S").to_string()
}

/// A loaded printer driver.
#[derive(Debug, Clone)]
pub struct Printer {
    plugin: Arc<LoadedPlugin>,
}

impl Printer {
    /// Wraps a loaded plugin; `None` unless it is a printer.
    pub fn new(plugin: Arc<LoadedPlugin>) -> Option<Printer> {
        (plugin.info().kind == PluginKind::Printer && plugin.info().printer.is_some()).then_some(Printer { plugin })
    }

    pub fn plugin(&self) -> &LoadedPlugin {
        &self.plugin
    }

    pub fn output_type(&self) -> &FileType {
        &self.plugin.info().printer.as_ref().expect("checked in new").output
    }

    /// Renders a label: `<card no>.<ext>` in the driver's MIME type.
    pub fn render(&self, job: &PrintJob) -> Result<OutputFile, HostError> {
        job.validate().map_err(|e| HostError::Invalid(e.to_string()))?;
        let bytes = run_encode(&self.plugin, COTTON_OP_RENDER, &to_json(job))?;
        let out = self.output_type();
        Ok(OutputFile {
            file_name: format!("{}.{}", job.card.card_no, out.file_extension),
            mime_type: out.mime_type.clone(),
            bytes,
        })
    }
}

/// A loaded collector driver.
#[derive(Debug, Clone)]
pub struct Collector {
    plugin: Arc<LoadedPlugin>,
    model: CollectorModel,
}

impl Collector {
    /// Wraps a loaded plugin; `None` unless it is a collector.
    pub fn new(plugin: Arc<LoadedPlugin>) -> Option<Collector> {
        let model = CollectorModel::parse(&plugin.info().model)?;
        (plugin.info().kind == PluginKind::Collector && plugin.info().collector.is_some())
            .then_some(Collector { plugin, model })
    }

    pub fn plugin(&self) -> &LoadedPlugin {
        &self.plugin
    }

    pub fn model(&self) -> CollectorModel {
        self.model
    }

    pub fn info(&self) -> &CollectorInfo {
        self.plugin.info().collector.as_ref().expect("checked in new")
    }

    fn check_model(&self, model: CollectorModel) -> Result<(), HostError> {
        if model != self.model {
            return Err(HostError::Invalid(format!(
                "数据属于{}型采集器，插件{}服务于{}型",
                model.as_str(),
                self.plugin.info().name,
                self.model.as_str()
            )));
        }
        Ok(())
    }

    /// Platform → device payload (export file body; VI: the online message).
    pub fn encode_cards(&self, export: &CardExport) -> Result<Vec<u8>, HostError> {
        self.check_model(export.model)?;
        export.validate().map_err(|e| HostError::Invalid(e.to_string()))?;
        run_encode(&self.plugin, COTTON_OP_ENCODE_CARDS, &to_json(export))
    }

    /// Device side: reads a card payload; refuses (`BadFile`) one that breaks a rule.
    pub fn decode_cards(&self, payload: &[u8]) -> Result<CardExport, HostError> {
        let export: CardExport = run_decode(&self.plugin, COTTON_OP_DECODE_CARDS, payload)?;
        export.validate().map_err(|e| HostError::BadFile(format!("文件内容有误：{e}")))?;
        if export.model != self.model {
            return Err(HostError::BadFile(format!("文件属于{}型采集器，不是{}型", export.model.as_str(), self.model.as_str())));
        }
        Ok(export)
    }

    /// Device → platform payload (upload file body; VI: the device's messages).
    pub fn encode_records(&self, upload: &RecordUpload) -> Result<Vec<u8>, HostError> {
        self.check_model(upload.model)?;
        upload.validate().map_err(|e| HostError::Invalid(e.to_string()))?;
        run_encode(&self.plugin, COTTON_OP_ENCODE_RECORDS, &to_json(upload))
    }

    /// Platform side: reads a record payload; refuses (`BadFile`) one that
    /// breaks a rule. VI payloads come through here directly (the online API
    /// authenticates the device); file payloads through [`Collector::read_upload_file`].
    pub fn decode_records(&self, payload: &[u8]) -> Result<RecordUpload, HostError> {
        let upload: RecordUpload = run_decode(&self.plugin, COTTON_OP_DECODE_RECORDS, payload)?;
        upload.validate().map_err(|e| HostError::BadFile(format!("文件内容有误：{e}")))?;
        if upload.model != self.model {
            return Err(HostError::BadFile(format!("文件属于{}型采集器，不是{}型", upload.model.as_str(), self.model.as_str())));
        }
        Ok(upload)
    }

    fn file_transport(&self) -> Result<(), HostError> {
        if self.info().transport != Transport::File {
            return Err(HostError::Invalid(format!("{}型采集器在线取数，不使用导出文件", self.model.as_str())));
        }
        Ok(())
    }

    /// The signed export file of `export` for its line (platform side).
    pub fn export_file(&self, export: &CardExport, platform_key: &SigningKey) -> Result<OutputFile, HostError> {
        self.file_transport()?;
        let body = self.encode_cards(export)?;
        let bytes = signing::sign_file(FilePurpose::Export, &export.line_id, platform_key, &body)
            .map_err(|e| HostError::Invalid(e.0))?;
        let ft = &self.info().cards_payload;
        Ok(OutputFile {
            file_name: format!("cards-{}-{}.{}", export.line_id, stamp(export.issued_at), ft.file_extension),
            mime_type: ft.mime_type.clone(),
            bytes,
        })
    }

    /// Reads an export file on the device side: refuses (`BadFile`) a file that
    /// is not signed by the platform for `line_id`, or was altered.
    pub fn read_export_file(&self, line_id: &str, file: &[u8], platform_key: &VerifyingKey) -> Result<CardExport, HostError> {
        self.file_transport()?;
        let body = signing::verify_file(FilePurpose::Export, line_id, platform_key, file).map_err(|e| HostError::BadFile(e.0))?;
        let export = self.decode_cards(body)?;
        if export.line_id != line_id {
            return Err(HostError::BadFile(format!("文件属于生产线{}，不是生产线{line_id}", export.line_id)));
        }
        Ok(export)
    }

    /// The signed upload file of `upload` (device side), signed with the line key.
    pub fn upload_file(&self, upload: &RecordUpload, line_key: &SigningKey) -> Result<OutputFile, HostError> {
        self.file_transport()?;
        let body = self.encode_records(upload)?;
        let bytes = signing::sign_file(FilePurpose::Upload, &upload.line_id, line_key, &body)
            .map_err(|e| HostError::Invalid(e.0))?;
        let ft = &self.info().records_payload;
        Ok(OutputFile {
            file_name: format!("records-{}-{}.{}", upload.line_id, stamp(upload.written_at), ft.file_extension),
            mime_type: ft.mime_type.clone(),
            bytes,
        })
    }

    /// Reads an upload file on the platform: refuses (`BadFile`) a file that is
    /// not signed with the key of line `line_id`, was altered, or is unreadable.
    pub fn read_upload_file(&self, line_id: &str, file: &[u8], line_key: &VerifyingKey) -> Result<RecordUpload, HostError> {
        self.file_transport()?;
        let body = signing::verify_file(FilePurpose::Upload, line_id, line_key, file).map_err(|e| HostError::BadFile(e.0))?;
        let upload = self.decode_records(body)?;
        if upload.line_id != line_id {
            return Err(HostError::BadFile(format!("文件属于生产线{}，不是生产线{line_id}", upload.line_id)));
        }
        Ok(upload)
    }
}

/// The load-time check: a printer renders the sample label; a collector
/// round-trips the sample export and upload exactly. The error is the reason
/// for the log.
pub(crate) fn smoke_test(plugin: &LoadedPlugin) -> Result<(), String> {
    // The wrappers need an Arc; a cheap shim that borrows instead.
    let shim = |e: HostError| format!("self-test failed: {e}");
    match plugin.info().kind {
        PluginKind::Printer => {
            let job = crate::samples::print_job();
            let bytes = run_encode(plugin, COTTON_OP_RENDER, &to_json(&job)).map_err(shim)?;
            if bytes.len() < 16 {
                return Err(format!("self-test failed: a label of {} bytes is not a label", bytes.len()));
            }
        }
        PluginKind::Collector => {
            let model = CollectorModel::parse(&plugin.info().model).expect("checked at load");
            let export = crate::samples::export(model, 3);
            let payload = run_encode(plugin, COTTON_OP_ENCODE_CARDS, &to_json(&export)).map_err(shim)?;
            let back: CardExport = run_decode(plugin, COTTON_OP_DECODE_CARDS, &payload).map_err(shim)?;
            if back != export {
                return Err("self-test failed: the sample export does not read back as it was written".into());
            }
            let upload = crate::samples::upload(model);
            let payload = run_encode(plugin, COTTON_OP_ENCODE_RECORDS, &to_json(&upload)).map_err(shim)?;
            let back: RecordUpload = run_decode(plugin, COTTON_OP_DECODE_RECORDS, &payload).map_err(shim)?;
            if back != upload {
                return Err("self-test failed: the sample upload does not read back as it was written".into());
            }
        }
    }
    Ok(())
}
