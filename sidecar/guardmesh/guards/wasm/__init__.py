"""WebAssembly guards: fetching modules (`sources`) and running them in wasmtime."""
