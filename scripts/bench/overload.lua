-- wrk script for scripts/overload.sh: kv.lua's load (same requests, same key space) plus a count of
-- every answer by HTTP status, and of the 429 and 503 answers that carried a Retry-After header and
-- of those whose body said "definite":true (raftkv's error bodies; etcd's never do).
--
--   wrk -t T -c C -d D -s scripts/bench/overload.lua http://HOST:PORT -- SYSTEM OP KEYS VALUE_SIZE
--
-- SYSTEM is etcd or raftkv, OP put or get (see kv.lua for what each sends). done() prints one line
-- starting with "OVERLOAD " for the script: wrk's totals, its latency percentiles in microseconds
-- (over EVERY answer, 2xx or not: wrk's hooks cannot tell which request an answer belongs to, so
-- the latency of the 2xx answers alone cannot be separated here), and the per-status counts.
--
-- Defining response() makes wrk keep each answer's headers and body for the hook. That costs wrk
-- some CPU, but the same for both systems, since both run this script.

-- Build the requests exactly as kv.lua does: load it (wrk runs from the repository's root) and
-- keep its init() and request(), and call its setup().
dofile("scripts/bench/kv.lua")
local kv_setup = setup

local threads = {}

function setup(thread)
  kv_setup(thread)
  table.insert(threads, thread)
end

-- Per wrk thread (each has its own Lua state): answers by status, and those with Retry-After.
statuses = {}
retry_after = {}
definite = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 429 or status == 503 then
    for name, _ in pairs(headers) do
      if string.lower(name) == "retry-after" then
        retry_after[status] = (retry_after[status] or 0) + 1
        break
      end
    end
    if body and string.find(body, '"definite":true', 1, true) then
      definite[status] = (definite[status] or 0) + 1
    end
  end
end

function done(summary, latency, _)
  local by_status, with_ra, with_def = {}, {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do by_status[status] = (by_status[status] or 0) + n end
    for status, n in pairs(thread:get("retry_after") or {}) do with_ra[status] = (with_ra[status] or 0) + n end
    for status, n in pairs(thread:get("definite") or {}) do with_def[status] = (with_def[status] or 0) + n end
  end
  local ok, other, parts = 0, 0, {}
  for status, n in pairs(by_status) do
    if status >= 200 and status <= 299 then ok = ok + n
    elseif status ~= 429 and status ~= 503 then other = other + n end
    parts[#parts + 1] = string.format("%d:%d", status, n)
  end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format(
    "OVERLOAD requests=%d duration_us=%d p50=%d p99=%d p999=%d ok=%d s429=%d s429_ra=%d s429_def=%d s503=%d"
      .. " s503_ra=%d s503_def=%d other=%d connect=%d read=%d write=%d timeout=%d statuses=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    ok, by_status[429] or 0, with_ra[429] or 0, with_def[429] or 0, by_status[503] or 0, with_ra[503] or 0,
    with_def[503] or 0, other,
    e.connect, e.read, e.write, e.timeout, #parts > 0 and table.concat(parts, ",") or "-"))
end
