import CLua
import LuaKit
import Testing

/// Runs `source` in a stock Lua state with the standard libraries (no sandbox, no limits)
/// and returns the string it returns.
func stockLua(_ source: String) -> String {
    let L = luaL_newstate()!
    defer { lua_close(L) }
    luaL_openlibs(L)
    guard luaL_loadbufferx(L, source, source.utf8.count, "@corpus.lua", "t") == LUA_OK,
          lua_pcallk(L, 0, 1, 0, 0, nil) == LUA_OK else {
        return "stock Lua failed: " + String(cString: lua_tolstring(L, -1, nil))
    }
    return String(cString: lua_tolstring(L, -1, nil))
}

/// A corpus of pattern calls whose results (or errors) are written one per line. Run in both
/// Lua states, it must give the same text.
let patternCorpus = #"""
local out = {}
local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = type(t[i]) == "string" and ("%q"):format(t[i]) or tostring(t[i]) end
  return table.concat(t, ",")
end
local function try(label, f, ...)
  local r = table.pack(pcall(f, ...))
  if r[1] then out[#out + 1] = label .. " -> " .. show(table.unpack(r, 2, r.n))
  else out[#out + 1] = label .. " !! " .. tostring(r[2]) end
end
local function gm(s, p, init)
  local acc = {}
  for a, b in string.gmatch(s, p, init) do acc[#acc + 1] = show(a, b) if #acc > 50 then break end end
  return table.concat(acc, ";")
end

local subjects = { "", "a", "hello world", "  key = value  ", "THE (quick) fox", "[[x]] [y]", "a\0b\0c",
                   "aaa", "abcabc", "x=1, y=22, z=333", "f(a(b)c)d", "THE quick brown", "$5.00 %d", "\n\t x" }
local patterns = { "", "a", "a*", "a-", "a+", "a?", ".", ".-", ".*", "^a", "a$", "^$", "%a+", "%d+", "%s*",
                   "%w+", "%p", "%u%l*", "[aeiou]", "[^aeiou]+", "[a-c]+", "[%a_][%w_]*", "[]]", "[^]]",
                   "[a-]", "[-a]", "%b()", "%b[]", "%f[%w]%w+", "%f[%W]", "(%w+)=(%w+)", "()a()", "(a)%1",
                   "((a)(b))", "(%s*)(%S+)", "%$%d+%.%d%d", "%%", "x%=", "\0", "b\0c", "[%z]", "%bxy",
                   "^(%s*)(.-)(%s*)$", "(h)(e)(l)(l)(o)" }
for _, s in ipairs(subjects) do
  for _, p in ipairs(patterns) do
    local label = ("%q ~ %q"):format(s, p)
    try("find " .. label, string.find, s, p)
    try("find3 " .. label, string.find, s, p, 3)
    try("find-2 " .. label, string.find, s, p, -2)
    try("plain " .. label, string.find, s, p, 1, true)
    try("match " .. label, string.match, s, p)
    try("gmatch " .. label, gm, s, p)
    try("gmatch2 " .. label, gm, s, p, 2)
    try("gsub " .. label, string.gsub, s, p, "<%0>")
    try("gsub1 " .. label, string.gsub, s, p, "[%1]", 2)
    try("gsubf " .. label, string.gsub, s, p, function(a, b) if a == "a" then return false end return tostring(b) end)
    try("gsubt " .. label, string.gsub, s, p, { a = "A", hello = 7, l = true and "L" })
  end
end
local bad = { "%", "[a", "[^", "(", ")", "%b", "%ba", "%f", "%fa", "%1", "(()", "(a)%2", "%g%", "[%", "(%1)" }
for _, p in ipairs(bad) do
  try(("bad %q"):format(p), string.find, "abc", p)
  try(("badgsub %q"):format(p), string.gsub, "abc", p, "x")
end
try("template %2", string.gsub, "abc", "(a)", "%2")
try("template %x", string.gsub, "abc", "a", "%x")
try("template pos", string.gsub, "abc", "()b", "%1")
try("repl table value", string.gsub, "abc", "%w", { a = {} })
try("repl number", string.gsub, "abc", "%w", 5)
try("repl bad", string.gsub, "abc", "%w", true)
try("too many captures", string.find, "a", ("()"):rep(33))
try("too complex", string.find, ("a"):rep(300), ("a?"):rep(300) .. ("a"):rep(300))
try("init past end", string.find, "abc", "", 10)
try("init at end", string.find, "abc", "", 4)
try("match init", string.match, "hello", "l+", -3)

for _, args in ipairs({ { "ab", 3 }, { "ab", 3, "-" }, { "", 5 }, { "", 5, "," }, { "x", 0 }, { "x", -1, "," } }) do
  try("rep " .. show(table.unpack(args)), string.rep, table.unpack(args))
end
for _, args in ipairs({ { 1, 3, 2 }, { 2, 3, 1 }, { 1, 3, 1 }, { 3, 1, 1 }, { 1, 3, 5 } }) do
  local t = { "a", "b", "c" }
  try("move " .. show(table.unpack(args)), function(...) return table.concat(table.move(t, ...), ",") end, table.unpack(args))
  try("move to " .. show(table.unpack(args)), function(...) return table.concat(table.move(t, ...), ",") end, args[1], args[2], args[3], { "x" })
end
try("move bad", table.move, 1, 1, 1, 1)
try("move wrap", table.move, {}, 1, 5, math.maxinteger)
try("move many", table.move, {}, -1, math.maxinteger, 1)

math.randomseed(20261129)
local atoms = { "a", "b", ".", "%a", "%d", "[ab]", "[^a]", "%s", "(", ")", "()", "%1", "%b()", "%f[a]", "^", "$", "x" }
local quants = { "", "", "*", "+", "-", "?" }
local letters = { "a", "b", "c", "1", " ", "(", ")", "x" }
for i = 1, 3000 do
  local p = {}
  for j = 1, math.random(1, 6) do p[#p + 1] = atoms[math.random(#atoms)] .. quants[math.random(#quants)] end
  local s = {}
  for j = 1, math.random(0, 10) do s[#s + 1] = letters[math.random(#letters)] end
  p, s = table.concat(p), table.concat(s)
  try(("rfind %d %q ~ %q"):format(i, s, p), string.find, s, p)
  try(("rgsub %d"):format(i), string.gsub, s, p, "<%0>")
  try(("rgmatch %d"):format(i), gm, s, p)
end
return table.concat(out, "\n")
"""#

@Suite("The sandbox's stoppable string and table functions agree with Lua's own")
struct PatternTests {
    @Test("find, match, gmatch and gsub give stock Lua's results and errors, case by case")
    func differential() throws {
        let lua = try makeState(limits: LuaLimits(memory: 64 << 20, time: .seconds(30)))
        let ours = try lua.evaluate(patternCorpus, name: "corpus.lua", as: String.self)
        let stock = stockLua(patternCorpus)
        let a = ours.split(separator: "\n", omittingEmptySubsequences: false)
        let b = stock.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(a.count == b.count)
        #expect(a.count > 15_000)
        let differences = zip(a, b).filter { $0 != $1 }
        for (mine, theirs) in differences.prefix(10) {
            Issue.record("sandbox: \(mine)\n  stock: \(theirs)")
        }
        #expect(differences.count == 0)
    }

    @Test("a pattern that backtracks for minutes is stopped by the time limit", arguments: [
        "return (('a'):rep(5000)):find('.-.-.-.-.-b')",
        "return (('a'):rep(5000)):match('(.*)(.*)(.*)(.*)b')",
        "for _ in (('a'):rep(5000)):gmatch('.-.-.-.-b') do end",
        "return (('a'):rep(5000)):gsub('.-.-.-.-b', '')",
        "return (('a'):rep(3e6)):find(('a'):rep(3e5) .. 'b', 1, true)",
    ])
    func backtracking(_ source: String) throws {
        let lua = try makeState(limits: LuaLimits(memory: 64 << 20, time: .milliseconds(200)))
        let error = failure(of: source, in: lua, name: "p.lua")
        guard case .timeout? = error as? LuaError else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(try lua.evaluate("return ('abc'):find('b')", name: "after.lua", as: Int.self) == 2)
    }
}
