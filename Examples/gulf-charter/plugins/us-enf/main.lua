-- US-ENF: the sending enforcement agency's workflow for a charter return.
local manifest = require "manifest"

-- Intake: every case opened starts its notice period and asks the destination for a
-- travel document; an unaccompanied minor also needs reception verified at home.
on("case.opened", function(ev, ctx)
  local case = ev.case
  if case.track == "removal" then
    case:serve_notice{ charter = true }
    if case.order_final then case:clear() end
  end
  case:request_document{ kind = "laissez-passer", issuer = "IR-MFA" }
  ctx:send_notice{ to = "IR-MFA/consular", template = "identity-request", case = case, due = ctx.now + days(5) }
  local v = case.vulnerabilities
  if manifest.has(v, "minor") and manifest.has(v, "unaccompanied") then
    ctx:send_notice{ to = "IR-RECEPTION/child-protection", template = "minor-reception-request",
                     case = case, due = ctx.now + days(3) }
  end
end)

-- Voluntary returns are cleared once the person has signed.
on("consent.recorded", function(ev, ctx)
  local case = ev.case
  if case.track == "voluntary" and case.progress == "identified" then case:clear() end
end)

-- Counselling day: consent to return is taken, with an interpreter, from each volunteer.
on("counselling.completed", function(ev, ctx)
  for _, case in ipairs(model.cases{ track = "voluntary", state = "identified" }) do
    case:record_consent{ scope = "return", interpreter = ev.interpreter }
  end
end)

-- Medical screening: everyone documented is assessed; conditions stay with health roles.
on("medical.screening", function(ev, ctx)
  for _, case in ipairs(model.cases{ state = "documented" }) do
    case:assess_fitness{ assessor = ev.assessor, fit = true, expires = time(ev.expires),
                         medical_escort = manifest.has(case.vulnerabilities, "medical") }
  end
end)

-- A suspensive appeal or protection claim takes the person off the manifest at once.
on("hold.raised", function(ev, ctx)
  if ev.kind ~= "appeal-pending" and ev.kind ~= "protection-claim" then return end
  local case = ev.case
  if case.movement then case:strike(ev.kind .. " filed") end
  ctx:send_notice{ to = "US-ENF/legal", template = "hold-notice", case = case, data = { kind = ev.kind } }
end)

on("consent.withdrawn", function(ev, ctx)
  ctx:send_notice{ to = "IR-MFA/consular", template = "passenger-withdrawn", case = ev.case }
end)

on("notice.overdue", function(ev, ctx)
  if ev.from ~= ctx.agency then return end
  ctx:log("notice " .. ev.notice .. " to " .. ev.to .. " is overdue; sending a reminder")
  ctx:send_notice{ to = ev.to, template = "reminder", data = { notice = ev.notice }, due = ctx.now + days(2) }
end)

-- The reception organisation's answer about a minor: kept in the run's log for the case file.
on("notice.replied", function(ev, ctx)
  local n, reply = ev.notice, ev.notice.reply
  if n.template ~= "minor-reception-request" then return end
  ctx:log(("%s: family traced %s on %s%s"):format(n.cases[1].ref, reply.family_traced and "yes" or "no", reply.traced_on,
    reply.note and (" (" .. reply.note .. ")") or ""))
end)

-- Building the manifest: everyone fit and free of holds gets a seat. The first build asks
-- Doha for transit in time (at least two days before the flight).
on("manifest.build", function(ev, ctx)
  local movement = ev.movement
  local seated = manifest.seat_everyone_ready(movement)
  ctx:log(("manifest %s: %d seated, %d of %d seats taken"):format(movement.ref, seated, movement.booked, movement.capacity))
  if ev.transit == "request" then
    ctx:send_notice{ to = "QA-TRANSIT", template = "transit-request", cases = movement:cases(),
                     due = ctx.now + days(2), data = { movement = movement.ref, leg = 1 } }
  end
end)

-- The last check before the flight: an expired fit-to-fly strikes the person from the list.
on("manifest.final-check", function(ev, ctx)
  local escorts = {}
  for _, case in ipairs(ev.movement:cases()) do
    if case.fit_to_fly ~= "valid" then
      case:strike("fit-to-fly " .. case.fit_to_fly .. " at the final check")
    elseif case.medical_escort then
      escorts[#escorts + 1] = case
    end
  end
  if #escorts > 0 then
    ctx:send_notice{ to = "IR-RECEPTION/medical", template = "medical-needs", cases = escorts, due = time("2026-12-15T05:00:00Z") }
  end
end)

on("leg.departing", function(ev, ctx)
  if ev.leg ~= 1 then return end
  local boarded = manifest.board(ev.movement, ctx)
  for _, to in ipairs{ "IR-MFA", "IR-RECEPTION", "QA-TRANSIT" } do
    ctx:send_notice{ to = to, template = "departure", cases = boarded, data = { movement = ev.movement.ref } }
  end
end)

-- Landing: in Doha, custody passes to the transit authority for the stopover; in Tehran, to
-- the ministry, with the medical handover papers when anyone needs an escort.
on("leg.landed", function(ev, ctx)
  local aboard = manifest.in_custody(ev.movement, ctx.agency)
  if #aboard == 0 then return end
  if ev.leg == 1 then
    for _, case in ipairs(aboard) do case:arrive_in_transit() end
    model.propose_handoff{ cases = aboard, to = "QA-TRANSIT", place = "DOH", monitor = true,
                           documents = { "passenger list" } }
  else
    local documents = { "passenger list", "travel documents" }
    if manifest.any(aboard, function(c) return c.medical_escort end) then documents[#documents + 1] = "medical-handover" end
    model.propose_handoff{ cases = aboard, to = "IR-MFA", place = "IKA", monitor = true, documents = documents }
  end
end)

-- Re-boarding in Doha: take custody back from the transit authority.
on("handoff.proposed", function(ev, ctx)
  local h = ev.handoff
  if h.to == ctx.agency and h.place == "DOH" then h:accept() end
end, { fail = "closed" })

-- Notices from other agencies are acknowledged (its own, to its legal desk, stay open).
on("notice.received", function(ev, ctx)
  if ev.notice.from ~= ctx.agency then ctx:acknowledge(ev.notice) end
end)
