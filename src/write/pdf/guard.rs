//! A panic in the libraries the PDF writer calls becomes an error. A theme font is checked when
//! loaded (`fonts::probe`) and genpdf never reads one, but the subsetter and the SVG
//! rasteriser's text shaping still read its tables: a damage the check does not know must not
//! crash livret, which promises an error, never a panic.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Set while this thread runs guarded code: its panics are recorded, not printed.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs, once, a panic hook that records the message of a guarded thread's panic and hands
/// every other panic to the hook that was there before (the default one, or a fuzzer's).
fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown failure".into());
                // `subsetter-0.1.1/src/lib.rs:547`: the crate and place, for a bug report.
                let place = info
                    .location()
                    .map(|l| {
                        let mut parts: Vec<&str> = l.file().rsplit(['/', '\\']).take(3).collect();
                        parts.reverse();
                        format!(" ({}:{})", parts.join("/"), l.line())
                    })
                    .unwrap_or_default();
                MESSAGE.with(|m| *m.borrow_mut() = Some(format!("{message}{place}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic inside it comes back as `Err(message)`, printed nowhere.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let was_guarded = GUARDED.with(|g| g.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was_guarded));
    result.map_err(|_| {
        MESSAGE
            .with(|m| m.borrow_mut().take())
            .unwrap_or_else(|| "unknown failure".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_other_results_pass_through() {
        assert_eq!(catch_panic(|| 42), Ok(42));
        let caught = catch_panic(|| -> u8 { panic!("font table out of range") });
        let message = caught.expect_err("caught");
        assert!(
            message.starts_with("font table out of range ("),
            "{message}"
        );
        // Nested guards restore the outer state.
        let outer = catch_panic(|| {
            let inner = catch_panic(|| -> () { panic!("inner") });
            assert!(inner.is_err());
            panic!("outer")
        });
        assert!(outer.unwrap_err().starts_with("outer"));
    }
}
