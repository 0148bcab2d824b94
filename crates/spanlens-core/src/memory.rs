//! Memory the loaders manage by hand: read-only maps of input files, pages given back once
//! read, fresh vectors faulted in ahead or given the pages of freed ones (`supply`), a
//! parallel copy into fresh memory, and two system queries (CPU time, free disk space).
//! This is the one module of the crate allowed `unsafe`; each block says why it is sound.
#![allow(unsafe_code)]

use rayon::prelude::*;

mod supply;
pub use supply::PageSupply;

/// Bytes in a memory page, from the system (4 KiB on x86-64 Linux, up to 64 KiB on some
/// aarch64 kernels).
pub fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf reads a system constant and touches no memory of ours.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(n)
            .ok()
            .filter(|n| n.is_power_of_two())
            .unwrap_or(4096)
    })
}

/// Makes the allocator hand every block of 256 KB or more straight back to the system when
/// it is freed (glibc; elsewhere nothing). The load frees each batch's lists as soon as it
/// has moved them, and counts on that memory leaving the process.
///
/// PERF: by default glibc raises its mmap threshold (up to 32 MB) each time a mapped block
/// is freed; blocks below the new threshold then come from heaps that seldom shrink. In
/// the explorer, the loading list's tallies (blocks of a few hundred KB, freed during the
/// parse) raised it, and the batches' lists stayed resident after the merge had moved
/// them: 1M MLflow 3 spans peaked at 1,275 MB there against 827 MB in `summary`. Fixed at
/// 256 KB (1 MB was not enough), `summary` with the explorer's tallies peaks at 817 MB,
/// and plain `summary` 10 MB lower than before. Called first thing in `main`.
pub fn return_big_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; `main` calls it before any other
    // thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
    }
}

/// Maps `file` read-only. Another process truncating the file while it is mapped could
/// fault a read; every other change only means we read what is there, as with `read` (the
/// same trade ripgrep makes). Callers keep the map only while they parse or scan the file.
pub fn map(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: read-only and private to the caller; see above for concurrent truncation.
    unsafe { memmap2::Mmap::map(file) }
}

/// Gives back the mapped pages from the one holding `from` up to the one holding `to`
/// (excluded); they stay in the page cache. Text references into a file are offsets, not
/// pointers, so later reads go through `pread`. A caller may also release bytes it will
/// read again through the map (a document split into elements first, parsed after): a
/// page touched again is mapped back in from the page cache, with the same bytes.
pub fn release(map: &memmap2::Mmap, from: usize, to: usize) {
    let page = page_size();
    let start = from / page * page;
    let end = to.min(map.len()) / page * page;
    if end > start {
        // SAFETY: on a shared read-only file map, DONTNEED only unmaps the pages: a read
        // after it faults the page back in from the file, so slices into the range still
        // read the same bytes (a file changed meanwhile is `map`'s caveat, not a new one).
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
    }
}

/// Gives back the mapped pages that lie wholly inside `[from, to)`: for a caller done with
/// those bytes while others may still read the bytes around them (the pages at either end,
/// shared with a neighbour, are left to `release`).
pub fn release_inside(map: &memmap2::Mmap, from: usize, to: usize) {
    let page = page_size();
    let start = from.div_ceil(page) * page;
    release(map, start, to);
}

/// Faults in the unused capacity of `v` in 8 MB pieces on the pool (Linux 5.14 and later;
/// elsewhere, or on failure, nothing happens and pages fault in as they are written).
///
/// PERF: at a million spans first writes took 260,000 page faults, costly on a virtual
/// machine; populating ahead leaves 96,000 (`summary` 1.63 s to 1.54–1.58 s). Room reserved
/// but never filled is paid for, so only vectors sized closely are populated.
pub fn prefault<T: Send>(v: &mut Vec<T>) {
    let n = v.capacity() - v.len();
    prefault_next(v, n);
}

/// `prefault` for the next `n` unused slots of `v` only (all of them if it has fewer): for
/// a vector filled piece by piece while other memory is freed, so that its pages come in
/// as the pieces are written rather than all at once.
pub fn prefault_next<T: Send>(v: &mut Vec<T>, n: usize) {
    let spare = v.spare_capacity_mut();
    let n = n.min(spare.len());
    populate_in_pieces(&mut spare[..n]);
}

/// `populate` in 8 MB pieces on the pool.
fn populate_in_pieces<T: Send>(slots: &mut [std::mem::MaybeUninit<T>]) {
    let per_piece = ((8 << 20) / std::mem::size_of::<T>().max(1)).max(1);
    slots.par_chunks_mut(per_piece).for_each(populate);
}

/// The first `len` free slots of `out`, cut into consecutive pieces of `lens`. Panics
/// unless the pieces cover exactly `len` slots (more: the split; fewer: the assert).
fn split_spare<T>(
    out: &mut Vec<T>,
    len: usize,
    lens: impl Iterator<Item = usize>,
) -> Vec<&mut [std::mem::MaybeUninit<T>]> {
    let mut rest = &mut out.spare_capacity_mut()[..len];
    let mut pieces = Vec::new();
    for n in lens {
        let (piece, r) = rest.split_at_mut(n);
        pieces.push(piece);
        rest = r;
    }
    assert!(rest.is_empty(), "the parts hold fewer than {len} items");
    pieces
}

