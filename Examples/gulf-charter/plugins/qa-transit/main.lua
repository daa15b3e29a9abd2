-- QA-TRANSIT: transit for removal by air (request at least 2 days ahead, answer within 2
-- days, transit under 24 hours). It sees identity and travel documents, nothing else.

-- A transit request is answered at once: authorised when every passenger holds a valid
-- travel document, refused otherwise.
on("notice.received", function(ev, ctx)
  local notice = ev.notice
  if notice.template ~= "transit-request" then return end
  ctx:acknowledge(notice)
  local movement = model.movement("M-1")
  for _, case in ipairs(notice.cases) do
    if not case:has_document() then
      return movement:refuse_transit(1, "no valid travel document for case " .. case.ref)
    end
  end
  movement:authorise_transit(1)
end)

-- Custody for the stopover: accepted only for people with valid travel documents.
on("handoff.proposed", function(ev, ctx)
  local h = ev.handoff
  if h.to ~= ctx.agency then return end
  for _, case in ipairs(h:cases()) do
    if not case:has_document() then return h:refuse("case " .. case.ref .. " has no valid travel document") end
  end
  h:accept()
end, { fail = "closed" })

-- Re-boarding for the onward leg: custody goes back to the escorts.
on("leg.departing", function(ev, ctx)
  if ev.leg ~= 2 then return end
  local held = {}
  for _, case in ipairs(model.cases{ state = "in-transit" }) do
    if case.custody == ctx.agency then held[#held + 1] = case end
  end
  if #held > 0 then
    model.propose_handoff{ cases = held, to = "US-ENF", place = "DOH", monitor = true }
  end
end)

on("notice.received", function(ev, ctx)
  if ev.notice.template == "departure" then ctx:acknowledge(ev.notice) end
end)
