-- IR-RECEPTION: verifies family for unaccompanied minors, meets arrivals, records reception.

-- Requests for reception waiting for their family tracing, by case, are kept in the plugin's
-- state (ctx:remember): no other agency can read them, and they survive a reload of the
-- plugin or a stopped run that is resumed.

-- Family tracing done: reception is verified and the request answered with what it asks
-- (US-ENF's plugin.toml declares it under [replies.minor-reception-request]).
on("reception.family-traced", function(ev, ctx)
  ev.case:verify_reception()
  local key = "pending " .. ev.case.ref
  for _, n in ipairs(ctx:recall(key) or {}) do
    ctx:reply(n, { family_traced = true, traced_on = os.date("!%Y-%m-%d", ctx.now), note = ev.note })
  end
  ctx:remember(key, nil)
end)

on("notice.received", function(ev, ctx)
  local notice = ev.notice
  if notice.template == "minor-reception-request" then
    -- answered once the family is traced
    local key = "pending " .. notice.cases[1].ref
    local pending = ctx:recall(key) or {}
    pending[#pending + 1] = notice.ref
    ctx:remember(key, pending)
  else
    ctx:acknowledge(notice)
  end
end)

-- On arrival: each person handed to the ministry is met and received.
on("handoff.completed", function(ev, ctx)
  local h = ev.handoff
  if h.to ~= "IR-MFA" then return end
  local received = {}
  for _, case in ipairs(h:cases()) do
    case:receive()
    received[#received + 1] = case
  end
  ctx:send_notice{ to = "US-ENF/removals", template = "reception-record", cases = received, data = { place = h.place } }
  ctx:send_notice{ to = "MONITOR", template = "reception-record", cases = received, data = { place = h.place } }
end)
