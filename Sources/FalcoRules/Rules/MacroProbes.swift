import TraceModel

/// Events that exercise a rule set's macros, for comparing two rule sets (`RuleSetComparison`): most of
/// Falco's macros name programs, images and command lines no recording of the lab contains, so on
/// recordings alone they select nothing on either side and agree vacuously. From each macro's condition
/// (lists expanded, macros it calls followed) the comparisons `field op value` are collected; each is
/// made true on copies of real base events, one at a time and all of a macro's together, so that
/// a macro and its rewrite are compared where they select something.
public enum MacroProbes {
    /// One comparison a condition makes: the field (with its argument) and a value that satisfies it.
    struct Assignment: Hashable {
        var field: String
        var argument: String?
        var value: String
    }

    /// Chooses base events from a stream: the first of each kind (event type, direction, in a container or
    /// not, fd type) among the call types Falco's default macros look at.
    public struct BaseChooser {
        public private(set) var bases: [Event] = []
        private var kinds: Set<String> = []
        static let types: Set<String> = ["execve", "execveat", "open", "openat", "openat2", "connect", "sendto", "socket", "dup2", "dup3",
                                         "ptrace", "symlinkat", "linkat", "init_module", "finit_module"]
        public init() {}

        public mutating func offer(_ event: Event) {
            guard Self.types.contains(event.type), event.thread != nil else { return }
            let kind = "\(event.type)\(event.direction.rawValue)\(event.thread?.container == nil)\(event.fd?.type.rawValue ?? "-")"
            if kinds.insert(kind).inserted { bases.append(event) }
        }
    }

    /// Probe events for every macro of `loader`, made from `bases` (real events: an exec in a container,
    /// a file open, a connect...). Numbered from 1 in the order made; deterministic.
    public static func events(for loader: RulesLoader, bases: [Event]) -> [Event] {
        guard let table = loader.macroTable else { return [] }
        var probes: [Event] = []
        var seen: Set<[Assignment]> = []
        for name in loader.macroNames {
            guard let index = loader.macroIndex[name], let node = table.parsed[index] else { continue }
            var assignments: [Assignment] = []
            var visiting: Set<Int> = [index]
            collect(node, loader: loader, table: table, visiting: &visiting, into: &assignments)
            // Each comparison alone, and each together with one value for every other field the macro names
            // (so a value inside a conjunction is tried with the rest of the conjunction true).
            var together: [Assignment] = []
            for assignment in assignments where !together.contains(where: { $0.field == assignment.field && $0.argument == assignment.argument }) {
                together.append(assignment)
            }
            let withOthers = assignments.map { chosen in
                together.map { $0.field == chosen.field && $0.argument == chosen.argument ? chosen : $0 }
            }
            for set in assignments.map({ [$0] }) + withOthers where !set.isEmpty && seen.insert(set).inserted {
                for base in bases {
                    if let probe = apply(set, to: base, number: UInt64(probes.count + 1)) { probes.append(probe) }
                }
            }
        }
        return probes
    }

    /// The comparisons of a condition, following the macros it calls (not through `not`: a negated
    /// comparison is made true by leaving the field alone).
    private static func collect(_ node: ConditionNode, loader: RulesLoader, table: MacroTable, visiting: inout Set<Int>,
                                into assignments: inout [Assignment]) {
        switch node {
        case .and(let children, _), .or(let children, _):
            for child in children { collect(child, loader: loader, table: table, visiting: &visiting, into: &assignments) }
        case .not:
            break
        case .identifier(let name, _):
            guard let index = loader.macroIndex[name], let body = table.parsed[index], visiting.insert(index).inserted else { return }
            collect(body, loader: loader, table: table, visiting: &visiting, into: &assignments)
        case .binary(.field(let field, let argument, _), let op, _, let value, _):
            for text in satisfyingValues(op: op, value) { assignments.append(Assignment(field: field, argument: argument, value: text)) }
        case .binary, .unary:
            break
        }
    }