/// Moves every item of `parts`, in order, to the end of `out`, in parallel, freeing each
/// part as soon as it is moved.
///
/// PERF: the merge moves the attribute lists (over 100 MB at a million spans), the ids and
/// the assessments (150 MB at 1M MLflow 3 spans) out of the batches. One thread copying
/// them, and faulting in the pages, was most of the merge, hence the pool. Each destination
/// piece is faulted in just before it is written and each part freed just after, so the
/// lists are held about once: faulting in all of `out` first, and freeing the parts with
/// their batches, held them twice and made the merge the peak of `summary`'s memory.
pub fn append_all<T: Send>(out: &mut Vec<T>, mut parts: Vec<&mut Vec<T>>) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    out.reserve_exact(len);
    let old = out.len();
    let dests = split_spare(out, len, parts.iter().map(|p| p.len()));
    dests.into_par_iter().zip(&mut parts).for_each(|(d, p)| {
        populate(d);
        // SAFETY: `d` has room for exactly `p.len()` items and does not overlap `p`. The
        // items are moved bit for bit and `p` forgets them, so each is dropped once, from
        // `out`. Nothing here can panic between the copy and `set_len`.
        unsafe {
            std::ptr::copy_nonoverlapping(p.as_ptr(), d.as_mut_ptr().cast::<T>(), p.len());
            p.set_len(0);
        }
        **p = Vec::new();
    });
    // SAFETY: the slots `old..old + len` were all written above (the splits cover exactly
    // `len` items).
    unsafe { out.set_len(old + len) };
}

/// Faults in the pages lying wholly inside `slots`, on this thread (see `prefault`); the
/// pages at either end, shared with a neighbour, fault in when written.
fn populate<T>(slots: &mut [std::mem::MaybeUninit<T>]) {
    #[cfg(target_os = "linux")]
    {
        let start = slots.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(slots);
        let page = page_size();
        let (a, b) = (start.div_ceil(page) * page, end / page * page);
        if b > a {
            // SAFETY: the range lies inside memory the caller owns and does not use yet;
            // populating maps pages in and changes no byte anyone reads.
            unsafe { libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_POPULATE_WRITE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = slots;
}

/// CPU time of the whole process so far, in ms (all threads, user and system).
pub fn cpu_ms() -> f64 {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes the struct it is given.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 0.0;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(u.ru_utime) + ms(u.ru_stime)
}

/// Resident memory of this process now and at its peak, in MB (`VmRSS`, `VmHWM` of
/// /proc/self/status; `None` where there is no such file). For `SPANLENS_TIMINGS`.
pub fn rss_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        // kB here are KiB; MB are 10^6 bytes, as the benchmarks count file sizes.
        Some(kb * 1024.0 / 1e6)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Free bytes for an unprivileged user on the file system holding `file`.
pub fn free_space(file: &std::fs::File) -> Option<u64> {
    use std::os::fd::AsRawFd;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `st` is written by fstatvfs before it is read, and read only on success.
    let ok = unsafe { libc::fstatvfs(file.as_raw_fd(), st.as_mut_ptr()) } == 0;
    ok.then(|| {
        // SAFETY: fstatvfs succeeded, so `st` is initialised.
        let st = unsafe { st.assume_init() };
        // The field types differ between platforms.
        #[allow(clippy::unnecessary_cast)]
        (st.f_bavail as u64).saturating_mul(st.f_frsize as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_all_moves_every_item_once_in_order() {
        use std::sync::Arc;
        let item = Arc::new(());
        let owned = |s: &str| (s.to_owned(), Arc::clone(&item));
        let mut out = vec![owned("a")];
        let (mut p, mut q, mut r) = (
            vec![owned("b"), owned("c")],
            Vec::new(),
            (0..1000).map(|i| owned(&i.to_string())).collect::<Vec<_>>(),
        );
        append_all(&mut out, vec![&mut p, &mut q, &mut r]);
        assert!(p.is_empty() && q.is_empty() && r.is_empty());
        assert_eq!(p.capacity() + r.capacity(), 0, "each part freed once moved");
        let texts: Vec<&str> = out.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(&texts[..4], ["a", "b", "c", "0"]);
        assert_eq!(texts.len(), 1003);
        assert_eq!(texts[1002], "999");
        // Every item is held once (by `out`) and dropped once with it.
        assert_eq!(Arc::strong_count(&item), 1004);
        drop((out, p, q, r));
        assert_eq!(Arc::strong_count(&item), 1);
    }

    #[test]
    fn page_size_is_a_power_of_two() {
        assert!(page_size().is_power_of_two() && page_size() >= 4096);
    }
}
