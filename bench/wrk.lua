-- The one wrk script every scenario uses (wrk -t1). Configured through the environment by
-- bench/run.mjs:
--   BENCH_OUT         file the result is written to (JSON), by done()
--   BENCH_PATH        request path (POST, a small JSON body)
--   BENCH_KEY         a fixed API key (Authorization: Bearer ...), or
--   BENCH_KEYS_FILE   one key per line; requests take them in turn, starting at line
--                     BENCH_KEYS_OFFSET + 1, BENCH_KEYS_COUNT of them (then they wrap around)
--   BENCH_IP          "distinct": a new CF-Connecting-IP per request; otherwise that fixed IP
--   BENCH_AGGREGATE   "1": count status codes and sum the Server-Timing store counts of every
--                     response (costs the load generator a Lua call per response, so the
--                     throughput runs leave it off and a separate sample run turns it on)
--   BENCH_KEY_PER_THREAD "1": thread i (1-based) uses only key i of the file (run with -tN -cN:
--                     one connection, one key)
--   BENCH_THINK_MS    wait this long after each response before the connection's next request
-- A fixed key with a fixed IP is a static request: wrk builds it once and Lua never runs per
-- request, which is what the pass-through and hot-path runs use.

local path = os.getenv("BENCH_PATH") or "/v1/query"
local key = os.getenv("BENCH_KEY")
local keys_file = os.getenv("BENCH_KEYS_FILE")
local ip_mode = os.getenv("BENCH_IP") or "198.51.100.7"
local aggregate = os.getenv("BENCH_AGGREGATE") == "1"
local think = tonumber(os.getenv("BENCH_THINK_MS") or "0")
local body = '{"sql":"select 1"}'

wrk.method = "POST"
wrk.path = path
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
if key then wrk.headers["Authorization"] = "Bearer " .. key end
if ip_mode ~= "distinct" then wrk.headers["CF-Connecting-IP"] = ip_mode end

local keys = nil
local n = 0

function init(args)
  if keys_file then
    local offset = tonumber(os.getenv("BENCH_KEYS_OFFSET") or "0")
    local count = tonumber(os.getenv("BENCH_KEYS_COUNT") or "1000000000")
    keys = {}
    local line_no = 0
    for line in io.lines(keys_file) do
      line_no = line_no + 1
      if line_no > offset then
        keys[#keys + 1] = line
        if #keys >= count then break end
      end
    end
    if os.getenv("BENCH_KEY_PER_THREAD") == "1" then keys = { keys[thread_index] } end
  end
end

if think > 0 then
  function delay()
    return think
  end
end

-- Aggregates live in flat numeric globals: this wrk's thread:get() crashes on tables.
local STATUSES = { 200, 201, 202, 204, 400, 401, 403, 404, 405, 413, 415, 429, 500, 502, 503, 504 }
-- bg-*: calls a request started but did not wait for (a stale cache copy refreshed, a lease renewed).
local METRICS = { ["do-call"] = "agg_do_call", ["d1-read"] = "agg_d1_read", ["d1-write"] = "agg_d1_write", ["kv-read"] = "agg_kv_read", ["kv-write"] = "agg_kv_write",
  ["bg-do-call"] = "agg_bg_do_call", ["bg-d1-read"] = "agg_bg_d1_read", ["bg-kv-read"] = "agg_bg_kv_read", ["bg-kv-write"] = "agg_bg_kv_write" }
agg_requests, agg_timed, agg_other_status = 0, 0, 0
agg_do_call, agg_d1_read, agg_d1_write, agg_kv_read, agg_kv_write = 0, 0, 0, 0, 0
agg_bg_do_call, agg_bg_d1_read, agg_bg_kv_read, agg_bg_kv_write = 0, 0, 0, 0
for _, code in ipairs(STATUSES) do _G["agg_status_" .. code] = 0 end

if keys_file or ip_mode == "distinct" then
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  function request()
    n = n + 1
    if keys then headers["Authorization"] = "Bearer " .. keys[((n - 1) % #keys) + 1] end
    if ip_mode == "distinct" then
      headers["CF-Connecting-IP"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
    end
    return wrk.format("POST", path, headers, body)
  end
end

if aggregate then
  function response(status, headers, _)
    agg_requests = agg_requests + 1
    local g = "agg_status_" .. status
    if _G[g] then _G[g] = _G[g] + 1 else agg_other_status = agg_other_status + 1 end
    local timing = headers["Server-Timing"] or headers["server-timing"]
    if timing then
      agg_timed = agg_timed + 1
      for name, value in string.gmatch(timing, '([%w%-]+);desc="(%d+)"') do
        local m = METRICS[name]
        if m then _G[m] = _G[m] + tonumber(value) end
      end
    end
  end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_index", #threads)
end

local function json(v)
  local t = type(v)
  if t == "table" then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = string.format("%q:%s", tostring(k), json(x)) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "number" then
    return string.format("%.17g", v)
  elseif t == "string" then
    return string.format("%q", v)
  end
  return "null"
end

function done(summary, latency, requests)
  local agg = nil
  if aggregate then
    agg = { requests = 0, timed = 0, statuses = {} }
    for name, _ in pairs(METRICS) do agg[name] = 0 end
    for _, thread in ipairs(threads) do
      agg.requests = agg.requests + thread:get("agg_requests")
      agg.timed = agg.timed + thread:get("agg_timed")
      for name, global in pairs(METRICS) do agg[name] = agg[name] + thread:get(global) end
      for _, code in ipairs(STATUSES) do
        local x = thread:get("agg_status_" .. code)
        if x > 0 then agg.statuses[tostring(code)] = (agg.statuses[tostring(code)] or 0) + x end
      end
      local other = thread:get("agg_other_status")
      if other > 0 then agg.statuses.other = (agg.statuses.other or 0) + other end
    end
  end
  local out = {
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors = summary.errors,
    latency_us = {
      mean = latency.mean,
      stdev = latency.stdev,
      max = latency.max,
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p99 = latency:percentile(99),
      p999 = latency:percentile(99.9),
    },
    aggregate = agg,
  }
  local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  f:write(json(out))
  f:close()
end
