/// Warnings Falco's `filter_warning_resolver` raises on a parsed condition, before compilation.
public enum ConditionWarnings {
    /// A warning with its load code.
    public struct Finding: Sendable, Equatable {
        public var code: LoadCode
        public var message: String
    }

    /// Unsafe `<NA>` comparisons on `ka.*`/`jevt.*` fields (LOAD_UNSAFE_NA_CHECK) and uses of the
    /// deprecated `evt.dir` (LOAD_DEPRECATED_ITEM).
    public static func findings(in node: ConditionNode) -> [Finding] {
        var findings: [Finding] = []
        walk(node, &findings)
        return findings
    }

    private static func walk(_ node: ConditionNode, _ findings: inout [Finding]) {
        switch node {
        case .and(let children, _), .or(let children, _):
            for child in children { walk(child, &findings) }
        case .not(let child, _):
            walk(child, &findings)
        case .unary(.field(let name, _, _), _, _):
            if name == "evt.dir" { findings.append(deprecatedDirection) }
        case .binary(.field(let name, _, _), let op, _, let value, _):
            if name == "evt.dir" { findings.append(deprecatedDirection) }
            guard name.hasPrefix("ka.") || name.hasPrefix("jevt."),
                  ["=", "==", "!=", "in", "intersects", "pmatch"].contains(op) else { return }
            let hasNA: Bool
            switch value {
            case .literal(let text, _, _): hasNA = text == "<NA>"
            case .list(let items, _): hasNA = items.contains { $0.text == "<NA>" }
            default: hasNA = false
            }
            if hasNA {
                findings.append(Finding(code: .unsafeNACheck,
                                        message: "Comparing a field value with <NA> is unsafe and can lead to unexpected behavior: the value is compared as a string"))
            }
        default:
            break
        }
    }

    private static let deprecatedDirection = Finding(
        code: .deprecatedItem,
        message: "The 'evt.dir' field is deprecated: enter events are no longer captured, so 'evt.dir = <' always evaluates to true")
}
