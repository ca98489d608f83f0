-- wrk script: POST a JSON-RPC tools/call to an MCP endpoint and report latency percentiles as JSON.
--
-- Driven by environment variables (read when the script loads, in every Lua state wrk makes):
--   GM_BENCH_TOOL       tool name (default "echo")
--   GM_BENCH_MESSAGE    the `message` argument of the call
--   GM_BENCH_SESSION    Mcp-Session-Id to send (unset: none)
--   GM_BENCH_PROTOCOL   MCP-Protocol-Version to send (unset: none)
--   GM_BENCH_UNIQUE_IDS "1": every request gets its own JSON-RPC id (a stateful server maps ids to
--                       streams, so concurrent requests of one session must not share an id)
--   GM_BENCH_RATE       total target rate in requests/s over all threads; 0 or unset: closed loop
--   GM_BENCH_THREADS    wrk's -t, to split the rate between threads
--   GM_BENCH_AUTHORIZATION  value of the Authorization header (unset: none), e.g. "Bearer <jwt>"
--
-- Pacing: wrk (unlike wrk2) has no rate option. Its `delay()` hook is called before each request a
-- connection sends and returns how many milliseconds to wait first. Each thread keeps a schedule
-- of send slots `1/rate_per_thread` apart and hands the next free slot to whichever connection asks;
-- so the rate holds whatever the latency, as long as enough connections are idle. A slot that went
-- by unused is dropped, not made up later (no bursts). wrk truncates the delay to whole ms and
-- measures latency from the moment the request is written, so the wait is never counted.
-- `done()` prints one line `GMBENCH {json}` with the counts and percentiles in microseconds.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } gm_timespec;
int clock_gettime(int clk_id, gm_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local ts = ffi.new("gm_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local function json_string(s)
  s = s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", c:byte())
  end)
  return '"' .. s .. '"'
end

local tool = os.getenv("GM_BENCH_TOOL") or "echo"
local message = os.getenv("GM_BENCH_MESSAGE") or "hello from wrk"
local session = os.getenv("GM_BENCH_SESSION")
local protocol = os.getenv("GM_BENCH_PROTOCOL")
local unique_ids = os.getenv("GM_BENCH_UNIQUE_IDS") == "1"
local rate = tonumber(os.getenv("GM_BENCH_RATE") or "0") or 0
local threads = tonumber(os.getenv("GM_BENCH_THREADS") or "1") or 1

local params = '{"name":' .. json_string(tool) .. ',"arguments":{"message":' .. json_string(message) .. "}}"

local function body_with_id(id)
  return '{"jsonrpc":"2.0","id":' .. id .. ',"method":"tools/call","params":' .. params .. "}"
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
if session and session ~= "" then
  wrk.headers["Mcp-Session-Id"] = session
end
if protocol and protocol ~= "" then
  wrk.headers["MCP-Protocol-Version"] = protocol
end
local authorization = os.getenv("GM_BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
wrk.body = body_with_id("1")

-- setup() runs in the main Lua state once per thread; `thread:set` defines a global in that thread's state.
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
end

if unique_ids then
  local counter = 0
  function request()
    counter = counter + 1
    -- thread_index is set by setup() before the thread starts; ids stay unique across threads.
    return wrk.format(nil, nil, nil, body_with_id(tostring(thread_index * 1000000000 + counter)))
  end
end

if rate > 0 then
  local interval = 1000 / (rate / threads)
  local next_slot = nil
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now then
      next_slot = now
    end
    local wait = next_slot - now
    next_slot = next_slot + interval
    return wait
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format(
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
      e.connect,
      e.read,
      e.write,
      e.status,
      e.timeout
    ),
    string.format('"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d', latency.min, latency.mean, latency.stdev, latency.max),
  }
  local pct = {}
  for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
    pct[#pct + 1] = string.format('"p%s":%d', tostring(p), latency:percentile(p))
  end
  parts[#parts] = parts[#parts] .. "," .. table.concat(pct, ",") .. "}"
  io.write("GMBENCH {" .. table.concat(parts, ",") .. "}\n")
end
