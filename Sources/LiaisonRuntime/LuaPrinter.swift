/// How the console and the test harness show Lua values: strings quoted, tables depth-limited
/// and cycle-safe with sorted keys, model objects by their one-line summary
/// (`<case R-0042 scheduled, 1 hold>`), times (integers from 2000 to 2100, which is what
/// seconds since 1970 look like) with their ISO 8601 reading as a comment
/// (`1796112000 --[[2026-12-01T08:00:00Z]]`), and colours only when asked (on a terminal).
///
/// The chunk returns `show(value, colour)`.
public enum LuaPrinter {
    public static let source = #"""
local function paint(text, code, colour)
  if colour then return "\27[" .. code .. "m" .. text .. "\27[0m" end
  return text
end

local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta == tb and (ta == "number" or ta == "string") then return a < b end
  if ta ~= tb then return ta < tb end
  return tostring(a) < tostring(b)
end

local function show(v, colour, depth, seen)
  depth, seen = depth or 0, seen or {}
  local t = type(v)
  if t == "string" then return paint(string.format("%q", v), "32", colour) end
  if t == "number" then
    -- Times are seconds since 1970: an integer between 2000 and 2100 is shown with its
    -- ISO 8601 reading as a comment, so the text stays a Lua value.
    if math.type(v) == "integer" and v >= 946684800 and v < 4102444800 and os and os.date then
      return paint(tostring(v), "36", colour) .. paint(" --[[" .. os.date("!%Y-%m-%dT%H:%M:%SZ", v) .. "]]", "2", colour)
    end
    return paint(tostring(v), "36", colour)
  end
  if t == "boolean" or t == "nil" then return paint(tostring(v), "35", colour) end
  if t ~= "table" then return paint(tostring(v), "33", colour) end
  if seen[v] then return "<cycle>" end
  if depth >= 3 then return "{...}" end
  seen[v] = true
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, key_order)
  local parts, n = {}, #v
  for _, k in ipairs(keys) do
    local item = show(v[k], colour, depth + 1, seen)
    if math.type(k) == "integer" and k >= 1 and k <= n then
      parts[#parts + 1] = item
    elseif type(k) == "string" and k:match("^[%a_][%w_]*$") then
      parts[#parts + 1] = k .. " = " .. item
    else
      parts[#parts + 1] = "[" .. show(k, colour, depth + 1, seen) .. "] = " .. item
    end
    if #parts >= 20 then parts[#parts + 1] = "..." break end
  end
  seen[v] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end

return show
"""#
}
