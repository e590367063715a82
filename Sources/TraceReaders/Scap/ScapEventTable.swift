/// The scap event table as libsinsp 0.29 knows it: for each event code, its name (`evt.type`), the flags
/// that matter to a reader (old generation, unused code, 32-bit parameter lengths, fd use) and its
/// parameters with their wire types, print formats and flag names.
///
/// The facts come from the event table, syscall table and flag tables of falcosecurity/libs at e5c53d64
/// (March 2022), the libraries Debian's sysdig 0.29.3 is built with: `driver/event_table.c`,
/// `driver/flags_table.c`, `driver/ppm_events_public.h`, `userspace/libscap/syscall_info_table.c`. Event
/// codes, parameter order and flag values are the capture format's interface; libs HEAD only appends to them.
public enum ScapEventTable {
    /// Where the table's facts come from.
    public static let source = "falcosecurity/libs e5c53d64, as in libsinsp 0.29 (Debian's sysdig 0.29.3)"
    /// One event code.
    public struct EventInfo: Sendable {
        public let name: String
        public let flags: Flags
        public let params: [ParamInfo]
        /// Indices of the parameters that name table entries (fds, fd lists, pids).
        public let stateParams: [Int]

        /// The index of the named parameter.
        public func index(of name: String) -> Int? { params.firstIndex { $0.name == name } }

        /// The directory-fd parameter a relative path parameter is resolved against (`dirfd`, `olddirfd` for
        /// `oldpath`, `newdirfd` for `newpath`, `linkdirfd` for `linkpath`).
        func directoryParameter(for index: Int) -> Int? {
            let candidates: [String]
            switch params[index].name {
            case "oldpath": candidates = ["olddirfd", "olddir"]
            case "newpath": candidates = ["newdirfd", "newdir"]
            case "linkpath": candidates = ["linkdirfd"]
            default: candidates = ["dirfd"]
            }
            return params.firstIndex { candidates.contains($0.name) }
        }
    }

