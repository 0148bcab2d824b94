//! Panics of the parquet and arrow crates on damaged data, caught without their message.
//!
//! Those crates assert on some malformed pages instead of returning an error. A panic is
//! caught and becomes an error for the one file, but the default hook would first print
//! its message and a backtrace; while `catch` runs, this thread's panics are kept quiet and
//! their message is handed back instead. Other threads' panics print as before.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`; a panic becomes `Err` with the first line of its message, printed nowhere.
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install();
    let was = QUIET.replace(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.set(was);
    result.map_err(|_| {
        let msg = MESSAGE.take().unwrap_or_else(|| "unknown failure".into());
        let line: String = msg.lines().next().unwrap_or("").chars().take(160).collect();
        crate::inert::line(&line).into_owned()
    })
}

/// Wraps the panic hook once: quiet threads keep the message, others call the old hook.
fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.get() {
                let msg = (info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                    .or_else(|| info.payload().downcast_ref::<String>().cloned());
                MESSAGE.set(msg);
            } else {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_gives_its_message_and_later_calls_work() {
        let err = catch(|| -> u32 { panic!("index out of bounds\nmore") }).unwrap_err();
        assert_eq!(err, "index out of bounds");
        assert_eq!(catch(|| 7), Ok(7));
        assert!(!QUIET.get(), "the thread is loud again");
    }
}
