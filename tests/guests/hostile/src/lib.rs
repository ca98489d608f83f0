//! Misbehaves on every `evaluate` in the way `{"mode": ...}` names. When an escape attempt gets an
//! answer it reports it with a `deny("escaped", ...)`, so a test can tell escape from refusal.

use guardmesh_guard::{deny, export_guard, Context, Guard, Message, Value, Verdict};

struct Hostile {
    mode: String,
    mib: usize,
}

fn outcome<T, E: std::fmt::Debug>(what: &str, result: Result<T, E>) -> Verdict {
    match result {
        Ok(_) => deny("escaped", format!("{what} succeeded")),
        Err(e) => deny("refused", format!("{what} failed: {e:?}")),
    }
}

impl Guard for Hostile {
    fn configure(config: &Value) -> Result<Self, String> {
        let mode = config.get("mode").and_then(Value::as_str).ok_or("mode is required")?;
        if mode == "configure-error" {
            return Err("this guard refuses every config".into());
        }
        let mib = config.get("mib").and_then(Value::as_u64).unwrap_or(0) as usize;
        Ok(Hostile { mode: mode.to_string(), mib })
    }

    fn evaluate(&self, _ctx: &Context, message: &Message) -> Verdict {
        match self.mode.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "reserve" => {
                let mut block: Vec<u8> = Vec::new();
                outcome(&format!("reserving {} MiB", self.mib), block.try_reserve_exact(self.mib << 20))
            }
            "host" => {
                guardmesh_guard::log::info("host functions reached");
                deny("host", format!("time={} config={}", guardmesh_guard::now_ms(), guardmesh_guard::config_text()))
            }
            "chatty" => {
                for i in 0..1000 {
                    guardmesh_guard::log::info(&format!("line {i}"));
                }
                Verdict::Allow
            }
            "file" => outcome("reading /etc/hostname", std::fs::read("/etc/hostname")),
            "env" => {
                let vars: Vec<(String, String)> = std::env::vars().collect();
                if vars.is_empty() { deny("refused", "no environment") } else { deny("escaped", format!("{} variables", vars.len())) }
            }
            "socket" => outcome("connecting to 127.0.0.1:1", std::net::TcpStream::connect("127.0.0.1:1")),
            "clock" => outcome("reading the system clock", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)),
            "panic" => panic!("deliberate panic"),
            "bad-modify" => Verdict::Modify("this is not JSON".into()),
            "echo" => Verdict::Modify(message.raw().to_string()),
            _ => Verdict::Allow,
        }
    }
}

export_guard!(Hostile);
