//! How the process gives memory back.

/// Allocations this large or larger are mapped on their own and unmapped when freed.
const LARGE: usize = 4 * 1024 * 1024;

/// Makes large allocations (argon2's 19 MiB per password hash) go back to the system when freed.
///
/// glibc raises its mmap threshold to the size of the largest block freed so far, after which such
/// blocks come from the allocator's arenas and are kept there, fragmented: eight sign-ups left 150 MiB
/// behind, two hundred left gigabytes. A fixed threshold turns that adjustment off. Called once at the
/// start of `main`.
pub fn return_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's tuning; it is called before other threads
        // start, and a refusal (0) leaves the defaults in place.
        let accepted = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE as libc::c_int) };
        if accepted == 0 {
            eprintln!("warning: the allocator refused a fixed mmap threshold");
        }
    }
}

/// How often freed memory is handed back to the system.
pub const GIVE_BACK_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Hands the memory the allocator holds free back to the system, every [`GIVE_BACK_EVERY`], for as
/// long as the process serves.
///
/// A burst — thousands of chargers reconnecting at once after a restart — allocates a great deal for
/// a moment (handshakes, first answers, rebalancing) between the few KiB each connection keeps. glibc
/// gives back only the top of a heap by itself; `malloc_trim` releases every whole free page, in each
/// arena (measured: 15–30 MiB within 15 s of a storm of 10 000 reconnections; what shares a page with
/// a connection's memory stays). It runs on a blocking thread (it walks the free lists).
pub async fn give_back_freed() {
    let mut every = tokio::time::interval(GIVE_BACK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let _ = tokio::task::spawn_blocking(trim).await;
    }
}

/// Releases the allocator's free pages to the system.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let started = std::time::Instant::now();
        // SAFETY: malloc_trim only gives free pages back; it takes the allocator's own locks.
        unsafe { libc::malloc_trim(0) };
        tracing::debug!(took = ?started.elapsed(), "freed memory handed back");
    }
}
