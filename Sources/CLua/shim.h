// The system Lua 5.4 (Debian: liblua5.4-dev). Only headers; nothing is compiled here.
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
