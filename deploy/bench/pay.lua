-- wrk script: pays the orders place.lua placed, with
-- POST /api/orders/{id}/payments/test and the header X-Order-Token.
--
-- Argument after "--": the file prefix given to place.lua. Thread n of this
-- run pays the orders of thread n of the place run, each order once, so run
-- both with the same -t. A thread that has paid all its orders waits 500 ms
-- between GET /api/health requests until wrk stops. The paid rate therefore
-- divides the orders paid by the time from the first payment request to the
-- last payment response, not by wrk's whole duration.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now_buffer = ffi.new("bench_timespec")

local function now_seconds()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_buffer)
  return tonumber(now_buffer.tv_sec) + tonumber(now_buffer.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  orders = {}
  local orders_file = io.open(args[1] .. "." .. thread_number, "r")
  if orders_file then
    for line in orders_file:lines() do
      local id, token = line:match("^(%S+) (%S+)$")
      if id then
        table.insert(orders, { id = id, token = token })
      end
    end
    orders_file:close()
  end
  order_count = #orders
  next_order = 1
  paid = 0
  rejected = 0
  first_request_at = 0
  last_paid_at = 0
end

function delay()
  if next_order > #orders then
    return 500
  end
  return 0
end

function request()
  local order = orders[next_order]
  if order == nil then
    return wrk.format("GET", "/api/health")
  end
  next_order = next_order + 1
  if first_request_at == 0 then
    first_request_at = now_seconds()
  end
  return wrk.format("POST", "/api/orders/" .. order.id .. "/payments/test",
    { ["X-Order-Token"] = order.token }, nil)
end

function response(status, headers, body)
  if body == '{"status":"ok"}' then
    return
  end
  if status == 200 then
    paid = paid + 1
    last_paid_at = now_seconds()
    return
  end
  rejected = rejected + 1
  if rejected <= 3 then
    io.stderr:write("pay: unexpected response ", status, ": ", body, "\n")
  end
end

function done(summary, latency, requests)
  local paid_total, rejected_total, orders_total = 0, 0, 0
  local first, last = math.huge, 0
  for _, thread in ipairs(threads) do
    paid_total = paid_total + thread:get("paid")
    rejected_total = rejected_total + thread:get("rejected")
    orders_total = orders_total + thread:get("order_count")
    local started = thread:get("first_request_at")
    if started > 0 and started < first then
      first = started
    end
    last = math.max(last, thread:get("last_paid_at"))
  end
  local seconds = last - first
  if paid_total == 0 or seconds <= 0 then
    io.write("orders paid: none\n")
    return
  end
  io.write(string.format("orders paid: %d of %d in %.1f s = %.1f orders/s (other responses: %d)\n",
    paid_total, orders_total, seconds, paid_total / seconds, rejected_total))
  -- wrk's latency histogram also contains the GET /api/health requests sent
  -- after a thread ran out of orders, so these percentiles are approximate.
  io.write(string.format("pay latency ms (approximate): p50 %.2f  p99 %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
