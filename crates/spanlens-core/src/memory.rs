//! Memory the loaders manage by hand: read-only maps of input files, pages given back once
//! read, fresh vectors faulted in ahead, a parallel copy into fresh memory, and two system
//! queries (CPU time, free disk space). This is the one module of the crate allowed
//! `unsafe`; each block says why it is sound.
#![allow(unsafe_code)]

use rayon::prelude::*;

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

/// Maps `file` read-only. Another process truncating the file while it is mapped could
/// fault a read; every other change only means we read what is there, as with `read` (the
/// same trade ripgrep makes). Callers keep the map only while they parse or scan the file.
pub fn map(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: read-only and private to the caller; see above for concurrent truncation.
    unsafe { memmap2::Mmap::map(file) }
}

/// Gives back the mapped pages from the one holding `from` up to the one holding `to`
/// (excluded); they stay in the page cache. The caller is done with every byte before
/// `to`: text references into a file are offsets, not pointers, so later reads go through
/// `pread`.
pub fn release(map: &memmap2::Mmap, from: usize, to: usize) {
    let page = page_size();
    let start = from / page * page;
    let end = to.min(map.len()) / page * page;
    if end > start {
        // SAFETY: on a shared read-only file map, DONTNEED only unmaps the pages; the
        // caller guarantees no slice into `[from, to)` is alive.
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
pub fn prefault<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        let spare = v.spare_capacity_mut();
        let start = spare.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(spare);
        let page = page_size();
        let (a, b) = (start.div_ceil(page) * page, end / page * page);
        let chunk = 8 << 20;
        let pieces = b.saturating_sub(a).div_ceil(chunk);
        (0..pieces).into_par_iter().for_each(|k| {
            let from = a + k * chunk;
            let len = chunk.min(b - from);
            // SAFETY: the range lies inside memory `v` owns and does not use yet;
            // populating maps pages in and changes no byte anyone reads.
            unsafe { libc::madvise(from as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE) };
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// `parts` one after the other (`len` items in all), copied in parallel into a fresh
/// vector. PERF: the attribute lists of a million spans are over 100 MB; one thread copying
/// them (and faulting in the pages) was most of the merge, and zeroing first would cost a
/// pass more.
pub fn concat<T: Copy + Send + Sync>(parts: Vec<&[T]>, len: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(len);
    prefault(&mut out);
    let dests = split_spare(&mut out, len, parts.iter().map(|p| p.len()));
    dests.into_par_iter().zip(parts).for_each(|(d, p)| {
        for (d, s) in d.iter_mut().zip(p) {
            d.write(*s);
        }
    });
    // SAFETY: the parts' lengths add up to exactly `len` (the splits above panic on more,
    // the assert on fewer), and every slot was written.
    unsafe { out.set_len(len) };
    out
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

/// Moves every item of `parts`, in order, to the end of `out`, in parallel, leaving the
/// parts empty (their allocations kept). For items that are not `Copy` (`concat`).
pub fn append_all<T: Send>(out: &mut Vec<T>, mut parts: Vec<&mut Vec<T>>) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    out.reserve_exact(len);
    let old = out.len();
    let dests = split_spare(out, len, parts.iter().map(|p| p.len()));
    dests.into_par_iter().zip(&mut parts).for_each(|(d, p)| {
        // SAFETY: `d` has room for exactly `p.len()` items and does not overlap `p`. The
        // items are moved bit for bit and `p` forgets them, so each is dropped once, from
        // `out`. Nothing here can panic between the copy and `set_len`.
        unsafe {
            std::ptr::copy_nonoverlapping(p.as_ptr(), d.as_mut_ptr().cast::<T>(), p.len());
            p.set_len(0);
        }
    });
    // SAFETY: the slots `old..old + len` were all written above (the splits cover exactly
    // `len` items).
    unsafe { out.set_len(old + len) };
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
        Some(kb / 1024.0)
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
    fn concat_keeps_order_and_length() {
        let (a, b, c) = ([1u32, 2], [3u32], [4u32, 5, 6]);
        assert_eq!(concat(vec![&a, &b, &c], 6), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    #[should_panic]
    fn concat_refuses_a_short_length_claim() {
        let a = [1u32, 2];
        let _ = concat(vec![&a], 3);
    }

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
