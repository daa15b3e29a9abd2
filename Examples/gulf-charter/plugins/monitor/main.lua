-- MONITOR: counts what it observes and reports when the operation closes.
local observed = { handoffs = 0, people = 0, refused = 0, vetoes = 0 }

on("handoff.completed", function(ev, ctx)
  local h = ev.handoff
  local people = #h:cases()
  observed.handoffs = observed.handoffs + 1
  observed.people = observed.people + people
  ctx:log(("handover %s at %s observed: %d people"):format(h.ref, h.place, people))
end)

on("handoff.refused", function(ev, ctx) observed.refused = observed.refused + 1 end)

-- Notices to the monitor's main desk are acknowledged; its own report to MONITOR/oversight
-- stays open for the oversight body.
on("notice.received", function(ev, ctx)
  if ev.notice.to == ctx.agency then ctx:acknowledge(ev.notice) end
end)

on("operation.closing", function(ev, ctx)
  ctx:send_notice{ to = "MONITOR/oversight", template = "monitoring-report", due = ctx.now + days(30),
                   data = { handoffs = observed.handoffs, people = observed.people, refused = observed.refused } }
end)
