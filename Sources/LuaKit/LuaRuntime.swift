import CLua
import CLuaShim

/// The Swift entry points that CLuaShim's trampolines call. Every Swift frame Lua reaches
/// starts here, and every way out is a return: errors become `LK_RAISE` with the error
/// value pushed, and the C trampoline raises it after this frame is gone.
@usableFromInline
enum LuaRuntime {
    private static let installed: Void = lk_install(dispatch, field)

    static func install() { _ = installed }

    // Borrowed, not retained: the Lua closure's upvalue holds the box (and the state's type
    // table the registration) for at least as long as the call runs.
    static let dispatch: lk_dispatch_fn = { L, box in
        Unmanaged<SwiftFunctionBox>.fromOpaque(box!)._withUnsafeGuaranteedRef { $0.invoke(L!) }
    }

    static let field: lk_field_fn = { L, type, id, kind in
        Unmanaged<TypeRegistration>.fromOpaque(type!)._withUnsafeGuaranteedRef { $0.access(L!, field: Int(id), kind: kind) }
    }

    /// Releases a box whose userdata Lua finalised (queued by the C finaliser, released here
    /// at the end of the outermost call, when no Lua or Swift callback is running).
    @usableFromInline static let releaseBox: @convention(c) (UnsafeMutableRawPointer?) -> Void = { p in
        Unmanaged<AnyObject>.fromOpaque(p!).release()
    }

    /// The Swift object in the box userdata at `idx`, if it is a box with metatable `metatable`.
    static func box(in L: OpaquePointer, at idx: Int32, metatable: UnsafeRawPointer) -> AnyObject? {
        guard let slot = lk_tobox(L, idx, metatable) else { return nil }
        guard let p = slot.load(as: UnsafeMutableRawPointer?.self) else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue()
    }
}

/// A Swift error travelling through Lua as an error value.
final class ErrorBox {
    let error: Error
    init(_ error: Error) { self.error = error }
}

/// A Swift function that Lua can call.
@usableFromInline
final class SwiftFunctionBox {
    unowned(unsafe) let state: LuaState  // the state owns the Lua value that owns this box
    let name: String
    /// Stack index of the first argument minus one (1 for methods, whose self is at 1).
    let base: Int32
    let body: (LuaArguments) throws -> Int32

    @usableFromInline
    init(state: LuaState, name: String, base: Int32 = 0, body: @escaping (LuaArguments) throws -> Int32) {
        self.state = state
        self.name = name
        self.base = base
        self.body = body
    }

    func invoke(_ L: OpaquePointer) -> Int32 {
        unowned(unsafe) let state = self.state  // a strong local would cost a retain per call
        let previous = state.currentL
        state.currentL = L
        defer { state.currentL = previous }
        do {
            return try body(LuaArguments(stack: LuaStack(L: L, state: state), base: base))
        } catch {
            return state.raise(error, on: L, function: name)
        }
    }
}

extension LuaState {
    /// Pushes the Lua error value for `error` and returns LK_RAISE, for the trampoline to raise.
    func raise(_ error: Error, on L: OpaquePointer, function: String) -> Int32 {
        switch error {
        case let e as LuaArgumentError:
            lk_push_argerror(L, Int32(e.position), e.problem, function)
        case let e as LuaScriptError:
            lk_push_where(L, 1)
            lua_pushstring(L, e.message)
            lua_concat(L, 2)
        case let e as LuaError where e.isLimit:
            lk_pushsentinel(L)  // the hook keeps raising it until the outermost call ends
        default:
            lk_newbox(L, Unmanaged.passRetained(ErrorBox(error) as AnyObject).toOpaque())
            lk_push_where(L, 1)
            lua_pushstring(L, String(describing: error))
            lua_concat(L, 2)
            lua_setiuservalue(L, -2, 1)
        }
        return LK_RAISE
    }
}
