/// Linux's names for errno values and signals (x86-64 numbering, the kernel's internal restart codes
/// included), as Falco and sysdig show them.
public enum LinuxNames {
    /// The name of a negative return value (`-ENOENT` → `ENOENT`), as libsinsp shows it in `evt.res` and
    /// `evt.arg.res`; nil for values without one.
    public static func errnoName(_ code: Int64) -> String? {
        guard code != .min else { return nil }
        let value = -code
        if value >= 1, value <= Int64(errnoNames.count), !errnoNames[Int(value) - 1].isEmpty { return errnoNames[Int(value) - 1] }
        if value >= 512, value - 512 < Int64(kernelErrnoNames.count), !kernelErrnoNames[Int(value - 512)].isEmpty { return kernelErrnoNames[Int(value - 512)] }
        return nil
    }

    /// The number of an errno name (`ENOENT` → 2), nil for other text.
    public static func errnoNumber(_ name: String) -> Int64? {
        if let index = errnoNames.firstIndex(of: name), !name.isEmpty { return Int64(index + 1) }
        if let index = kernelErrnoNames.firstIndex(of: name), !name.isEmpty { return Int64(index + 512) }
        return nil
    }

    /// Linux errno names 1...125 (41 and 58 are aliases with no name of their own).
    static let errnoNames: [String] = """
        EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT ENOTBLK EBUSY EEXIST EXDEV ENODEV
        ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG
        ENOLCK ENOSYS ENOTEMPTY ELOOP - ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR EXFULL
        ENOANO EBADRQC EBADSLT - EBFONT ENOSTR ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP
        EDOTDOT EBADMSG EOVERFLOW ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC EILSEQ ERESTART ESTRPIPE EUSERS
        ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP EPFNOSUPPORT EAFNOSUPPORT
        EADDRINUSE EADDRNOTAVAIL ENETDOWN ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN
        ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY EINPROGRESS ESTALE EUCLEAN ENOTNAM ENAVAIL EISNAM
        EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE ECANCELED
        """.split(whereSeparator: \.isWhitespace).map { $0 == "-" ? "" : String($0) }

    /// The kernel's internal errno names 512...530 that reach syscall exits.
    static let kernelErrnoNames: [String] = """
        ERESTARTSYS ERESTARTNOINTR ERESTARTNOHAND ENOIOCTLCMD ERESTART_RESTARTBLOCK - - - - EBADHANDLE ENOTSYNC EBADCOOKIE ENOTSUPP
        ETOOSMALL ESERVERFAULT EBADTYPE EJUKEBOX EIOCBQUEUED EIOCBRETRY
        """.split(whereSeparator: \.isWhitespace).map { $0 == "-" ? "" : String($0) }

    /// The value of a socket type, protocol or Ethernet protocol as strace prints it (`SOCK_STREAM|SOCK_CLOEXEC`,
    /// `IPPROTO_TCP`, `NETLINK_ROUTE`, `htons(ETH_P_ALL)`): the names or'ed together; nil for other text.
    public static func socketConstant(_ text: String) -> Int64? {
        if text.hasPrefix("htons("), text.hasSuffix(")") {
            let inner = text.dropFirst(6).dropLast().split(separator: " ").first.map(String.init) ?? ""
            guard let value = socketConstants[inner] ?? Int64(inner), (0...0xFFFF).contains(value) else { return nil }
            return (value & 0xFF) << 8 | value >> 8
        }
        var value: Int64 = 0
        for name in text.split(separator: "|") {
            guard let part = socketConstants[String(name)] else { return nil }
            value |= part
        }
        return text.isEmpty ? nil : value
    }

    /// Socket types and their flags, IP and netlink protocols, and Ethernet protocols (x86-64 values).
    static let socketConstants: [String: Int64] = [
        "SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_RAW": 3, "SOCK_RDM": 4, "SOCK_SEQPACKET": 5, "SOCK_DCCP": 6, "SOCK_PACKET": 10,
        "SOCK_NONBLOCK": 0o4000, "SOCK_CLOEXEC": 0o2000000,
        "IPPROTO_IP": 0, "IPPROTO_ICMP": 1, "IPPROTO_IGMP": 2, "IPPROTO_TCP": 6, "IPPROTO_UDP": 17, "IPPROTO_IPV6": 41,
        "IPPROTO_ICMPV6": 58, "IPPROTO_SCTP": 132, "IPPROTO_UDPLITE": 136, "IPPROTO_RAW": 255,
        "NETLINK_ROUTE": 0, "NETLINK_SOCK_DIAG": 4, "NETLINK_AUDIT": 9, "NETLINK_KOBJECT_UEVENT": 15, "NETLINK_GENERIC": 16,
        "ETH_P_ALL": 3, "ETH_P_IP": 0x0800, "ETH_P_ARP": 0x0806, "ETH_P_IPV6": 0x86DD,
    ]

    /// Signal names 1...31.
    public static let signalNames: [String] = """
        SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGKILL SIGUSR1 SIGSEGV SIGUSR2 SIGPIPE SIGALRM SIGTERM SIGSTKFLT
        SIGCHLD SIGCONT SIGSTOP SIGTSTP SIGTTIN SIGTTOU SIGURG SIGXCPU SIGXFSZ SIGVTALRM SIGPROF SIGWINCH SIGIO SIGPWR SIGSYS
        """.split(whereSeparator: \.isWhitespace).map(String.init)
}
