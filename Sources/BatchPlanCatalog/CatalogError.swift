import BatchPlanCore

/// Every error the catalog throws. Messages name the object and say the fix; no raw SQLite or Foundation text.
public enum CatalogError: Error, Equatable, Sendable, CustomStringConvertible {
    case location(path: String, problem: String, fix: String)
    case newerSchema(path: String, unknown: [String])
    case notACatalog(path: String)
    case busy(path: String)
    case readOnly(path: String)
    case unknownGPU(name: String, suggestions: [String])
    case ambiguousGPU(name: String, candidates: [String])
    case unknownModel(name: String, suggestions: [String])
    /// No saved plan has this name (`batchplan fit --save NAME` makes one).
    case unknownPlan(name: String, suggestions: [String])
    case duplicate(what: String, name: String, fix: String)
    case notUserRow(what: String, name: String)
    case invalidInput(String)
    /// An import with bad rows: every `FILE:LINE: problem`, nothing stored.
    case rejectedRows([String])
    case database(operation: String, detail: String)
    case core(CoreError)

    public var description: String {
        switch self {
        case let .location(path, problem, fix):
            "catalog \(path): \(problem); \(fix)"
        case let .newerSchema(path, unknown):
            "catalog \(path) was written by a newer batchplan (schema \(unknown.joined(separator: ", "))); "
                + "upgrade batchplan, or use another catalog with --db PATH. The file was left untouched."
        case let .notACatalog(path):
            "\(path) is not a batchplan catalog (not an SQLite database); pass another path with --db or BATCHPLAN_DB"
        case let .busy(path):
            "catalog \(path) is locked by another batchplan process; wait for it to finish and try again"
        case let .readOnly(path):
            "catalog \(path) is not writable; fix its permissions or pass a writable path with --db"
        case let .unknownGPU(name, suggestions):
            "unknown GPU \"\(name)\"" + Self.didYouMean(suggestions) + " (batchplan gpus list, or add it with batchplan gpus add)"
        case let .ambiguousGPU(name, candidates):
            "GPU name \"\(name)\" is ambiguous: it matches \(candidates.map { "\"\($0)\"" }.joined(separator: ", ")); use the full name"
        case let .unknownModel(name, suggestions):
            "unknown model \"\(name)\"" + Self.didYouMean(suggestions) + " (batchplan models list, or add it with batchplan models import)"
        case let .unknownPlan(name, suggestions):
            "unknown saved plan \"\(name)\"" + Self.didYouMean(suggestions)
                + " (batchplan plans list, or save one with batchplan fit … --save NAME)"
        case let .duplicate(what, name, fix):
            "\(what) \"\(name)\" already exists; \(fix)"
        case let .notUserRow(what, name):
            "\(what) \"\(name)\" is built in and cannot be removed; only rows you added can be removed"
        case let .invalidInput(message):
            message
        case let .rejectedRows(lines):
            lines.joined(separator: "\n") + "\nnothing was imported: fix the rows above, or pass --skip-invalid to store the valid rows"
        case let .database(operation, detail):
            "catalog error while \(operation): \(detail); run batchplan db check"
        case let .core(error):
            error.description
        }
    }

    private static func didYouMean(_ suggestions: [String]) -> String {
        var seen: Set<String> = []
        let distinct = suggestions.filter { seen.insert($0.lowercased()).inserted }
        guard !distinct.isEmpty else { return "" }
        return ": did you mean " + distinct.prefix(3).map { "\"\($0)\"" }.joined(separator: " or ") + "?"
    }
}
