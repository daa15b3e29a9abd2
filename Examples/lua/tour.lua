-- A tour of the sandbox every agency plugin runs in. Try it with:
--   liaison lua Examples/lua/tour.lua
-- The people below are fictional.

local notice = require "lib.notice"          -- modules come only from this folder

local manifest = {
  { ref = "R-0001", name = "Dara Example",   track = "voluntary", appeal = false },
  { ref = "R-0002", name = "Sam Placeholder", track = "removal",  appeal = true  },
  { ref = "R-0003", name = "Ali Fictional",  track = "removal",   appeal = false },
}

print("Manifest, with anyone who has a pending appeal held back:")
local cleared = {}
for _, person in ipairs(manifest) do
  local status = person.appeal and "held: appeal pending" or "cleared"
  print(string.format("  %s  %-16s %-10s %s", person.ref, person.name, person.track, status))
  if not person.appeal then cleared[#cleared + 1] = person end
end

print("\nNotices the sending agency would queue:")
local notices = {
  notice.new("IR-MFA/consular", "identity-request", 120),
  notice.new("QA-TRANSIT/duty", "transit-request", 48),
}
for _, n in ipairs(notices) do print("  " .. notice.describe(n)) end

print("\nWhat the sandbox refuses, each with a clear error:")
local attempts = {
  { "open a file",          function() return io.open("/etc/passwd") end },  -- luacheck: ignore 113
  { "run a shell command",  function() return os.execute("true") end },  -- luacheck: ignore 143
  { "load bytecode",        function() return assert(load("\27Lua")) end },
  { "change a library",     function() string.upper = nil end },  -- luacheck: ignore 122
  { "install a finaliser",  function() return setmetatable({}, { __gc = print }) end },
  { "leave the folder",     function() return require "..secrets" end },
}
for _, attempt in ipairs(attempts) do
  local ok, err = pcall(attempt[2])
  print(string.format("  %-20s -> %s", attempt[1], ok and "allowed?!" or tostring(err)))
end

print(string.format("\n%d of %d people cleared; %d notices queued.", #cleared, #manifest, #notices))
