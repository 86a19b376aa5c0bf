-- wrk script for scripts/bench-compare.sh: the same load against etcd (v3 JSON gateway) and raftkv.
--
--   wrk -t T -c C -d D -s scripts/bench/kv.lua http://HOST:PORT -- SYSTEM OP KEYS VALUE_SIZE
--
-- SYSTEM is etcd or raftkv, OP is put or get; every request picks one of KEYS keys at random
-- ("k0000".."k0999" for 1,000), and puts write a value of VALUE_SIZE bytes. OP fill writes every
-- key once, in order (run it with one thread and one connection) so that reads find a value in
-- both systems, then writes "answered=N not_2xx=M" to the file named by a fifth argument and stops. Requests are built once
-- in init() and only looked up in request(), so the generator costs the same for both systems.
--   etcd   put: POST /v3/kv/put   {"key":base64(k),"value":base64(v)}
--          get: POST /v3/kv/range {"key":base64(k)}        (linearizable: serializable defaults to false)
--   raftkv put: PUT  /kv/k        {"name":v}                (no session headers)
--          get: GET  /kv/k                                  (linearizable: ReadIndex)
-- done() prints one line starting with "BENCH " for the script to parse: requests, duration and
-- latency percentiles in microseconds, and the error counts as wrk keeps them.

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = b64chars:sub(c1 + 1, c1 + 1) .. b64chars:sub(c2 + 1, c2 + 1)
      .. (b and b64chars:sub(c3 + 1, c3 + 1) or "=") .. (c and b64chars:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

local function value_of(i, size)
  local v = string.format("v%d-", i)
  return v .. string.rep("x", size - #v)
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

local requests = {}

function init(args)
  local system, op = args[1], args[2]
  local keys, size = tonumber(args[3] or "1000"), tonumber(args[4] or "16")
  local headers = { ["Content-Type"] = "application/json" }
  for i = 0, keys - 1 do
    local key = string.format("k%04d", i)
    local r
    if system == "etcd" and (op == "put" or op == "fill") then
      r = wrk.format("POST", "/v3/kv/put", headers,
        string.format('{"key":"%s","value":"%s"}', base64(key), base64(value_of(i, size))))
    elseif system == "etcd" and op == "get" then
      r = wrk.format("POST", "/v3/kv/range", headers, string.format('{"key":"%s"}', base64(key)))
    elseif system == "raftkv" and (op == "put" or op == "fill") then
      r = wrk.format("PUT", "/kv/" .. key, headers, string.format('{"name":"%s"}', value_of(i, size)))
    elseif system == "raftkv" and op == "get" then
      r = wrk.format("GET", "/kv/" .. key, {}, nil)
    else
      error("usage: -- etcd|raftkv put|get|fill KEYS VALUE_SIZE (got " .. tostring(system) .. " " .. tostring(op) .. ")")
    end
    requests[i + 1] = r
  end
  math.randomseed(os.time() * 100 + (thread_no or 0))
  if op == "fill" then
    local next_key, answered = 0, 0
    request = function()
      next_key = next_key + 1
      return requests[(next_key - 1) % #requests + 1]
    end
    local not_2xx, marker = 0, args[5]
    response = function(status)
      answered = answered + 1
      if status < 200 or status > 299 then not_2xx = not_2xx + 1 end
      if answered == #requests then
        -- wrk runs until its -d even when every thread stopped: the file tells the caller to end it.
        local f = assert(io.open(marker, "w"))
        f:write(string.format("answered=%d not_2xx=%d\n", answered, not_2xx))
        f:close()
        wrk.thread:stop()
      end
    end
  end
end

function request()
  return requests[math.random(#requests)]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50=%d p99=%d p999=%d status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), e.status, e.connect, e.read, e.write, e.timeout))
end
