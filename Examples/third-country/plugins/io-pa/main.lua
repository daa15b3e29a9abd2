-- IO-PA: meets arrivals after the migration service takes custody, and opens an onward case
-- (assisted voluntary return) for each person who chooses to go home.

on("notice.received", function(ev, ctx)
  ctx:acknowledge(ev.notice)
end)

on("handoff.completed", function(ev, ctx)
  local h = ev.handoff
  if h.to ~= "PA-MIGRATION" then return end
  for _, case in ipairs(h:cases()) do case:receive() end
  ctx:log(("%d people received at %s"):format(#h:cases(), h.place))
end)

-- Counselling: the person chooses to return home; the onward case starts with their consent.
on("io.counselling", function(ev, ctx)
  if ev.choice ~= "return" then return end
  local case = ev.case
  local home = case.nationalities[1]
  local onward = "O-" .. case.ref
  case:open_onward{ ref = onward, destination = home }
  model.case(onward):record_consent{ scope = "return", interpreter = ev.interpreter }
  ctx:send_notice{ to = "US-ENF/removals", template = "onward-case", case = case, data = { onward = onward, home = home } }
end)
