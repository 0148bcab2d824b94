//! Pages for a vector filled front to back: moved in from vectors the caller is done
//! with, and faulted in fresh only where none were given.
//!
//! PERF: the gather of the span arena wrote 240 MB of fresh pages at a million spans while
//! it freed 240 MB of batches. Fresh pages are zeroed by the kernel and the freed ones
//! unmapped: 47–52 ms and 22 ms of the gather's 103 ms, on two cores. Moving a freed
//! list's pages into the arena with `mremap` changes page tables only: 25 MB take 0.09 ms
//! against 9–14 ms to populate them and free the list (one thread, this machine).

use super::page_size;

/// Where the pages given to one vector end, as it is filled.
#[derive(Default)]
pub struct PageSupply {
    /// The vector's buffer: when it changes (another vector, or this one moved by
    /// growing), nothing supplied before counts.
    base: usize,
    /// Address up to which the vector's spare capacity has pages: moved in, or faulted in
    /// ahead of a write. Page aligned; 0 before anything was supplied.
    backed: usize,
}

impl PageSupply {
    /// Forgets what was supplied when `into` is not the buffer it was supplied to: pages
    /// given to one buffer say nothing of another's. (A move lands inside `into`'s spare
    /// capacity whatever `backed` says; a stale one would only leave pages unsupplied.)
    fn follow<T>(&mut self, into: &[T]) -> usize {
        let base = into.as_ptr() as usize;
        if base != self.base {
            (self.base, self.backed) = (base, 0);
        }
        base
    }

    /// Frees `from`, first moving the whole pages holding its items into `into`'s spare
    /// capacity, after the pages already supplied and past every item written. Where that
    /// cannot be done (not Linux, nothing whole to move, no room left, a kernel without
    /// `MREMAP_DONTUNMAP`), `from` is only freed.
    pub fn donate<T: Copy>(&mut self, mut from: Vec<T>, into: &mut Vec<T>) {
        let size = std::mem::size_of::<T>();
        let page = page_size();
        let base = self.follow(into.as_slice());
        let written = base + into.len() * size;
        // Never onto a page holding a written item: a move replaces the page.
        let dst = self.backed.max(written.next_multiple_of(page));
        let dst_end = (base + into.capacity() * size) / page * page;
        let src = from.as_ptr() as usize;
        let (src_start, src_end) = (
            src.next_multiple_of(page),
            (src + from.len() * size) / page * page,
        );
        if size == 0 || src_end <= src_start || dst_end <= dst {
            return;
        }
        let n = (src_end - src_start).min(dst_end - dst);
        // Nothing of `from` is read again: its pages become zero-filled, which `T: Copy`
        // (no drop to run) and an empty length make harmless.
        // SAFETY: setting the length to 0 only forgets items that need no drop.
        unsafe { from.set_len(0) };
        if move_pages(src_start, dst, n) {
            self.backed = dst + n;
        }
    }

    /// Faults in the pages the next `n` spare slots of `into` need beyond those already
    /// supplied (see `super::prefault_next`).
    pub fn prefault_next<T: Send>(&mut self, into: &mut Vec<T>, n: usize) {
        let size = std::mem::size_of::<T>();
        let base = self.follow(into.as_slice());
        let written = base + into.len() * size;
        let end = base + (into.len() + n).min(into.capacity()) * size;
        let from = self.backed.clamp(written, end);
        // From the item holding `from`: populating rounds its start up to a whole page.
        let skip = (from - written) / size.max(1);
        let spare = &mut into.spare_capacity_mut()[..(end - written) / size.max(1)];
        if skip < spare.len() {
            super::populate_in_pieces(&mut spare[skip..]);
        }
        self.backed = self.backed.max(end.next_multiple_of(page_size()));
    }
}

