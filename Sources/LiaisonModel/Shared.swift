/// A value kept behind one reference and copied only when a shared copy is changed: the
/// storage of the model's large records (`ReturnCase`, `Notice`, `Person`). Each is copied on
/// every read (out of a cache or a transaction, into a view, a decision or a command), and
/// copying their fields retained every string and list among them.
struct Shared<Value>: @unchecked Sendable {  // the box is changed only while uniquely referenced
    private final class Box {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box

    init(_ value: Value) { box = Box(value) }

    /// The value, copied first if another `Shared` refers to it.
    var value: Value {
        get { box.value }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
            yield &box.value
        }
    }

    /// Whether both refer to the same storage (and so hold equal values).
    func isIdentical(to other: Shared) -> Bool { box === other.box }
}
