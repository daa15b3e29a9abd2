-- Helpers for building and boarding a movement's manifest.
local M = {}

function M.has(list, value)
  for _, v in ipairs(list or {}) do if v == value then return true end end
  return false
end

function M.any(list, predicate)
  for _, v in ipairs(list) do if predicate(v) then return true end end
  return false
end

-- Seats every case that is fit and has no hold; returns how many were seated.
function M.seat_everyone_ready(movement)
  local seated = 0
  for _, case in ipairs(model.cases{ state = "fit" }) do
    if not case.on_hold and movement.booked < movement.capacity then
      case:schedule{ movement = movement.ref, escorted = case.track == "removal" }
      seated = seated + 1
    end
  end
  return seated
end

-- Boards everyone scheduled on the movement. The model checks every hold again at the door:
-- one person refused there stays behind, and the others still board.
function M.board(movement, ctx)
  local boarded = {}
  for _, case in ipairs(movement:cases("scheduled")) do
    local ok, err = pcall(case.depart, case)
    if ok then boarded[#boarded + 1] = case else ctx:log("not boarded: " .. tostring(err)) end
  end
  return boarded
end

-- The cases on the movement now in this agency's custody, still on their way.
function M.in_custody(movement, agency)
  local out = {}
  for _, case in ipairs(model.cases{}) do
    if case.custody == agency and (case.progress == "departed" or case.progress == "in-transit") then
      out[#out + 1] = case
    end
  end
  return out
end

return M
