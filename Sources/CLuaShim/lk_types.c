// Bridged types: the metatable of a Swift class as Lua sees it. Methods resolve from a plain
// table without entering Swift; fields go through one Swift getter or setter each; a released
// object's metatable makes every use an error naming its type.
#include "lk_internal.h"


static int call_field(lua_State *L, int field, int kind) {
    lk_guard *g = guard_of(L);
    int enforce = g->enforce;
    g->enforce = 0;
    int n = lk_field(L, lua_touserdata(L, lua_upvalueindex(3)), field, kind);
    g->enforce = enforce;
    if (n == LK_RAISE) return lua_error(L);
    return n;
}

// __index: methods resolve from a plain table without entering Swift; fields go through
// the field table to one Swift getter.
// Lua calls it with exactly (object, key).
static int lk_index(lua_State *L) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNUMBER) {
        int id = (int)lua_tointeger(L, -1);
        lua_settop(L, 2);
        return call_field(L, id < 0 ? -id : id, 0);
    }
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "%s has no field or method '%s'", lua_tostring(L, lua_upvalueindex(4)),
                          lua_tostring(L, 2));
    return luaL_error(L, "%s has no field or method of type %s", lua_tostring(L, lua_upvalueindex(4)),
                      luaL_typename(L, 2));
}

static int lk_newindex(lua_State *L) {
    lua_settop(L, 3);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNUMBER) {
        int id = (int)lua_tointeger(L, -1);
        lua_settop(L, 3);
        return call_field(L, id < 0 ? -id : id, id < 0 ? 2 : 1);
    }
    lua_pushvalue(L, 2);
    int method = lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL;
    const char *type = lua_tostring(L, lua_upvalueindex(4));
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : luaL_typename(L, 2);
    if (method) return luaL_error(L, "cannot assign to method '%s' of %s", key, type);
    return luaL_error(L, "%s has no field '%s'", type, key);
}

void lk_push_type_metatable(lua_State *L, void *type, int methods, int fields, const char *name) {
    methods = lua_absindex(L, methods);
    fields = lua_absindex(L, fields);
    lua_createtable(L, 0, 8);
    lua_pushvalue(L, methods);
    lua_pushvalue(L, fields);
    lua_pushlightuserdata(L, type);
    lua_pushstring(L, name);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_pushcclosure(L, lk_newindex, 4);
    lua_setfield(L, -6, "__newindex");
    lua_pushcclosure(L, lk_index, 4);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, lk_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
}

static int lk_destroyed_error(lua_State *L) {
    return luaL_error(L, "attempt to use a released %s object", lua_tostring(L, lua_upvalueindex(1)));
}

static int lk_destroyed_tostring(lua_State *L) {
    lua_pushfstring(L, "%s (released)", lua_tostring(L, lua_upvalueindex(1)));
    return 1;
}

void lk_push_destroyed_metatable(lua_State *L, const char *name) {
    lua_createtable(L, 0, 5);
    lua_pushstring(L, name);
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, lk_destroyed_error, 1);
    lua_setfield(L, -3, "__index");
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, lk_destroyed_error, 1);
    lua_setfield(L, -3, "__newindex");
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, lk_destroyed_tostring, 1);
    lua_setfield(L, -3, "__tostring");
    lua_setfield(L, -2, "__name");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
}
