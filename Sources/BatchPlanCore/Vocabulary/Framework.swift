/// A training framework with an optional version, as `--framework pytorch-2.4` or `tensorflow-1.11` names it.
public struct Framework: Hashable, Codable, Sendable, CustomStringConvertible {
    public enum Name: String, CaseIterable, Codable, Sendable {
        case pytorch
        case tensorflow
        case jax
    }

    public var name: Name
    public var version: String?

    public init(name: Name, version: String? = nil) {
        self.name = name
        self.version = version
    }

    public static let pytorch = Framework(name: .pytorch)

    /// Parses `pytorch`, `pytorch-2.4`, `tensorflow-1.11`, `jax-0.4.30` (case-insensitive).
    public init(parsing text: String) throws(CoreError) {
        let lowered = text.trimmingSpaces().lowercased()
        let parts = lowered.split(separator: "-", maxSplits: 1).map(String.init)
        guard let first = parts.first, let name = Name(rawValue: first) else {
            throw .invalidValue(
                what: "framework", value: text,
                fix: "use one of \(Name.allCases.map(\.rawValue).joined(separator: ", ")), optionally with a version such as pytorch-2.4")
        }
        if parts.count == 2 {
            let version = parts[1]
            guard !version.isEmpty, version.allSatisfy({ $0.isNumber || $0 == "." || $0.isLetter || $0 == "+" || $0 == "-" }) else {
                throw .invalidValue(what: "framework version", value: text, fix: "write it as NAME-VERSION, e.g. tensorflow-1.11")
            }
            self.init(name: name, version: version)
        } else {
            self.init(name: name)
        }
    }

    public var description: String { version.map { "\(name.rawValue)-\($0)" } ?? name.rawValue }
}

import Foundation
