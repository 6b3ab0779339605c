-- wrk script for bench/emergency: POSTs check-ins, each with a fresh client UUID, to the path given on the
-- command line; one request in twenty resends the thread's previous body (a phone that lost the answer).
-- wrk ... -s checkin.lua URL -- PEOPLE_FILE INCIDENT TOKEN THREADS
-- PEOPLE_FILE holds one person id a line; thread k takes lines k, k+THREADS, k+2*THREADS, … so no person is sent
-- twice (the real endpoint accepts one check-in a person a day). Prints one line "WRK_RESULT {json}" at the end.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  people = {}
  for line in io.lines(args[1]) do
    people[#people + 1] = line
  end
  incident = args[2]
  nthreads = tonumber(args[4])
  cursor = 0
  sent = 0
  last = nil
  counts = {}
  temps = { "36.3", "36.5", "36.8", "37.0", "36.6" }
  math.randomseed(os.time() + tid * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Token " .. args[3]
end

local function hex4()
  return string.format("%04x", math.random(0, 0xffff))
end

local function uuid4()
  return hex4() .. hex4() .. "-" .. hex4() .. "-4" .. string.format("%03x", math.random(0, 0xfff)) .. "-"
    .. string.format("%04x", math.random(0x8000, 0xbfff)) .. "-" .. hex4() .. hex4() .. hex4()
end

function request()
  sent = sent + 1
  local body
  if last ~= nil and sent % 20 == 0 then
    body = last
  else
    local person = people[(tid - 1) + cursor * nthreads + 1]
    cursor = cursor + 1
    if person == nil then
      person = "0" -- ran out of people: an unknown person, answered 400 and counted as such
    end
    body = string.format('{"client_uuid":"%s","incident":%s,"person":%s,"temperature":"%s"}', uuid4(), incident,
      person, temps[math.random(1, #temps)])
    last = body
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do
      totals[k] = (totals[k] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(totals) do
    parts[#parts + 1] = string.format('"%d":%d', k, v)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"socket_errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
