import FalcoRules
import TraceModel
import Yams
#if canImport(Glibc)
import Glibc
#endif

/// What a student handed in, recognised by content as well as by name: rules files (plain, or the
/// `customRules` of a Helm values.yaml), Falco settings (falco.yaml or the values.yaml `falco:` section),
/// written answers (answers.md, a .docx or .odt document, or answers.yaml) and Grafana dashboards.
public struct Submission: Sendable {
    public var name: String
    public var path: String
    /// Rules files in the order the lab's chart has Falco load them: each is a file of /etc/falco/rules.d
    /// (a `customRules` entry, or a rules file handed in on its own), and Falco reads that folder in name order.
    public var rulesFiles: [RulesFile]
    /// The file that carries Falco's settings, if any.
    public var configFile: (name: String, bytes: [UInt8])?
    /// Written answers by question (`Q1`, `Q2`, ...).
    public var answers: [String: String]
    /// Grafana dashboard exports, with their display names.
    public var dashboards: [(name: String, bytes: [UInt8])]
    /// What was recognised, one line per file, in path order.
    public var found: [String]
    /// Files skipped or refused, with the reason.
    public var problems: [String]

    /// One rules file of the submission and where its text sits in what the student handed in.
    public struct RulesFile: Sendable {
        /// The name diagnostics use: the file's path, or `values.yaml customRules[NAME]`.
        public var name: String
        public var bytes: [UInt8]
        /// The submitted file that holds the text (`values.yaml`, `rules/my_rules.yaml`).
        public var path: String
        /// Its name in /etc/falco/rules.d, which decides when Falco loads it.
        public var mountName: String
        /// Line k of the text is line `lineOffset + k` of `path`; columns shift by `columnOffset`.
        public var lineOffset: Int
        public var columnOffset: Int

        public init(name: String, bytes: [UInt8], path: String, mountName: String, lineOffset: Int = 0, columnOffset: Int = 0) {
            self.name = name
            self.bytes = bytes
            self.path = path
            self.mountName = mountName
            self.lineOffset = lineOffset
            self.columnOffset = columnOffset
        }

        /// A load message with positions inside this text moved to the submitted file's lines and columns.
        public func located(_ message: LoadMessage) -> LoadMessage {
            var moved = message
            for index in moved.locations.indices where moved.locations[index].positionName == name {
                moved.locations[index].positionName = path
                if moved.locations[index].line > 0 { moved.locations[index].line += lineOffset }
                if moved.locations[index].column > 0 { moved.locations[index].column += columnOffset }
            }
            return moved
        }
    }

    /// Sorts rules files as Falco reads /etc/falco/rules.d: by file name (then by where they came from).
    static func chartOrder(_ files: [RulesFile]) -> [RulesFile] {
        files.sorted { ($0.mountName, $0.name) < ($1.mountName, $1.name) }
    }

    /// The `found` line of a standalone rules file.
    static func foundRulesFile(_ path: String) -> String { "\(path): a Falco rules file" }

    /// Keeps the rules the student's Falco loads, in the chart's order. With a values.yaml's customRules, those are
    /// all the chart mounts in rules.d: a standalone rules file beside it (a scratch copy, Falco's own rules file
    /// downloaded to read) never reached that Falco, so it is said in `found` and left out.
    mutating func keepDeployedRules() {
        let fromChart = rulesFiles.filter { $0.name != $0.path }
        if !fromChart.isEmpty {
            let chartFile = fromChart[0].path
            for file in rulesFiles where file.name == file.path {
                if let index = found.firstIndex(of: Self.foundRulesFile(file.path)) {
                    found[index] = "\(file.path): a Falco rules file that the chart does not deploy (your Falco loads \(chartFile)'s customRules); not used"
                }
            }
            rulesFiles = fromChart
        }
        rulesFiles = Self.chartOrder(rulesFiles)
    }

