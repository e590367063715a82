import Foundation
import TraceModel

/// Rebuilds the events of libsinsp filter tests from their C++ description, for the contexts whose
/// values are all literal. Others are reported as not runnable.
enum ConformanceEvents {
    /// libsinsp's default init thread (`add_default_init_thread`).
    static func initThread() -> ThreadInfo {
        let thread = ThreadInfo(tid: 1, pid: 1, ptid: 0, name: "init", exe: "/sbin/init", exepath: "/sbin/init",
                                args: ["context", "ls", "--format", "{{json .}}"], cwd: "/root/",
                                env: ["TEST_ENV_PARENT_LINEAGE=secret", "HOME=/home/user/parent"], uid: 0, gid: 0,
                                userName: "root", groupName: "root", loginuid: 0)
        return thread
    }

    static func event(for context: String) -> Event? {
        if context.contains("generate_getcwd_failed_entry_event") {
            return Event(number: 1, timestamp: 1_566_230_400_000_000_000, type: "getcwd", direction: .exit, cpu: 1,
                         params: [Param(name: "res", text: "ENOENT", raw: -2), Param(name: "path", text: "/test/dir")],
                         thread: initThread())
        }
        if context.contains("PPME_SYSCALL_EPOLL_CREATE_X, 2, (uint64_t)-22, (int32_t)0") {
            return Event(number: 1, timestamp: 1_566_230_400_000_000_000, type: "epoll_create", direction: .exit, cpu: 1,
                         params: [Param(name: "res", text: "EINVAL", raw: -22), .number("size", 0)], thread: initThread())
        }
        if context.contains("PPME_SYSCALL_EPOLL_CREATE_X, 2, (int64_t)0, (int32_t)-22") {
            return Event(number: 1, timestamp: 1_566_230_400_000_000_000, type: "epoll_create", direction: .exit, cpu: 1,
                         params: [.number("res", 0), .number("size", -22)], thread: initThread())
        }
        if context.contains("PPME_SYSCALL_READ_X, 4, (int64_t)0, scap_const_sized_buffer{read_buf, sizeof(read_buf)}") {
            let data = Array("hello".utf8) + [0]
            return Event(number: 1, timestamp: 1_566_230_400_000_000_000, type: "read", direction: .exit, cpu: 1,
                         params: [.number("res", 0), Param(name: "data", text: "hello.", bytes: data)], thread: initThread())
        }
        if let match = context.firstMatch(of: /PPME_SYSCALL_OPEN_X, 6, ([^,]+), "([^"]*)", ([^,]+),/) {
            guard let fd = literalInteger(String(match.1)) else { return nil }
            let path = decodeCEscapes(String(match.2))
            let flags = String(match.3).replacingOccurrences(of: "(uint32_t)", with: "")
                .split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "PPM_", with: "") }
            var bits: Int64 = 0
            for flag in flags {
                if flag == "O_RDWR" { bits |= 3; continue }
                if flag == "O_NONE" || flag == "0" { continue }
                guard let bit = OpenFlags.bits.first(where: { $0.name == flag })?.bit else { return nil }
                bits |= bit
            }
            let descriptor = FDInfo(number: fd, type: .file, name: path)
            return Event(number: 1, timestamp: 1_566_230_400_000_000_000, type: "open", direction: .exit, cpu: 1,
                         params: [.number("fd", fd), Param(name: "name", text: path), Param(name: "flags", text: OpenFlags.render(bits), raw: bits),
                                  .number("mode", 0), .number("dev", 0), .number("ino", 0)],
                         thread: initThread(), fd: descriptor)
        }
        return nil
    }

    private static func literalInteger(_ text: String) -> Int64? {
        let cleaned = text.replacingOccurrences(of: "(int64_t)", with: "").replacingOccurrences(of: "(uint64_t)", with: "")
            .replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "").trimmingCharacters(in: .whitespaces)
        if cleaned == "fd" { return 3 }
        return Int64(cleaned)
    }

    private static func decodeCEscapes(_ text: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count, utf8[index + 1] == UInt8(ascii: "x"),
               let value = UInt8(String(decoding: utf8[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
