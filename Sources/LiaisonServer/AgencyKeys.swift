import Crypto
import Foundation
import JWTKit
import LiaisonModel
import LiaisonStore

/// An agency's Ed25519 key pair and the bearer tokens it signs. The private key stays with the
/// agency (`AGENCY.key`, PEM, readable by its owner only); the operation holds the public one
/// (`keys/AGENCY.pub` in the operation folder). A token is a JWT signed with EdDSA whose
/// subject is the agency and whose audience is the operation: a token for one operation is
/// no use at another.
public enum AgencyKeys {
    /// Writes a new pair as `DIR/AGENCY.key` (mode 0600) and `DIR/AGENCY.pub`. Refused when
    /// either exists: a key is not overwritten by accident.
    public static func generate(for agency: AgencyID, into directory: URL) throws -> (key: URL, pub: URL) {
        let key = directory.appendingPathComponent("\(agency.rawValue).key"), pub = directory.appendingPathComponent("\(agency.rawValue).pub")
        for file in [key, pub] where FileManager.default.fileExists(atPath: file.path) {
            throw KeyError("\(file.path) exists; remove it first, or give another --out (a key is never overwritten)")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pair = try EdDSA.PrivateKey(curve: .ed25519)
        guard FileManager.default.createFile(atPath: key.path, contents: Data(pair.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError("\(key.path) cannot be written")
        }
        try Data(pair.publicKey.pemRepresentation.utf8).write(to: pub)
        return (key, pub)
    }

    public static func privateKey(at path: String) throws -> EdDSA.PrivateKey {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw KeyError("\(path) cannot be read: \(error.localizedDescription)") }
        do { return try EdDSA.PrivateKey(pem: text) } catch { throw KeyError("\(path) is not an Ed25519 private key in PEM (make one with liaison keygen)") }
    }

    public static func publicKey(at path: String) throws -> EdDSA.PublicKey {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw KeyError("\(path) cannot be read: \(error.localizedDescription)") }
        do { return try EdDSA.PublicKey(pem: text) } catch { throw KeyError("\(path) is not an Ed25519 public key in PEM (liaison keygen writes one as AGENCY.pub)") }
    }

    /// A bearer token for `agency` at `operation`, valid for `ttl` seconds from `now`.
    /// Without `operation` the token names none, and any operation holding the agency's key
    /// accepts it.
    public static func token(for agency: AgencyID, operation: String?, key: EdDSA.PrivateKey, ttl: TimeInterval, now: Date = Date()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: key, kid: JWKIdentifier(string: agency.rawValue))
        let claims = AgencyClaims(sub: SubjectClaim(value: agency.rawValue), aud: operation.map { AudienceClaim(value: [$0]) },
                                  iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: now.addingTimeInterval(ttl)))
        return try await keys.sign(claims, kid: JWKIdentifier(string: agency.rawValue))
    }

    /// `30m`, `8h`, `2d`, or seconds.
    public static func duration(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let n = Double(text.dropLast()), n > 0 { return n * unit }
        return Double(text).flatMap { $0 > 0 ? $0 : nil }
    }
}

