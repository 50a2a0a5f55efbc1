-- wrk script for scripts/load: POSTs the assessment in $SUBMIT_BODY (a new assessment each time:
-- without an Idempotency-Key, or with a fresh one per request when $KEYED_TAG is set), waits a random think time around $THINK_MS between a response and
-- the next request, and writes the latency histogram and the status codes to $WRK_OUT for
-- scripts/py/load.py to merge across wrk processes.
local body_file = assert(io.open(os.getenv("SUBMIT_BODY"), "rb"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = body_file:read("*a")
body_file:close()

local think_ms = tonumber(os.getenv("THINK_MS") or "0")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- A keyed submission's id follows from its key, so it goes to the key's owner, wherever that is;
-- a keyless one gets an id the receiving node owns. The tag keeps keys unique across processes.
local keyed_tag = os.getenv("KEYED_TAG")
local sent = 0
if keyed_tag and keyed_tag ~= "" then
  function request()
    sent = sent + 1
    local headers = { ["Content-Type"] = "application/json", ["Idempotency-Key"] = keyed_tag .. "-" .. sent }
    return wrk.format(nil, nil, headers)
  end
end

function init(args)
  statuses = {}
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function delay()
  -- Uniform over [0.5, 1.5] × the mean: clients that think for exactly the same time would march
  -- in step and measure their own synchronisation.
  if think_ms <= 0 then return 0 end
  return think_ms * (0.5 + math.random())
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("WRK_OUT"), "w"))
  out:write(string.format("duration_us %d\n", summary.duration))
  out:write(string.format("requests %d\n", summary.requests))
  for _, kind in ipairs({ "connect", "read", "write", "status", "timeout" }) do
    out:write(string.format("error_%s %d\n", kind, summary.errors[kind]))
  end
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      out:write(string.format("status %d %d\n", status, n))
    end
  end
  for i = 1, #latency do
    local value, count = latency(i)
    out:write(string.format("latency_us %d %d\n", value, count))
  end
  out:close()
end
