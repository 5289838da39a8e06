//! Building plugin libraries from tests: the Rust driver crates with cargo (into
//! the same target folder as the running test, so nothing is built twice) and C
//! plugins with the system C compiler (`cc`, or `$CC`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The workspace root: the nearest folder above this file's crate that holds
/// `plugins/abi/include/cotton_plugin.h` (this file is also compiled into the
/// server's tests by path).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|d| d.join("plugins/abi/include/cotton_plugin.h").is_file())
        .expect("the workspace root above CARGO_MANIFEST_DIR")
        .to_path_buf()
}

/// The C header of the ABI.
pub fn include_dir() -> PathBuf {
    workspace_root().join("plugins/abi/include")
}

/// The target folder and profile folder of the running executable
/// (`<target>/<profile>/deps/<exe>` or `<target>/<profile>/<exe>`).
fn target_of_running_exe() -> (PathBuf, PathBuf) {
    let exe = std::env::current_exe().expect("current exe");
    let mut dir = exe.parent().expect("exe folder").to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().expect("profile folder").to_path_buf();
    }
    let target = dir.parent().expect("target folder").to_path_buf();
    (target, dir)
}

static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// The cargo arguments that build in the profile of `profile_dir`.
fn profile_args(cmd: &mut Command, profile_dir: &Path) {
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.arg("--profile").arg(other);
        }
        None => panic!("cannot tell the cargo profile of {}", profile_dir.display()),
    }
}

/// Builds the given cdylib packages with cargo, in the profile and target
/// folder of the running test, and returns the path of each library, in order.
/// Cheap when they are up to date. Panics with cargo's output on failure.
pub fn cargo_cdylibs(packages: &[&str]) -> Vec<PathBuf> {
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (target, profile_dir) = target_of_running_exe();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root()).arg("build").arg("--quiet").arg("-j2").arg("--target-dir").arg(&target);
    profile_args(&mut cmd, &profile_dir);
    for p in packages {
        cmd.arg("-p").arg(p);
    }
    cmd.env_remove("CARGO_TARGET_DIR").env("CARGO_TERM_COLOR", "never");
    // Build with the profile's own settings, whatever the running test set.
    cmd.env_remove("RUSTFLAGS").env_remove("CARGO_ENCODED_RUSTFLAGS");
    let out = cmd.output().expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build of {packages:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    packages
        .iter()
        .map(|p| {
            let lib = profile_dir.join(format!(
                "{}{}{}",
                std::env::consts::DLL_PREFIX,
                p.replace('-', "_"),
                std::env::consts::DLL_SUFFIX
            ));
            let in_deps = profile_dir.join("deps").join(lib.file_name().expect("file name"));
            assert!(lib.is_file() || in_deps.is_file(), "cargo built {p} but {} is missing", lib.display());
            if !lib.is_file() {
                return in_deps;
            }
            lib
        })
        .collect()
}

/// Every Rust driver plugin of the project, by package name.
pub const PROJECT_PLUGINS: [&str; 6] = [
    "cotton-collector-iv",
    "cotton-collector-v",
    "cotton-collector-vi",
    "cotton-printer-zpl",
    "cotton-printer-tspl",
    "cotton-printer-pdf",
];

/// The project's driver plugins, built once per process; in [`PROJECT_PLUGINS`] order.
pub fn project_plugins() -> &'static [PathBuf] {
    static LIBS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    LIBS.get_or_init(|| cargo_cdylibs(&PROJECT_PLUGINS))
}

/// The library of one project plugin package.
pub fn project_plugin(package: &str) -> PathBuf {
    let i = PROJECT_PLUGINS.iter().position(|p| *p == package).unwrap_or_else(|| panic!("{package} is not a project plugin"));
    project_plugins()[i].clone()
}

