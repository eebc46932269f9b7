/// A value that looks like a negative number, attached to the option before it: `--memory -3GB` becomes
/// `--memory=-3GB`, so the option's own check answers ("a size cannot be negative") instead of ArgumentParser's
/// `Missing value for '--memory <size>'`.
///
/// ArgumentParser 1.8.2 reads any token that starts with `-` as an option, so it never hands `-3GB` to `--memory`;
/// written with `=`, it does. A token is rewritten only when it follows a long option written without `=` and starts
/// with `-` and a digit (or `-.` and a digit): no option of ours is named like that, so such a token could only ever
/// be an error. After a flag that takes no value, the rewrite makes ArgumentParser say that the flag takes none.
/// Nothing after `--` moves.
enum NegativeValues {
    static func attached(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let token = arguments[index]
            if token == "--" {
                result += arguments[index...]
                break
            }
            if token.hasPrefix("--"), token.count > 2, !token.contains("="), index + 1 < arguments.endIndex,
                looksNegative(arguments[index + 1])
            {
                result.append(token + "=" + arguments[index + 1])
                index += 2
                continue
            }
            result.append(token)
            index += 1
        }
        return result
    }

    /// `-3`, `-3GB`, `-0.5`, `-.5`: a minus sign and a number, with anything after it.
    static func looksNegative(_ token: String) -> Bool {
        let digits = "0123456789"
        var rest = token.unicodeScalars.makeIterator()
        guard rest.next() == "-", let first = rest.next() else { return false }
        if digits.unicodeScalars.contains(first) { return true }
        guard first == ".", let second = rest.next() else { return false }
        return digits.unicodeScalars.contains(second)
    }
}
