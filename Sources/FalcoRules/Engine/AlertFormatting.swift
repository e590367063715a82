import TraceModel

/// Falco's two alert forms: the text line and the JSON object.
public enum AlertFormatting {
    /// `16:17:57.881781397: Warning message` (UTC time, so replays are machine-independent).
    public static func textLine(_ alert: Alert) -> String {
        formatEventTime(alert.time) + ": " + alert.priority.name + " " + alert.message
    }

    /// Falco's JSON alert with sorted keys: hostname, output, output_fields, priority, rule, source, tags, time.
    /// `output_fields` carries each `%field` with its typed value plus `evt.time` in ns.
    public static func json(_ alert: Alert) -> JSONValue {
        var fields = alert.outputFields.map { ($0.key, $0.value.json) }
        if !fields.contains(where: { $0.0 == "evt.time" }) { fields.append(("evt.time", .unsigned(alert.time))) }
        fields.sort { $0.0 < $1.0 }
        return .object([
            ("hostname", .string(alert.hostname)),
            ("output", .string(textLine(alert))),
            ("output_fields", .object(fields)),
            ("priority", .string(alert.priority.name)),
            ("rule", .string(alert.rule)),
            ("source", .string(alert.source)),
            ("tags", .array(alert.tags.sorted().map { .string($0) })),
            ("time", .string(formatISOTime(alert.time))),
        ])
    }
}

/// Renders load results the way `falco -V` does, as text or as `falco -o json_output=true -V` JSON.
public enum LoadResultFormatting {
    public static func text(_ results: [LoadResult]) -> String {
        var out = ""
        for result in results {
            let status = !result.successful ? "Invalid" : result.warnings.isEmpty ? "Ok" : "Ok, with warnings"
            out += "\(result.name): \(status)\n"
            if !result.errors.isEmpty {
                out += "\(result.errors.count) Errors:\n"
                for message in result.errors { out += verbose(message) }
            }
            if !result.warnings.isEmpty {
                out += "\(result.warnings.count) Warnings:\n"
                for message in result.warnings { out += verbose(message) }
            }
        }
        return out
    }

    private static func verbose(_ message: LoadMessage) -> String {
        var out = ""
        for (index, location) in message.locations.enumerated() {
            out += (index == 0 ? "In " : "    ") + location.itemType + (location.itemName.isEmpty ? "" : " '\(location.itemName)'")
                + ": (\(location.positionName):\(location.line):\(location.column))\n"
        }
        if !message.snippet.isEmpty { out += "------\n\(message.snippet)\n------\n" }
        out += "\(message.code.rawValue) (\(message.code.summary)): \(message.message)\n"
        return out
    }

    public static func json(_ results: [LoadResult]) -> JSONValue {
        .object([("falco_load_results", .array(results.map { result in
            .object([
                ("errors", .array(result.errors.map(json))),
                ("name", .string(result.name)),
                ("successful", .bool(result.successful)),
                ("warnings", .array(result.warnings.map(json))),
            ])
        }))])
    }

    private static func json(_ message: LoadMessage) -> JSONValue {
        .object([
            ("code", .string(message.code.rawValue)),
            ("codedesc", .string(message.code.summary)),
            ("context", .object([
                ("locations", .array(message.locations.map { location in
                    .object([
                        ("item_name", .string(location.itemName)),
                        ("item_type", .string(location.itemType)),
                        ("position", .object([
                            ("column", .integer(Int64(location.column))),
                            ("line", .integer(Int64(location.line))),
                            ("name", .string(location.positionName)),
                            ("offset", .integer(Int64(location.offset))),
                        ])),
                    ])
                })),
                ("snippet", .string(message.snippet)),
            ])),
            ("message", .string(message.message)),
        ])
    }
}
