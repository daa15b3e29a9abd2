-- PA-MIGRATION: admits adults under the arrangement. It sees identity and travel documents
-- only, so it judges age from the date of birth, as its officers do.

local function age(date_of_birth, now)
  local y, m, d = date_of_birth:match("(%d+)-(%d+)-(%d+)")
  local ny, nm, nd = iso(now):match("(%d+)-(%d+)-(%d+)")
  local years = tonumber(ny) - tonumber(y)
  if tonumber(nm) * 100 + tonumber(nd) < tonumber(m) * 100 + tonumber(d) then years = years - 1 end
  return years
end

local requests = {}

on("notice.received", function(ev, ctx)
  if ev.notice.template == "admission-request" then
    requests[#requests + 1] = ev.notice
  end
end)

-- Admission review: each request is answered; children are not admitted under this arrangement.
on("admission.review", function(ev, ctx)
  for _, notice in ipairs(requests) do
    local case = notice.cases[1]
    if age(case.date_of_birth, ctx.now) < 18 then
      case:refuse_document("children are not admitted under the arrangement")
    else
      case:issue_document{ kind = "emergency-travel-document", number = "ETD-" .. case.ref, valid_until = ctx.now + days(60) }
    end
    ctx:acknowledge(notice)
  end
  requests = {}
end)

on("handoff.proposed", function(ev, ctx)
  local h = ev.handoff
  if h.to ~= ctx.agency then return end
  if not h.monitor_present then return h:refuse("the arrangement requires the monitor at every handover") end
  h:accept()
end, { fail = "closed" })
