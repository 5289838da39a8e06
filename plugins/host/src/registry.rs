//! The plugins folder: every library in it is loaded at start, checked, and
//! either kept or refused with one log line. Nothing is ever unloaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cotton_plugin_abi::wire::{CollectorModel, PluginKind};

use crate::driver_host::Isolation;
use crate::drivers::{Collector, Printer};
use crate::error::HostError;
use crate::loader::{LoadedPlugin, PluginInfo};

/// A library that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: PathBuf,
    pub reason: String,
}

/// The loaded plugins.
#[derive(Debug, Default)]
pub struct PluginRegistry {
    plugins: Vec<Arc<LoadedPlugin>>,
    refused: Vec<Refusal>,
}

/// True for a file name ending in this platform's library extension
/// (`.so`, `.dylib`, `.dll`).
pub fn is_library(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == std::env::consts::DLL_EXTENSION)
}

impl PluginRegistry {
    /// No plugins.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads every library file directly in `dir`, in file-name order, in this
    /// process. A missing folder is not an error (nothing is loaded; one info
    /// line says so).
    pub fn load_dir(dir: &Path) -> Self {
        Self::load_dir_with(dir, &Isolation::InProcess)
    }

    /// [`PluginRegistry::load_dir`], each plugin running where `isolation`
    /// says: with [`Isolation::Process`], in its own driver-host child.
    pub fn load_dir_with(dir: &Path, isolation: &Isolation) -> Self {
        let mut reg = Self::empty();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(dir = %dir.display(), "plugins folder does not exist; no driver plugins loaded");
                return reg;
            }
            Err(e) => {
                tracing::error!(dir = %dir.display(), error = %e, "cannot read the plugins folder; no driver plugins loaded");
                return reg;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_library(p))
            .collect();
        paths.sort();
        match isolation {
            Isolation::InProcess => {
                for path in paths {
                    reg.load_file(&path);
                }
            }
            // Children start and check their libraries in parallel (most of a
            // child's start is exec and the self-test); the results are then
            // taken in file-name order, so duplicates resolve as in process.
            Isolation::Process(config) => {
                let loaded: Vec<Result<LoadedPlugin, String>> = std::thread::scope(|s| {
                    let handles: Vec<_> = paths
                        .iter()
                        .map(|path| s.spawn(|| LoadedPlugin::load_isolated(path, config.clone())))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|_| Err("the driver-host loader thread panicked".into())))
                        .collect()
                });
                for (path, result) in paths.iter().zip(loaded) {
                    reg.take(path, result, isolation);
                }
            }
        }
        tracing::info!(
            dir = %dir.display(),
            isolation = isolation.name(),
            loaded = reg.plugins.len(),
            refused = reg.refused.len(),
            "driver plugins ready"
        );
        reg
    }

    /// Loads one library in this process; on refusal logs one line and records
    /// it. Returns whether it was loaded.
    pub fn load_file(&mut self, path: &Path) -> bool {
        self.load_file_with(path, &Isolation::InProcess)
    }

    /// [`PluginRegistry::load_file`], the plugin running where `isolation` says.
    pub fn load_file_with(&mut self, path: &Path, isolation: &Isolation) -> bool {
        let loaded = match isolation {
            Isolation::InProcess => LoadedPlugin::load(path),
            Isolation::Process(config) => LoadedPlugin::load_isolated(path, config.clone()),
        };
        self.take(path, loaded, isolation)
    }

    /// Keeps a loaded library unless its model is taken; logs and records a refusal.
    fn take(&mut self, path: &Path, loaded: Result<LoadedPlugin, String>, isolation: &Isolation) -> bool {
        let result = loaded.and_then(|p| {
            let i = p.info();
            match self.plugins.iter().find(|q| q.info().kind == i.kind && q.info().model == i.model) {
                Some(q) => Err(format!(
                    "duplicate model: {} plugin model `{}` is already served by {} ({})",
                    i.kind.as_str(),
                    i.model,
                    q.info().name,
                    q.info().path.display()
                )),
                None => Ok(p),
            }
        });
        match result {
            Ok(p) => {
                let i = p.info();
                tracing::info!(
                    path = %path.display(), name = %i.name, kind = i.kind.as_str(), model = %i.model,
                    version = %i.version, abi = i.abi_version, isolation = isolation.name(),
                    pid = ?p.child_pid(), "loaded driver plugin"
                );
                self.plugins.push(Arc::new(p));
                true
            }
            Err(reason) => {
                tracing::warn!("refused driver plugin {}: {reason}", path.display());
                self.refused.push(Refusal { path: path.to_path_buf(), reason });
                false
            }
        }
    }

    /// What is loaded, in load order.
    pub fn list(&self) -> Vec<&PluginInfo> {
        self.plugins.iter().map(|p| p.info()).collect()
    }

    /// What was refused.
    pub fn refused(&self) -> &[Refusal] {
        &self.refused
    }

    /// The printer driver of `model` (e.g. `ZPL`), if loaded.
    pub fn printer(&self, model: &str) -> Option<Printer> {
        self.plugins
            .iter()
            .find(|p| p.info().kind == PluginKind::Printer && p.info().model == model)
            .and_then(|p| Printer::new(p.clone()))
    }

    /// [`PluginRegistry::printer`], or `HostError::NoPlugin`.
    pub fn require_printer(&self, model: &str) -> Result<Printer, HostError> {
        self.printer(model).ok_or_else(|| HostError::NoPlugin(format!("没有加载型号为{model}的打印机插件")))
    }

    /// The collector driver of `model`, if loaded.
    pub fn collector(&self, model: CollectorModel) -> Option<Collector> {
        self.plugins
            .iter()
            .find(|p| p.info().kind == PluginKind::Collector && p.info().model == model.as_str())
            .and_then(|p| Collector::new(p.clone()))
    }

    /// [`PluginRegistry::collector`], or `HostError::NoPlugin`.
    pub fn require_collector(&self, model: CollectorModel) -> Result<Collector, HostError> {
        self.collector(model)
            .ok_or_else(|| HostError::NoPlugin(format!("没有加载{}型采集器插件", model.as_str())))
    }
}
