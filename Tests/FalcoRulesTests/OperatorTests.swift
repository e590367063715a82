import Testing
import FalcoRules
import TraceModel

/// Every operator, modifier and transformer on real field values, with Falco's missing-value semantics.
@Suite("Operators and transformers")
struct OperatorTests {
    static let shadow = TestEvents.open("/etc/shadow")

    @Test("string operators", arguments: [
        ("fd.name = /etc/shadow", true), ("fd.name == /etc/shadow", true), ("fd.name = /etc/passwd", false),
        ("fd.name != /etc/passwd", true), ("fd.name != /etc/shadow", false),
        ("fd.name contains shad", true), ("fd.name contains SHAD", false), ("fd.name icontains SHAD", true),
        ("fd.name startswith /etc/", true), ("fd.name startswith /var", false), ("fd.name endswith dow", true),
        ("fd.name glob '/etc/*'", true), ("fd.name glob '/etc/sh?dow'", true), ("fd.name glob '/ETC/*'", false),
        ("fd.name iglob '/ETC/*'", true), ("fd.name regex '/etc/s.*'", true), ("fd.name regex 'etc'", false),
        ("fd.name in (/etc/passwd, /etc/shadow)", true), ("fd.name in (/etc/passwd)", false), ("fd.name in ()", false),
        ("fd.name intersects (/etc/shadow)", true), ("fd.name pmatch (/etc)", true), ("fd.name pmatch (/et)", false),
        ("fd.name pmatch (/e*)", true), ("fd.name > 1", false), ("fd.name < 1", true), ("fd.name exists", true), ("proc.name = 'cat'", true), ("proc.name = \"cat\"", true),
    ])
    func stringOperators(condition: String, expected: Bool) throws {
        #expect(try evaluate(condition, on: Self.shadow) == expected, "\(condition)")
    }

    @Test("numeric and boolean operators", arguments: [
        ("fd.num = 3", true), ("fd.num != 3", false), ("fd.num < 4", true), ("fd.num <= 3", true), ("fd.num > 3", false),
        ("fd.num >= 0", true), ("fd.num in (1, 2, 3)", true), ("fd.num = 0x3", true), ("user.loginuid = -1", true),
        ("evt.is_open_read = true", true), ("evt.is_open_write = true", false), ("evt.is_open_read != false", true),
        ("evt.is_open_read in (true)", true), ("proc.tty != 0", true),
    ])
    func numericOperators(condition: String, expected: Bool) throws {
        #expect(try evaluate(condition, on: Self.shadow) == expected, "\(condition)")
    }

    @Test("IP addresses and networks, either side of the connection")
    func networkOperators() throws {
        let event = TestEvents.connect(to: "142.251.111.147", port: 443)
        #expect(try evaluate("fd.sip = 142.251.111.147", on: event))
        #expect(try evaluate("fd.ip = 10.244.0.15", on: event))
        #expect(try !evaluate("fd.ip != 142.251.111.147", on: event))
        #expect(try evaluate("fd.snet = 142.251.0.0/16", on: event))
        #expect(try evaluate("fd.net in (10.0.0.0/8)", on: event))
        #expect(try !evaluate("fd.rnet = 10.0.0.0/8", on: event))
        #expect(try evaluate("fd.rport = 443 and fd.lport = 40000", on: event))
        #expect(try evaluate("fd.port = 443", on: event))
        #expect(try evaluate("fd.l4proto = tcp and fd.typechar = 4 and fd.sockfamily = ip", on: event))
        #expect(try evaluate("fd.sip == anyof (10.0.0.1, 142.251.111.147)", on: event))
    }

    @Test("byte buffers: bcontains and bstartswith take hex")
    func bufferOperators() throws {
        let event = TestEvents.read(Array("root:*:19000".utf8) + [0])
        #expect(try evaluate("evt.buffer bcontains 3a2a3a", on: event))
        #expect(try evaluate("evt.buffer bstartswith 726f6f74", on: event))
        #expect(try !evaluate("evt.buffer bstartswith 6f6f", on: event))
        #expect(try evaluate("evt.buffer contains root", on: event))
        #expect(throws: ConditionCompileError.self) { try evaluate("evt.buffer bcontains xyz", on: event) }
        #expect(throws: ConditionCompileError.self) { try evaluate("fd.name bcontains 2f", on: event) }
    }

    @Test("a missing value makes every comparison false, != included; not inverts")
    func missingValues() throws {
        let event = TestEvents.open("/etc/shadow", thread: TestEvents.thread(parent: nil))
        #expect(try !evaluate("proc.pname = bash", on: event))
        #expect(try !evaluate("proc.pname != bash", on: event))
        #expect(try evaluate("not proc.pname = bash", on: event))
        #expect(try !evaluate("proc.pname exists", on: event))
        #expect(try !evaluate("container.image.repository in (nginx)", on: event))
        #expect(try evaluate("container.id = host", on: event))
    }

