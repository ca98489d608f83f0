;; A core WebAssembly module: valid wasm, but not a component.
(module (func (export "evaluate") (result i32) i32.const 0))
