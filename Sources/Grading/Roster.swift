import TraceModel

/// A class roster (CSV with a header row): which student each submission is, for the gradebook exports. Columns
/// are named in the header, in any order and case: `submission` (the submission's name: its folder or archive name
/// without the suffix) and at least one of `id` and `email`; optionally `name` (or `first name` and `last name`),
/// `sis_id` (`sis user id`), `login` (`sis login id`) and `section`.
public struct Roster: Sendable {
    public struct Student: Sendable, Equatable {
        public var submission: String
        public var id: String
        public var firstName: String
        public var lastName: String
        public var email: String
        public var sisID: String
        public var login: String
        public var section: String

        /// "Last, First" as course sites list students (the one name when there is no split).
        public var sortableName: String { lastName.isEmpty ? firstName : firstName.isEmpty ? lastName : "\(lastName), \(firstName)" }
    }

    public var students: [Student]

    public init(students: [Student]) { self.students = students }

    /// Reads a roster; errors give the file and line.
    public static func load(path: String) throws(TraceLabError) -> Roster {
        guard let bytes = FileBytes.read(path) else { throw TraceLabError("cannot read the roster", at: SourceLocation(file: path, line: 0, column: 0)) }
        return try parse(bytes, name: path)
    }

    public static func parse(_ bytes: [UInt8], name: String) throws(TraceLabError) -> Roster {
        let records = try CSV.parse(bytes, name: name)
        guard let header = records.first else { throw TraceLabError("the roster is empty", at: SourceLocation(file: name, line: 1, column: 1)) }
        let columns = header.cells.map { $0.trimmingBlanks().lowercased().replacingUnderscores() }
        func column(_ names: String...) -> Int? { columns.firstIndex { names.contains($0) } }
        guard let submission = column("submission", "submission name") else {
            throw TraceLabError("the header names no 'submission' column (columns: \(header.cells.joined(separator: ", ")))", at: SourceLocation(file: name, line: header.line, column: 1))
        }
        let id = column("id", "student id"), email = column("email", "email address"), fullName = column("name", "student", "student name")
        let first = column("first name", "firstname"), last = column("last name", "lastname", "surname")
        let sis = column("sis id", "sis user id"), login = column("login", "sis login id"), section = column("section")
        guard id != nil || email != nil else {
            throw TraceLabError("the header names neither an 'id' nor an 'email' column: course sites match students by one of them", at: SourceLocation(file: name, line: header.line, column: 1))
        }
        var students: [Student] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            func cell(_ index: Int?) -> String { index.flatMap { record.cells.indices.contains($0) ? record.cells[$0].trimmingBlanks() : nil } ?? "" }
            let key = cell(submission)
            guard !key.isEmpty else { throw TraceLabError("no submission name", at: SourceLocation(file: name, line: record.line, column: 1)) }
            if let earlier = seen[key] {
                throw TraceLabError("submission \(key) is listed twice (also on line \(earlier))", at: SourceLocation(file: name, line: record.line, column: 1))
            }
            seen[key] = record.line
            var firstName = cell(first), lastName = cell(last)
            if firstName.isEmpty && lastName.isEmpty {
                let whole = cell(fullName)
                if let comma = whole.firstIndex(of: ",") {
                    lastName = String(whole[..<comma]).trimmingBlanks()
                    firstName = String(whole[whole.index(after: comma)...]).trimmingBlanks()
                } else if let space = whole.lastIndex(of: " ") {
                    firstName = String(whole[..<space]).trimmingBlanks()
                    lastName = String(whole[whole.index(after: space)...]).trimmingBlanks()
                } else {
                    firstName = whole
                }
            }
            students.append(Student(submission: key, id: cell(id), firstName: firstName, lastName: lastName, email: cell(email), sisID: cell(sis),
                                    login: cell(login), section: cell(section)))
        }
        return Roster(students: students)
    }
}

private extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
