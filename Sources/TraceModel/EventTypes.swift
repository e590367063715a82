import Synchronization

/// Interned event-type names. Every event type seen by the engine (known syscalls, Falco's meta events,
/// and syscalls a recording names that Falco does not know) gets a small integer code so rules can be
/// indexed by type without hashing strings per event.
public enum EventTypes {
    /// The syscall and meta-event names libsinsp knows (its event table, both directions collapsed).
    /// This is the universe that `not evt.type = x` ranges over when computing a rule's event types.
    public static let known: [String] = [
        "accept", "accept4", "access", "bind", "bpf", "brk", "capset", "chdir", "chmod", "chown", "chroot",
        "clone", "clone3", "close", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "eventfd", "eventfd2",
        "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fchdir", "fchmod", "fchmodat",
        "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "finit_module", "flistxattr", "flock", "fork",
        "fremovexattr", "fsconfig", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "getcwd",
        "getdents", "getdents64", "getegid", "geteuid", "getgid", "getpeername", "getpgid", "getpid", "getppid",
        "getresgid", "getresuid", "getrlimit", "getsid", "getsockname", "getsockopt", "gettid", "getuid",
        "getxattr", "init_module", "inotify_init", "inotify_init1", "io_uring_enter", "io_uring_register",
        "io_uring_setup", "ioctl", "kill", "lchown", "lgetxattr", "link", "linkat", "listen", "listxattr",
        "llistxattr", "llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise", "memfd_create",
        "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mount",
        "mprotect", "mremap", "munlock", "munlockall", "munmap", "nanosleep", "newfstatat", "open",
        "open_by_handle_at", "openat", "openat2", "pidfd_getfd", "pidfd_open", "pipe", "pipe2", "poll", "ppoll",
        "prctl", "pread", "pread64", "preadv", "preadv2", "prlimit", "prlimit64", "process_vm_readv",
        "process_vm_writev", "pselect6", "ptrace", "pwrite", "pwrite64", "pwritev", "pwritev2", "quotactl",
        "read", "readlink", "readlinkat", "readv", "reboot", "recv", "recvfrom", "recvmmsg", "recvmsg",
        "removexattr", "rename", "renameat", "renameat2", "rmdir", "rt_sigaction", "rt_sigprocmask",
        "rt_sigreturn", "sched_getaffinity", "sched_setaffinity", "sched_yield", "seccomp", "select",
        "semctl", "semget", "semop", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
        "setdomainname", "setfsgid", "setfsuid", "setgid", "sethostname", "setitimer", "setns", "setpgid",
        "setresgid", "setresuid", "setrlimit", "setsid", "setsockopt", "settimeofday", "setuid", "setxattr",
        "shutdown", "sigaction", "signalfd", "signalfd4", "sigprocmask", "socket", "socketpair", "splice",
        "stat", "statfs", "statx", "swapoff", "swapon", "symlink", "symlinkat", "sync", "syncfs", "tee",
        "tgkill", "timerfd_create", "timerfd_settime", "tkill", "truncate", "umask", "umount", "umount2",
        "uname", "unlink", "unlinkat", "unshare", "userfaultfd", "utime", "utimensat", "utimes", "vfork",
        "vmsplice", "wait4", "waitid", "write", "writev",
        // libsinsp meta events
        "asyncevent", "container", "cpu_hotplug", "drop", "infra", "k8s", "mesos", "notification", "page_fault",
        "pluginevent", "procexit", "procinfo", "scapevent", "signaldeliver", "switch", "sysdigevent", "tracer",
    ]

    private static let table = Mutex<(codes: [String: Int], names: [String])>({
        var codes: [String: Int] = [:]
        for (index, name) in known.enumerated() { codes[name] = index }
        return (codes, known)
    }())

    /// The number of known event types.
    public static var knownCount: Int { known.count }

    /// The code of a name, interning it if the engine has not seen it before.
    public static func code(of name: String) -> Int {
        table.withLock { table in
            if let code = table.codes[name] { return code }
            let code = table.names.count
            table.names.append(name)
            table.codes[name] = code
            return code
        }
    }

    /// The code of a name if it was ever interned.
    public static func existingCode(of name: String) -> Int? {
        table.withLock { $0.codes[name] }
    }

    /// The name of a code.
    public static func name(of code: Int) -> String {
        table.withLock { code < $0.names.count ? $0.names[code] : "unknown" }
    }

    /// How many codes exist now (known plus interned).
    public static var count: Int { table.withLock { $0.names.count } }

    /// A membership test over event-type codes, built once from names: an array lookup per event
    /// instead of hashing the type name.
    public struct CodeSet: Sendable {
        private let members: [Bool]

        public init(_ names: [String]) {
            let codes = names.map { EventTypes.code(of: $0) }
            var members = [Bool](repeating: false, count: (codes.max() ?? 0) + 1)
            for code in codes { members[code] = true }
            self.members = members
        }

        @inlinable
        public func contains(_ code: Int) -> Bool { code < count && isMember(code) }

        @usableFromInline var count: Int { members.count }
        @usableFromInline func isMember(_ code: Int) -> Bool { members[code] }
    }
}
