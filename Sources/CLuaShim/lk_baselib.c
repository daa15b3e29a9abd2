// The base library as the sandbox has it (rule 5 in include/CLuaShim.h): load takes text
// only, setmetatable refuses __gc, xpcall's handler does not run while a stop is under way,
// rawset cannot write a read-only library view, collectgarbage cannot retune the collector;
// print and require go to the host.
#include "lk_internal.h"

#include <lualib.h>
#include <string.h>

static const char lk_loading_marker = 0;

static int lk_load(lua_State *L) {
    int hasenv = lua_gettop(L) >= 4;
    lua_settop(L, 4);
    if (!lua_isnil(L, 3) && strchr(luaL_checkstring(L, 3), 'b'))
        return luaL_argerror(L, 3, "binary chunks are not allowed in the sandbox");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushliteral(L, "t");
    if (hasenv) lua_pushvalue(L, 4); else lua_pushglobaltable(L);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L) - 4;
}

// A finaliser runs with hooks off (lgc.c, GCTM), so no time budget could stop one: the
// sandbox refuses metatables that carry __gc. A __gc added to the metatable later is inert,
// since Lua marks an object for finalisation only when its metatable is set.
static int lk_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in the sandbox "
                                 "(a finaliser cannot be interrupted); use __close instead");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

// When the kill hook raises, Lua calls the message handler from inside the hook, where hooks
// are disallowed: a looping handler could never be stopped. So while a stop is under way the
// script's handler is not called, and the kill goes through unchanged.
static int lk_guarded_handler(lua_State *L) {
    if (lk_stopping(guard_of(L)) != LK_STOP_NONE) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int lk_xpcall(lua_State *L) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, lk_guarded_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static const char *readonly_name(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TTABLE) return NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lk_readonly_key);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    const char *name = lua_tostring(L, -1);
    lua_pop(L, 2);                       // the name stays alive as a value in the set
    return name;
}

static int lk_rawset(lua_State *L) {
    const char *name = readonly_name(L, 1);
    if (name) return luaL_error(L, "attempt to modify read-only table '%s'", name);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int lk_collectgarbage(lua_State *L) {
    static const char *const allowed[] = {"collect", "count", "step", "isrunning", NULL};
    const char *opt = luaL_optstring(L, 1, "collect");
    int ok = 0;
    for (int i = 0; allowed[i]; i++) ok |= strcmp(opt, allowed[i]) == 0;
    if (!ok)
        return luaL_error(L, "collectgarbage('%s') is not allowed in the sandbox "
                             "(allowed: collect, count, step, isrunning)", opt);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

// The globals wrapped, each around the stock function (its upvalue).
static const luaL_Reg wrapped[] = {
    {"load", lk_load},
    {"xpcall", lk_xpcall},
    {"setmetatable", lk_setmetatable},
    {"rawset", lk_rawset},
    {"collectgarbage", lk_collectgarbage},
    {NULL, NULL},
};

void lk_open_baselib(lua_State *L) {
    for (const luaL_Reg *w = wrapped; w->name; w++) {
        lua_getglobal(L, w->name);
        lua_pushcclosure(L, w->func, 1);
        lua_setglobal(L, w->name);
    }
}

// ---------------------------------------------------------------------------------------
// Read-only library tables

static int lk_readonly_newindex(lua_State *L) {
    return luaL_error(L, "attempt to modify read-only table '%s'", lua_tostring(L, lua_upvalueindex(1)));
}

static int lk_readonly_next(lua_State *L) {
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1))) return 2;
    lua_pushnil(L);
    return 1;
}

static int lk_readonly_pairs(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, lk_readonly_next, 1);
    lua_pushnil(L);
    lua_pushnil(L);
    return 3;
}

// Replaces global `name` (a library table) with a read-only view of it. The real table stays
// reachable only through the view's __index and the string metatable, never as a value.
void lk_make_readonly(lua_State *L, const char *name) {
    lua_getglobal(L, name);              // real
    lua_newtable(L);                     // proxy
    lua_createtable(L, 0, 4);            // its metatable
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, lk_readonly_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, lk_readonly_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lk_readonly_key);
    lua_pushvalue(L, -2);
    lua_pushstring(L, name);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_setglobal(L, name);
    lua_pop(L, 1);
}

// ---------------------------------------------------------------------------------------
// print and require, routed to the host

static int lk_print(lua_State *L) {
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    if (lua_isnil(L, lua_upvalueindex(1))) return 0;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, -2);
    lua_call(L, 1, 0);
    return 0;
}

static int lk_require(lua_State *L) {
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    int t = lua_rawget(L, lua_upvalueindex(1));
    if (t == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == (void *)&lk_loading_marker)
        return luaL_error(L, "loop in require: module '%s' is still loading", lua_tostring(L, 1));
    if (t != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(2));   // loader(name) -> chunk, path
    lua_pushvalue(L, 1);
    if (lua_pcall(L, 1, 2, 0) != LUA_OK) {   // name the line that asked, as Lua's require does
        if (lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, (void *)&lk_loading_marker);
    lua_rawset(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_insert(L, -2);                       // chunk, name, path
    int status = lua_pcall(L, 2, 1, 0);
    if (status != LUA_OK) {
        lua_pushvalue(L, 1);
        lua_pushnil(L);
        lua_rawset(L, lua_upvalueindex(1));
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, lua_upvalueindex(1));
    return 1;
}

void lk_set_print(lua_State *L) {
    lua_pushcclosure(L, lk_print, 1);
    lua_pushglobaltable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "print");        // _G's metatable has no __newindex: a raw set
    lua_pop(L, 1);
}

void lk_set_require(lua_State *L) {
    lua_newtable(L);                     // the cache: the standard libraries are there already,
    static const char *const libs[] = {  // so require "utf8" answers as stock Lua does
        LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME, LUA_COLIBNAME, LUA_OSLIBNAME, NULL,
    };
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        lua_setfield(L, -2, libs[i]);
    }
    lua_insert(L, -2);
    lua_pushcclosure(L, lk_require, 2);
    lua_pushglobaltable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "require");
    lua_pop(L, 1);
}
