/// Every error the Core module throws. Messages name the object and say the fix.
public enum CoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value that does not parse or is out of range.
    case invalidValue(what: String, value: String, fix: String)
    /// A model definition that cannot be accounted (bad spec, shape mismatch, unknown layer type, …).
    case invalidModel(model: String, problem: String)
    /// A configuration the planner cannot express on this card or model.
    case unsupported(String)

    public var description: String {
        switch self {
        case let .invalidValue(what, value, fix):
            "invalid \(what) \"\(value)\": \(fix)"
        case let .invalidModel(model, problem):
            "model \"\(model)\": \(problem)"
        case let .unsupported(message):
            message
        }
    }
}