    /// Limits on what a submission may hold; beyond them files are skipped with a message.
    public struct Limits: Sendable {
        public var maximumFileBytes = 1 << 20
        public var maximumFiles = 200
        public var maximumDepth = 8
        public init() {}

        /// The limits for an archive: its entries as large and as many as a folder's files.
        var archive: SubmissionArchive.Limits {
            var archive = SubmissionArchive.Limits()
            archive.maximumEntryBytes = maximumFileBytes
            archive.maximumEntries = maximumFiles
            return archive
        }
    }

    /// Reads a submission: a folder, a `.zip` or a `.tar.gz` (recognised by content). Archives are read in
    /// memory and never unpacked onto disk.
    public static func load(path: String, limits: Limits = Limits()) throws(TraceLabError) -> Submission {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw TraceLabError("no such file or folder", at: SourceLocation(file: path, line: 0, column: 0)) }
        if status.st_mode & S_IFMT == S_IFDIR { return try load(directory: path, limits: limits) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw TraceLabError("not a folder, zip, tar or tar.gz (symbolic links are not followed)", at: SourceLocation(file: path, line: 0, column: 0))
        }
        let archiveLimits = limits.archive
        guard Int(status.st_size) <= archiveLimits.maximumTotalBytes else {
            throw TraceLabError("\(status.st_size) bytes, over the \(archiveLimits.maximumTotalBytes)-byte limit for an archive", at: SourceLocation(file: path, line: 0, column: 0))
        }
        guard let bytes = FileBytes.read(path) else { throw TraceLabError("cannot be read", at: SourceLocation(file: path, line: 0, column: 0)) }
        guard SubmissionArchive.kind(bytes) != nil else { throw TraceLabError("not a folder, zip, tar or tar.gz", at: SourceLocation(file: path, line: 0, column: 0)) }
        let contents = try SubmissionArchive.read(bytes, name: path, limits: archiveLimits)
        var submission = Submission(name: Submission.name(of: path), path: path, rulesFiles: [], configFile: nil, answers: [:], dashboards: [], found: [], problems: contents.problems)
        submission.recognise(contents, under: nil)
        submission.keepDeployedRules()
        return submission
    }

    /// An archive's files, recognised one by one. Archives often wrap everything in one top folder (named after
    /// the student): paths are kept as they are, only names matter; macOS's `__MACOSX/` and dot files are skipped.
    /// Inside a folder the archive's path prefixes its entries (`smith.zip/values.yaml`).
    private mutating func recognise(_ contents: SubmissionArchive.Contents, under prefix: String?) {
        for entry in contents.entries.sorted(by: { $0.path < $1.path }) where !Self.isHidden(entry.path) {
            recognise(prefix.map { $0 + "/" + entry.path } ?? entry.path, entry.bytes, openingArchives: nil)
        }
    }

    /// A submission's name: its folder or file name, without an archive suffix.
    public static func name(of path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        var name = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        for suffix in archiveSuffixes where name.lowercased().hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        return name
    }

    /// The names archives go by (their content decides what they are; the name, how large a file may be).
    static let archiveSuffixes = [".tar.gz", ".tgz", ".tar", ".zip"]

    /// SHA-256 of what a submission holds: an archive's bytes, or a folder's file paths and contents (the
    /// files the grader would read). Nil when the path cannot be read.
    public static func fingerprint(path: String, limits: Limits = Limits()) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        let hash = SHA256()
        if status.st_mode & S_IFMT == S_IFDIR {
            var files: [String] = [], problems: [String] = []
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            collect(base, relative: "", depth: 0, limits: limits, files: &files, problems: &problems)
            for relative in files.sorted() {
                var size = stat()
                guard lstat(base + "/" + relative, &size) == 0 else { continue }
                hash.update(Array("\u{0}\(relative)\u{0}\(size.st_size)\u{0}".utf8))
                if Int(size.st_size) <= limits.archive.maximumBytes(of: relative), let bytes = FileBytes.read(base + "/" + relative) { hash.update(bytes) }
            }
            hash.update(Array(problems.joined(separator: "\n").utf8))
        } else {
            guard Int(status.st_size) <= 64 << 20, let bytes = FileBytes.read(path) else { return nil }
            hash.update(bytes)
        }
        return SHA256.hex(hash.finalize())
    }

    /// Reads a submission folder. Symbolic links are never followed; large files and deep trees are refused.
    public static func load(directory: String, name: String? = nil, limits: Limits = Limits()) throws(TraceLabError) -> Submission {
        var status = stat()
        guard lstat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw TraceLabError("not a folder (or a symbolic link, which is not followed)", at: SourceLocation(file: directory, line: 0, column: 0))
        }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var submission = Submission(name: name ?? Submission.name(of: base), path: base, rulesFiles: [], configFile: nil,
                                    answers: [:], dashboards: [], found: [], problems: [])
        var files: [String] = []
        collect(base, relative: "", depth: 0, limits: limits, files: &files, problems: &submission.problems)
        for relative in files.sorted() {
            let fullPath = base + "/" + relative
            // A course site's bulk download puts each student's archive in a folder of its own: it is opened.
            let lower = relative.lowercased()
            let archiveName = Self.archiveSuffixes.contains { lower.hasSuffix($0) }
            let limit = archiveName ? limits.archive.maximumTotalBytes : limits.archive.maximumBytes(of: relative)
            var size = stat()
            if lstat(fullPath, &size) == 0, Int(size.st_size) > limit {
                submission.problems.append("\(relative): \(size.st_size) bytes, over the \(limit)-byte limit; not read")
                continue
            }
            guard let bytes = FileBytes.read(fullPath) else {
                submission.problems.append("\(relative): cannot be read")
                continue
            }
            if bytes.count > limit {
                submission.problems.append("\(relative): \(bytes.count) bytes, over the \(limit)-byte limit; not read")
                continue
            }
            submission.recognise(relative, bytes, openingArchives: limits.archive)
        }
        submission.keepDeployedRules()
        return submission
    }

    private static func collect(_ folder: String, relative: String, depth: Int, limits: Limits, files: inout [String], problems: inout [String]) {
        guard depth <= limits.maximumDepth else {
            problems.append("\(relative): nested deeper than \(limits.maximumDepth) folders; not read")
            return
        }
        guard let directory = opendir(folder) else {
            problems.append("\(relative.isEmpty ? "." : relative): cannot be listed")
            return
        }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(directory)
        for name in names.sorted() {
            let path = folder + "/" + name
            let child = relative.isEmpty ? name : relative + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFLNK: problems.append("\(child): a symbolic link; not followed")
            case S_IFDIR:
                if !name.hasPrefix(".") && name != "__MACOSX" { collect(path, relative: child, depth: depth + 1, limits: limits, files: &files, problems: &problems) }
            case S_IFREG:
                if name.hasPrefix(".") { continue }
                if files.count >= limits.maximumFiles {
                    // Files of the kinds the lab asks for are kept first: junk files cannot hide values.yaml.
                    let message = "more than \(limits.maximumFiles) files; files of the kinds the lab asks for are kept first, the rest are not read"
                    if !problems.contains(message) { problems.append(message) }
                    if isLabFile(child), let evicted = files.lastIndex(where: { !isLabFile($0) }) {
                        files.remove(at: evicted)
                        files.append(child)
                    }
                    continue
                }
                files.append(child)
            default: problems.append("\(child): not a regular file; not read")
            }
        }
    }

    /// The rules files of a Helm values.yaml's `customRules` (each entry a file of /etc/falco/rules.d), in the
    /// chart's load order; nil when `customRules` is not a mapping of names to texts.
    public static func customRules(ofValues bytes: [UInt8], path: String) throws(TraceLabError) -> [RulesFile]? {
        guard let root = try YAMLGuard.compose(bytes, name: path), let custom = root["customRules"] else { return nil }
        return customRules(custom, path: path, bytes: bytes).map(chartOrder)
    }

    static func customRules(_ custom: Node, path: String, bytes: [UInt8]) -> [RulesFile]? {
        guard case .mapping(let files) = custom else { return nil }
        var found: [RulesFile] = []
        for (fileName, content) in files {
            guard let fileName = fileName.string, case .scalar(let scalar) = content else { continue }
            let (lineOffset, columnOffset) = textPosition(of: scalar, at: content.mark, in: bytes)
            found.append(RulesFile(name: "\(path) customRules[\(fileName)]", bytes: Array(scalar.string.utf8), path: path,
                                   mountName: fileName, lineOffset: lineOffset, columnOffset: columnOffset))
        }
        return found
    }

    /// Where a scalar's text starts in the file: a block scalar (`|`, `|-`, `>`) starts on the line after its
    /// indicator, indented; line k of its text is line `mark + k` of the file. Other scalars are placed at
    /// their mark (exact for their first line).
    static func textPosition(of scalar: Node.Scalar, at mark: Mark?, in bytes: [UInt8]) -> (lines: Int, columns: Int) {
        guard let mark else { return (0, 0) }
        guard scalar.style == .literal || scalar.style == .folded else { return (mark.line - 1, max(0, mark.column - 1)) }
        var line = 1, index = 0
        while index < bytes.count, line <= mark.line {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
        // The first content line that is not blank gives the indentation.
        while index < bytes.count {
            var indent = 0
            while index + indent < bytes.count, bytes[index + indent] == UInt8(ascii: " ") { indent += 1 }
            let end = index + indent
            if end < bytes.count, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { return (mark.line, indent) }
            guard let next = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            index = next + 1
        }
        return (mark.line, 0)
    }

    /// A file of a kind the lab asks for (rules and settings in YAML, answers in Markdown or text, dashboards in
    /// JSON, or an archive holding them): kept first when a submission holds more files than are read.
    public static func isLabFile(_ path: String) -> Bool {
        let lower = path.lowercased()
        return ([".yaml", ".yml", ".md", ".markdown", ".txt", ".docx", ".odt", ".json"] + archiveSuffixes).contains { lower.hasSuffix($0) }
    }

    /// The answers a text or document gives under question headings; the first file to answer a question keeps it.
    private mutating func takeWrittenAnswers(_ relative: String, text: String, kind: String) {
        let parsed = WrittenAnswers.parseMarkdown(text)
        if parsed.isEmpty {
            found.append("\(relative): \(kind) without question headings; not used")
        } else {
            for (question, answer) in parsed where answers[question] == nil { answers[question] = answer }
            found.append("\(relative): written answers to \(parsed.keys.sorted(by: WrittenAnswers.questionOrder).joined(separator: ", "))")
        }
    }

    /// A text file as editors save it: UTF-8, with or without a byte order mark, or UTF-16 with one (Windows
    /// Notepad's "Unicode"); line ends CRLF or LF.
    static func plainText(_ bytes: [UInt8]) -> String {
        let utf8 = TextEncoding.utf8(bytes)
        let text = String(decoding: utf8.starts(with: [0xEF, 0xBB, 0xBF]) ? utf8.dropFirst(3) : utf8[...], as: UTF8.self)
        return text.replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// Dot files (`.DS_Store`) and macOS's resource forks (`__MACOSX/`), at any depth: never the student's work.
    static func isHidden(_ path: String) -> Bool {
        path.split(separator: "/").contains { $0.hasPrefix(".") || $0 == "__MACOSX" }
    }

    /// Recognises one file by name and content. An archive is opened with `archiveLimits` (a folder's archive);
    /// without them (an archive inside an archive) it is not.
    private mutating func recognise(_ relative: String, _ bytes: [UInt8], openingArchives archiveLimits: SubmissionArchive.Limits?) {
        let lower = relative.lowercased()
        if let kind = DocumentText.kind(ofName: relative) {
            // A document is a zip too, but its own: read at any depth, for its text only.
            guard SubmissionArchive.kind(bytes) == "zip" else {
                found.append("\(relative): named as a document but not one (not a zip); not used")
                return
            }
            do {
                takeWrittenAnswers(relative, text: try DocumentText.text(of: bytes, kind: kind, name: relative), kind: "a document")
            } catch {
                problems.append("\(error)")
                found.append("\(relative): a document that could not be read; not used")
            }
            return
        }
        if lower.hasSuffix(".pdf") || lower.hasSuffix(".doc") || lower.hasSuffix(".rtf") || lower.hasSuffix(".pages") {
            found.append("\(relative): written answers are read from Markdown, text, .docx or .odt; save this file as one of those; not used")
            return
        }
        if SubmissionArchive.kind(bytes) != nil {
            guard let archiveLimits else {
                found.append("\(relative): an archive inside an archive; not opened")
                return
            }
            do {
                let contents = try SubmissionArchive.read(bytes, name: relative, limits: archiveLimits)
                let visible = contents.entries.filter { !Self.isHidden($0.path) }.count
                found.append("\(relative): an archive, opened (\(visible) file\(visible == 1 ? "" : "s"))")
                problems += contents.problems
                recognise(contents, under: relative)
            } catch {
                problems.append("\(error)")
            }
            return
        }
        if lower.hasSuffix(".md") || lower.hasSuffix(".txt") || lower.hasSuffix(".markdown") {
            takeWrittenAnswers(relative, text: Self.plainText(bytes), kind: "text")
            return
        }
        if lower.hasSuffix(".json") {
            if let value = try? JSONParser.parse(bytes), case .object(let members) = value, members.contains(where: { $0.0 == "panels" || $0.0 == "rows" || $0.0 == "dashboard" }) {
                dashboards.append((relative, bytes))
                found.append("\(relative): a Grafana dashboard")
            } else {
                found.append("\(relative): JSON that is not a Grafana dashboard; not used")
            }
            return
        }
        guard lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") else {
            found.append("\(relative): not a file the lab asks for; not used")
            return
        }
        // Helm and Falco read a UTF-16 file with its byte order mark as well: it is kept as UTF-8 from here on.
        let bytes = TextEncoding.utf8(bytes)
        let node: Node?
        do { node = try YAMLGuard.compose(bytes, name: relative) } catch {
            problems.append("\(error)")
            return
        }
        switch node {
        case .sequence?:
            rulesFiles.append(RulesFile(name: relative, bytes: bytes, path: relative,
                                        mountName: relative.split(separator: "/").last.map(String.init) ?? relative))
            found.append(Self.foundRulesFile(relative))
        case .mapping(let pairs)?:
            let keys = pairs.compactMap { $0.key.string }
            var roles: [String] = []
            if let custom = node?["customRules"] {
                if let files = Self.customRules(custom, path: relative, bytes: bytes) {
                    rulesFiles += files
                    roles.append("customRules with \(files.count) rules file\(files.count == 1 ? "" : "s")")
                } else {
                    problems.append("\(relative):\(custom.mark?.line ?? 1): customRules must map file names to rules text")
                }
            }
            let falcoKeys: Set<String> = ["priority", "rules_files", "rules_file", "syscall_event_drops", "json_output", "rule_matching", "stdout_output", "outputs"]
            if node?["falco"] != nil || keys.contains(where: falcoKeys.contains) {
                if configFile == nil {
                    configFile = (relative, bytes)
                    roles.append("Falco settings")
                }
            }
            let questionKeys = keys.filter { WrittenAnswers.questionName($0) != nil }
            if !questionKeys.isEmpty {
                for key in questionKeys {
                    guard let question = WrittenAnswers.questionName(key), answers[question] == nil else { continue }
                    answers[question] = node?[key].map(WrittenAnswers.flatten) ?? ""
                }
                roles.append("written answers")
            }
            found.append("\(relative): " + (roles.isEmpty ? "YAML the lab does not ask for; not used" : roles.joined(separator: ", ")))
        default:
            found.append("\(relative): empty YAML; not used")
        }
    }
}
