//! Write a GuardMesh guard as one type: parse the config once in `configure`, decide in `evaluate`.
//!
//! ```ignore
//! struct MyGuard { limit: usize }
//! impl guardmesh_guard::Guard for MyGuard {
//!     fn configure(config: &guardmesh_guard::Value) -> Result<Self, String> { ... }
//!     fn evaluate(&self, ctx: &guardmesh_guard::Context, message: &guardmesh_guard::Message) -> guardmesh_guard::Verdict { ... }
//! }
//! guardmesh_guard::export_guard!(MyGuard);
//! ```

#![no_std]

extern crate alloc;

use alloc::string::{String, ToString};

#[cfg(feature = "bare")]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

// memcpy, memcmp and friends come from wasi-libc, which ships with the target; its string
// functions import nothing.
#[cfg(feature = "bare")]
#[link(name = "c")]
extern "C" {}

/// The canonical ABI's allocator export. On wasm32-wasip2 the standard library provides it; a
/// guest without std provides it here, over the global allocator.
#[cfg(feature = "bare")]
#[no_mangle]
unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    use alloc::alloc::{alloc, realloc, Layout};
    if new_len == 0 {
        return align as *mut u8;
    }
    let ptr = if old_len == 0 {
        alloc(Layout::from_size_align_unchecked(new_len, align))
    } else {
        realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len)
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable()
    }
    ptr
}

#[cfg(feature = "bare")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "guard-world",
        pub_export_macro: true,
        default_bindings_module: "guardmesh_guard::bindings",
    });
}

pub use bindings::exports::guardmesh::guard::guard::{Context, Verdict};
pub use bindings::guardmesh::guard::types::{Denial, Direction, Phase};
pub use serde_json::{self, Value};
#[doc(hidden)]
pub use alloc::string::String as GuardString;

use bindings::guardmesh::guard::host;

/// A guard: built once per instance from its config, then asked about one message at a time.
pub trait Guard: Sized + 'static {
    /// Parse and check the config; an `Err` refuses the guard with its text (never panic here).
    fn configure(config: &Value) -> Result<Self, String>;

    /// Decide about one message.
    fn evaluate(&self, ctx: &Context, message: &Message) -> Verdict;
}

/// One JSON-RPC message as the host sent it: its text, parsed on first use.
pub struct Message {
    raw: String,
    parsed: core::cell::OnceCell<Option<Value>>,
}

impl Message {
    #[doc(hidden)]
    pub fn new(raw: String) -> Self {
        Message { raw, parsed: core::cell::OnceCell::new() }
    }

    /// The message as the host sent it (UTF-8 JSON text).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The message parsed as JSON; None if the host sent text that is not JSON (it never should).
    pub fn json(&self) -> Option<&Value> {
        self.parsed.get_or_init(|| serde_json::from_str(&self.raw).ok()).as_ref()
    }
}

/// Refuse the message with a stable `code` and a reason for people.
pub fn deny(code: &str, message: impl Into<String>) -> Verdict {
    Verdict::Deny(Denial { code: code.to_string(), message: message.into() })
}

/// Forward `message` in place of the original (same id, kind and method).
pub fn modify(message: &Value) -> Verdict {
    Verdict::Modify(message.to_string())
}

/// The host's log, tagged with the guard's name.
pub mod log {
    use super::host::{log, Level};

    pub fn debug(message: &str) {
        log(Level::Debug, message)
    }
    pub fn info(message: &str) {
        log(Level::Info, message)
    }
    pub fn warn(message: &str) {
        log(Level::Warn, message)
    }
    pub fn error(message: &str) {
        log(Level::Error, message)
    }
}

/// Wall-clock milliseconds since the Unix epoch, from the host.
pub fn now_ms() -> u64 {
    host::get_time()
}

/// The guard's config as JSON text, from the host.
pub fn config_text() -> String {
    host::get_config()
}

#[doc(hidden)]
pub fn parse_config(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| alloc::format!("config is not JSON: {e}"))
}

/// Export `$ty` (a type implementing [`Guard`]) as this component's guard.
#[macro_export]
macro_rules! export_guard {
    ($ty:ty) => {
        struct __GuardMeshState(::core::cell::RefCell<::core::option::Option<$ty>>);
        // A component instance runs on one thread: the state is never shared.
        unsafe impl ::core::marker::Sync for __GuardMeshState {}
        static __GUARDMESH_STATE: __GuardMeshState = __GuardMeshState(::core::cell::RefCell::new(::core::option::Option::None));

        struct __GuardMeshExport;

        impl $crate::bindings::exports::guardmesh::guard::guard::Guest for __GuardMeshExport {
            fn configure(config: $crate::GuardString) -> ::core::result::Result<(), $crate::GuardString> {
                let value = $crate::parse_config(&config)?;
                let guard = <$ty as $crate::Guard>::configure(&value)?;
                *__GUARDMESH_STATE.0.borrow_mut() = ::core::option::Option::Some(guard);
                ::core::result::Result::Ok(())
            }

            fn evaluate(ctx: $crate::Context, message: $crate::GuardString) -> $crate::Verdict {
                let message = $crate::Message::new(message);
                match __GUARDMESH_STATE.0.borrow().as_ref() {
                    ::core::option::Option::Some(guard) => <$ty as $crate::Guard>::evaluate(guard, &ctx, &message),
                    ::core::option::Option::None => $crate::deny("not-configured", "the guard was never configured"),
                }
            }
        }

        $crate::bindings::export!(__GuardMeshExport with_types_in $crate::bindings);
    };
}
