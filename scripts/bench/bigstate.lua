-- wrk script for scripts/bench-bigstate.sh: writes KEYS unique ids, each once, then stops.
--
--   wrk -t T -c C -d D -s scripts/bench/bigstate.lua http://HOST:PORT -- KEYS VALUE_SIZE MARKER_PREFIX T
--
-- Thread i (1..T) writes the ids "t<i>-1", "t<i>-2", ... up to its share of KEYS (PUT /kv/{id}
-- {"name": VALUE_SIZE bytes}, no session), so no two requests write the same id and every answered
-- 200 adds one key to the map. Once a thread has answered its share it writes
-- "ok=N s507=N s429=N other=N" to MARKER_PREFIX<i> and stops (wrk itself runs until -d, so the
-- caller ends it when every marker is there). A connection whose thread has sent its whole share
-- but still waits for other answers asks GET /bench-bigstate-idle every 100 ms (delay()), a 404 that
-- costs the node nothing and is not counted. done() prints one "BIGSTATE ok=.. s507=.. s429=.. other=.."
-- line over all threads.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

local share, limit, size, marker
local sent, answered = 0, 0
ok, s507, s429, other = 0, 0, 0, 0
local headers = { ["Content-Type"] = "application/json" }
local idle

function init(args)
  local keys = tonumber(args[1])
  size = tonumber(args[2])
  marker = args[3]
  -- T comes as an argument: wrk runs a thread's init() before it sets up the next thread.
  local thread_count = tonumber(args[4])
  -- An even split; the first (keys % T) threads take one more.
  share = math.floor(keys / thread_count) + ((thread_no <= keys % thread_count) and 1 or 0)
  -- wrk builds the first thread's first request once to check the script, and never sends it:
  -- that thread builds one more (its id "t1-1" is never written).
  limit = share + ((thread_no == 1) and 1 or 0)
  idle = wrk.format("GET", "/bench-bigstate-idle", {}, nil)
end

function delay()
  return (sent >= limit) and 100 or 0
end

function request()
  if sent >= limit then
    return idle
  end
  sent = sent + 1
  local id = "t" .. thread_no .. "-" .. sent
  local prefix = "v" .. sent .. "-"
  local name = prefix .. string.rep("x", size - #prefix)
  return wrk.format("PUT", "/kv/" .. id, headers, '{"name":"' .. name .. '"}')
end

function response(status)
  if status == 404 then
    return -- the idle request: ids are new, so a PUT is never answered 404
  end
  answered = answered + 1
  if status >= 200 and status <= 299 then
    ok = ok + 1
  elseif status == 507 then
    s507 = s507 + 1
  elseif status == 429 then
    s429 = s429 + 1
  else
    other = other + 1
  end
  if answered == share then
    local f = assert(io.open(marker .. thread_no, "w"))
    f:write(string.format("ok=%d s507=%d s429=%d other=%d\n", ok, s507, s429, other))
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, _)
  local t = { ok = 0, s507 = 0, s429 = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  io.write(string.format("BIGSTATE ok=%d s507=%d s429=%d other=%d p50_us=%d p99_us=%d max_us=%d\n",
    t.ok, t.s507, t.s429, t.other, latency:percentile(50), latency:percentile(99), latency.max))
end
