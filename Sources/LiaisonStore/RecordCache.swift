import LiaisonModel

/// Decoded records kept between commands; cleared whole when it outgrows its limit, so memory
/// stays flat however many cases an operation has.
package struct RecordCache {
    package let limit: Int

    package init(limit: Int) { self.limit = limit }
    /// Whether a record has ever been evicted.
    private(set) var evicted = false
    package var people: [PersonRef: Person] = [:]
    package var cases: [CaseRef: ReturnCase] = [:]
    package var handoffs: [HandoffRef: Handoff] = [:]
    package var movements: [MovementRef: Movement] = [:]
    /// Only where nothing is evicted (a transaction's staged records, those changed since the
    /// checkpoint): the store reads notices from the database otherwise.
    package var notices: [NoticeRef: Notice] = [:]

    mutating func absorb(_ d: Decision) {
        makeRoom(for: d.people.count + d.cases.count + d.handoffs.count)
        people.merge(d.people) { $1 }
        cases.merge(d.cases) { $1 }
        handoffs.merge(d.handoffs) { $1 }
        movements.merge(d.movements) { $1 }
        if limit == .max { notices.merge(d.notices) { $1 } }
    }

    /// Keeps a record read from the database.
    mutating func keep(_ p: Person) { makeRoom(for: 1); people[p.ref] = p }
    mutating func keep(_ c: ReturnCase) { makeRoom(for: 1); cases[c.ref] = c }
    mutating func keep(_ h: Handoff) { makeRoom(for: 1); handoffs[h.ref] = h }

    /// Evicts records, a sixteenth of the cache at a time, from wherever a dictionary's storage
    /// begins: cheap, roughly random, and it keeps what was touched last far more often than
    /// clearing the whole cache did (that made a cache smaller than the working set useless).
    private mutating func makeRoom(for incoming: Int) {
        guard limit != .max, cases.count + people.count + handoffs.count + incoming > limit else { return }
        evicted = true
        var toFree = max(incoming, limit / 16)
        while toFree > 0, !(people.isEmpty && cases.isEmpty && handoffs.isEmpty) {
            if people.count >= cases.count, !people.isEmpty { people.remove(at: people.startIndex) }
            else if !cases.isEmpty { cases.remove(at: cases.startIndex) }
            else { handoffs.remove(at: handoffs.startIndex) }
            toFree -= 1
        }
    }

    mutating func absorb(_ other: RecordCache) {
        var d = Decision()
        (d.people, d.cases, d.handoffs, d.movements, d.notices) = (other.people, other.cases, other.handoffs, other.movements, other.notices)
        absorb(d)
    }
}

/// A record known by its reference.
protocol Referenced {
    associatedtype Ref: Identifier
    var ref: Ref { get }
}

extension Notice: Referenced {}
extension Handoff: Referenced {}


/// A record a transaction changed in a store's memory, with the version it replaced there
/// (nil: there was none in that memory).
package enum StagedChange {
    case person(PersonRef, Person?), returnCase(CaseRef, ReturnCase?), handoff(HandoffRef, Handoff?)
    case movement(MovementRef, Movement?), notice(NoticeRef, Notice?)
}

extension RecordCache {
    /// Takes a decision's records in, noting in `log` what each replaced, so that `unstage`
    /// can put them back.
    package mutating func stage(_ d: Decision, noting log: inout [StagedChange]) {
        for (k, v) in d.people { log.append(.person(k, people.updateValue(v, forKey: k))) }
        for (k, v) in d.cases { log.append(.returnCase(k, cases.updateValue(v, forKey: k))) }
        for (k, v) in d.handoffs { log.append(.handoff(k, handoffs.updateValue(v, forKey: k))) }
        for (k, v) in d.movements { log.append(.movement(k, movements.updateValue(v, forKey: k))) }
        for (k, v) in d.notices { log.append(.notice(k, notices.updateValue(v, forKey: k))) }
    }

    /// Puts back what `stage` noted in `log` after its first `count` changes, newest first.
    package mutating func unstage(_ log: inout [StagedChange], to count: Int) {
        while log.count > count {
            switch log.removeLast() {
            case let .person(k, v): people[k] = v
            case let .returnCase(k, v): cases[k] = v
            case let .handoff(k, v): handoffs[k] = v
            case let .movement(k, v): movements[k] = v
            case let .notice(k, v): notices[k] = v
            }
        }
    }
}
