/// The Lua side of `liaison test`: busted's vocabulary (`describe`, `it`, `pending`,
/// `before_each`, `after_each`, `#tags` in names) and `expect(x):to_...` assertions with a deep
/// comparison that names the first difference. It runs in each test file's sandboxed state; the
/// Swift side (`TestRunner`) collects the tests, then runs each in a fresh state.
///
/// It receives `LuaPrinter`'s `show` (shared with the console) and two Swift functions: `fail(message)`, which records an assertion failure at the
/// test's line and stops the test, and `where()`, which names that line (the first one on the
/// stack outside this prelude).
enum TestPrelude {
    static let source = #"""
local fail, where, show_value = ...

local tests = {}
local scope = { names = {}, tags = {}, before = {}, after = {} }

local function tags_in(name, into)
  for tag in name:gmatch("#([%w_%-]+)") do into[#into + 1] = tag end
end

local function copy(list) local out = {} for i, v in ipairs(list) do out[i] = v end return out end

function describe(name, body)
  local outer = scope
  scope = { names = copy(outer.names), tags = copy(outer.tags), before = copy(outer.before), after = copy(outer.after) }
  scope.names[#scope.names + 1] = name
  tags_in(name, scope.tags)
  body()
  scope = outer
end

local function register(name, body, is_pending)
  local names = copy(scope.names)
  names[#names + 1] = name
  local tags = copy(scope.tags)
  tags_in(name, tags)
  tests[#tests + 1] = { name = table.concat(names, " "), body = body, before = copy(scope.before),
                        after = copy(scope.after), tags = tags, where = where(), pending = is_pending }
end

function it(name, body) register(name, body, body == nil) end
function pending(name) register(name, nil, true) end
function before_each(fn) scope.before[#scope.before + 1] = fn end
function after_each(fn) table.insert(scope.after, 1, fn) end

-- What the runner reads: the tests, without their functions.
function __liaison_tests()
  local out = {}
  for i, t in ipairs(tests) do
    out[i] = { name = t.name, tags = t.tags, where = t.where, pending = t.pending or false }
  end
  return out
end

-- Runs test i: its before_each hooks, its body, then its after_each hooks whatever happened.
function __liaison_run(i)
  local t = tests[i]
  local ok, err = pcall(function()
    for _, fn in ipairs(t.before) do fn() end
    t.body()
  end)
  for _, fn in ipairs(t.after) do fn() end
  if not ok then error(err, 0) end
end

local function show(v) return show_value(v, false) end

-- The first difference between two values, as a path and the two sides; nil when equal.
local function difference(a, b, path, seen)
  if a == b then return nil end
  if type(a) ~= "table" or type(b) ~= "table" then return path, a, b end
  seen = seen or {}
  if seen[a] == b then return nil end
  seen[a] = b
  local keys = {}
  for k in pairs(a) do keys[#keys + 1] = k end
  for k in pairs(b) do if a[k] == nil then keys[#keys + 1] = k end end
  table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
  for _, k in ipairs(keys) do
    local sub = type(k) == "string" and k:match("^[%a_][%w_]*$") and (path .. "." .. k) or (path .. "[" .. show(k) .. "]")
    local p, x, y = difference(a[k], b[k], sub, seen)
    if p then return p, x, y end
  end
  return nil
end

local Expect = {}
Expect.__index = Expect

function expect(actual) return setmetatable({ actual = actual }, Expect) end

local function check(ok, message) if not ok then fail(message) end end

function Expect:to_equal(expected)
  local path, got, want = difference(self.actual, expected, "")
  if path == nil then return end
  if path == "" then
    fail("expected " .. show(expected) .. ", got " .. show(self.actual))
  else
    fail("expected " .. show(expected) .. ", got " .. show(self.actual) .. "\n    first difference at " .. path ..
         ": expected " .. show(want) .. ", got " .. show(got))
  end
end

function Expect:to_not_equal(other)
  check(difference(self.actual, other, "") ~= nil, "expected a value other than " .. show(other))
end

function Expect:to_be_truthy() check(self.actual, "expected a truthy value, got " .. show(self.actual)) end
function Expect:to_be_falsy() check(not self.actual, "expected a falsy value, got " .. show(self.actual)) end
function Expect:to_be_nil() check(self.actual == nil, "expected nil, got " .. show(self.actual)) end

function Expect:to_have_length(n)
  local len = #self.actual
  check(len == n, "expected length " .. n .. ", got " .. len .. ": " .. show(self.actual))
end

function Expect:to_contain(value)
  if type(self.actual) == "string" then
    return check(self.actual:find(value, 1, true) ~= nil, "expected " .. show(self.actual) .. " to contain " .. show(value))
  end
  for _, v in pairs(self.actual) do if difference(v, value, "") == nil then return end end
  fail("expected " .. show(self.actual) .. " to contain " .. show(value))
end

function Expect:to_match(pattern)
  check(type(self.actual) == "string" and self.actual:match(pattern) ~= nil,
        "expected " .. show(self.actual) .. " to match " .. show(pattern))
end

function Expect:to_be_greater_than(n)
  check(self.actual > n, "expected a value greater than " .. show(n) .. ", got " .. show(self.actual))
end

function Expect:to_raise(pattern)
  local ok, err = pcall(self.actual)
  if ok then return fail("expected an error" .. (pattern and (" matching " .. show(pattern)) or "") .. ", but none was raised") end
  if pattern and not tostring(err):match(pattern) then
    fail("expected an error matching " .. show(pattern) .. ", got " .. show(tostring(err)))
  end
end
"""#
}
