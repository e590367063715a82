import Foundation
import TestSupport
import Testing
import Yams
import TraceModel
import TraceReaders

/// The strace importer on real recorded lines (copied from traces/syscalls/), one test per syscall
/// family and per strace quirk, and on the whole recordings.
@Suite("strace importer")
struct StraceImporterTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("an strace log opened without its sidecar says so, naming the file it looked for")
    func missingSidecarIsAWarning() throws {
        let path = Scratch.directory.appendingPathComponent("tracelab-strace-\(getpid())-alone.strace").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.copyItem(atPath: Self.root.path + "/traces/syscalls/q1-cat-shadow.strace", toPath: path)
        let (alone, _) = try TraceFiles.open(path)
        while try alone.next() != nil {}
        #expect(alone.warnings.map(\.description).contains { $0.contains("no sidecar \(path).sidecar.json: the log's processes have no container, pod") }, "\(alone.warnings)")
        let (paired, _) = try TraceFiles.open(Self.root.path + "/traces/syscalls/q1-cat-shadow.strace")
        while try paired.next() != nil {}
        #expect(!paired.warnings.contains { $0.description.contains("no sidecar") })
    }

    /// Imports a fragment of log lines with an optional sidecar.
    static func importLines(_ lines: [String], sidecar: StraceSidecar = StraceSidecar()) throws -> (events: [Event], warnings: [String]) {
        let path = Scratch.directory.appendingPathComponent("tracelab-strace-\(getpid())-\(UUID().uuidString).strace").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try StraceReader(path: path, sidecar: sidecar)
        var events: [Event] = []
        while let event = try reader.next() { events.append(event) }
        return (events, reader.warnings.map(\.description))
    }

    @Test("open family: openat with -yy path, flags, failures with errno")
    func openFamily() throws {
        let (events, warnings) = try Self.importLines([
            #"2047  1795769863.497540 openat(AT_FDCWD</tmp/st>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>"#,
            #"2047  1795769863.497739 close(3</etc/ld.so.cache>) = 0"#,
            #"2047  1795769863.505461 openat(AT_FDCWD</tmp/st>, "/usr/lib/locale/locale-archive", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)"#,
            #"2047  1795769863.505507 openat(AT_FDCWD</tmp/st>, "relative.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4</tmp/st/relative.txt>"#,
        ])
        #expect(warnings.isEmpty)
        #expect(events.map(\.type) == ["openat", "close", "openat", "openat"])
        #expect(events[0].fd?.name == "/etc/ld.so.cache" && events[0].param("flags")?.text == "O_RDONLY|O_CLOEXEC")
        #expect(events[0].param("dirfd")?.raw == -100 && events[0].timestamp == 1_795_769_863_497_540_000)
        #expect(events[1].fd?.name == "/etc/ld.so.cache")
        // A failed open names the file it tried, with no fd number (libsinsp shows fd.name and fd.num -1 there).
        #expect(events[2].fd?.number == -1 && events[2].fd?.name == "/usr/lib/locale/locale-archive" && events[2].param("fd")?.text == "ENOENT"
                && events[2].returnValue == -2)
        #expect(events[3].fd?.name == "/tmp/st/relative.txt" && events[3].fd?.nameRaw == "relative.txt")
        #expect(events[3].param("mode")?.raw == 0o644 && events[3].param("flags")?.text == "O_WRONLY|O_CREAT|O_TRUNC")
    }

    @Test("process family: vfork unfinished/resumed, execve, clone, signals, exits; container and tty from the sidecar and -yy")
    func processFamily() throws {
        var sidecar = StraceSidecar()
        sidecar.containers = [.init(container: ContainerInfo(id: "9b8c7d6e5f4a", name: "nginx-pod", image: "nginx:latest", imageRepository: "nginx", imageTag: "latest"),
                                    pids: [], commands: ["runc"])]
        let (events, warnings) = try Self.importLines([
            #"5644  1795770198.300000 execve("/tmp/bin/containerd-shim", ["/tmp/bin/containerd-shim", "/tmp/bin/runc", "bash", "-i"], ["HOME=/root"]) = 0"#,
            #"5644  1795770198.307824 vfork( <unfinished ...>"#,
            #"5645  1795770198.308070 execve("/tmp/bin/runc", ["/tmp/bin/runc", "bash", "-i"], ["HOME=/root"]) = 0"#,
            #"5644  1795770198.308182 <... vfork resumed>) = 5645"#,
            #"5645  1795770198.310000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>"#,
            #"5646  1795770198.320000 execve("/usr/bin/bash", ["bash", "-i"], ["HOME=/root", "TERM=xterm"]) = 0"#,
            #"5645  1795770198.321000 <... clone resumed>, child_tidptr=0x7f1) = 5646"#,
            #"5646  1795770198.327235 dup2(3</dev/pts/0<char 136:0>>, 255) = 255</dev/pts/0<char 136:0>>"#,
            #"5646  1795770198.330000 ioctl(2</dev/pts/0<char 136:0>>, TCGETS, {c_iflag=ICRNL|IXON}) = 0"#,
            #"5646  1795770198.353610 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=5647, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---"#,
            #"5646  1795770198.360000 exit_group(0)               = ?"#,
            #"5646  1795770198.360100 +++ exited with 0 +++"#,
        ], sidecar: sidecar)
        #expect(warnings.isEmpty)
        #expect(events.map(\.type) == ["execve", "execve", "vfork", "execve", "clone", "dup2", "ioctl", "signaldeliver", "procexit"])
        let bash = try #require(events.first { $0.type == "execve" && $0.thread?.name == "bash" })
        #expect(bash.thread?.parent?.name == "runc" && bash.thread?.parent?.parent?.name == "containerd-shim")
        #expect(bash.thread?.container?.name == "nginx-pod" && bash.thread?.tty == 34816)
        #expect(bash.param("exe")?.text == "bash" && bash.param("args")?.text == "-i")
        #expect(events.first?.thread?.container == nil)
        #expect(events.first { $0.type == "vfork" }?.returnValue == 5645)
        #expect(events.last?.param("status")?.raw == 0)
    }

    @Test("network family: socket, connect (EINPROGRESS), -yy tuples, sendto with escapes, accept4 on the server side")
    func networkFamily() throws {
        let (events, warnings) = try Self.importLines([
            #"5656  1795770198.620000 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 5<TCP:[188970]>"#,
            #"5656  1795770198.627583 connect(5<TCP:[188970]>, {sa_family=AF_INET, sin_port=htons(18080), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)"#,
            #"5656  1795770198.629934 sendto(5<TCP:[127.0.0.1:58900->127.0.0.1:18080]>, "GET / HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n", 42, MSG_NOSIGNAL, NULL, 0) = 42"#,
            #"5779  1795770206.263572 accept4(5<TCP:[127.0.0.1:18081]>, {sa_family=AF_INET, sin_port=htons(38184), sin_addr=inet_addr("127.0.0.1")}, [112 => 16], SOCK_NONBLOCK) = 6<TCP:[127.0.0.1:18081->127.0.0.1:38184]>"#,
        ])
        #expect(warnings.isEmpty)
        #expect(events[0].fd?.type == .ipv4 && events[0].fd?.l4proto == .tcp)
        #expect(events[1].fd?.serverIP?.description == "127.0.0.1" && events[1].fd?.serverPort == 18080 && events[1].param("res")?.text == "EINPROGRESS")
        let send = events[2]
        #expect(send.fd?.name == "127.0.0.1:58900->127.0.0.1:18080" && send.fd?.clientPort == 58900 && send.fd?.isServer == false)
        #expect(send.param("data")?.bytes == Array("GET / HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n".utf8))
        let accepted = events[3]
        #expect(accepted.fd?.isServer == true && accepted.fd?.name == "127.0.0.1:38184->127.0.0.1:18081")
        #expect(accepted.fd?.clientPort == 38184 && accepted.fd?.serverPort == 18081)
    }

    @Test("descriptors: pipe2, dup2, fcntl; files: renameat2, unlink; credentials: setuid")
    func descriptorsAndFiles() throws {
        var sidecar = StraceSidecar()
        sidecar.users = [65534: "nobody"]
        let (events, warnings) = try Self.importLines([
            #"5646  1795770198.339454 pipe2([3<pipe:[189749]>, 4<pipe:[189749]>], 0) = 0"#,
            #"5646  1795770198.340000 write(4<pipe:[189749]>, "x", 1) = 1"#,
            #"5682  1795770199.130963 renameat2(AT_FDCWD</work/main>, "/tmp/sensitive.swp", AT_FDCWD</work/main>, "/tmp/sensitive.txt", RENAME_NOREPLACE) = -1 EEXIST (File exists)"#,
            #"5682  1795770199.131000 rename("/tmp/sensitive.swp", "/tmp/sensitive.txt") = 0"#,
            #"5682  1795770199.132000 unlink("/tmp/old.txt") = 0"#,
            #"5779  1795770204.804892 setuid(65534)   = 0"#,
            #"5779  1795770204.805000 getpid() = 5779"#,
        ], sidecar: sidecar)
        #expect(warnings.isEmpty)
        #expect(events[1].fd?.type == .pipe && events[1].fd?.name == "pipe:[189749]")
        #expect(events[2].param("oldpath")?.text == "/tmp/sensitive.swp" && events[2].param("res")?.text == "EEXIST")
        #expect(events[3].param("newpath")?.text == "/tmp/sensitive.txt")
        #expect(events[4].param("path")?.text == "/tmp/old.txt")
        #expect(events[5].param("uid")?.text == "65534(nobody)")
        #expect(events[6].thread?.userName == "nobody" && events[6].type == "getpid")
    }

    @Test("file metadata, mounts, namespaces and ptrace: libscap's parameter names")
    func metadataMountsNamespacesPtrace() throws {
        // Recorded with strace -f -ttt -yy -s 4096 -v: mkdir, chmod, chown and rmdir from sh; mount and
        // umount2 under unshare -m; ip netns exec into a namespace made for it; a ptrace(PTRACE_ATTACH)
        // refused because strace already traces the target.
        let (events, warnings) = try Self.importLines([
            #"[pid 15327] 1795771095.221902 mkdir("/tmp/frag/d", 0777) = 0"#,
            #"[pid 15328] 1795771095.231506 fchmodat(AT_FDCWD</tmp/frag>, "/tmp/frag/d", 0600) = 0"#,
            #"[pid 15329] 1795771095.246221 fchownat(AT_FDCWD</tmp/frag>, "/tmp/frag/d", 1, 1, 0) = 0"#,
            #"[pid 15330] 1795771095.256336 rmdir("/tmp/frag/d") = 0"#,
            #"1795771095.269480 unshare(CLONE_NEWNS)  = 0"#,
            #"[pid 15336] 1795771095.292413 mount("tracelab", "/mnt", "tmpfs", 0, NULL) = 0"#,
            #"[pid 15337] 1795771095.309248 umount2("/mnt", 0) = 0"#,
            #"1795771099.067981 openat(AT_FDCWD</tmp/frag>, "/run/netns/tlfrag", O_RDONLY|O_CLOEXEC) = 5</run/netns/tlfrag>"#,
            #"1795771099.068114 setns(5</run/netns/tlfrag>, CLONE_NEWNET) = 0"#,
            #"[pid 15413] 1795771098.838899 ptrace(PTRACE_ATTACH, 15454) = -1 EPERM (Operation not permitted)"#,
        ])
        #expect(warnings.isEmpty)
        #expect(events.map(\.type) == ["mkdir", "fchmodat", "fchownat", "rmdir", "unshare", "mount", "umount2", "openat", "setns", "ptrace"])
        #expect(events[0].param("path")?.text == "/tmp/frag/d" && events[0].param("mode")?.raw == 0o777)
        #expect(events[1].param("filename")?.text == "/tmp/frag/d" && events[1].param("mode")?.raw == 0o600 && events[1].param("dirfd")?.raw == -100)
        #expect(events[2].param("pathname")?.text == "/tmp/frag/d" && events[2].param("uid")?.raw == 1 && events[2].param("gid")?.raw == 1)
        #expect(events[4].param("flags")?.text == "CLONE_NEWNS")
        #expect(events[5].param("dev")?.text == "tracelab" && events[5].param("dir")?.text == "/mnt" && events[5].param("type")?.text == "tmpfs")
        #expect(events[6].param("name")?.text == "/mnt" && events[6].param("flags")?.text == "0")
        #expect(events[8].fd?.name == "/run/netns/tlfrag" && events[8].param("nstype")?.text == "CLONE_NEWNET")
        #expect(events[9].param("request")?.text == "PTRACE_ATTACH" && events[9].param("pid")?.raw == 15454)
        #expect(events[9].param("res")?.text == "EPERM" && events[9].returnValue == -1)
    }

    @Test("quirks: strings with octal and hex escapes and truncation; [pid N] prefixes; unknown syscalls keep their name")
    func quirks() throws {
        let (events, warnings) = try Self.importLines([
            #"[pid  7] 1795769863.497813 read(3</lib/libc.so.6>, "\177ELF\2\1\1\3\0\0\0\0\0\0\0\0\3\0>\0\1\0\0\0\20t\2\0"..., 832) = 832"#,
            #"7     1795769863.500000 landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) = -1 EOPNOTSUPP (Operation not supported)"#,
            #"7     1795769863.500100 write(1</dev/null<char 1:3>>, "caf\303\251\n", 6) = 6"#,
        ])
        #expect(warnings.isEmpty)
        #expect(events[0].thread?.tid == 7)
        #expect(events[0].param("data")?.bytes?.prefix(8) == [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 3])
        #expect(events[0].fd?.name == "/lib/libc.so.6")
        #expect(events[1].type == "landlock_create_ruleset" && events[1].param("arg2")?.text == "LANDLOCK_CREATE_RULESET_VERSION")
        #expect(events[2].param("data")?.text == "café\n" && events[2].fd?.name == "/dev/null" && events[2].fd?.device == 1 << 8 | 3)
    }

    @Test("bad input: a cut line, another tool's lines, non-UTF-8 bytes, a call that never returns, a sidecar pid that is not there")
    func badInput() throws {
        var sidecar = StraceSidecar()
        sidecar.containers = [.init(container: ContainerInfo(id: "c", name: "c", image: "i", imageRepository: "i", imageTag: "t"), pids: [4242], commands: [])]
        let (events, warnings) = try Self.importLines([
            #"5656  1795770198.620000 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 5<TCP:[188970]>"#,
            "strace: Process 5656 attached",
            #"5656  1795770198.621000 write(1</dev/pts/0<char 136:0>>, "\#u{FF}bad", 4) = 4"#,
            #"5656  1795770198.622000 read(0</dev/pts/0<char 136:0>>, "#,
            #"5656  1795770198.623000 wait4(-1,  <unfinished ...>"#,
        ], sidecar: sidecar)
        #expect(events.map(\.type) == ["socket", "write"])
        #expect(warnings.count == 4)
        #expect(warnings[0].contains(":2:1: not a line of strace -f -ttt output (skipped): strace: Process 5656 attached"))
        #expect(warnings[1].contains(":4:1: not a line of strace"))
        #expect(warnings[2].contains(":5:1: pid 5656: 'wait4' never returned"))
        #expect(warnings[3].contains("the sidecar puts pid 4242 in container 'c', but no such process is in the log"))
    }

    @Test("bad input: a pid or clock past Int64 or 2554 is refused as a line, not trapped on")
    func numbersOutOfRange() throws {
        let (events, warnings) = try Self.importLines([
            #"[pid 9223372036854775808] 1795770198.620000 getpid() = 1"#,
            #"[pid 99999999999999999999] 1795770198.620000 getpid() = 1"#,
            #"99999999999999999999  1795770198.621000 getpid() = 1"#,
            #"5656  99999999999.622000 getpid() = 1"#,
            #"5656  18446744073.709551616 getpid() = 1"#,
            #"99999999999999999999  1795770198.622000 read(0</dev/pts/0<char 136:0>>, "", 1) = 0"#,
            #"5656  1795770198.623000 getpid() = 5656"#,
        ])
        #expect(events.count == 1 && events.first?.timestamp == 1_795_770_198_623_000_000)
        #expect(warnings.count == 6)
        for (index, warning) in warnings.enumerated() {
            #expect(warning.contains(":\(index + 1):1: not a line of strace -f -ttt output (skipped)"))
        }
    }

    @Test("socket calls written as scap: type and protocol as numbers, socket options as the driver records them, extreme values kept")
    func socketCallsWritten() throws {
        let lines = [
            #"3001  1795769863.100000 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 5<TCP:[1]>"#,
            #"3001  1795769863.100100 setsockopt(5<TCP:[1]>, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0"#,
            #"3001  1795769863.100200 getsockopt(5<TCP:[1]>, SOL_SOCKET, SO_ERROR, [-9223372036854775808], [8]) = 0"#,
            #"3001  1795769863.100300 setsockopt(5<TCP:[1]>, SOL_TCP, TCP_NODELAY, [1], 4) = 0"#,
        ]
        let source = Scratch.directory.appendingPathComponent("tracelab-sockopt-\(getpid()).strace").path
        let target = source + ".scap"
        try (lines.joined(separator: "\n") + "\n").write(toFile: source, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: source); try? FileManager.default.removeItem(atPath: target) }
        _ = try ScapWriter().write(opening: { () throws(TraceLabError) in try TraceFiles.open(source).stream }, to: target)
        let (stream, _) = try TraceFiles.open(target)
        var exits: [Event] = []
        while let event = try stream.next() { if event.direction == .exit { exits.append(event) } }
        #expect(exits.map(\.type) == ["socket", "setsockopt", "getsockopt", "setsockopt"])
        #expect(exits[0].fd?.l4proto == nil && exits[1].param("optname")?.text == "SO_KEEPALIVE" && exits[1].param("val")?.text == "1")
        // SO_ERROR is an errno, negated as the driver negates it (no overflow on the most negative value).
        #expect(exits[2].param("val")?.raw == Int64.min)
        // An option of another level is its bytes.
        #expect(exits[3].param("level")?.text == "SOL_TCP" && exits[3].param("val")?.bytes == [1, 0, 0, 0])
    }

    @Test("whole recordings import without warnings")
    func recordings() throws {
        let folder = Self.root.appendingPathComponent("traces/syscalls").path
        let logs = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".strace") }.sorted()
        #expect(logs.count == 13)
        for log in logs {
            let path = folder + "/" + log
            let sidecar = try StraceSidecar.load(path: path + ".sidecar.json")
            let reader = try StraceReader(path: path, sidecar: sidecar)
            var count = 0
            while try reader.next() != nil { count += 1 }
            #expect(count > 50, "\(log)")
            #expect(reader.warnings.isEmpty, "\(log): \(reader.warnings.prefix(3))")
        }
    }

    @Test("the evasion corpus imports without warnings, and scenarios/evasions.yaml labels every recording once")
    func evasionCorpus() throws {
        let folder = Self.root.appendingPathComponent("traces/syscalls/evasions").path
        let logs = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".strace") }.sorted()
        #expect(logs.count == 61)
        let corpus = Self.root.appendingPathComponent("scenarios/evasions.yaml").path
        let labels = try Yams.load(yaml: String(contentsOfFile: corpus, encoding: .utf8)) as? [String: Any]
        let variants = labels?["variants"] as? [[String: Any]] ?? []
        #expect(variants.compactMap { ($0["trace"] as? String)?.replacingOccurrences(of: "../traces/syscalls/evasions/", with: "") }.sorted() == logs)
        for log in logs {
            let path = folder + "/" + log
            let reader = try StraceReader(path: path, sidecar: try StraceSidecar.load(path: path + ".sidecar.json"))
            var count = 0
            while try reader.next() != nil { count += 1 }
            #expect(count > 50, "\(log)")
            #expect(reader.warnings.isEmpty, "\(log): \(reader.warnings.prefix(3))")
        }
    }
}
