-- IR-MFA: the consular department issues laissez-passers and receives its nationals.

-- Every notice to the ministry is acknowledged (notice.received: only notices to IR-MFA).
on("notice.received", function(ev, ctx)
  ctx:acknowledge(ev.notice)
end)

-- Issuing day: every requested laissez-passer is issued, valid for 90 days.
on("consulate.issuing", function(ev, ctx)
  for _, case in ipairs(model.cases{}) do
    if case.document == "laissez-passer requested" and case.destination == "IR" then
      case:issue_document{ kind = "laissez-passer", number = "LP-" .. case.ref, valid_until = ctx.now + days(90) }
    end
  end
end)

-- Custody on arrival: anyone who needs a medical escort comes with the medical handover
-- papers, or the handoff is vetoed.
on("handoff.proposed", function(ev, ctx)
  local h = ev.handoff
  if h.to ~= ctx.agency then return end
  local papers = false
  for _, d in ipairs(h.documents) do papers = papers or d == "medical-handover" end
  for _, case in ipairs(h:cases()) do
    if case.medical_escort and not papers then
      return ctx:veto("medical escort required for " .. case.ref .. ": add the medical-handover papers")
    end
  end
  h:accept()
end, { fail = "closed" })

on("handoff.completed", function(ev, ctx)
  local h = ev.handoff
  if h.to ~= ctx.agency then return end
  ctx:send_notice{ to = "IR-RECEPTION/arrivals", template = "arrivals", cases = h:cases(), due = ctx.now + hours(2),
                   data = { place = h.place } }
end)
