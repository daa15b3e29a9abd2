-- A small module, loaded with require "lib.notice" from the folder of the script that runs.

---@class Notice
---@field to string
---@field template string
---@field due_hours integer

local notice = {}

---Builds a notice record; the host, not the script, decides when it is sent.
---@param to string
---@param template string
---@param due_hours integer
---@return Notice
function notice.new(to, template, due_hours)
  assert(type(to) == "string" and to ~= "", "a notice needs a recipient")
  return { to = to, template = template, due_hours = due_hours }
end

---@param n Notice
---@return string
function notice.describe(n)
  return string.format("%-22s %-20s due in %3d h", n.to, n.template, n.due_hours)
end

return notice
