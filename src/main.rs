use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    return_large_blocks();
    let cli = aether365::cli::Cli::parse();
    aether365::cli::init_tracing();
    match actix::System::new().block_on(aether365::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Makes glibc serve every block of 1 MiB or more with its own mapping, unmapped when freed.
/// By default glibc raises that threshold to the size of the last large block freed (up to
/// 32 MiB), after which such blocks come from per-thread arenas that keep them: an import's
/// copies of a 32 MiB document stayed with each thread that had held one (docs/security.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_large_blocks() {
    // SAFETY: `mallopt` only sets an allocator parameter; it is called once, before any thread
    // of the process starts, with a valid parameter and value.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
    if set != 1 {
        eprintln!("warning: cannot set glibc's mmap threshold; large buffers may be kept");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks() {}
