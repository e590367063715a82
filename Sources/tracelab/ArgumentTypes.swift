import ArgumentParser
import FalcoRules
import Metrics
import TraceModel

/// A Prometheus duration option (`15s`, `1m30s`, `2h`), or plain seconds (`15`, `0.5`), in milliseconds.
struct DurationArgument: ExpressibleByArgument {
    var milliseconds: Int64

    init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// As help prints a default: Prometheus's notation.
    var defaultValueDescription: String {
        milliseconds % 60_000 == 0 ? "\(milliseconds / 60_000)m" : milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    init?(argument: String) {
        if let value = PromQLParser.duration(argument) {
            milliseconds = value
        } else if let seconds = Double(argument), seconds.isFinite, seconds >= 0, seconds < 1e12 {
            milliseconds = Int64((seconds * 1000).rounded())
        } else {
            return nil
        }
    }
}

/// A time option: Unix seconds or RFC 3339, in milliseconds.
struct TimeArgument: ExpressibleByArgument {
    var milliseconds: Int64

    init?(argument: String) {
        guard let value = QueryOutput.parseTime(argument) else { return nil }
        milliseconds = value
    }
}

/// A time window option: `FROM,TO`, each Unix seconds or RFC 3339.
struct TimeWindowArgument: ExpressibleByArgument {
    var from: Int64
    var to: Int64

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let from = TimeArgument(argument: parts[0]), let to = TimeArgument(argument: parts[1]) else { return nil }
        self.from = from.milliseconds
        self.to = to.milliseconds
    }
}

/// A Falco priority option (`warning`, `WARNING`, `warn`... as falco.yaml's `priority` takes them).
struct PriorityArgument: ExpressibleByArgument {
    var priority: Priority

    init?(argument: String) {
        guard let parsed = Priority(parsing: argument) else { return nil }
        priority = parsed
    }

    static var allValueStrings: [String] { Priority.allCases.map { $0.name.lowercased() } }
}

extension RuleMatching: ExpressibleByArgument {}
extension FalcoRelease: ExpressibleByArgument {}

/// A configuration override `-o key=value` (falco's `-o`); the key may not be empty.
struct ConfigOverrideArgument: ExpressibleByArgument {
    var key: String
    var value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        key = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
    }
}
