/// Event type names (`evt.type`) of scap event codes: every generation of a syscall shares its name, the
/// enter event (even code) and the exit event (odd code) too. Written for the codes the public captures and
/// the lab's rules use (`driver/ppm_events_public.h` numbers the codes); others are shown by number.
public enum ScapEventNames {
    /// Enter-event code → name.
    static let names: [UInt16: String] = [
        0: "syscall", 2: "open", 4: "close", 6: "read", 8: "write", 12: "execve", 14: "clone", 18: "socket", 20: "bind", 22: "connect",
        26: "accept", 30: "sendto", 34: "recvfrom", 42: "socketpair", 48: "sendmsg", 56: "accept4", 60: "pipe", 64: "futex", 66: "stat",
        70: "fstat", 78: "epoll_wait", 80: "poll", 82: "select", 98: "mkdir", 102: "openat", 108: "unlink", 110: "unlinkat", 124: "dup",
        128: "kill", 134: "nanosleep", 140: "getrlimit", 152: "switch", 154: "execve", 156: "clone", 158: "brk", 160: "mmap", 164: "munmap",
        168: "ptrace", 170: "ioctl", 172: "execve", 174: "rename", 176: "renameat", 182: "fork", 184: "vfork", 186: "procexit",
        192: "setresuid", 198: "setuid", 200: "setgid", 202: "getuid", 204: "geteuid", 206: "getgid", 208: "getegid", 214: "execve",
        216: "clone", 218: "fork", 220: "vfork", 222: "clone", 224: "fork", 226: "vfork", 230: "execve", 232: "signaldeliver",
        234: "procinfo", 236: "getdents", 240: "setns", 256: "mount", 258: "umount", 264: "access", 272: "container", 284: "unshare",
        292: "execve", 294: "setpgid", 306: "openat", 312: "fchmodat", 314: "chmod", 326: "openat2", 330: "execveat", 334: "clone3",
        362: "dup2", 364: "dup3", 366: "dup", 386: "umount", 390: "umount2",
    ]

    /// The name of an event code, or `event <code>` when this table does not have it.
    public static func name(_ code: UInt16) -> String {
        names[code & ~1] ?? "event \(code)"
    }
}
