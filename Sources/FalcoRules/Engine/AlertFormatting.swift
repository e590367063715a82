import TraceModel

/// Falco's two alert forms: the text line and the JSON object.
public enum AlertFormatting {
    /// Falco's output settings: JSON or text, which JSON properties, which time format.
    public struct Style: Sendable, Equatable {
        public var json = false
        public var includeOutput = true
        public var includeTags = true
        public var includeMessage = false
        public var includeOutputFields = true
        /// `time_format_iso_8601`: the text prefix is `%evt.time.iso8601` instead of `%evt.time`.
        public var isoTime = false

        public init(json: Bool = false, includeOutput: Bool = true, includeTags: Bool = true, includeMessage: Bool = false,
                    includeOutputFields: Bool = true, isoTime: Bool = false) {
            self.json = json
            self.includeOutput = includeOutput
            self.includeTags = includeTags
            self.includeMessage = includeMessage
            self.includeOutputFields = includeOutputFields
            self.isoTime = isoTime
        }
    }

    /// The alert as Falco prints it under a style.
    public static func render(_ alert: Alert, style: Style) -> String {
        style.json ? json(alert, style: style).rendered : textLine(alert, isoTime: style.isoTime)
    }

    /// `16:17:57.881781397: Warning message` (UTC, so replays are machine-independent), or with
    /// `isoTime` `2016-08-04T16:17:57.881781397+0000: Warning message`.
    public static func textLine(_ alert: Alert, isoTime: Bool = false) -> String {
        (isoTime ? formatISOTimeWithOffset(alert.time) : formatEventTime(alert.time)) + ": " + alert.priority.name + " " + alert.message
    }

    /// Falco's JSON alert with sorted keys: hostname, (message), output, output_fields, priority, rule, source, tags, time.
    /// `output_fields` carries each `%field` with its typed value plus the time field of the prefix.
    public static func json(_ alert: Alert, style: Style = Style()) -> JSONValue {
        var fields = alert.outputFields.map { ($0.key, $0.value.json) }
        let timeKey = style.isoTime ? "evt.time.iso8601" : "evt.time"
        if !fields.contains(where: { $0.0 == timeKey }) { fields.append((timeKey, .unsigned(alert.time))) }
        fields.sort { $0.0 < $1.0 }
        var members: [(String, JSONValue)] = [("hostname", .string(alert.hostname))]
        if style.includeMessage { members.append(("message", .string(alert.message))) }
        if style.includeOutput { members.append(("output", .string(textLine(alert, isoTime: style.isoTime)))) }
        if style.includeOutputFields { members.append(("output_fields", .object(fields))) }
        members += [("priority", .string(alert.priority.name)), ("rule", .string(alert.rule)), ("source", .string(alert.source))]
        if style.includeTags { members.append(("tags", .array(alert.tags.sorted().map { .string($0) }))) }
        members.append(("time", .string(formatISOTime(alert.time))))
        return .object(members)
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
        if let hint = message.hint { out += "Hint: \(hint)\n" }
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
        ] + (message.hint.map { [("tracelab_hint", JSONValue.string($0))] } ?? []))
    }
}
