import FalcoRules
import TraceModel

/// Builders for events used by the unit tests.
enum TestEvents {
    static let nginx = ContainerInfo(id: "9b8c7d6e5f4a", name: "nginx-pod", image: "docker.io/library/nginx:1.27",
                                     imageRepository: "docker.io/library/nginx", imageTag: "1.27",
                                     mounts: [.init(source: "/var/run/docker.sock", destination: "/var/run/docker.sock")],
                                     pod: PodInfo(name: "nginx-pod", namespace: "default", labels: [("run", "nginx-pod")]))
    static let shell = ThreadInfo(tid: 40, ptid: 1, name: "bash", exepath: "/usr/bin/bash", cwd: "/", uid: 0, userName: "root", tty: 34816)

    static func thread(_ name: String = "cat", args: [String] = ["/etc/shadow"], container: ContainerInfo? = nil,
                       parent: ThreadInfo? = shell, env: [String] = ["HOME=/root", "PATH=/usr/bin"]) -> ThreadInfo {
        ThreadInfo(tid: 42, ptid: parent?.tid ?? 1, name: name, exepath: "/usr/bin/\(name)", args: args, cwd: "/root", env: env,
                   uid: 0, gid: 0, userName: "root", groupName: "root", loginuid: -1, tty: 34816, container: container, parent: parent)
    }

    static func open(_ path: String, flags: String = "O_RDONLY|O_CLOEXEC", thread: ThreadInfo = thread()) -> Event {
        Event(number: 7, timestamp: 1_743_080_601_000_100_000, type: "openat",
              params: [.number("fd", 3), .number("dirfd", -100), Param(name: "name", text: path),
                       Param(name: "flags", text: flags, raw: OpenFlags.value(of: Param(name: "flags", text: flags))), .number("mode", 0)],
              thread: thread, fd: FDInfo(number: 3, type: .file, name: path))
    }

    static func connect(to ip: String, port: Int64, from clientIP: String = "10.244.0.15", thread: ThreadInfo = thread("curl")) -> Event {
        Event(number: 9, timestamp: 1_743_080_602_000_000_000, type: "connect", params: [.number("res", 0)], thread: thread,
              fd: FDInfo(number: 4, type: .ipv4, name: "\(clientIP):40000->\(ip):\(port)", l4proto: .tcp, clientIP: IPAddress(clientIP),
                         clientPort: 40000, serverIP: IPAddress(ip), serverPort: port, isServer: false, isConnected: true))
    }

    static func read(_ data: [UInt8]) -> Event {
        Event(number: 8, timestamp: 1_743_080_601_000_200_000, type: "read",
              params: [.number("res", Int64(data.count)), Param(name: "data", text: String(decoding: data, as: UTF8.self), bytes: data)],
              thread: thread(), fd: FDInfo(number: 3, type: .file, name: "/etc/shadow"))
    }
}

/// Compiles a condition against the standard fields and evaluates it on an event.
func evaluate(_ condition: String, on event: Event) throws -> Bool {
    let node = try ConditionParser.parse(condition, maxDepth: 1000)
    var compiler = ConditionCompiler()
    return try compiler.compile(node)(event)
}

/// Loads rules text into a fresh loader.
func load(_ files: String...) -> RulesLoader {
    let loader = RulesLoader()
    for (index, text) in files.enumerated() { loader.load(bytes: Array(text.utf8), name: "rules\(index + 1).yaml") }
    return loader
}
