import Foundation
import LiaisonModel

/// A store whose records are all in this process's memory (a `RecordCache` without a limit),
/// whatever else keeps them: the in-memory store keeps nothing else; the PostgreSQL store writes
/// them with their ledger entries and loads them when it opens. Their reads, their staging and
/// their one-command helpers are the same, written once here; each supplies its ledger, its
/// `commit` and its audit.
package protocol RecordsInMemory: StagingStore {
    var records: RecordCache { get set }
}

extension RecordsInMemory {
    public func person(_ ref: PersonRef) -> Person? { records.people[ref] }
    public func returnCase(_ ref: CaseRef) -> ReturnCase? { records.cases[ref] }
    public func handoff(_ ref: HandoffRef) -> Handoff? { records.handoffs[ref] }
    public func movement(_ ref: MovementRef) -> Movement? { records.movements[ref] }
    public func notice(_ ref: NoticeRef) -> Notice? { records.notices[ref] }

    public func caseRefs(in state: CaseState?) -> [CaseRef] { refs(in: state).sorted() }
    public func caseRefSet(in state: CaseState?) -> Set<CaseRef> { refs(in: state) }

    private func refs(in state: CaseState?) -> Set<CaseRef> {
        Set(records.cases.lazy.filter { state == nil || $0.value.progress == state }.map(\.key))
    }

    public func notices() -> [Notice] { sortedNotices() }
    private func sortedNotices() -> [Notice] { records.notices.keys.sorted().map { records.notices[$0]! } }
    public func handoffs() -> [Handoff] { records.handoffs.keys.sorted().map { records.handoffs[$0]! } }

    public func unacknowledgedNotices(dueIn range: ClosedRange<Date>) -> [Notice] {
        sortedNotices().filter { n in
            guard n.acknowledgedAt == nil, let due = n.due else { return false }
            return due > range.lowerBound && due <= range.upperBound
        }
    }

    /// How many records of a kind memory holds; nil for the ledger, which each store counts.
    package func recordCount(_ table: RecordTable) -> Int? {
        switch table {
        case .cases: return records.cases.count
        case .people: return records.people.count
        case .handoffs: return records.handoffs.count
        case .notices: return records.notices.count
        case .ledger: return nil
        }
    }

    public func begin(at now: Date) -> StoreTransaction { StoreTransaction(store: self, now: now) }

    @discardableResult
    public func apply(_ command: Command, by actor: AgencyID, at now: Date) throws -> Applied {
        try applyAll([(command, actor)], at: now)[0]
    }

    /// Decides each command against the records as the ones before it left them; a refusal
    /// takes back what the earlier ones staged, so nothing changes.
    @discardableResult
    public func applyAll(_ commands: [(Command, AgencyID)], at now: Date) throws -> [Applied] {
        let tx = begin(at: now)
        defer { tx.end() }
        for (command, actor) in commands { try tx.apply(command, by: actor, origin: "") }
        return try tx.commit()
    }

    /// Every command is durable (or, in memory, kept) when its transaction commits: there is
    /// nothing to group, flush or checkpoint.
    public func inGroups<T>(of size: Int, _ body: () throws -> T) throws -> T { try body() }
    public func flush() {}
    public func checkpoint() {}

    package func stage(_ d: Decision, noting log: inout [StagedChange]) {
        records.stage(d, noting: &log)
    }

    package func unstage(_ log: inout [StagedChange], to count: Int) {
        records.unstage(&log, to: count)
    }
}