    /// Strings that make `field op value` true for the string operators; nothing for the others.
    private static func satisfyingValues(op: String, _ value: ConditionValue) -> [String] {
        let texts: [String]
        switch value {
        case .literal(let text, _, _): texts = [text]
        case .list(let items, _): texts = items.map(\.text)
        default: return []
        }
        switch op {
        case "=", "==", "in", "startswith", "endswith", "contains", "icontains", "bstartswith", "bcontains", "intersects":
            return texts
        case "glob", "iglob":
            return texts.map { String($0.map { $0 == "*" || $0 == "?" ? "x" : $0 }) }
        default:
            return []
        }
    }

    /// `base` with the assignments made; nil when none of them applies to the fields this builder knows.
    static func apply(_ assignments: [Assignment], to base: Event, number: UInt64) -> Event? {
        guard let baseThread = base.thread else { return nil }
        var thread = ThreadFields(baseThread)
        var fd = base.fd
        var type = base.type
        var params = base.params
        var applied = false
        for assignment in assignments {
            let value = assignment.value
            switch (assignment.field, assignment.argument) {
            case ("proc.name", _): thread.name = value
            case ("proc.exe", _): thread.exe = value
            case ("proc.exepath", _): thread.exepath = value
            case ("proc.cmdline", _): (thread.name, thread.args) = split(value)
            case ("proc.args", _): thread.args = [value]
            case ("proc.cwd", _): thread.cwd = value
            case ("user.name", _): thread.userName = value
            case ("proc.pname", _), ("proc.aname", nil): thread.setAncestor(1) { $0.name = value }
            case ("proc.aname", let level?):
                // An index past the fields' ancestor limit selects nothing; a probe does not build that deep a tree.
                guard let depth = Int(level), (0...FieldCatalog.ancestorLimit).contains(depth) else { continue }
                thread.setAncestor(depth) { $0.name = value }
            case ("proc.pcmdline", _): thread.setAncestor(1) { parent in (parent.name, parent.args) = split(value) }
            case ("proc.pexe", _): thread.setAncestor(1) { $0.exe = value }
            case ("proc.pexepath", _): thread.setAncestor(1) { $0.exepath = value }
            case ("container.image.repository", _): thread.setContainer { $0.repository = value }
            case ("container.id", _): thread.setContainer { $0.id = value }
            case ("k8s.ns.name", _): thread.setContainer { $0.namespace = value }
            case ("k8s.pod.name", _): thread.setContainer { $0.pod = value }
            case ("fd.name", _): fd = file(value, like: fd)
            case ("fd.nameraw", _): fd = file(value.hasPrefix("/") ? value : "/probe/" + value, like: fd, raw: value)
            case ("fd.directory", _): fd = file((value.hasSuffix("/") ? value : value + "/") + "probe", like: fd)
            case ("fd.filename", _): fd = file("/probe/" + value, like: fd)
            case ("evt.type", _): type = value
            case (let field, _) where field.hasPrefix("evt.arg."):
                let name = String(field.dropFirst("evt.arg.".count))
                params.removeAll { $0.name == name }
                params.append(Param(name: name, text: value))
            default: continue
            }
            applied = true
        }
        guard applied else { return nil }
        return Event(number: number, timestamp: base.timestamp, type: type, direction: base.direction, cpu: base.cpu, params: params,
                     thread: thread.make(), fd: fd, hostname: base.hostname, fdNumber: fd?.number ?? base.fdNumber)
    }

    /// A command line as a thread holds it: the name, then the arguments.
    private static func split(_ commandLine: String) -> (String, [String]) {
        let words = commandLine.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        return (words.first ?? commandLine, Array(words.dropFirst()))
    }

    private static func file(_ path: String, like fd: FDInfo?, raw: String? = nil) -> FDInfo {
        FDInfo(number: fd.map { $0.type == .file ? $0.number : 3 } ?? 3, type: .file, name: path, nameRaw: raw ?? path)
    }

