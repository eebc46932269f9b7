import ArgumentParser

/// Options a user may give before the subcommand as well as after it: `batchplan --db x.sqlite gpus list` and
/// `batchplan gpus list --db x.sqlite` mean the same.
///
/// ArgumentParser hands a parent command's options to the parent only, so before parsing, `main` moves these options
/// from in front of the subcommand path to just behind it, where the leaf command reads them. How a command adopts
/// them: declare `@OptionGroup var catalog: CatalogOptions` (every catalog command does; a new command such as
/// `serve` needs nothing else). To add another global option, declare it in an option group the commands share and
/// add its name to `valued` (takes a value) or `flags` (takes none).
enum GlobalOptions {
    /// Global options that take a value (`--db PATH` or `--db=PATH`).
    static let valued: Set<String> = ["--db"]
    /// Global options without a value.
    static let flags: Set<String> = []

    /// `arguments` (without the program name) with the global options in front of the subcommand path moved behind
    /// it. Anything else, and global options already behind the subcommand, stay where they are; without a
    /// subcommand nothing moves.
    static func hoisted(_ arguments: [String], root: any ParsableCommand.Type) throws(ValidationError) -> [String] {
        var globals: [String] = []
        var path: [String] = []
        var command = root
        var index = arguments.startIndex
        scan: while index < arguments.endIndex {
            let token = arguments[index]
            let name = token.split(separator: "=", maxSplits: 1).first.map(String.init) ?? token
            if valued.contains(name) {
                if token.contains("=") {
                    globals.append(token)
                    index += 1
                } else {
                    guard index + 1 < arguments.endIndex else {
                        throw ValidationError("\(token) needs a value, e.g. batchplan \(token) ~/catalog.sqlite gpus list")
                    }
                    globals += [token, arguments[index + 1]]
                    index += 2
                }
                continue
            }
            if flags.contains(token) {
                globals.append(token)
                index += 1
                continue
            }
            guard let sub = subcommand(named: token, of: command) else { break scan }
            path.append(token)
            command = sub
            index += 1
        }
        guard !path.isEmpty, !globals.isEmpty else { return arguments }
        return path + globals + arguments[index...]
    }

    /// The subcommand of `command` called `name` (or one of its aliases).
    static func subcommand(named name: String, of command: any ParsableCommand.Type) -> (any ParsableCommand.Type)? {
        command.configuration.subcommands.first { sub in
            sub._commandName == name || sub.configuration.aliases.contains(name)
        }
    }
}
