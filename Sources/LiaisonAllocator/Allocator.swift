#if canImport(CJemalloc)
import CJemalloc
#endif

/// The memory allocator of the `liaison` and `liaison-bench` processes: jemalloc, which replaces
/// glibc's malloc for the whole process (Swift's runtime, SQLite and Lua included) because the
/// executables link it.
///
/// Why: every command allocates and frees many small objects (records copied on write, ledger
/// texts, handles, Lua values), and once a second thread exists (the store writes grouped
/// commits on the database's queue) glibc's malloc takes an arena lock on every call, where
/// jemalloc serves each thread from its own cache. The gulf-charter plugin benchmark ran about
/// a quarter faster at 100,000 cases with it (README, Benchmarks). An application embedding the
/// libraries keeps whatever allocator it links; it may depend on this target to get the same.
public enum Allocator {
    /// `jemalloc 5.3.0-0-g…`, as the linked library reports itself; `the system's malloc` in a
    /// build made without it (`LIAISON_SYSTEM_MALLOC`, as `scripts/test --asan` makes).
    public static var description: String {
        #if canImport(CJemalloc)
        var version: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "jemalloc" }
        return "jemalloc " + String(cString: version)
        #else
        return "the system's malloc"
        #endif
    }
}