    @Test("modifiers oneof, anyof, allof")
    func modifiers() throws {
        let event = Self.shadow
        #expect(try evaluate("proc.name == oneof (cat, bash)", on: event))
        #expect(try !evaluate("proc.name == oneof (cat, cat)", on: event))
        #expect(try evaluate("fd.name startswith anyof (/var, /etc)", on: event))
        #expect(try !evaluate("fd.name startswith allof (/var, /etc)", on: event))
        #expect(try evaluate("fd.name startswith allof (/e, /etc)", on: event))
        #expect(try !evaluate("proc.name == allof ()", on: event))
        #expect(try evaluate("proc.name == oneof", on: TestEvents.open("/x", thread: TestEvents.thread("oneof"))))
    }

    @Test("transformers and val()")
    func transformers() throws {
        let event = TestEvents.open("/etc/Shadow", thread: TestEvents.thread("Cat", args: ["-n", "-t", "5", "/etc/Shadow"]))
        #expect(try evaluate("tolower(proc.name) = cat", on: event))
        #expect(try evaluate("toupper(fd.name) = /ETC/SHADOW", on: event))
        #expect(try evaluate("basename(fd.name) = Shadow", on: event))
        #expect(try evaluate("len(proc.name) = 3", on: event))
        #expect(try evaluate("b64(proc.name) exists", on: TestEvents.open("/x", thread: TestEvents.thread("Y2F0"))))
        #expect(try evaluate("b64(proc.name) = cat", on: TestEvents.open("/x", thread: TestEvents.thread("Y2F0"))))
        #expect(try evaluate("join(\"-\", (proc.name, fd.directory)) = Cat-/etc", on: event))
        #expect(try evaluate("concat(proc.name, \":\", fd.filename) = Cat:Shadow", on: event))
        #expect(try evaluate("getopt(proc.args, \"nt:\")[t] = 5", on: event))
        #expect(try evaluate("getopt(proc.args, \"nt:\")[n] exists", on: event))
        #expect(try evaluate("fd.filename = val(fd.filename)", on: event))
        #expect(try !evaluate("proc.name = val(fd.filename)", on: event))
        #expect(throws: ConditionCompileError.self) { try evaluate("toupper(fd.num) = 3", on: event) }
        #expect(throws: ConditionCompileError.self) { try evaluate("toupper(fd.name)[x] = foo", on: event) }
    }

    @Test("field arguments: ancestors, evt.arg by name and number, env, mounts")
    func fieldArguments() throws {
        let root = ThreadInfo(tid: 1, name: "systemd")
        let sshd = ThreadInfo(tid: 10, ptid: 1, name: "sshd", parent: root)
        let bash = ThreadInfo(tid: 20, ptid: 10, name: "bash", parent: sshd)
        let event = TestEvents.open("/etc/shadow", thread: TestEvents.thread("cat", container: TestEvents.nginx, parent: bash))
        #expect(try evaluate("proc.aname[0] = cat and proc.aname[1] = bash and proc.aname[2] = sshd and proc.aname[3] = systemd", on: event))
        #expect(try evaluate("proc.aname = sshd", on: event))
        #expect(try !evaluate("proc.aname = cat", on: event))
        #expect(try !evaluate("proc.aname[9] exists", on: event))
        #expect(try evaluate("proc.pname = bash and proc.pcmdline = bash", on: event))
        #expect(try evaluate("evt.arg.name = /etc/shadow and evt.arg[2] = /etc/shadow and evt.arg[name] = /etc/shadow", on: event))
        #expect(try evaluate("evt.rawarg.fd = 3 and evt.arg.flags contains O_RDONLY", on: event))
        #expect(try evaluate("proc.env[HOME] = /root and proc.env contains 'PATH='", on: event))
        #expect(try evaluate("container.mount.dest[/var/run/docker.sock] exists and not container.mount.dest[/etc] exists", on: event))
        #expect(try evaluate("container.mount.dest[/var/run/docker.sock] = /var/run/docker.sock", on: event))
        #expect(try evaluate("k8s.pod.name = nginx-pod and k8s.ns.name = default and k8s.pod.label[run] = nginx-pod", on: event))
        #expect(try evaluate("container.image.repository = docker.io/library/nginx and container.image.tag = '1.27'", on: event))
    }

    @Test("type checks: operators on the wrong type are compile errors, as in Falco")
    func typeChecks() {
        for condition in ["fd.num contains 3", "evt.is_open_read > 1", "fd.ip glob 1.2.3.4", "fd.num = abc",
                          "fd.ip = 300.1.1.1", "evt.is_open_read = maybe", "nosuch.field = 1"] {
            #expect(throws: ConditionCompileError.self, "\(condition)") { try evaluate(condition, on: Self.shadow) }
        }
    }
}
