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

-- Boards everyone scheduled on the movement; the model checks every hold again.
function M.board(movement)
  local boarded = {}
  for _, case in ipairs(movement:cases("scheduled")) do
    case:depart()
    boarded[#boarded + 1] = case
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
