// jemalloc (Debian: libjemalloc-dev), found through pkg-config. Linked into the executables in
// place of glibc's malloc: see LiaisonAllocator.
#include <jemalloc/jemalloc.h>
