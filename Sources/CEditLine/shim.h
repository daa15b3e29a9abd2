// libedit's readline interface (Debian: libedit-dev), found through pkg-config.
#include <stdio.h>
#include <editline/readline.h>
