//! A guest that only touches what it is given, so the host's marshalling dominates the cost.

wit_bindgen::generate!({ path: "wit", world: "bench-world" });

use exports::guardmesh::marshal_bench::bench::{Guest, RpcMessage};

struct Bench;

impl Guest for Bench {
    fn as_string(message: String) -> u32 {
        message.len() as u32
    }
    fn as_bytes(message: Vec<u8>) -> u32 {
        message.len() as u32
    }
    fn as_record(message: RpcMessage) -> u32 {
        (message.tools.len() + message.arguments.len()) as u32
    }
}

export!(Bench);