/// Moves the `n` bytes of whole pages at `src` to `dst` (both page aligned, both in memory
/// the caller owns, `dst` holding nothing anyone reads), leaving `src` mapped but empty.
/// False when the kernel refuses; then nothing moved.
#[cfg(target_os = "linux")]
fn move_pages(src: usize, dst: usize, n: usize) -> bool {
    // MREMAP_DONTUNMAP (Linux 5.7): the source range stays mapped, as fresh zero-fill
    // pages, so the allocator that owns it frees it as usual.
    const MREMAP_DONTUNMAP: libc::c_int = 4;
    let flags = libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED | MREMAP_DONTUNMAP;
    // SAFETY: both ranges are whole pages inside two buffers of the global allocator
    // (private anonymous memory), owned by the caller; the source's bytes are never read
    // again and the destination's were never written, so replacing the one with the
    // other's pages changes nothing anyone reads. On failure the kernel leaves both as
    // they were.
    let got = unsafe {
        libc::mremap(
            src as *mut libc::c_void,
            n,
            n,
            flags,
            dst as *mut libc::c_void,
        )
    };
    got as usize == dst
}

#[cfg(not(target_os = "linux"))]
fn move_pages(_src: usize, _dst: usize, _n: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list of `n` items numbered from `first`.
    fn numbered(first: u64, n: usize) -> Vec<[u64; 4]> {
        (0..n as u64).map(|i| [first + i; 4]).collect()
    }

    #[test]
    fn donated_pages_back_the_next_items_and_keep_the_written_ones() {
        let page = page_size();
        let per_page = page / std::mem::size_of::<[u64; 4]>();
        let total = 40 * per_page;
        let mut into: Vec<[u64; 4]> = Vec::with_capacity(total);
        let mut supply = PageSupply::default();
        // A first stretch, written on pages faulted in as written, ending inside a page.
        into.extend(numbered(0, 5 * per_page + 3));
        // Two donors; their pages hold other numbers, which must never show through.
        supply.donate(numbered(1 << 40, 12 * per_page), &mut into);
        supply.donate(numbered(2 << 40, 30 * per_page), &mut into);
        let end = into.as_ptr() as usize + total * std::mem::size_of::<[u64; 4]>();
        assert!(supply.backed <= end, "pages stay inside the capacity");
        // The rest is written over the donated pages (and fresh ones past them).
        let (done, rest) = (into.len(), total - into.len());
        supply.prefault_next(&mut into, rest);
        into.extend(numbered(done as u64, rest));
        let want: Vec<[u64; 4]> = numbered(0, total);
        assert!(into == want, "every item reads as written, in order");
        // A donor too small to hold a whole page is only freed.
        let before = supply.backed;
        supply.donate(numbered(0, 2), &mut into);
        assert_eq!(supply.backed, before);
    }

    #[test]
    fn a_supply_moved_to_another_vector_forgets_the_first() {
        let page = page_size();
        let per_page = page / std::mem::size_of::<[u64; 4]>();
        let mut supply = PageSupply::default();
        let mut first: Vec<[u64; 4]> = Vec::with_capacity(64 * per_page);
        supply.prefault_next(&mut first, 60 * per_page);
        first.extend(numbered(0, 3));
        // What was supplied to `first` does not count for `second`.
        let mut second: Vec<[u64; 4]> = Vec::with_capacity(8 * per_page);
        supply.donate(numbered(1 << 40, 8 * per_page), &mut second);
        second.extend(numbered(100, 8 * per_page));
        assert!(second == numbered(100, 8 * per_page));
        assert!(first == numbered(0, 3));
    }

    /// Linux 5.7 or later, where `MREMAP_DONTUNMAP` exists.
    fn kernel_moves_pages() -> bool {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut n = release
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>());
        matches!((n.next(), n.next()), (Some(Ok(major)), Some(Ok(minor))) if (major, minor) >= (5, 7))
    }

    #[test]
    fn donations_move_pages_where_the_kernel_can() {
        let page = page_size();
        let mut into: Vec<u8> = Vec::with_capacity(64 * page);
        let mut supply = PageSupply::default();
        supply.donate(vec![7u8; 16 * page], &mut into);
        supply.donate(vec![8u8; 16 * page], &mut into);
        // 15 whole pages at least lie inside a 16-page donor, whatever its alignment.
        let base = (into.as_ptr() as usize).next_multiple_of(page);
        if cfg!(target_os = "linux") && kernel_moves_pages() {
            assert!(
                supply.backed >= base + 30 * page,
                "both donors' pages moved"
            );
        } else {
            assert_eq!(supply.backed, 0, "nothing claimed where nothing moves");
        }
        // The moved pages are writable memory of `into`.
        into.resize(64 * page, 1);
        assert!(into.iter().all(|&b| b == 1));
    }
}
