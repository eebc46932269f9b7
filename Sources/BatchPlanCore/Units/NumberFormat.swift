#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// printf-style formatting of numbers through the C library's `vsnprintf`.
///
/// For numeric conversions (`%.1f`, `%g`, `%.0f`) this is what Foundation's `String(format:)` ends in: CoreFoundation
/// hands each numeric specifier to the C library's `snprintf` (`CFString.c`, `__CFStringAppendFormatCore`), so the
/// text is the same, without the NSString, the format parsing and the locale lookups around it, which on Linux cost
/// about 20 times the formatting itself (a tenth of a whole-catalog `fit` went to them). Only numeric conversions
/// belong here: no `%@`, and `%d` wants an `Int32`.
public enum NumberFormat {
    /// `format` (C printf syntax) applied to `arguments`.
    public static func string(_ format: String, _ arguments: CVarArg...) -> String {
        var capacity = 64
        while true {
            let (text, needed): (String?, Int) = withVaList(arguments) { list in
                withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
                    let needed = Int(vsnprintf(buffer.baseAddress, capacity, format, list))
                    guard needed >= 0, needed < capacity else { return (nil, needed) }
                    return (String(cString: buffer.baseAddress!), needed)
                }
            }
            if let text { return text }
            guard needed >= 0 else { return "" }  // an encoding error: no text, as snprintf gives none
            capacity = needed + 1
        }
    }
}
