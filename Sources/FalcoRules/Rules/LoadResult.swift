import TraceModel

/// Falco's load result codes (`falco_load_result.h`): errors stop loading, warnings do not.
public enum LoadCode: String, Sendable, CaseIterable {
    case fileRead = "LOAD_ERR_FILE_READ"
    case yamlParse = "LOAD_ERR_YAML_PARSE"
    case yamlValidate = "LOAD_ERR_YAML_VALIDATE"
    case compileCondition = "LOAD_ERR_COMPILE_CONDITION"
    case compileOutput = "LOAD_ERR_COMPILE_OUTPUT"
    case validate = "LOAD_ERR_VALIDATE"
    case `extension` = "LOAD_ERR_EXTENSION"
    case unknownSource = "LOAD_UNKNOWN_SOURCE"
    case unsafeNACheck = "LOAD_UNSAFE_NA_CHECK"
    case noEventType = "LOAD_NO_EVTTYPE"
    case unknownFilter = "LOAD_UNKNOWN_FILTER"
    case unusedMacro = "LOAD_UNUSED_MACRO"
    case unusedList = "LOAD_UNUSED_LIST"
    case unknownItem = "LOAD_UNKNOWN_ITEM"
    case deprecatedItem = "LOAD_DEPRECATED_ITEM"
    case warningExtension = "LOAD_WARNING_EXTENSION"
    case appendNoValues = "LOAD_APPEND_NO_VALUES"
    case exceptionNameNotUnique = "LOAD_EXCEPTION_NAME_NOT_UNIQUE"
    case invalidMacroName = "LOAD_INVALID_MACRO_NAME"
    case invalidListName = "LOAD_INVALID_LIST_NAME"
    case compileConditionWarning = "LOAD_COMPILE_CONDITION"
    case unknownKey = "LOAD_UNKNOWN_KEY"

    public var isError: Bool { rawValue.hasPrefix("LOAD_ERR_") }

    /// Falco's short description of the code.
    public var summary: String {
        switch self {
        case .fileRead: "File read error"
        case .yamlParse: "YAML parse error"
        case .yamlValidate: "Error validating internal structure of YAML file"
        case .compileCondition: "Error compiling condition"
        case .compileOutput: "Error compiling output"
        case .validate: "Error validating rule/macro/list/exception objects"
        case .extension: "Error in extension item"
        case .unknownSource: "Unknown event source"
        case .unsafeNACheck: "Unsafe <NA> comparison in condition"
        case .noEventType: "Condition has no event-type restriction"
        case .unknownFilter: "Unknown field or event-type in condition or output"
        case .unusedMacro: "Unused macro"
        case .unusedList: "Unused list"
        case .unknownItem: "Unknown rules file item"
        case .deprecatedItem: "Used deprecated item"
        case .warningExtension: "Warning in extension item"
        case .appendNoValues: "Overriding/appending list with no values"
        case .exceptionNameNotUnique: "Multiple exceptions defined with the same name"
        case .invalidMacroName: "Invalid macro name"
        case .invalidListName: "Invalid list name"
        case .compileConditionWarning: "Warning in filter compilation"
        case .unknownKey: "Unknown key"
        }
    }
}

/// One step of a diagnostic's context: which item, and where it is.
public struct LoadLocation: Sendable, Equatable {
    /// Falco's item type string: `rule`, `macro`, `list`, `rule condition`, `condition expression`...
    public var itemType: String
    public var itemName: String
    /// File name, or for positions inside a condition the condition's first characters in quotes.
    public var positionName: String
    /// 1-based line and column.
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(itemType: String, itemName: String, positionName: String, line: Int, column: Int, offset: Int) {
        self.itemType = itemType
        self.itemName = itemName
        self.positionName = positionName
        self.line = line
        self.column = column
        self.offset = offset
    }
}

/// An error or warning from loading rules.
public struct LoadMessage: Sendable, Equatable {
    public var code: LoadCode
    public var message: String
    public var locations: [LoadLocation]
    /// The source lines around the outermost item, with a caret under its position.
    public var snippet: String
    /// TraceLab's "did you mean" beside Falco's message (not part of Falco's text or JSON fields).
    public var hint: String?

    public init(code: LoadCode, message: String, locations: [LoadLocation], snippet: String) {
        self.code = code
        self.message = message
        self.locations = locations
        self.snippet = snippet
    }

    /// `file:line:column` of the innermost location inside the file.
    public var fileLocation: String? {
        locations.last(where: { !$0.positionName.hasPrefix("\"") }).map { "\($0.positionName):\($0.line):\($0.column)" }
    }
}

/// The result of loading one rules file: Falco's `falco_load_result`.
public struct LoadResult: Sendable {
    public var name: String
    public var errors: [LoadMessage] = []
    public var warnings: [LoadMessage] = []
    public var successful: Bool { errors.isEmpty }

    public init(name: String) { self.name = name }
}
