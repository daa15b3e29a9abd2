// The sandbox (rule 5 in include/CLuaShim.h), as linit.c opens the standard libraries: the
// allow-listed libraries, each in its sandboxed version, then every library table made a
// read-only view, and _G's metatable locked.
#include "lk_internal.h"

#include <lualib.h>

int lk_open_sandbox(lua_State *L) {
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},     {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine},
        {LUA_OSLIBNAME, luaopen_os},   {NULL, NULL},
    };
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    static const char *const removed[] = {"dofile", "loadfile", "warn", NULL};
    for (int i = 0; removed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    lk_open_baselib(L);
    lua_pushnil(L);
    lk_set_print(L);                     // discards output until the host routes it

    lua_getglobal(L, LUA_STRLIBNAME);
    lk_open_strlib(L, -1);
    lua_pop(L, 1);
    lua_getglobal(L, LUA_TABLIBNAME);
    lk_open_tablib(L, -1);
    lua_pop(L, 1);
    lua_pushliteral(L, "");              // getmetatable("") answers false
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    lua_getglobal(L, LUA_OSLIBNAME);     // os keeps only time, clock, date
    lua_createtable(L, 0, 3);
    static const char *const os_kept[] = {"time", "clock", "date", NULL};
    for (int i = 0; os_kept[i]; i++) {
        lua_getfield(L, -2, os_kept[i]);
        lua_setfield(L, -2, os_kept[i]);
    }
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);

    lua_getglobal(L, LUA_COLIBNAME);     // resumes are tracked for the watchdog
    lk_open_corolib(L, -1);
    lua_pop(L, 1);

    lua_newtable(L);                     // the set of read-only views, weak-keyed
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lk_readonly_key);
    static const char *const shared[] = {LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME,
                                         LUA_UTF8LIBNAME, LUA_COLIBNAME, LUA_OSLIBNAME, NULL};
    for (int i = 0; shared[i]; i++) lk_make_readonly(L, shared[i]);

    lua_pushglobaltable(L);              // setmetatable(_G, ...) is refused
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    return 0;
}