    /// Flags of an event code that change how it is read.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// An older generation of the call (still read; writers use the current one).
        public static let old = Flags(rawValue: 1)
        /// A code no producer writes.
        public static let unused = Flags(rawValue: 2)
        /// Parameter lengths are 32-bit (`EF_LARGE_PAYLOAD`).
        public static let large = Flags(rawValue: 4)
        /// The call acts on the fd named by its enter event.
        public static let usesFD = Flags(rawValue: 8)
        public static let createsFD = Flags(rawValue: 16)
        public static let destroysFD = Flags(rawValue: 32)
    }

    /// One parameter: its name (`evt.arg.NAME`), wire type, print format and, for flags and modes, the
    /// names of its bits (in the order libsinsp tries them).
    public struct ParamInfo: Sendable {
        public let name: String
        public let type: ParamType
        public let format: Format
        public let flagNames: [(name: String, value: UInt32)]?
    }

    /// Wire types of parameters (`ppm_param_type`), named as in the table below.
    public enum ParamType: String, Sendable {
        case int8, int16, int32, int64, uint8, uint16, uint32, uint64
        case charbuf, bytebuf, errno, sockaddr, socktuple, fd, pid, fdlist, fspath, fsrelpath, syscallid, sigtype
        case reltime, abstime, port, l4proto, sockfamily, bool, ipv4addr, dyn, flags8, flags16, flags32, uid, gid
        case double, sigset, charbufarray, charbuf_pair_array, ipv4net, ipv6addr, ipv6net, ipaddr, ipnet, mode
    }

    /// How libsinsp prints a number parameter.
    public enum Format: String, Sendable { case dec, hex, oct, padded = "10_padded_dec" }

    /// The entry of an event code, nil past the table (events of newer producers).
    public static func info(_ code: UInt16) -> EventInfo? {
        Int(code) < events.count ? events[Int(code)] : nil
    }

    /// What the block reader needs of each code, without copying its entry: whether its parameter lengths are
    /// 32-bit (`EF_LARGE_PAYLOAD`) and how many parameters the table gives it (32 past the table).
    static let layouts: [(large: Bool, parameters: Int)] = events.map { ($0.flags.contains(.large), $0.params.count) }

    static func layout(_ code: UInt16) -> (large: Bool, parameters: Int) {
        Int(code) < layouts.count ? layouts[Int(code)] : (false, 32)
    }

    /// The name of an event code (`evt.type`), or `event <code>` for codes past the table.
    public static func name(_ code: UInt16) -> String {
        info(code)?.name ?? "event \(code)"
    }

    /// The names of generic syscalls by their `PPM_SC_*` code (the `ID` parameter of `syscall` events),
    /// which libsinsp shows as the event's type.
    public static let syscallNames: [String] = """
        <unknown> restart_syscall exit read write open close creat link unlink chdir time mknod chmod stat lseek getpid mount 
        ptrace alarm fstat pause utime access sync kill rename mkdir rmdir dup pipe times brk acct ioctl fcntl setpgid umask 
        chroot ustat dup2 getppid getpgrp setsid sethostname setrlimit getrusage gettimeofday settimeofday symlink lstat 
        readlink uselib swapon reboot mmap munmap truncate ftruncate fchmod getpriority setpriority statfs fstatfs syslog 
        setitimer getitimer uname vhangup wait4 swapoff sysinfo fsync setdomainname adjtimex mprotect init_module 
        delete_module quotactl getpgid fchdir sysfs personality getdents select flock msync readv writev getsid fdatasync 
        mlock munlock mlockall munlockall sched_setparam sched_getparam sched_setscheduler sched_getscheduler sched_yield 
        sched_get_priority_max sched_get_priority_min sched_rr_get_interval nanosleep mremap poll prctl rt_sigaction 
        rt_sigprocmask rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend getcwd capget capset sendfile getrlimit 
        lchown getuid getgid geteuid getegid setreuid setregid getgroups setgroups fchown setresuid getresuid setresgid 
        getresgid chown setuid setgid setfsuid setfsgid pivot_root mincore madvise gettid setxattr lsetxattr fsetxattr 
        getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr tkill futex 
        sched_setaffinity sched_getaffinity set_thread_area get_thread_area io_setup io_destroy io_getevents io_submit 
        io_cancel exit_group epoll_create epoll_ctl epoll_wait remap_file_pages set_tid_address timer_create timer_settime 
        timer_gettime timer_getoverrun timer_delete clock_settime clock_gettime clock_getres clock_nanosleep tgkill utimes 
        mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl 
        ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch openat mkdirat mknodat fchownat futimesat 
        unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll unshare set_robust_list 
        get_robust_list splice tee vmsplice getcpu epoll_pwait utimensat signalfd timerfd_create eventfd timerfd_settime 
        timerfd_gettime signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev rt_tgsigqueueinfo 
        perf_event_open fanotify_init prlimit64 clock_adjtime syncfs setns getdents64 socket bind connect listen accept 
        getsockname getpeername socketpair sendto recvfrom shutdown setsockopt getsockopt sendmsg sendmmsg recvmsg recvmmsg 
        accept4 semop semget semctl msgsnd msgrcv msgget msgctl shmdt shmget shmctl statfs64 fstatfs64 fstatat64 sendfile64 
        ugetrlimit bdflush sigprocmask ipc socketcall stat64 lstat64 fstat64 fcntl64 mmap2 newselect sgetmask ssetmask 
        sigpending olduname umount signal nice stime llseek waitpid pread64 pwrite64 arch_prctl shmat sigreturn fallocate 
        newfstatat process_vm_readv process_vm_writev fork vfork setuid getuid setgid geteuid getgid setresuid setresgid 
        getresuid getresgid finit_module bpf seccomp sigaltstack getrandom fadvise64 renameat2 userfaultfd openat2 umount2 
        execve execveat copy_file_range clone clone3
        """.split(whereSeparator: \.isWhitespace).map(String.init)

    /// Every event code, parsed once from `table`.
    public static let events: [EventInfo] = table.split(separator: "\n").map(parse)

    private static func parse(_ line: Substring) -> EventInfo {
        let words = line.split(separator: " ")
        var flags = Flags()
        var params: [ParamInfo] = []
        for word in words.dropFirst(2) {
            if word.hasPrefix("!") {
                switch word.dropFirst() {
                case "old": flags.insert(.old)
                case "unused": flags.insert(.unused)
                case "large": flags.insert(.large)
                case "usesfd": flags.insert(.usesFD)
                case "createsfd": flags.insert(.createsFD)
                default: flags.insert(.destroysFD)
                }
                continue
            }
            let parts = word.split(separator: ":")
            let spec = parts[1].split(separator: "/")
            var format = Format.dec
            var names: [(String, UInt32)]?
            for extra in spec.dropFirst() {
                if let known = Format(rawValue: String(extra)) { format = known } else { names = flagTables[String(extra)] }
            }
            params.append(ParamInfo(name: String(parts[0]), type: ParamType(rawValue: String(spec[0])) ?? .bytebuf, format: format, flagNames: names))
        }
        let stateParams = params.indices.filter { [.fd, .fdlist, .pid].contains(params[$0].type) }
        return EventInfo(name: String(words[1]), flags: flags, params: params, stateParams: stateParams)
    }

    /// Flag and mode names, in the order libsinsp resolves them (a value equal to an entry is that entry).
    static let flagTables: [String: [(String, UInt32)]] = [
        "file_flags": [("O_LARGEFILE", 1 << 11), ("O_DIRECTORY", 1 << 10), ("O_DIRECT", 1 << 9), ("O_TRUNC", 1 << 8), ("O_SYNC", 1 << 7),
                       ("O_NONBLOCK", 1 << 6), ("O_EXCL", 1 << 5), ("O_DSYNC", 1 << 4), ("O_APPEND", 1 << 3), ("O_CREAT", 1 << 2),
                       ("O_RDWR", 3), ("O_WRONLY", 2), ("O_RDONLY", 1), ("O_CLOEXEC", 1 << 12), ("O_NONE", 0), ("O_TMPFILE", 1 << 13)],
        "clone_flags": [("CLONE_FILES", 1), ("CLONE_FS", 1 << 1), ("CLONE_IO", 1 << 2), ("CLONE_NEWIPC", 1 << 3), ("CLONE_NEWNET", 1 << 4),
                        ("CLONE_NEWNS", 1 << 5), ("CLONE_NEWPID", 1 << 6), ("CLONE_NEWUTS", 1 << 7), ("CLONE_PARENT", 1 << 8),
                        ("CLONE_PARENT_SETTID", 1 << 9), ("CLONE_PTRACE", 1 << 10), ("CLONE_SIGHAND", 1 << 11), ("CLONE_SYSVSEM", 1 << 12),
                        ("CLONE_THREAD", 1 << 13), ("CLONE_UNTRACED", 1 << 14), ("CLONE_VM", 1 << 15), ("CLONE_INVERTED", 1 << 16),
                        ("NAME_CHANGED", 1 << 17), ("CLOSED", 1 << 18), ("CLONE_NEWUSER", 1 << 20), ("CLONE_CHILD_CLEARTID", 1 << 23),
                        ("CLONE_CHILD_SETTID", 1 << 24), ("CLONE_SETTLS", 1 << 25), ("CLONE_STOPPED", 1 << 26), ("CLONE_VFORK", 1 << 27),
                        ("CLONE_NEWCGROUP", 1 << 28)],
        "fcntl_commands": [("F_GETPIPE_SZ", 29), ("F_SETPIPE_SZ", 28), ("F_NOTIFY", 27), ("F_DUPFD_CLOEXEC", 26), ("F_CANCELLK", 25),
                           ("F_GETLEASE", 24), ("F_SETLEASE", 23), ("F_GETOWN_EX", 22), ("F_SETOWN_EX", 21), ("F_SETLKW64", 19),
                           ("F_SETLK64", 18), ("F_GETLK64", 17), ("F_GETSIG", 15), ("F_SETSIG", 13), ("F_GETOWN", 12), ("F_SETOWN", 10),
                           ("F_SETLKW", 9), ("F_SETLK", 8), ("F_GETLK", 6), ("F_SETFL", 5), ("F_GETFL", 4), ("F_SETFD", 3), ("F_GETFD", 2),
                           ("F_DUPFD", 1), ("F_OFD_GETLK", 30), ("F_OFD_SETLK", 31), ("F_OFD_SETLKW", 32), ("UNKNOWN", 0)],
        "access_flags": [("F_OK", 0), ("R_OK", 1 << 2), ("W_OK", 1 << 1), ("X_OK", 1)],
        "prot_flags": [("PROT_READ", 1), ("PROT_WRITE", 1 << 1), ("PROT_EXEC", 1 << 2), ("PROT_SEM", 1 << 3), ("PROT_GROWSDOWN", 1 << 4),
                       ("PROT_GROWSUP", 1 << 5), ("PROT_SAO", 1 << 6), ("PROT_NONE", 0)],
        "mmap_flags": [("MAP_SHARED", 1), ("MAP_PRIVATE", 1 << 1), ("MAP_FIXED", 1 << 2), ("MAP_ANONYMOUS", 1 << 3), ("MAP_32BIT", 1 << 4),
                       ("MAP_RENAME", 1 << 5), ("MAP_NORESERVE", 1 << 6), ("MAP_POPULATE", 1 << 7), ("MAP_NONBLOCK", 1 << 8),
                       ("MAP_GROWSDOWN", 1 << 9), ("MAP_DENYWRITE", 1 << 10), ("MAP_EXECUTABLE", 1 << 11), ("MAP_INHERIT", 1 << 12),
                       ("MAP_FILE", 1 << 13), ("MAP_LOCKED", 1 << 14)],
        "chmod_mode": [("S_IXOTH", 1), ("S_IWOTH", 1 << 1), ("S_IROTH", 1 << 2), ("S_IXGRP", 1 << 3), ("S_IWGRP", 1 << 4), ("S_IRGRP", 1 << 5),
                       ("S_IXUSR", 1 << 6), ("S_IWUSR", 1 << 7), ("S_IRUSR", 1 << 8), ("S_ISVTX", 1 << 9), ("S_ISGID", 1 << 10), ("S_ISUID", 1 << 11)],
        "socket_families": [("AF_NFC", 39), ("AF_ALG", 38), ("AF_CAIF", 37), ("AF_IEEE802154", 36), ("AF_PHONET", 35), ("AF_ISDN", 34),
                            ("AF_RXRPC", 33), ("AF_IUCV", 32), ("AF_BLUETOOTH", 31), ("AF_TIPC", 30), ("AF_CAN", 29), ("AF_LLC", 26),
                            ("AF_WANPIPE", 25), ("AF_PPPOX", 24), ("AF_IRDA", 23), ("AF_SNA", 22), ("AF_RDS", 21), ("AF_ATMSVC", 20),
                            ("AF_ECONET", 19), ("AF_ASH", 18), ("AF_PACKET", 17), ("AF_ROUTE", 16), ("AF_NETLINK", 16), ("AF_KEY", 15),
                            ("AF_SECURITY", 14), ("AF_NETBEUI", 13), ("AF_DECnet", 12), ("AF_ROSE", 11), ("AF_INET6", 10), ("AF_X25", 9),
                            ("AF_ATMPVC", 8), ("AF_BRIDGE", 7), ("AF_NETROM", 6), ("AF_APPLETALK", 5), ("AF_IPX", 4), ("AF_AX25", 3),
                            ("AF_INET", 2), ("AF_LOCAL", 1), ("AF_UNIX", 1), ("AF_UNSPEC", 0)],
        "ptrace_requests": ["PTRACE_SINGLEBLOCK", "PTRACE_SYSEMU_SINGLESTEP", "PTRACE_SYSEMU", "PTRACE_ARCH_PRCTL", "PTRACE_SET_THREAD_AREA",
                            "PTRACE_GET_THREAD_AREA", "PTRACE_OLDSETOPTIONS", "PTRACE_SETFPXREGS", "PTRACE_GETFPXREGS", "PTRACE_SETFPREGS",
                            "PTRACE_GETFPREGS", "PTRACE_SETREGS", "PTRACE_GETREGS", "PTRACE_SETSIGMASK", "PTRACE_GETSIGMASK",
                            "PTRACE_PEEKSIGINFO", "PTRACE_LISTEN", "PTRACE_INTERRUPT", "PTRACE_SEIZE", "PTRACE_SETREGSET", "PTRACE_GETREGSET",
                            "PTRACE_SETSIGINFO", "PTRACE_GETSIGINFO", "PTRACE_GETEVENTMSG", "PTRACE_SETOPTIONS", "PTRACE_SYSCALL",
                            "PTRACE_DETACH", "PTRACE_ATTACH", "PTRACE_SINGLESTEP", "PTRACE_KILL", "PTRACE_CONT", "PTRACE_POKEUSR",
                            "PTRACE_POKEDATA", "PTRACE_POKETEXT", "PTRACE_PEEKUSR", "PTRACE_PEEKDATA", "PTRACE_PEEKTEXT", "PTRACE_TRACEME",
                            "PTRACE_UNKNOWN"].enumerated().map { ($0.element, UInt32(38 - $0.offset)) },
"execve_flags": [("EXE_WRITABLE", 1)],
        "execveat_flags": [("AT_EMPTY_PATH", 1), ("AT_SYMLINK_NOFOLLOW", 2)],
        "flock_flags": [("LOCK_SH", 1), ("LOCK_EX", 2), ("LOCK_NB", 4), ("LOCK_UN", 8), ("LOCK_NONE", 0)],
        "futex_operations": [("FUTEX_CLOCK_REALTIME", 256), ("FUTEX_PRIVATE_FLAG", 128), ("FUTEX_CMP_REQUEUE_PI", 12),
                             ("FUTEX_WAIT_REQUEUE_PI", 11), ("FUTEX_WAKE_BITSET", 10), ("FUTEX_WAIT_BITSET", 9), ("FUTEX_TRYLOCK_PI", 8),
                             ("FUTEX_UNLOCK_PI", 7), ("FUTEX_LOCK_PI", 6), ("FUTEX_WAKE_OP", 5), ("FUTEX_CMP_REQUEUE", 4),
                             ("FUTEX_REQUEUE", 3), ("FUTEX_FD", 2), ("FUTEX_WAKE", 1), ("FUTEX_WAIT", 0)],
        "linkat_flags": [("AT_SYMLINK_FOLLOW", 1024), ("AT_EMPTY_PATH", 4096)],
        "lseek_whence": [("SEEK_END", 2), ("SEEK_CUR", 1), ("SEEK_SET", 0)],
        "mount_flags": [("RDONLY", 1), ("NOSUID", 2), ("NODEV", 4), ("NOEXEC", 8), ("SYNCHRONOUS", 16), ("REMOUNT", 32), ("MANDLOCK", 64),
                        ("DIRSYNC", 128), ("NOATIME", 1024), ("NODIRATIME", 2048), ("BIND", 4096), ("MOVE", 8192), ("REC", 16384),
                        ("SILENT", 32768), ("POSIXACL", 65536), ("UNBINDABLE", 131072), ("PRIVATE", 262144), ("SLAVE", 524288),
                        ("SHARED", 1048576), ("RELATIME", 2097152), ("KERNMOUNT", 4194304), ("I_VERSION", 8388608),
                        ("STRICTATIME", 16777216), ("LAZYTIME", 33554432), ("NOSEC", 268435456), ("BORN", 536870912),
                        ("ACTIVE", 1073741824), ("NOUSER", 2147483648)],
        "openat2_flags": [("RESOLVE_BENEATH", 1), ("RESOLVE_IN_ROOT", 2), ("RESOLVE_NO_MAGICLINKS", 4), ("RESOLVE_NO_SYMLINKS", 8),
                          ("RESOLVE_NO_XDEV", 16), ("RESOLVE_CACHED", 32)],
        "pf_flags": [("PROTECTION_VIOLATION", 1), ("PAGE_NOT_PRESENT", 2), ("WRITE_ACCESS", 4), ("READ_ACCESS", 8), ("USER_FAULT", 16),
                     ("SUPERVISOR_FAULT", 32), ("RESERVED_PAGE", 64), ("INSTRUCTION_FETCH", 128)],
        "quotactl_cmds": [("Q_QUOTAON", 1), ("Q_QUOTAOFF", 2), ("Q_GETFMT", 4), ("Q_GETINFO", 8), ("Q_SETINFO", 16), ("Q_GETQUOTA", 32),
                          ("Q_SETQUOTA", 64), ("Q_SYNC", 128), ("Q_XQUOTAON", 256), ("Q_XQUOTAOFF", 512), ("Q_XGETQUOTA", 1024),
                          ("Q_XSETQLIM", 2048), ("Q_XGETQSTAT", 4096), ("Q_XQUOTARM", 8192), ("Q_XQUOTASYNC", 16384)],
        "quotactl_dqi_flags": [("DQF_NONE", 1), ("V1_DQF_RSQUASH", 2)],
        "quotactl_quota_fmts": [("QFMT_NOT_USED", 1), ("QFMT_VFS_OLD", 2), ("QFMT_VFS_V0", 4), ("QFMT_VFS_V1", 8)],
        "quotactl_types": [("USRQUOTA", 1), ("GRPQUOTA", 2)],
        "renameat2_flags": [("RENAME_NOREPLACE", 1), ("RENAME_EXCHANGE", 2), ("RENAME_WHITEOUT", 4)],
        "rlimit_resources": [("RLIMIT_UNKNOWN", 255), ("RLIMIT_RTTIME", 15), ("RLIMIT_RTPRIO", 14), ("RLIMIT_NICE", 13),
                             ("RLIMIT_MSGQUEUE", 12), ("RLIMIT_SIGPENDING", 11), ("RLIMIT_LOCKS", 10), ("RLIMIT_AS", 9),
                             ("RLIMIT_MEMLOCK", 8), ("RLIMIT_NOFILE", 7), ("RLIMIT_NPROC", 6), ("RLIMIT_RSS", 5), ("RLIMIT_CORE", 4),
                             ("RLIMIT_STACK", 3), ("RLIMIT_DATA", 2), ("RLIMIT_FSIZE", 1), ("RLIMIT_CPU", 0)],
        "semctl_commands": [("IPC_STAT", 1), ("IPC_SET", 2), ("IPC_RMID", 4), ("IPC_INFO", 8), ("SEM_INFO", 16), ("SEM_STAT", 32),
                            ("GETALL", 64), ("GETNCNT", 128), ("GETPID", 256), ("GETVAL", 512), ("GETZCNT", 1024), ("SETALL", 2048),
                            ("SETVAL", 4096)],
        "semget_flags": [("IPC_EXCL", 16384), ("IPC_CREAT", 8192)],
        "semop_flags": [("IPC_NOWAIT", 1), ("SEM_UNDO", 2)],
        "shutdown_how": [("SHUT_RDWR", 2), ("SHUT_WR", 1), ("SHUT_RD", 0)],
        "sockopt_levels": [("SOL_SOCKET", 1), ("SOL_TCP", 2), ("UNKNOWN", 0)],
        "sockopt_options": [("SO_COOKIE", 53), ("SO_MEMINFO", 52), ("SO_PEERGROUPS", 51), ("SO_ATTACH_BPF", 50), ("SO_INCOMING_CPU", 49),
                            ("SO_BPF_EXTENSIONS", 48), ("SO_MAX_PACING_RATE", 47), ("SO_BUSY_POLL", 46), ("SO_SELECT_ERR_QUEUE", 45),
                            ("SO_LOCK_FILTER", 44), ("SO_NOFCS", 43), ("SO_PEEK_OFF", 42), ("SO_WIFI_STATUS", 41), ("SO_RXQ_OVFL", 40),
                            ("SO_DOMAIN", 39), ("SO_PROTOCOL", 38), ("SO_TIMESTAMPING", 37), ("SO_MARK", 36), ("SO_TIMESTAMPNS", 35),
                            ("SO_PASSSEC", 34), ("SO_PEERSEC", 31), ("SO_ACCEPTCONN", 30), ("SO_TIMESTAMP", 29), ("SO_PEERNAME", 28),
                            ("SO_DETACH_FILTER", 27), ("SO_ATTACH_FILTER", 26), ("SO_BINDTODEVICE", 25),
                            ("SO_SECURITY_ENCRYPTION_NETWORK", 24), ("SO_SECURITY_ENCRYPTION_TRANSPORT", 23),
                            ("SO_SECURITY_AUTHENTICATION", 22), ("SO_SNDTIMEO", 21), ("SO_RCVTIMEO", 20), ("SO_SNDLOWAT", 19),
                            ("SO_RCVLOWAT", 18), ("SO_PEERCRED", 17), ("SO_PASSCRED", 16), ("SO_REUSEPORT", 15), ("SO_BSDCOMPAT", 14),
                            ("SO_LINGER", 13), ("SO_PRIORITY", 12), ("SO_NO_CHECK", 11), ("SO_OOBINLINE", 10), ("SO_KEEPALIVE", 9),
                            ("SO_RCVBUFFORCE", 33), ("SO_SNDBUFFORCE", 32), ("SO_RCVBUF", 8), ("SO_SNDBUF", 7), ("SO_BROADCAST", 6),
                            ("SO_DONTROUTE", 5), ("SO_ERROR", 4), ("SO_TYPE", 3), ("SO_REUSEADDR", 2), ("SO_DEBUG", 1), ("UNKNOWN", 0)],
        "splice_flags": [("SPLICE_F_MOVE", 1), ("SPLICE_F_NONBLOCK", 2), ("SPLICE_F_MORE", 4), ("SPLICE_F_GIFT", 8)],
        "umount_flags": [("FORCE", 1), ("DETACH", 2), ("EXPIRE", 4), ("NOFOLLOW", 8)],
        "unlinkat_flags": [("AT_REMOVEDIR", 512)],
    ]

    /// One line per event code, in code order: `code name [!flag...] [param:type[/format][/flag table]...]`.
    static let table = """
        0 syscall ID:syscallid nativeID:uint16
        1 syscall ID:syscallid
        2 open !createsfd name:fspath flags:flags32/hex/file_flags mode:uint32/oct
        3 open !createsfd fd:fd name:fspath flags:flags32/hex/file_flags mode:uint32/oct dev:uint32/hex
        4 close !usesfd !destroysfd fd:fd
        5 close !usesfd !destroysfd res:errno
        6 read !usesfd fd:fd size:uint32
        7 read !usesfd res:errno data:bytebuf
        8 write !usesfd fd:fd size:uint32
        9 write !usesfd res:errno data:bytebuf
        10 brk !old size:uint32
        11 brk !old res:uint64/hex
        12 execve !old
        13 execve !old res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64
        14 clone !old
        15 clone !old res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 flags:flags32/hex/clone_flags uid:uint32 gid:uint32
        16 procexit !old
        17 NA1 !unused
        18 socket !createsfd domain:flags32/socket_families type:uint32 proto:uint32
        19 socket !createsfd fd:fd
        20 bind !usesfd fd:fd
        21 bind !usesfd res:errno addr:sockaddr
        22 connect !usesfd fd:fd addr:sockaddr
        23 connect !usesfd res:errno tuple:socktuple
        24 listen !usesfd fd:fd backlog:uint32
        25 listen !usesfd res:errno
        26 accept !old !createsfd
        27 accept !old !createsfd fd:fd tuple:socktuple queuepct:uint8
        28 send !usesfd fd:fd size:uint32
        29 send !usesfd res:errno data:bytebuf
        30 sendto !usesfd fd:fd size:uint32 tuple:socktuple
        31 sendto !usesfd res:errno data:bytebuf
        32 recv !usesfd fd:fd size:uint32
        33 recv !usesfd res:errno data:bytebuf
        34 recvfrom !usesfd fd:fd size:uint32
        35 recvfrom !usesfd res:errno data:bytebuf tuple:socktuple
        36 shutdown !usesfd fd:fd how:flags8/hex/shutdown_how
        37 shutdown !usesfd res:errno
        38 getsockname
        39 getsockname
        40 getpeername
        41 getpeername
        42 socketpair !createsfd domain:flags32/socket_families type:uint32 proto:uint32
        43 socketpair !createsfd res:errno fd1:fd fd2:fd source:uint64/hex peer:uint64/hex
        44 setsockopt
        45 setsockopt !usesfd res:errno fd:fd level:flags8/sockopt_levels optname:flags8/sockopt_options val:dyn/sockopt_dynamic_param optlen:uint32
        46 getsockopt
        47 getsockopt !usesfd res:errno fd:fd level:flags8/sockopt_levels optname:flags8/sockopt_options val:dyn/sockopt_dynamic_param optlen:uint32
        48 sendmsg !usesfd fd:fd size:uint32 tuple:socktuple
        49 sendmsg !usesfd res:errno data:bytebuf
        50 sendmmsg
        51 sendmmsg
        52 recvmsg !usesfd fd:fd
        53 recvmsg !usesfd res:errno size:uint32 data:bytebuf tuple:socktuple
        54 recvmmsg
        55 recvmmsg
        56 accept !old !createsfd flags:int32/hex
        57 accept !old !createsfd fd:fd tuple:socktuple queuepct:uint8
        58 creat !createsfd name:fspath mode:uint32/oct
        59 creat !createsfd fd:fd name:fspath mode:uint32/oct dev:uint32/hex
        60 pipe !createsfd
        61 pipe !createsfd res:errno fd1:fd fd2:fd ino:uint64
        62 eventfd !createsfd initval:uint64 flags:flags32/hex
        63 eventfd !createsfd res:fd
        64 futex addr:uint64/hex op:flags16/hex/futex_operations val:uint64
        65 futex res:errno
        66 stat
        67 stat res:errno path:fspath
        68 lstat
        69 lstat res:errno path:fspath
        70 fstat !usesfd fd:fd
        71 fstat !usesfd res:errno
        72 stat64
        73 stat64 res:errno path:fspath
        74 lstat64
        75 lstat64 res:errno path:fspath
        76 fstat64 !usesfd fd:fd
        77 fstat64 !usesfd res:errno
        78 epoll_wait maxevents:errno
        79 epoll_wait res:errno
        80 poll fds:fdlist timeout:int64
        81 poll res:errno fds:fdlist
        82 select
        83 select res:errno
        84 select
        85 select res:errno
        86 lseek !usesfd fd:fd offset:uint64 whence:flags8/lseek_whence
        87 lseek !usesfd res:errno
        88 llseek !usesfd fd:fd offset:uint64 whence:flags8/lseek_whence
        89 llseek !usesfd res:errno
        90 ioctl !old !usesfd fd:fd request:uint64/hex
        91 ioctl !old !usesfd res:errno
        92 getcwd
        93 getcwd res:errno path:charbuf
        94 chdir
        95 chdir res:errno path:charbuf
        96 fchdir !usesfd fd:fd
        97 fchdir !usesfd res:errno
        98 mkdir path:fspath mode:uint32/hex
        99 mkdir res:errno
        100 rmdir path:fspath
        101 rmdir res:errno
        102 openat !old !createsfd dirfd:fd name:charbuf flags:flags32/hex/file_flags mode:uint32/oct
        103 openat !old !createsfd fd:fd
        104 link !old oldpath:fspath newpath:fspath
        105 link !old res:errno
        106 linkat !old olddir:fd oldpath:charbuf newdir:fd newpath:charbuf
        107 linkat !old res:errno
        108 unlink !old path:fspath
        109 unlink !old res:errno
        110 unlinkat !old dirfd:fd name:charbuf
        111 unlinkat !old res:errno
        112 pread !usesfd fd:fd size:uint32 pos:uint64
        113 pread !usesfd res:errno data:bytebuf
        114 pwrite !usesfd fd:fd size:uint32 pos:uint64
        115 pwrite !usesfd res:errno data:bytebuf
        116 readv !usesfd fd:fd
        117 readv !usesfd res:errno size:uint32 data:bytebuf
        118 writev !usesfd fd:fd size:uint32
        119 writev !usesfd res:errno data:bytebuf
        120 preadv !usesfd fd:fd pos:uint64
        121 preadv !usesfd res:errno size:uint32 data:bytebuf
        122 pwritev !usesfd fd:fd size:uint32 pos:uint64
        123 pwritev !usesfd res:errno data:bytebuf
        124 dup !usesfd !createsfd fd:fd
        125 dup !usesfd !createsfd res:fd
        126 signalfd !createsfd fd:fd mask:uint32/hex flags:flags8/hex
        127 signalfd !createsfd res:fd
        128 kill pid:pid sig:sigtype
        129 kill res:errno
        130 tkill tid:pid sig:sigtype
        131 tkill res:errno
        132 tgkill pid:pid tid:pid sig:sigtype
        133 tgkill res:errno
        134 nanosleep interval:reltime
        135 nanosleep res:errno
        136 timerfd_create !createsfd clockid:uint8 flags:flags8/hex
        137 timerfd_create !createsfd res:fd
        138 inotify_init !createsfd flags:flags8/hex
        139 inotify_init !createsfd res:fd
        140 getrlimit resource:flags8/rlimit_resources
        141 getrlimit res:errno cur:int64 max:int64
        142 setrlimit resource:flags8/rlimit_resources
        143 setrlimit res:errno cur:int64 max:int64
        144 prlimit pid:pid resource:flags8/rlimit_resources
        145 prlimit res:errno newcur:int64 newmax:int64 oldcur:int64 oldmax:int64
        146 switch !old next:pid
        147 NA2 !unused !old
        148 drop ratio:uint32
        149 drop ratio:uint32
        150 fcntl !usesfd fd:fd cmd:flags8/fcntl_commands
        151 fcntl !usesfd res:fd
        152 switch next:pid pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32
        153 NA2 !unused
        154 execve !old
        155 execve !old res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32
        156 clone !old
        157 clone !old res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 flags:flags32/hex/clone_flags uid:uint32 gid:uint32
        158 brk addr:uint64/hex
        159 brk res:uint64/hex vm_size:uint32 vm_rss:uint32 vm_swap:uint32
        160 mmap addr:uint64/hex length:uint64 prot:flags32/hex/prot_flags flags:flags32/hex/mmap_flags fd:fd offset:uint64
        161 mmap res:uint64/hex vm_size:uint32 vm_rss:uint32 vm_swap:uint32
        162 mmap2 addr:uint64/hex length:uint64 prot:flags32/hex/prot_flags flags:flags32/hex/mmap_flags fd:fd pgoffset:uint64
        163 mmap2 res:uint64/hex vm_size:uint32 vm_rss:uint32 vm_swap:uint32
        164 munmap addr:uint64/hex length:uint64
        165 munmap res:errno vm_size:uint32 vm_rss:uint32 vm_swap:uint32
        166 splice !usesfd fd_in:fd fd_out:fd size:uint64 flags:flags32/hex/splice_flags
        167 splice !usesfd res:errno
        168 ptrace request:flags16/ptrace_requests pid:pid
        169 ptrace res:errno addr:dyn/hex/ptrace_dynamic_param data:dyn/hex/ptrace_dynamic_param
        170 ioctl !usesfd fd:fd request:uint64/hex argument:uint64/hex
        171 ioctl !usesfd res:errno
        172 execve !old
        173 execve !old res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 env:bytebuf
        174 rename
        175 rename res:errno oldpath:fspath newpath:fspath
        176 renameat
        177 renameat res:errno olddirfd:fd oldpath:fsrelpath/DIRFD_PARAM newdirfd:fd newpath:fsrelpath/DIRFD_PARAM
        178 symlink
        179 symlink res:errno target:charbuf linkpath:fspath
        180 symlinkat
        181 symlinkat res:errno target:charbuf linkdirfd:fd linkpath:fsrelpath/DIRFD_PARAM
        182 fork !old
        183 fork !old res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 flags:flags32/hex/clone_flags uid:uint32 gid:uint32
        184 vfork !old
        185 vfork !old res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 flags:flags32/hex/clone_flags uid:uint32 gid:uint32
        186 procexit status:errno ret:errno sig:sigtype core:uint8
        187 NA1 !unused
        188 sendfile !usesfd out_fd:fd in_fd:fd offset:uint64 size:uint64
        189 sendfile !usesfd res:errno offset:uint64
        190 quotactl cmd:flags16/quotactl_cmds type:flags8/quotactl_types id:uint32 quota_fmt:flags8/quotactl_quota_fmts
        191 quotactl res:errno special:charbuf quotafilepath:charbuf dqb_bhardlimit:uint64 dqb_bsoftlimit:uint64 dqb_curspace:uint64 dqb_ihardlimit:uint64 dqb_isoftlimit:uint64 dqb_btime:reltime dqb_itime:reltime dqi_bgrace:reltime dqi_igrace:reltime dqi_flags:flags8/quotactl_dqi_flags quota_fmt_out:flags8/quotactl_quota_fmts
        192 setresuid ruid:uid euid:uid suid:uid
        193 setresuid res:errno
        194 setresgid rgid:gid egid:gid sgid:gid
        195 setresgid res:errno
        196 sysdigevent event_type:uint32 event_data:uint64
        197 sysdigevent !unused
        198 setuid uid:uid
        199 setuid res:errno
        200 setgid gid:gid
        201 setgid res:errno
        202 getuid
        203 getuid uid:uid
        204 geteuid
        205 geteuid euid:uid
        206 getgid
        207 getgid gid:gid
        208 getegid
        209 getegid egid:gid
        210 getresuid
        211 getresuid res:errno ruid:uid euid:uid suid:uid
        212 getresgid
        213 getresgid res:errno rgid:gid egid:gid sgid:gid
        214 execve !old
        215 execve !old res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf env:bytebuf
        216 clone !old
        217 clone !old res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf flags:flags32/hex/clone_flags uid:uint32 gid:uint32
        218 fork !old
        219 fork !old res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf flags:flags32/hex/clone_flags uid:uint32 gid:uint32
        220 vfork !old
        221 vfork !old res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf flags:flags32/hex/clone_flags uid:uint32 gid:uint32
        222 clone
        223 clone res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf flags:flags32/hex/clone_flags uid:uint32 gid:uint32 vtid:pid vpid:pid
        224 fork
        225 fork res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf flags:flags32/hex/clone_flags uid:uint32 gid:uint32 vtid:pid vpid:pid
        226 vfork
        227 vfork res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf flags:flags32/hex/clone_flags uid:uint32 gid:uint32 vtid:pid vpid:pid
        228 container !old id:charbuf type:uint32 name:charbuf image:charbuf
        229 container !unused !old
        230 execve
        231 execve res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf env:bytebuf
        232 signaldeliver spid:pid dpid:pid sig:sigtype
        233 signaldeliver !unused
        234 procinfo cpu_usr:uint64 cpu_sys:uint64
        235 NA2 !unused
        236 getdents !usesfd fd:fd
        237 getdents !usesfd res:errno
        238 getdents64 !usesfd fd:fd
        239 getdents64 !usesfd res:errno
        240 setns !usesfd fd:fd nstype:flags32/hex/clone_flags
        241 setns !usesfd res:errno
        242 flock !usesfd fd:fd operation:flags32/hex/flock_flags
        243 flock !usesfd res:errno
        244 cpu_hotplug cpu:uint32 action:uint32
        245 NA2 !unused
        246 accept !createsfd
        247 accept !createsfd fd:fd tuple:socktuple queuepct:uint8 queuelen:uint32 queuemax:uint32
        248 accept !createsfd flags:int32/hex
        249 accept !createsfd fd:fd tuple:socktuple queuepct:uint8 queuelen:uint32 queuemax:uint32
        250 semop semid:int32
        251 semop res:errno nsops:uint32 sem_num_0:uint16 sem_op_0:int16 sem_flg_0:flags16/hex/semop_flags sem_num_1:uint16 sem_op_1:int16 sem_flg_1:flags16/hex/semop_flags
        252 semctl semid:int32 semnum:int32 cmd:flags16/hex/semctl_commands val:int32
        253 semctl res:errno
        254 ppoll fds:fdlist timeout:reltime sigmask:sigset
        255 ppoll res:errno fds:fdlist
        256 mount flags:flags32/hex/mount_flags
        257 mount res:errno dev:charbuf dir:fspath type:charbuf
        258 umount flags:flags32/hex/umount_flags
        259 umount res:errno name:fspath
        260 k8s json:charbuf
        261 NA3 !unused
        262 semget key:int32/hex nsems:int32 semflg:flags32/hex/semget_flags
        263 semget res:errno
        264 access mode:flags32/hex/access_flags
        265 access res:errno name:fspath
        266 chroot
        267 chroot res:errno path:fspath
        268 tracer id:int64 tags:charbufarray args:charbuf_pair_array
        269 tracer id:int64 tags:charbufarray args:charbuf_pair_array
        270 mesos json:charbuf
        271 NA4 !unused
        272 container json:charbuf
        273 container !unused
        274 setsid
        275 setsid res:pid
        276 mkdir mode:uint32/hex
        277 mkdir res:errno path:fspath
        278 rmdir
        279 rmdir res:errno path:fspath
        280 notification id:charbuf desc:charbuf
        281 NA4 !unused
        282 execve !old
        283 execve !old res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf env:bytebuf tty:int32
        284 unshare flags:flags32/hex/clone_flags
        285 unshare res:errno
        286 infra source:charbuf name:charbuf description:charbuf scope:charbuf
        287 NA4 !unused
        288 execve !old filename:fspath
        289 execve !old res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf env:bytebuf tty:int32
        290 page_fault addr:uint64/hex ip:uint64/hex error:flags32/hex/pf_flags
        291 NA5 !unused
        292 execve filename:fspath
        293 execve res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf env:bytebuf tty:int32 pgid:pid loginuid:int32 flags:flags32/hex/execve_flags
        294 setpgid pid:pid pgid:pid
        295 setpgid res:pid
        296 bpf !createsfd cmd:int64
        297 bpf !createsfd res_or_fd:dyn/bpf_dynamic_param
        298 seccomp op:uint64 flags:uint64/hex
        299 seccomp res:errno
        300 unlink
        301 unlink res:errno path:fspath
        302 unlinkat
        303 unlinkat res:errno dirfd:fd name:fsrelpath/DIRFD_PARAM flags:flags32/hex/unlinkat_flags
        304 mkdirat
        305 mkdirat res:errno dirfd:fd path:fsrelpath/DIRFD_PARAM mode:uint32/hex
        306 openat !createsfd dirfd:fd name:fsrelpath/DIRFD_PARAM flags:flags32/hex/file_flags mode:uint32/oct
        307 openat !createsfd fd:fd dirfd:fd name:fsrelpath/DIRFD_PARAM flags:flags32/hex/file_flags mode:uint32/oct dev:uint32/hex
        308 link
        309 link res:errno oldpath:fspath newpath:fspath
        310 linkat
        311 linkat res:errno olddir:fd oldpath:fsrelpath/DIRFD_PARAM newdir:fd newpath:fsrelpath/DIRFD_PARAM flags:flags32/hex/linkat_flags
        312 fchmodat
        313 fchmodat res:errno dirfd:fd filename:fsrelpath/DIRFD_PARAM mode:mode/oct/chmod_mode
        314 chmod
        315 chmod res:errno filename:fspath mode:mode/oct/chmod_mode
        316 fchmod
        317 fchmod res:errno fd:fd mode:mode/oct/chmod_mode
        318 renameat2
        319 renameat2 res:errno olddirfd:fd oldpath:fsrelpath/DIRFD_PARAM newdirfd:fd newpath:fsrelpath/DIRFD_PARAM flags:flags32/hex/renameat2_flags
        320 userfaultfd !createsfd
        321 userfaultfd !createsfd res:errno flags:flags32/hex/file_flags
        322 pluginevent !large plugin_ID:uint32 event_data:bytebuf
        323 pluginevent !unused
        324 container !large json:charbuf
        325 container !unused
        326 openat2 !createsfd dirfd:fd name:fsrelpath/DIRFD_PARAM flags:flags32/hex/file_flags mode:uint32/oct resolve:flags32/hex/openat2_flags
        327 openat2 !createsfd fd:fd dirfd:fd name:fsrelpath/DIRFD_PARAM flags:flags32/hex/file_flags mode:uint32/oct resolve:flags32/hex/openat2_flags
        328 mprotect addr:uint64/hex length:uint64 prot:flags32/hex/prot_flags
        329 mprotect res:errno
        330 execveat dirfd:fd pathname:fsrelpath/DIRFD_PARAM flags:flags32/hex/execveat_flags
        331 execveat res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf env:bytebuf tty:int32 pgid:pid loginuid:int32 flags:flags32/hex/execve_flags
        332 copy_file_range !usesfd fdin:fd offin:uint64 len:uint64
        333 copy_file_range !usesfd res:errno fdout:fd offout:uint64
        334 clone3
        335 clone3 res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf flags:flags32/hex/clone_flags uid:uint32 gid:uint32 vtid:pid vpid:pid
        """
}
