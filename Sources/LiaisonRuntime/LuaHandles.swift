import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore
import LuaKit
import Mustache

/// A model object as a plugin holds it: a reference into the model, and the plugin it belongs
/// to (weakly: a reload may unload the plugin while a script still holds the object).
protocol PluginHandle: AnyObject {
    var plugin: PluginRuntime? { get }
    /// `case R-0042`, in messages.
    var label: String { get }
    /// The reference commands are given on: `R-0042`.
    var subject: String { get }
}

extension PluginHandle {
    func live() throws -> PluginRuntime {
        guard let plugin else { throw LuaScriptError("\(label) belongs to an unloaded plugin") }
        return plugin
    }

    /// The record this handle names, as the running transaction has it.
    func current<T>(_ read: (ModelReader) throws -> T?) throws -> T {
        let engine = try live().engineInHandler(label)
        guard let record = try read(engine.reader) else { throw LuaScriptError("no \(label) in this operation") }
        return record
    }
}

/// A case as a plugin holds it: a reference, read through the plugin agency's disclosure
/// policy each time a field is read, so it always shows the model as it is now.
final class CaseHandle: PluginHandle {
    let ref: CaseRef
    weak var plugin: PluginRuntime?
    init(_ ref: CaseRef, _ plugin: PluginRuntime) { self.ref = ref; self.plugin = plugin }
}

final class MovementHandle: PluginHandle {
    let ref: MovementRef
    weak var plugin: PluginRuntime?
    init(_ ref: MovementRef, _ plugin: PluginRuntime) { self.ref = ref; self.plugin = plugin }
}

final class HandoffHandle: PluginHandle {
    let ref: HandoffRef
    weak var plugin: PluginRuntime?
    init(_ ref: HandoffRef, _ plugin: PluginRuntime) { self.ref = ref; self.plugin = plugin }
}

/// A notice as a plugin sees it in a `notice.sent`, `notice.received` or `notice.acknowledged`
/// event. A bridged object rather than a table, so that its list of cases becomes case handles
/// only when a handler asks for it: every plugin subscribed to `notice.sent` is offered every
/// notice, and building the list for each made most of the case handles a run allocated.
final class NoticeHandle: PluginHandle {
    let ref: NoticeRef
    weak var plugin: PluginRuntime?
    init(_ ref: NoticeRef, _ plugin: PluginRuntime) { self.ref = ref; self.plugin = plugin }
}

/// The `ctx` a handler gets: who it acts for, the operation's time, and what it may do besides
/// the model's methods. It dies when the call returns.
final class HandlerContext {
    weak var plugin: PluginRuntime?
    let hook: String
    let now: Date
    var veto: (reason: String, location: String?)?
    /// The ledger's origin for the commands this call gives, built once for all of them.
    private(set) lazy var origin = "plugin \(plugin?.name ?? "?"), hook \(hook)"
    init(plugin: PluginRuntime, hook: String, now: Date) { self.plugin = plugin; self.hook = hook; self.now = now }
}

// MARK: Handles reach the live model through their plugin

extension CaseHandle {
    var label: String { "case \(ref)" }
    var subject: String { ref.rawValue }

    func view() throws -> (PluginRuntime, CaseView) {
        try reading { plugin, reader, engine in (plugin, try reader.view(ref, at: engine.now, in: engine.reader)) }
    }

    /// One field, reading only the records it is on.
    func read(_ field: String) throws -> FieldValue {
        try reading { _, reader, engine in try reader.read(field, of: ref, at: engine.now, in: engine.reader) }
    }

    /// `body` with the plugin, how it reads cases, and its engine, inside a handler; a model
    /// error (the case is gone) becomes the script's error.
    private func reading<T>(_ body: (PluginRuntime, CaseReader, Engine) throws -> T) throws -> T {
        let plugin = try live()
        let engine = try plugin.engineInHandler(label)
        do {
            return try body(plugin, try plugin.caseReader(for: engine), engine)
        } catch let e as ModelError {
            throw LuaScriptError(e.description)
        }
    }
}

extension MovementHandle {
    var label: String { "movement \(ref)" }
    var subject: String { ref.rawValue }

    func movement() throws -> Movement { try current { try $0.movement(ref) } }
}

extension HandoffHandle {
    var label: String { "handoff \(ref)" }
    var subject: String { ref.rawValue }

    func handoff() throws -> Handoff { try current { try $0.handoff(ref) } }
}

extension NoticeHandle {
    var label: String { "notice \(ref)" }
    var subject: String { ref.rawValue }

    func notice() throws -> Notice { try current { try $0.notice(ref) } }
}

extension HandlerContext {
    func live() throws -> PluginRuntime {
        guard let plugin, plugin.context === self else {
            throw LuaScriptError("this ctx belongs to a handler call that has returned; use the ctx of the current call")
        }
        return plugin
    }
}
