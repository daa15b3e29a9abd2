import LiaisonFuzzing

// liaison-fuzz TARGET [libFuzzer options] [CORPUS_DIR...]: runs one of the fuzz targets of
// LiaisonFuzzing under libFuzzer. TARGET is folder, conversions, template or audit.

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) var target = FuzzTarget.folder

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    target.run(count == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: count)))
    return 0
}

// SwiftPM links an executable's entry point under this name.
@_cdecl("liaison_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    guard argc >= 2, let argv, let first = argv[1], let chosen = FuzzTarget(rawValue: String(cString: first)) else {
        print("usage: liaison-fuzz TARGET [libFuzzer options] [CORPUS_DIR...]; targets: \(names)")
        return 2
    }
    target = chosen
    // libFuzzer sees the program's name and what follows TARGET.
    argv[1] = argv[0]
    var count = argc - 1
    var rest: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv + 1
    return LLVMFuzzerRunDriver(&count, &rest, { data, size in testOneInput(data, size) })
}