/// A token's claims: who (`sub`, the agency), where (`aud`, the operation), when.
struct AgencyClaims: JWTPayload {
    var sub: SubjectClaim
    var aud: AudienceClaim?
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

public struct KeyError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The operation's agencies' public keys, and the check of a bearer token against them.
public actor TokenVerifier {
    public let operation: String
    /// One collection per agency holding that agency's key only: a token is checked against
    /// the key of the agency it names, so no key can vouch for another agency.
    private var keys: [AgencyID: JWTKeyCollection] = [:]
    public var agencies: [AgencyID] { keys.keys.sorted { $0.rawValue < $1.rawValue } }

    public init(operation: String) { self.operation = operation }

    private var publicKeys: [AgencyID: EdDSA.PublicKey] = [:]
    public func publicKey(for agency: AgencyID) -> EdDSA.PublicKey? { publicKeys[agency] }

    public func add(_ key: EdDSA.PublicKey, for agency: AgencyID) async {
        publicKeys[agency] = key
        let collection = JWTKeyCollection()
        await collection.add(eddsa: key, kid: JWKIdentifier(string: agency.rawValue))
        keys[agency] = collection
    }

    /// Reads `DIR/AGENCY.pub` for each agency of `operation` (and the coordinator) that has one.
    public static func load(keys dir: URL, operation: ReturnOperation) async throws -> TokenVerifier {
        let verifier = TokenVerifier(operation: operation.name)
        for agency in operation.agencies.map(\.id) + [.coordinator] {
            let file = dir.appendingPathComponent("\(agency.rawValue).pub")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            await verifier.add(try AgencyKeys.publicKey(at: file.path), for: agency)
        }
        return verifier
    }

    /// Tokens already verified, until they expire: an agency's client sends the same token with
    /// every request, and an Ed25519 verification is the dearest part of a small request.
    private var verified: [String: (agency: AgencyID, expires: Date)] = [:]

    /// The agency a token speaks for, or why it speaks for none.
    public func agency(for token: String) async -> Result<AgencyID, TokenRefusal> {
        let now = Date()
        if let known = verified[token] {
            if known.expires > now { return .success(known.agency) }
            verified[token] = nil
        }
        let result = await check(token)
        if case .success(let agency) = result, let expires = try? await JWTKeyCollection().unverified(token, as: AgencyClaims.self).exp.value {
            if verified.count >= 10_000 { verified = verified.filter { $0.value.expires > now } }
            if verified.count < 10_000 { verified[token] = (agency, expires) }
        }
        return result
    }

    private func check(_ token: String) async -> Result<AgencyID, TokenRefusal> {
        // The claimed subject picks the one key that may have signed the token.
        let claimed: AgencyClaims
        do { claimed = try await JWTKeyCollection().unverified(token, as: AgencyClaims.self) } catch {
            return .failure(TokenRefusal("the bearer token is not a token liaison token made"))
        }
        let agency = AgencyID(claimed.sub.value)
        guard let collection = keys[agency] else {
            return .failure(TokenRefusal("the operation holds no key for \(agency) (keys/\(agency).pub in the operation folder)"))
        }
        let claims: AgencyClaims
        do { claims = try await collection.verify(token, as: AgencyClaims.self) } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            return .failure(TokenRefusal("the bearer token has expired: make a new one with liaison token"))
        } catch {
            return .failure(TokenRefusal("the bearer token's signature is not \(agency)'s"))
        }
        if let aud = claims.aud, !aud.value.contains(operation) {
            return .failure(TokenRefusal("the bearer token is for another operation (\(aud.value.joined(separator: ", "))), not \(operation)"))
        }
        return .success(agency)
    }
}

public struct TokenRefusal: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// An agency's countersignature of a ledger head: its Ed25519 signature over the operation, the
/// agency and the head. A server keeps it in the ledger (a `ledger.witnessed` signal given by
/// the agency); `liaison audit verify --keys DIR` checks each one's signature against the
/// agency's public key and the head against the chain. The agency keeps the head too (`liaison
/// witness --keep FILE`): whoever rewrites or cuts the history before it, the server's operator
/// included, cannot make `liaison audit verify --head` accept it again.
public enum Witness {
    public static let signal = "ledger.witnessed"

    /// What is signed: every part on its own line, so no two heads sign alike.
    public static func statement(operation: String, agency: AgencyID, head: LedgerHead) -> Data {
        Data("liaison-witness\n\(operation)\n\(agency.rawValue)\n\(head.sequence)\n\(head.hash)".utf8)
    }

    /// The signature, base64url.
    public static func sign(operation: String, agency: AgencyID, head: LedgerHead, key: EdDSA.PrivateKey) throws -> String {
        let signer = try Curve25519.Signing.PrivateKey(rawRepresentation: key.rawRepresentation)
        return base64url(try signer.signature(for: statement(operation: operation, agency: agency, head: head)))
    }

    public static func verify(_ signature: String, operation: String, agency: AgencyID, head: LedgerHead, key: EdDSA.PublicKey) -> Bool {
        guard let bytes = Data(base64urlEncoded: signature), let verifier = try? Curve25519.Signing.PublicKey(rawRepresentation: key.rawRepresentation) else { return false }
        return verifier.isValidSignature(bytes, for: statement(operation: operation, agency: agency, head: head))
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The witnesses a ledger holds: who witnessed which head, with what signature, in which entry.
    public static func recorded(in store: any Store) throws -> [(entry: Int64, agency: AgencyID, head: LedgerHead, signature: String)] {
        try store.ledger(command: "signal").compactMap { e in
            guard case .signal(let s) = try e.decodedCommand(), s.name == signal, let seq = s.fields["sequence"].flatMap(Int64.init),
                  let hash = s.fields["hash"], let sig = s.fields["signature"] else { return nil }
            return (e.sequence, e.actor, LedgerHead(sequence: seq, hash: hash), sig)
        }
    }
}

extension Data {
    init?(base64urlEncoded text: String) {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        self.init(base64Encoded: s)
    }
}