/// Compiles C sources into a shared library at `out` with `$CC` (default
/// `cc`): `-shared -fPIC -std=c99 -Wall -Wextra -Werror` and the ABI header on
/// the include path, plus `extra` flags. Panics with the compiler's output on
/// failure.
pub fn cc_shared(sources: &[&Path], out: &Path, extra: &[&str]) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut cmd = Command::new(&cc);
    cmd.args(["-shared", "-fPIC", "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror"]).arg("-I").arg(include_dir());
    cmd.args(extra).args(sources).arg("-o").arg(out);
    let res = cmd.output().unwrap_or_else(|e| panic!("run {cc}: {e} (a C compiler is needed for the C plugin tests)"));
    assert!(
        res.status.success(),
        "{cc} failed for {sources:?}:\n{}\n{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
}

/// The panicking Rust test fixture (`plugins/fixtures/panicky`), built as a
/// cdylib on demand and copied into `dir`. The workspace builds it as an rlib
/// only, and the copy cargo leaves next to the test executables is removed, so
/// the fixture never sits in a folder a server loads plugins from by default.
pub fn fixture_panicky(dir: &Path) -> PathBuf {
    let package = "cotton-plugin-fixture-panicky";
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (target, profile_dir) = target_of_running_exe();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["rustc", "--quiet", "-j2", "--lib", "--crate-type", "cdylib", "-p", package, "--target-dir"])
        .arg(&target);
    profile_args(&mut cmd, &profile_dir);
    cmd.env_remove("CARGO_TARGET_DIR").env("CARGO_TERM_COLOR", "never");
    cmd.env_remove("RUSTFLAGS").env_remove("CARGO_ENCODED_RUSTFLAGS");
    let out = cmd.output().expect("run cargo rustc");
    assert!(
        out.status.success(),
        "cargo rustc of {package} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let name = format!("{}{}{}", std::env::consts::DLL_PREFIX, package.replace('-', "_"), std::env::consts::DLL_SUFFIX);
    let uplifted = profile_dir.join(&name);
    let built = profile_dir.join("deps").join(&name);
    let out = dir.join(&name);
    std::fs::copy(if built.is_file() { &built } else { &uplifted }, &out).expect("copy the fixture");
    let _ = std::fs::remove_file(&uplifted);
    out
}

/// A variant of the broken C fixtures (`plugins/fixtures/broken.c`:
/// `WRONG_ABI`, `NO_ENTRY`, `NULL`, `GARBAGE`, `BAD_RENDER`), compiled into `dir`.
pub fn c_broken(dir: &Path, variant: &str) -> PathBuf {
    let out = dir.join(format!("{}broken_{}{}", std::env::consts::DLL_PREFIX, variant.to_lowercase(), std::env::consts::DLL_SUFFIX));
    cc_shared(&[&workspace_root().join("plugins/fixtures/broken.c")], &out, &[&format!("-DBROKEN_{variant}")]);
    out
}

/// The C example plugin (`plugins/examples/c-printer`), compiled into `dir`.
pub fn c_example(dir: &Path) -> PathBuf {
    let src = workspace_root().join("plugins/examples/c-printer/text_printer.c");
    let out = dir.join(format!("{}cotton_text_printer{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));
    cc_shared(&[&src], &out, &[]);
    out
}

/// A variant of the kit's bad printer fixtures (`plugins/fixtures/bad_printers.c`:
/// `NO_CARD_NO`, `IGNORES_COPIES`, `CRASHES`, `WHOLE_SECONDS`, `WRONG_QR`), compiled into `dir`.
pub fn c_bad_printer(dir: &Path, variant: &str) -> PathBuf {
    let out = dir.join(format!("{}bad_{}{}", std::env::consts::DLL_PREFIX, variant.to_lowercase(), std::env::consts::DLL_SUFFIX));
    cc_shared(&[&workspace_root().join("plugins/fixtures/bad_printers.c")], &out, &[&format!("-DBAD_{variant}")]);
    out
}

/// The C example as it was before print jobs carried the label lines
/// (`plugins/fixtures/legacy_text_printer.c`, model `LEGACY`), compiled into `dir`.
pub fn c_legacy_example(dir: &Path) -> PathBuf {
    let out = dir.join(format!("{}cotton_legacy_text_printer{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));
    cc_shared(&[&workspace_root().join("plugins/fixtures/legacy_text_printer.c")], &out, &[]);
    out
}
