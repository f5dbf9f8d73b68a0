-- wrk's side of bench/webhook.py: signed WeChat messages, each with a MsgId never sent before.
--
--   WRK_MODE=mix  wrk -t2 -c32 -d15s -s bench/webhook.lua URL -- FILE mix BASE
--   WRK_MODE=once wrk -t1 -c1000 -d120s -s bench/webhook.lua URL -- FILE once BASE DONE
--
-- FILE holds one request a line: `path<TAB>body before the MsgId<TAB>body after it`
-- (the path carries a valid signature: in plain mode it covers the token, timestamp and
-- nonce, not the body). Each request gets MsgId = BASE + thread * 10^9 + its number, so
-- no copy is ever a retry.
--
-- `mix` cycles through the lines for the whole run; wrk's own statistics are the result.
--
-- `once` sends each line exactly once (one wrk thread), for the sign-up bursts. A sync
-- gunicorn worker closes every connection, and wrk always opens a new one; one left
-- idle would hold a worker until gunicorn's timeout, so a connection whose work is done
-- asks for /healthz instead. Those requests queue behind the real ones (the listen
-- queue is first come, first served) and are left out of the result: the script times
-- each sign-up itself, from its request to the reply addressed to its sender (every
-- line comes from a different resident), and once every reply is in it writes the
-- latencies (ms, one a line, after a line of counts) to DONE; bench/webhook.py then
-- ends the run.
--
-- wrk decides at load time whether the script reads replies, so the mode is also given
-- as WRK_MODE in the environment: a `mix` run reads no bodies (no work on wrk's side
-- that the bare baseline would not also get).

local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long sec; long nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *ts);
]])
local clock = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.sec) * 1000 + tonumber(clock.nsec) / 1e6
end

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

local items, sent = {}, 0
local mode, base, done_path
local started, latencies = {}, {}
-- Globals, so that done() can read them from each thread (thread:get).
replies, confirmed, waitlisted, others = 0, 0, 0, 0

function init(args)
  mode, base, done_path = args[2], tonumber(args[3]), args[4]
  for line in io.lines(args[1]) do
    local path, before, after = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)$")
    local sender = before:match("<FromUserName>(.-)</FromUserName>")
    table.insert(items, { path = path, before = before, after = after, sender = sender })
  end
  wrk.headers["Content-Type"] = "text/xml"
end

local verified = false

function request()
  -- wrk calls request() once before the run to check what it returns; in `once` mode that
  -- call must not use up a line (it would never be sent).
  if mode == "once" and (sent >= #items or not verified) then
    verified = true
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  local item = items[(sent - 1) % #items + 1]
  if mode == "once" then
    started[item.sender] = now_ms()
  end
  local id = string.format("%d", base + index * 1000000000 + sent)
  return wrk.format("POST", item.path, nil, item.before .. id .. item.after)
end

local function read_reply(status, headers, body)
  local to = body:match("<ToUserName><!%[CDATA%[(.-)%]%]></ToUserName>")
  local sent_at = to and started[to]
  if not sent_at then
    return -- a /healthz of a connection whose work was done
  end
  started[to] = nil
  table.insert(latencies, now_ms() - sent_at)
  replies = replies + 1
  if body:find("报名成功", 1, true) then
    confirmed = confirmed + 1
  elseif body:find("候补第", 1, true) then
    waitlisted = waitlisted + 1
  else
    others = others + 1
  end
  if replies == #items then
    local out = io.open(done_path, "w")
    out:write(string.format("%d %d %d %d\n", replies, confirmed, waitlisted, others))
    for _, ms in ipairs(latencies) do
      out:write(string.format("%.3f\n", ms))
    end
    out:close()
  end
end

if os.getenv("WRK_MODE") == "once" then
  response = read_reply
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK-JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
