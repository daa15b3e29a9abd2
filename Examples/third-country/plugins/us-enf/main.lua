-- US-ENF, third-country arrangement: each person is served a notice naming the third
-- country (its period must run before travel), and the third country is asked to admit them.

on("case.opened", function(ev, ctx)
  local case = ev.case
  if case.owner ~= ctx.agency then return end  -- onward cases belong to the organisation that opened them
  case:serve_notice{ charter = true }
  if case.order_final then case:clear() end
  case:request_document{ kind = "emergency-travel-document", issuer = "PA-MIGRATION" }
  ctx:send_notice{ to = "PA-MIGRATION/admissions", template = "admission-request", case = case, due = ctx.now + days(7) }
end)

on("medical.screening", function(ev, ctx)
  for _, case in ipairs(model.cases{ state = "documented" }) do
    case:assess_fitness{ assessor = ev.assessor, fit = true, expires = time(ev.expires) }
  end
end)

-- A protection claim against the third country keeps the person here until it is decided.
on("hold.raised", function(ev, ctx)
  if ev.kind ~= "protection-claim" then return end
  if ev.case.movement then ev.case:strike("protection claim against the third country") end
end)

on("manifest.build", function(ev, ctx)
  local seated = 0
  for _, case in ipairs(model.cases{ state = "fit" }) do
    if not case.on_hold then
      case:schedule{ movement = ev.movement.ref }
      seated = seated + 1
    end
  end
  ctx:log(("%d seated on %s"):format(seated, ev.movement.ref))
  ctx:send_notice{ to = "IO-PA/reception", template = "arrival-notice", cases = ev.movement:cases(), due = ctx.now + days(2) }
end)

on("leg.departing", function(ev, ctx)
  for _, case in ipairs(ev.movement:cases("scheduled")) do case:depart() end
end)

on("leg.landed", function(ev, ctx)
  local aboard = model.cases{ state = "departed" }
  if #aboard > 0 then
    model.propose_handoff{ cases = aboard, to = "PA-MIGRATION", place = "PTY", monitor = true, documents = { "passenger list" } }
  end
end)

on("notice.received", function(ev, ctx)
  if ev.notice.from ~= ctx.agency then ctx:acknowledge(ev.notice) end
end)
