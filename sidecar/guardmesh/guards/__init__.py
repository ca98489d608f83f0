"""Guards: the interface in `api`, built-in guards in `native`, WebAssembly guards in `wasm`."""
