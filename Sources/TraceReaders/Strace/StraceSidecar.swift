import TraceModel

/// What an strace recording stands for: the host, the users, and which process trees run in which
/// container of which pod. Written next to the recording as `<file>.sidecar.json` (docs/trace-format.md).
public struct StraceSidecar: Sendable {
    public var hostname: String?
    public var description: String?
    public var users: [Int64: String] = [:]
    public var groups: [Int64: String] = [:]
    /// The uid of the traced processes before any setuid (strace records what they do, not who they are).
    public var defaultUID: Int64 = 0
    public var defaultLoginUID: Int64 = -1
    public var containers: [ContainerRule] = []

    public init() {}

    /// A container and the process trees that run in it.
    public struct ContainerRule: Sendable {
        public var container: ContainerInfo
        /// Subtree roots by pid.
        public var pids: [Int64]
        /// Subtree roots by the command name a process takes when it executes (e.g. a launcher).
        public var commands: [String]

        public init(container: ContainerInfo, pids: [Int64], commands: [String]) {
            self.container = container
            self.pids = pids
            self.commands = commands
        }
    }

    /// Reads a sidecar file; errors carry the file and position.
    public static func load(path: String) throws(TraceLabError) -> StraceSidecar {
        guard let bytes = FileBytes.read(path) else {
            throw TraceLabError("cannot read the sidecar", at: SourceLocation(file: path, line: 0, column: 0))
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw TraceLabError("not valid JSON: \(error.message)", at: SourceLocation(file: path, line: 1, column: error.column))
        }
        func fail(_ message: String) -> TraceLabError { TraceLabError(message, at: SourceLocation(file: path, line: 1, column: 1)) }
        var sidecar = StraceSidecar()
        if case .string(let text)? = value["hostname"] { sidecar.hostname = text }
        if case .string(let text)? = value["description"] { sidecar.description = text }
        if case .integer(let uid)? = value["uid"] { sidecar.defaultUID = uid }
        if case .integer(let uid)? = value["loginuid"] { sidecar.defaultLoginUID = uid }
        for (key, target) in [("users", \StraceSidecar.users), ("groups", \StraceSidecar.groups)] {
            guard let table = value[key] else { continue }
            guard case .object(let members) = table else { throw fail("'\(key)' must map ids to names") }
            for (id, name) in members {
                guard let number = Int64(id), case .string(let text) = name else { throw fail("'\(key)': '\(id)' must be a numeric id with a name") }
                sidecar[keyPath: target][number] = text
            }
        }
        if let containers = value["containers"] {
            guard case .array(let items) = containers else { throw fail("'containers' must be an array") }
            for item in items {
                guard case .string(let id)? = item["id"], case .string(let name)? = item["name"], case .string(let image)? = item["image"] else {
                    throw fail("each container needs 'id', 'name' and 'image'")
                }
                let slash = image.lastIndex(of: "/") ?? image.startIndex
                let colon = image[slash...].lastIndex(of: ":")
                let repository = colon.map { String(image[..<$0]) } ?? image
                let tag = colon.map { String(image[image.index(after: $0)...]) } ?? "latest"
                var pod: PodInfo?
                if let podValue = item["pod"] {
                    guard case .string(let podName)? = podValue["name"], case .string(let namespace)? = podValue["namespace"] else {
                        throw fail("container '\(id)': 'pod' needs 'name' and 'namespace'")
                    }
                    var labels: [(key: String, value: String)] = []
                    if case .object(let members)? = podValue["labels"] {
                        for (key, label) in members { if case .string(let text) = label { labels.append((key, text)) } }
                    }
                    var uid: String?, ip: String?
                    if case .string(let text)? = podValue["uid"] { uid = text }
                    if case .string(let text)? = podValue["ip"] { ip = text }
                    pod = PodInfo(name: podName, namespace: namespace, uid: uid, labels: labels, ip: ip)
                }
                var privileged = false
                if case .bool(let flag)? = item["privileged"] { privileged = flag }
                var pids: [Int64] = [], commands: [String] = []
                if case .array(let roots)? = item["pids"] { pids = roots.compactMap { if case .integer(let pid) = $0 { return pid } else { return nil } } }
                if case .array(let roots)? = item["commands"] { commands = roots.compactMap { if case .string(let text) = $0 { return text } else { return nil } } }
                if pids.isEmpty && commands.isEmpty { throw fail("container '\(id)' names no process tree ('pids' or 'commands')") }
                var fullID: String?
                if case .string(let text)? = item["full_id"] { fullID = text }
                let container = ContainerInfo(id: id, fullID: fullID, name: name, image: image, imageRepository: repository, imageTag: tag,
                                              privileged: privileged, pod: pod)
                sidecar.containers.append(ContainerRule(container: container, pids: pids, commands: commands))
            }
        }
        return sidecar
    }
}
