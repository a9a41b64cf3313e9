-- wrk script of `make bench-peers` (scripts/peers/run.sh), set by environment:
--   PEERS_BODY_FILE     POST this file's bytes as application/json (isobox's /v1/run);
--                       unset: GET
--   PEERS_AUTH          send "Authorization: Bearer <it>"
--   PEERS_MAX_REQUESTS  stop each wrk thread after this many responses (the
--                       workerd row whose memory grows with every request)
-- When the run ends it prints one line, "PEERS {json}", with the request
-- count, the errors and latency percentiles in microseconds; active_us and
-- active_requests are the time and the responses up to the cap when every
-- thread stopped at it (else 0: the duration and the request count apply).
local body_file = os.getenv("PEERS_BODY_FILE")
if body_file and body_file ~= "" then
  local file = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  wrk.headers["Content-Type"] = "application/json"
  file:close()
end

local auth = os.getenv("PEERS_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. auth
end

local max_requests = tonumber(os.getenv("PEERS_MAX_REQUESTS") or "")
local threads = {}
if max_requests then
  -- wrk's main thread sleeps the whole duration even when every thread
  -- stopped early, and divides by it: the time of the capped part is taken
  -- here instead, from each thread's start to its last response
  -- (CLOCK_MONOTONIC through LuaJIT's FFI).
  local ffi = require("ffi")
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_nsec; } peers_timespec;
    int clock_gettime(int clock, peers_timespec *now);
  ]])
  local function now_us()
    local now = ffi.new("peers_timespec")
    ffi.C.clock_gettime(1, now)
    return tonumber(now.tv_sec) * 1000000 + math.floor(tonumber(now.tv_nsec) / 1000)
  end
  function setup(thread)
    table.insert(threads, thread)
  end
  -- Globals of each thread's Lua state, read back by done() with thread:get.
  function init(args)
    started_us = now_us()
    seen = 0
  end
  function response(status, headers, body)
    seen = seen + 1
    if seen >= max_requests and not stopped_us then
      stopped_us = now_us()
      stopped_seen = seen
      wrk.thread:stop()
    end
  end
end

-- When every thread stopped at its cap: the longest time one took and the
-- responses they had then (responses still in flight may add a few to
-- summary.requests); else 0, 0: the duration is the time.
local function capped()
  local longest, responses = 0, 0
  for _, thread in ipairs(threads) do
    local started, stopped = thread:get("started_us"), thread:get("stopped_us")
    if not (started and stopped) then
      return 0, 0
    end
    longest = math.max(longest, stopped - started)
    responses = responses + thread:get("stopped_seen")
  end
  return longest, responses
end

function done(summary, latency, requests)
  local errors = summary.errors
  local active_us, active_requests = capped()
  io.write(string.format(
    'PEERS {"requests":%d,"duration_us":%d,"active_us":%d,"active_requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, active_us, active_requests, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
