-- PA-MIGRATION: admits adults under the arrangement. It sees identity and travel documents
-- only, so it judges age from the date of birth, as its officers do.

local function age(date_of_birth, now)
  local y, m, d = date_of_birth:match("(%d+)-(%d+)-(%d+)")
  local ny, nm, nd = iso(now):match("(%d+)-(%d+)-(%d+)")
  local years = tonumber(ny) - tonumber(y)
  if tonumber(nm) * 100 + tonumber(nd) < tonumber(m) * 100 + tonumber(d) then years = years - 1 end
  return years
end

-- Requests waiting for the admission review, kept in the plugin's state: they survive a
-- reload of the plugin and a stopped run that is resumed.
on("notice.received", function(ev, ctx)
  if ev.notice.template == "admission-request" then
    local requests = ctx:recall("requests") or {}
    requests[#requests + 1] = { notice = ev.notice.ref, case = ev.notice.cases[1].ref }
    ctx:remember("requests", requests)
  end
end)

-- Admission review: each request is answered; children are not admitted under this arrangement.
on("admission.review", function(ev, ctx)
  for _, request in ipairs(ctx:recall("requests") or {}) do
    local case = model.case(request.case)
    if age(case.date_of_birth, ctx.now) < 18 then
      case:refuse_document("children are not admitted under the arrangement")
    else
      case:issue_document{ kind = "emergency-travel-document", number = "ETD-" .. case.ref, valid_until = ctx.now + days(60) }
    end
    ctx:acknowledge(request.notice)
  end
  ctx:remember("requests", nil)
end)

on("handoff.proposed", function(ev, ctx)
  local h = ev.handoff
  if h.to ~= ctx.agency then return end
  if not h.monitor_present then return h:refuse("the arrangement requires the monitor at every handover") end
  h:accept()
end, { fail = "closed" })
