-- MONITOR: counts what it observes and reports when the operation closes. The counts are kept
-- in the plugin's state, so a stopped run that is resumed reports the same.
local function observed(ctx)
  return ctx:recall("observed") or { handoffs = 0, people = 0, refused = 0 }
end

on("handoff.completed", function(ev, ctx)
  local h = ev.handoff
  local people = #h:cases()
  local o = observed(ctx)
  o.handoffs = o.handoffs + 1
  o.people = o.people + people
  ctx:remember("observed", o)
  ctx:log(("handover %s at %s observed: %d people"):format(h.ref, h.place, people))
end)

on("handoff.refused", function(ev, ctx)
  local o = observed(ctx)
  o.refused = o.refused + 1
  ctx:remember("observed", o)
end)

-- Notices to the monitor's main desk are acknowledged; its own report to MONITOR/oversight
-- stays open for the oversight body.
on("notice.received", function(ev, ctx)
  if ev.notice.to == ctx.agency then ctx:acknowledge(ev.notice) end
end)

on("operation.closing", function(ev, ctx)
  ctx:send_notice{ to = "MONITOR/oversight", template = "monitoring-report", due = ctx.now + days(30),
                   data = observed(ctx) }
end)
