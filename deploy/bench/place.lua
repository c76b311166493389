-- wrk script: places orders with POST /api/orders.
--
-- Arguments after "--": the package id to order and a file prefix. Each wrk
-- thread writes "<order id> <access token>" lines to <prefix>.<thread
-- number>, which pay.lua reads. done() prints the orders placed per second
-- and the latency percentiles of placing an order.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  package_id = args[1]
  orders_file = io.open(args[2] .. "." .. thread_number, "w")
  -- Line buffering, because wrk may exit without closing a thread's Lua
  -- state, and a full buffer would then lose the last orders.
  orders_file:setvbuf("line")
  sequence = 0
  placed = 0
  rejected = 0
end

function request()
  sequence = sequence + 1
  local body = string.format('{"package_id":"%s","email":"bench-%d-%d@example.test"}',
    package_id, thread_number, sequence)
  return wrk.format("POST", "/api/orders", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 201 then
    local id = body:match('"id"%s*:%s*"([^"]+)"')
    local token = body:match('"access_token"%s*:%s*"([^"]+)"')
    if id and token then
      orders_file:write(id, " ", token, "\n")
      placed = placed + 1
      return
    end
  end
  rejected = rejected + 1
  if rejected <= 3 then
    io.stderr:write("place: unexpected response ", status, ": ", body, "\n")
  end
end

function done(summary, latency, requests)
  local placed_total, rejected_total = 0, 0
  for _, thread in ipairs(threads) do
    placed_total = placed_total + thread:get("placed")
    rejected_total = rejected_total + thread:get("rejected")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("orders placed: %d in %.1f s = %.1f orders/s (other responses: %d)\n",
    placed_total, seconds, placed_total / seconds, rejected_total))
  io.write(string.format("place latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
