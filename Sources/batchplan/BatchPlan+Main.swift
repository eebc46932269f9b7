import ArgumentParser
import BatchPlanCore
import Foundation

extension BatchPlan {
    /// The entry point: ArgumentParser's own `main`, with a negative number kept with its option (`NegativeValues`),
    /// global options accepted before the subcommand (`GlobalOptions`) and an invalid enum value answered with a
    /// suggestion (`InvalidValueMessage`).
    static func main() {
        do {
            let typed = NegativeValues.attached(Array(CommandLine.arguments.dropFirst()))
            let arguments = try GlobalOptions.hoisted(typed, root: Self.self)
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if let better = InvalidValueMessage(message(for: error)) {
                FileHandle.standardError.write(Data((fullMessage(for: error).replacingOccurrences(
                    of: better.original, with: better.rewritten) + "\n").utf8))
                Foundation.exit(exitCode(for: error).rawValue)
            }
            exit(withError: error)
        }
    }
}

/// ArgumentParser's "invalid value" message for an enum option, with the 17-line list of values replaced by one
/// line that suggests the closest value(s) first, for every enum option at once.
///
/// ArgumentParser 1.8.2 writes `The value 'sgdd' is invalid for '--optimizer <optimizer>'. Please provide one of
/// the following:` and one `  - value` line per case (or `. Please provide one of 'a', 'b' or 'c'.` for fewer than 6
/// cases, `UsageGenerator.swift`); this turns it into `The value 'sgdd' is invalid for '--optimizer <optimizer>': did
/// you mean "sgd"?` and, on the next line, every value comma-separated. Messages of any other shape are left alone.
struct InvalidValueMessage {
    var original: String
    var rewritten: String
    var suggestion: String?
    var values: [String]

    init?(_ message: String) {
        guard message.hasPrefix("The value '"), let listStart = message.range(of: ". Please provide one of ") else {
            return nil
        }
        let head = String(message[..<listStart.lowerBound])
        let list = message[listStart.upperBound...]
        var values: [String]
        if list.hasPrefix("the following:") {
            values = list.split(separator: "\n").dropFirst().compactMap { line in
                let trimmed = line.trimmingSpaces()
                return trimmed.hasPrefix("- ") ? String(trimmed.dropFirst(2)) : nil
            }
        } else {
            // 'a', 'b' or 'c'.
            values = list.split(separator: "'", omittingEmptySubsequences: false).enumerated()
                .compactMap { $0.offset % 2 == 1 ? String($0.element) : nil }
        }
        guard !values.isEmpty, let typedEnd = head.dropFirst("The value '".count).range(of: "' is invalid") else { return nil }
        let typed = String(head.dropFirst("The value '".count)[..<typedEnd.lowerBound])
        suggestion = NameSuggestion.didYouMean(typed, among: values)
        self.values = values
        original = message
        rewritten = head + (suggestion.map { ": \($0)" } ?? ".") + "\n  Valid values: " + values.joined(separator: ", ") + "."
    }
}
