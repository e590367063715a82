import TraceModel

/// A deterministic generator of realistic syscall traffic for benchmarks: a mix of opens, reads and
/// writes, closes, execs, connects and accepts by web servers, shells, package managers and scripts
/// on the host and in containers, with a few suspicious actions (reading /etc/shadow, shells with a
/// terminal in a container) so rules fire now and then. Same seed, same events.
public struct SyntheticTrace: Sequence {
    public let count: Int
    public let seed: UInt64

    public init(count: Int, seed: UInt64 = 0x7EAC_E1AB) {
        self.count = count
        self.seed = seed
    }

    public func makeIterator() -> Iterator { Iterator(count: count, seed: seed) }

    /// The share of each event type per 100 events.
    public static let mix: [(type: String, weight: Int)] = [
        ("read", 28), ("write", 22), ("openat", 14), ("close", 14), ("fstat", 4), ("mmap", 3), ("connect", 4),
        ("accept4", 2), ("socket", 2), ("execve", 3), ("clone", 1), ("sendto", 2), ("recvfrom", 1),
    ]

    public struct Iterator: IteratorProtocol {
        private var remaining: Int
        private var state: UInt64
        private var number: UInt64 = 0
        private var time: UInt64 = 1_743_080_600_000_000_000
        private let threads: [ThreadInfo]
        private let typeTable: [String]
        private static let files = ["/etc/passwd", "/etc/hosts", "/etc/resolv.conf", "/var/log/nginx/access.log",
                                    "/usr/share/nginx/html/index.html", "/tmp/build.log", "/proc/self/status",
                                    "/usr/lib/x86_64-linux-gnu/libc.so.6", "/home/app/.cache/data.json", "/etc/ld.so.cache",
                                    "/var/lib/dpkg/status", "/etc/nginx/nginx.conf", "/etc/shadow", "/root/.bashrc"]

        init(count: Int, seed: UInt64) {
            remaining = count
            state = seed | 1
            var table: [String] = []
            for (type, weight) in SyntheticTrace.mix { table += Array(repeating: type, count: weight) }
            typeTable = table
            let nginx = ContainerInfo(id: "9b8c7d6e5f4a", name: "nginx-pod", image: "docker.io/library/nginx:1.27",
                                      imageRepository: "docker.io/library/nginx", imageTag: "1.27",
                                      pod: PodInfo(name: "nginx-pod", namespace: "default", labels: [("run", "nginx-pod")]))
            let app = ContainerInfo(id: "1a2b3c4d5e6f", name: "api", image: "registry.local/shop/api:2.3",
                                    imageRepository: "registry.local/shop/api", imageTag: "2.3",
                                    pod: PodInfo(name: "api-7d9f8-x2k4l", namespace: "shop", labels: [("app", "api")]))
            let systemd = ThreadInfo(tid: 1, ptid: 0, name: "systemd", exepath: "/usr/lib/systemd/systemd", uid: 0, userName: "root")
            let shim = ThreadInfo(tid: 900, ptid: 1, name: "containerd-shim", exepath: "/usr/bin/containerd-shim-runc-v2", uid: 0, userName: "root", parent: systemd)
            let sshd = ThreadInfo(tid: 700, ptid: 1, name: "sshd", exepath: "/usr/sbin/sshd", uid: 0, userName: "root", parent: systemd)
            var pool: [ThreadInfo] = []
            for index in 0..<8 {
                pool.append(ThreadInfo(tid: Int64(1000 + index), ptid: 900, name: "nginx", exepath: "/usr/sbin/nginx",
                                       args: ["-g", "daemon off;"], cwd: "/", uid: 101, userName: "nginx", container: nginx, parent: shim))
            }
            for index in 0..<6 {
                pool.append(ThreadInfo(tid: Int64(2000 + index), ptid: 900, name: "python3", exepath: "/usr/bin/python3.11",
                                       args: ["-m", "gunicorn", "app:server"], cwd: "/srv", uid: 1000, userName: "app", container: app, parent: shim))
            }
            let bash = ThreadInfo(tid: 3000, ptid: 700, name: "bash", exepath: "/usr/bin/bash", args: [], cwd: "/root", uid: 0, userName: "root", loginuid: -1, tty: 34816, parent: sshd)
            pool.append(bash)
            pool.append(ThreadInfo(tid: 3001, ptid: 3000, name: "apt-get", exepath: "/usr/bin/apt-get", args: ["install", "-y", "curl"], cwd: "/root", uid: 0, userName: "root", tty: 34816, parent: bash))
            pool.append(ThreadInfo(tid: 3002, ptid: 3000, name: "cat", exepath: "/usr/bin/cat", args: ["/etc/shadow"], cwd: "/root", uid: 0, userName: "root", tty: 34816, parent: bash))
            pool.append(ThreadInfo(tid: 4000, ptid: 900, name: "bash", exepath: "/usr/bin/bash", args: [], cwd: "/", uid: 0, userName: "root", tty: 34817, container: nginx, parent: shim))
            pool.append(ThreadInfo(tid: 4001, ptid: 900, name: "curl", exepath: "/usr/bin/curl", args: ["-s", "http://10.96.0.1/"], cwd: "/", uid: 0, userName: "root", container: nginx, parent: shim))
            threads = pool
        }

        private mutating func random() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }

        public mutating func next() -> Event? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            number += 1
            time += 1_000 + random() % 5_000
            let type = typeTable[Int(random() % UInt64(typeTable.count))]
            let thread = threads[Int(random() % UInt64(threads.count))]
            let fdNumber = Int64(3 + random() % 20)
            switch type {
            case "openat":
                let path = Iterator.files[Int(random() % UInt64(Iterator.files.count))]
                let write = random() % 4 == 0
                let flags: Int64 = write ? (2 | 4 | 256) : 1 | 4096
                return Event(number: number, timestamp: time, type: type, params: [
                    .number("fd", fdNumber), .number("dirfd", -100), Param(name: "name", text: path),
                    Param(name: "flags", text: OpenFlags.render(flags), raw: flags), .number("mode", write ? 0o644 : 0),
                ], thread: thread, fd: FDInfo(number: fdNumber, type: .file, name: path))
            case "execve":
                return Event(number: number, timestamp: time, type: type, params: [
                    .number("res", 0), Param(name: "exe", text: thread.exepath), Param(name: "args", text: thread.args.joined(separator: " ")),
                ], thread: thread)
            case "connect", "accept4":
                let socket = FDInfo(number: fdNumber, type: .ipv4, name: "10.244.0.15:43210->10.96.0.1:443", l4proto: .tcp,
                                    clientIP: IPAddress("10.244.0.15"), clientPort: 43210, serverIP: IPAddress("10.96.0.1"),
                                    serverPort: 443, isServer: type == "accept4", isConnected: true)
                return Event(number: number, timestamp: time, type: type, params: [.number("res", 0), Param(name: "tuple", text: socket.name)],
                             thread: thread, fd: socket)
            default:
                let file = FDInfo(number: fdNumber, type: .file, name: Iterator.files[Int(random() % 8)])
                return Event(number: number, timestamp: time, type: type, params: [.number("res", Int64(random() % 4096)), .number("fd", fdNumber)],
                             thread: thread, fd: file)
            }
        }
    }
}
