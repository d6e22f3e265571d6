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
