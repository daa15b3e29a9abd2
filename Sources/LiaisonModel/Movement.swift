import Foundation

public enum TransitState: String, Codable, Sendable {
    case notNeeded = "not-needed"
    case requested, authorised, refused
}

/// One flight of a movement, with the transit authorisation it needs at its arrival airport.
public struct Leg: Codable, Hashable, Sendable {
    public var from: String
    public var to: String
    public var scheduledDeparture: Date
    public var scheduledArrival: Date
    public var actualDeparture: Date?
    public var actualArrival: Date?
    /// The transit authority asked, for a leg that lands in a transit state.
    public var transitAuthority: AgencyID?
    public var transit: TransitState

    public init(from: String, to: String, scheduledDeparture: Date, scheduledArrival: Date,
                transitAuthority: AgencyID? = nil) {
        self.from = from
        self.to = to
        self.scheduledDeparture = scheduledDeparture
        self.scheduledArrival = scheduledArrival
        self.transitAuthority = transitAuthority
        self.transit = transitAuthority == nil ? .notNeeded : .requested
    }
}

public struct Movement: Codable, Hashable, Sendable {
    public var ref: MovementRef
    public var organiser: AgencyID
    public var carrier: String
    public var charter: Bool
    public var capacity: Int
    public var legs: [Leg]
    /// Seats taken by scheduled cases.
    public var booked = 0

    public init(ref: MovementRef, organiser: AgencyID, carrier: String, charter: Bool, capacity: Int, legs: [Leg]) {
        self.ref = ref
        self.organiser = organiser
        self.carrier = carrier
        self.charter = charter
        self.capacity = capacity
        self.legs = legs
    }

    /// Departure may go ahead once every transit on the way is authorised.
    public var transitAuthorised: Bool { legs.allSatisfy { $0.transit == .notNeeded || $0.transit == .authorised } }
}
