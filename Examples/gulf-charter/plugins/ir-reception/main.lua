-- IR-RECEPTION: verifies family for unaccompanied minors, meets arrivals, records reception.

-- Requests for reception waiting for their family tracing, by case. A plugin's own state: it
-- lives as long as the plugin is loaded, and no other plugin can reach it.
local pending_requests = {}

-- Family tracing done: reception is verified and the request answered.
on("reception.family-traced", function(ev, ctx)
  ev.case:verify_reception()
  for _, n in ipairs(pending_requests[ev.case.ref] or {}) do ctx:acknowledge(n) end
  pending_requests[ev.case.ref] = nil
end)

on("notice.received", function(ev, ctx)
  local notice = ev.notice
  if notice.template == "minor-reception-request" then
    -- answered once the family is traced
    local ref = notice.cases[1].ref
    pending_requests[ref] = pending_requests[ref] or {}
    table.insert(pending_requests[ref], notice.ref)
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