    /// A thread's fields as values, to copy a thread (and its ancestors) with some changed.
    struct ThreadFields {
        var source: ThreadInfo
        var name: String
        var exe: String
        var exepath: String
        var args: [String]
        var cwd: String?
        var userName: String?
        var parent: Box?
        var container: ContainerFields?

        /// Parents are copied on first change only.
        final class Box { var fields: ThreadFields; init(_ fields: ThreadFields) { self.fields = fields } }

        init(_ thread: ThreadInfo) {
            source = thread
            name = thread.name
            exe = thread.exe
            exepath = thread.exepath
            args = thread.args
            cwd = thread.cwd
            userName = thread.userName
            container = thread.container.map(ContainerFields.init)
        }

        mutating func setAncestor(_ level: Int, _ change: (inout ThreadFields) -> Void) {
            guard level >= 1 else { return change(&self) }
            if parent == nil {
                let parentThread = source.parent ?? ThreadInfo(tid: source.ptid == 0 ? 1 : source.ptid, name: "probe-parent")
                parent = Box(ThreadFields(parentThread))
            }
            if level == 1 { change(&parent!.fields) } else { parent!.fields.setAncestor(level - 1, change) }
        }

        mutating func setContainer(_ change: (inout ContainerFields) -> Void) {
            var fields = container ?? ContainerFields(id: "0123456789ab", name: "probe", repository: "probe", namespace: "default", pod: "probe")
            change(&fields)
            container = fields
        }

        func make() -> ThreadInfo {
            let thread = source
            return ThreadInfo(tid: thread.tid, pid: thread.pid, ptid: thread.ptid, vtid: thread.vtid, vpid: thread.vpid, sid: thread.sid,
                              pgid: thread.pgid, vpgid: thread.vpgid, name: name, exe: exe, exepath: exepath, args: args, cwd: cwd,
                              env: thread.env, uid: thread.uid, gid: thread.gid, euid: thread.euid, egid: thread.egid, userName: userName,
                              groupName: thread.groupName, homedir: thread.homedir, shell: thread.shell, loginuid: thread.loginuid,
                              loginName: thread.loginName, tty: thread.tty, capPermitted: thread.capPermitted, capEffective: thread.capEffective,
                              capInheritable: thread.capInheritable, startTimestamp: thread.startTimestamp, isExeWritable: thread.isExeWritable,
                              isExeUpperLayer: thread.isExeUpperLayer, isExeFromMemfd: thread.isExeFromMemfd, exeInodeMtime: thread.exeInodeMtime,
                              exeInodeCtime: thread.exeInodeCtime, container: container?.make(like: thread.container),
                              parent: parent.map { $0.fields.make() } ?? thread.parent)
        }
    }

    /// The container fields a macro may name.
    struct ContainerFields {
        var id: String
        var name: String
        var repository: String
        var namespace: String
        var pod: String

        init(id: String, name: String, repository: String, namespace: String, pod: String) {
            self.id = id
            self.name = name
            self.repository = repository
            self.namespace = namespace
            self.pod = pod
        }

        init(_ container: ContainerInfo) {
            self.init(id: container.id, name: container.name, repository: container.imageRepository,
                      namespace: container.pod?.namespace ?? "default", pod: container.pod?.name ?? container.name)
        }

        func make(like container: ContainerInfo?) -> ContainerInfo {
            ContainerInfo(id: id, fullID: container?.fullID, name: name, image: repository + ":" + (container?.imageTag ?? "latest"),
                          imageRepository: repository, imageTag: container?.imageTag ?? "latest", privileged: container?.privileged ?? false,
                          startTimestamp: container?.startTimestamp, pod: PodInfo(name: pod, namespace: namespace, labels: container?.pod?.labels ?? []))
        }
    }
}
