/// A position in an input file: 1-based line and column, 0-based byte offset.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var offset: Int?

    public init(file: String, line: Int, column: Int, offset: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// `file:line:column`, the form editors and terminals recognise.
    public var description: String { "\(file):\(line):\(column)" }
}

/// The error every TraceLab library throws for bad input: what went wrong and where.
public struct TraceLabError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation?

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}
