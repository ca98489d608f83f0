-- wrk script: POST one large body, read from the file GM_BODY_FILE, as fast as each connection can;
-- count answers by status (2xx, 413, 503, other) and print them with the latency percentiles.
--   GM_BODY_FILE      the body (a JSON-RPC message)
--   GM_BENCH_SESSION  Mcp-Session-Id to send (unset: none)

local file = assert(io.open(os.getenv("GM_BODY_FILE"), "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
local session = os.getenv("GM_BENCH_SESSION")
if session and session ~= "" then
  wrk.headers["Mcp-Session-Id"] = session
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Per-thread counters (numbers: wrk copies only plain values between Lua states).
ok, too_large, shed, other = 0, 0, 0, 0

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 413 then
    too_large = too_large + 1
  elseif status == 503 then
    shed = shed + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total = { ok = 0, too_large = 0, shed = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(total) do
      total[key] = total[key] + (thread:get(key) or 0)
    end
  end
  io.write(string.format(
    'GMBENCH {"requests":%d,"duration_us":%d,"ok":%d,"too_large":%d,"shed":%d,"other":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, total.ok, total.too_large, total.shed, total.other,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max
  ))
end
