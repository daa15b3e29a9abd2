// The table library's move, checking for a stop as it goes (the rest of ltablib.c's loops
// either run Lua code or are bounded by the memory cap).
#include "lk_internal.h"


// As ltablib.c's checktab: a table, or a value with the metamethods the operation needs.
static void check_table(lua_State *L, int arg, int write) {
    if (lua_type(L, arg) == LUA_TTABLE) return;
    int ok = lua_getmetatable(L, arg);
    if (ok) {
        lua_pushstring(L, write ? "__newindex" : "__index");
        ok = lua_rawget(L, -2) != LUA_TNIL;
        lua_pop(L, 2);
    }
    if (!ok) luaL_checktype(L, arg, LUA_TTABLE);
}

// table.move, as ltablib.c's, but checking for a stop as it goes: moving a range of absent
// keys between plain tables allocates nothing and runs no Lua code.
static int lk_move(lua_State *L) {
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    lua_Integer t = luaL_checkinteger(L, 4);
    int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
    check_table(L, 1, 0);
    check_table(L, tt, 1);
    if (e >= f) {
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f + 1;
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
        int forward = t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ));
        for (lua_Integer i = 0; i < n; i++) {
            lua_Integer k = forward ? i : n - 1 - i;
            if ((i & 4095) == 4095) lk_check_stop(L);
            lua_geti(L, 1, f + k);
            lua_seti(L, tt, t + k);
        }
    }
    lua_pushvalue(L, tt);
    return 1;
}

void lk_open_tablib(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, lk_move);
    lua_setfield(L, idx, "move");
}
