import TraceModel
import Yams

/// The keys of Falco's configuration and what each holds, written from the documented keys of `falco.yaml`
/// (Falco 0.35 to 0.44, older keys Falco still reads included) and the top-level keys of the Helm chart's
/// `values.yaml`. `check` walks a file against it, as `falco --validate` would if it validated its
/// configuration: every unknown key (with the closest known one), every value of the wrong type, all in one run.
///
/// Falco itself ignores a key it does not know (0.38 and later log a schema warning): a misspelt key such as
/// `syscall_event_drops.action` silently leaves the default in place, which is why an unknown key under Falco's
/// settings is an error here. Unknown top-level keys of the chart are warnings (Helm ignores them).
public enum FalcoConfigSchema {
    /// What a key holds.
    public indirect enum Shape: Sendable {
        case boolean, integer, number, text
        /// A number of milliseconds or a Prometheus duration (`1h`, `30s`).
        case duration
        /// One of these words (Falco compares them case-insensitively where noted in `caseInsensitive`).
        case oneOf([String], caseInsensitive: Bool)
        case list(Shape)
        case map([String: Shape])
        /// Anything (plugin settings, Kubernetes objects): not checked further.
        case free
    }

    /// A problem found in a configuration file.
    public struct Problem: Sendable, Equatable {
        public enum Severity: String, Sendable { case error, warning }
        public var severity: Severity
        /// The dotted key (`falco.syscall_event_drops.action`).
        public var key: String
        public var message: String
        public var location: SourceLocation

        public init(severity: Severity, key: String, message: String, location: SourceLocation) {
            self.severity = severity
            self.key = key
            self.message = message
            self.location = location
        }
    }

    static let priorities = ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "info", "debug"]
    static let enabled: Shape = .map(["enabled": .boolean])

    /// Falco's settings: falco.yaml, or the `falco:` section of values.yaml.
    public static let falco: [String: Shape] = [
        "config_files": .list(.text),
        "watch_config_files": .boolean,
        "rules_files": .list(.text),
        "rules_file": .list(.text),
        "rules": .list(.map(["enable": .map(["rule": .text, "tag": .text]), "disable": .map(["rule": .text, "tag": .text])])),
        "engine": .map([
            "kind": .oneOf(["kmod", "ebpf", "modern_ebpf", "replay", "gvisor", "nodriver"], caseInsensitive: false),
            "kmod": .map(["buf_size_preset": .integer, "drop_failed_exit": .boolean]),
            "ebpf": .map(["probe": .text, "buf_size_preset": .integer, "drop_failed_exit": .boolean]),
            "modern_ebpf": .map(["cpus_for_each_buffer": .integer, "buf_size_preset": .integer, "drop_failed_exit": .boolean]),
            "replay": .map(["capture_file": .text]),
            "gvisor": .map(["config": .text, "root": .text]),
        ]),
        "load_plugins": .list(.text),
        "plugins": .list(.free),
        "plugins_hostinfo": .boolean,
        "time_format_iso_8601": .boolean,
        "buffer_format_base64": .boolean,
        "priority": .oneOf(priorities, caseInsensitive: true),
        "json_output": .boolean,
        "json_include_output_property": .boolean,
        "json_include_tags_property": .boolean,
        "json_include_message_property": .boolean,
        "json_include_output_fields_property": .boolean,
        "buffered_outputs": .boolean,
        "rule_matching": .oneOf(["first", "all"], caseInsensitive: false),
        "outputs_queue": .map(["capacity": .integer, "recovery": .integer]),
        "outputs": .map(["rate": .number, "max_burst": .integer]),
        "append_output": .list(.free),
        "static_fields": .free,
        "stdout_output": enabled,
        "syslog_output": enabled,
        "file_output": .map(["enabled": .boolean, "keep_alive": .boolean, "filename": .text]),
        "http_output": .map(["enabled": .boolean, "insecure": .boolean, "url": .text, "user_agent": .text, "ca_cert": .text, "ca_bundle": .text,
                             "ca_path": .text, "mtls": .boolean, "client_cert": .text, "client_key": .text, "echo": .boolean,
                             "compress_uploads": .boolean, "keep_alive": .boolean, "max_consecutive_timeouts": .integer]),
        "program_output": .map(["enabled": .boolean, "keep_alive": .boolean, "program": .text]),
        "grpc_output": enabled,
        "grpc": .map(["enabled": .boolean, "bind_address": .text, "threadiness": .integer, "private_key": .text, "cert_chain": .text, "root_certs": .text]),
        "webserver": .map(["enabled": .boolean, "threadiness": .integer, "listen_port": .integer, "listen_address": .text,
                           "k8s_healthz_endpoint": .text, "prometheus_metrics_enabled": .boolean, "ssl_enabled": .boolean, "ssl_certificate": .text]),
        "log_stderr": .boolean,
        "log_syslog": .boolean,
        "log_level": .oneOf(["emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"], caseInsensitive: false),
        "libs_logger": .map(["enabled": .boolean, "severity": .oneOf(["fatal", "critical", "error", "warning", "notice", "info", "debug", "trace"], caseInsensitive: false)]),
        "output_timeout": .integer,
        "syscall_event_timeouts": .map(["max_consecutives": .integer]),
        "syscall_event_drops": .map(["threshold": .number, "actions": .list(.oneOf(["ignore", "log", "alert", "exit"], caseInsensitive: false)),
                                     "rate": .number, "max_burst": .integer, "simulate_drops": .boolean]),
        "metrics": .map(["enabled": .boolean, "interval": .duration, "output_rule": .boolean, "output_file": .text,
                         "rules_counters_enabled": .boolean, "resource_utilization_enabled": .boolean, "state_counters_enabled": .boolean,
                         "kernel_event_counters_enabled": .boolean, "kernel_event_counters_per_cpu_enabled": .boolean,
                         "libbpf_stats_enabled": .boolean, "plugins_metrics_enabled": .boolean, "kernel_iter_event_counters_enabled": .boolean,
                         "jemalloc_stats_enabled": .boolean, "convert_memory_to_mb": .boolean, "include_empty_values": .boolean]),
        "base_syscalls": .map(["custom_set": .list(.text), "repair": .boolean, "all": .boolean]),
        "falco_libs": .map(["thread_table_size": .integer, "snaplen": .integer, "thread_table_auto_purging_interval_s": .integer,
                            "thread_table_auto_purging_thread_timeout_s": .integer]),
        "container_engines": .free,
        "capture": .map(["enabled": .boolean, "path_prefix": .text, "mode": .oneOf(["rules", "all_rules"], caseInsensitive: false),
                         "default_duration": .integer, "capture_events": .integer, "capture_filesize": .integer]),
        "metadata_download": .map(["max_mb": .integer, "chunk_wait_us": .integer, "watch_freq_sec": .integer]),
        // Falco 0.35 and earlier.
        "modern_bpf": .map(["cpus_for_each_syscall_buffer": .integer]),
        "syscall_buf_size_preset": .integer,
        "syscall_drop_failed_exit": .boolean,
    ]

    /// Top-level keys of the Falco Helm chart's values.yaml (chart 2.x to 9.x).
    public static let chartKeys = [
        "image", "imagePullSecrets", "nameOverride", "fullnameOverride", "namespaceOverride", "rbac", "serviceAccount",
        "podAnnotations", "podLabels", "podPriorityClassName", "podSecurityContext", "containerSecurityContext", "scc",
        "resources", "nodeSelector", "affinity", "tolerations", "healthChecks", "extra", "mounts", "controller", "services",
        "driver", "collectors", "gvisor", "falcoctl", "customRules", "falco", "falcosidekick", "certs", "metrics",
        "serviceMonitor", "grafana", "tty", "containerPorts", "global", "k8s-metacollector", "k8sResourceAuditlog",
    ]

    /// Checks a falco.yaml, or a values.yaml (a file with a `falco:` mapping or `customRules:`): every problem, in file order.
    /// A file that is not YAML gives no problems here: `FalcoConfig.parse` reports it.
    public static func check(_ bytes: [UInt8], name: String) -> [Problem] {
        guard YAMLGuard.firstInvalidUTF8(bytes) == nil, YAMLGuard.check(bytes) == nil else { return [] }
        let root: Node?
        do { root = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self)) } catch { return [] }
        guard let root, case .mapping(let top) = root else { return [] }
        var problems: [Problem] = []
        let keys = top.compactMap { $0.key.string }
        let isValues = keys.contains("customRules") || (YAMLValue.mappingValue(root, "falco").map { if case .mapping = $0 { return true } else { return false } } ?? false)
        if isValues {
            for (keyNode, value) in top {
                let key = keyNode.string ?? ""
                if key == "falco" {
                    if !YAMLValue.isNull(value) { walk(value, shape: .map(falco), key: "falco", name: name, into: &problems) }
                } else if !chartKeys.contains(key) {
                    problems.append(Problem(severity: .warning, key: key, message: "unknown key '\(key)' of the Falco chart's values\(Suggestion.hint(for: key, among: chartKeys)); Helm ignores it",
                                            location: location(keyNode, name)))
                }
            }
        } else {
            walk(root, shape: .map(falco), key: "", name: name, into: &problems)
        }
        return problems.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
    }

    static func location(_ node: Node, _ name: String) -> SourceLocation {
        SourceLocation(file: name, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    /// Bounded by the schema's own depth: only `.map` and `.list` shapes recurse.
    private static func walk(_ node: Node, shape: Shape, key: String, name: String, into problems: inout [Problem]) {
        if YAMLValue.isNull(node) { return }
        func wrong(_ expected: String) {
            problems.append(Problem(severity: .error, key: key, message: "'\(key)' must be \(expected)", location: location(node, name)))
        }
        switch shape {
        case .free: return
        case .map(let children):
            guard case .mapping(let mapping) = node else { return wrong("a mapping") }
            for (keyNode, value) in mapping {
                let child = keyNode.string ?? ""
                let path = key.isEmpty ? child : key + "." + child
                guard let childShape = children[child] else {
                    let known = children.keys.sorted()
                    problems.append(Problem(severity: .error, key: path, message: "unknown key '\(path)'\(Suggestion.hint(for: child, among: known)); Falco ignores it",
                                            location: location(keyNode, name)))
                    continue
                }
                walk(value, shape: childShape, key: path, name: name, into: &problems)
            }
        case .list(let element):
            if case .sequence(let items) = node {
                for item in items { walk(item, shape: element, key: key + "[]", name: name, into: &problems) }
            } else if case .scalar = node, element.isScalar {
                // A lone scalar where a list of scalars goes is read as a one-element list.
                walk(node, shape: element, key: key, name: name, into: &problems)
            } else {
                wrong("a list")
            }
        case .boolean, .integer, .number, .text, .duration, .oneOf:
            guard case .scalar(let scalar) = node else { return wrong(describe(shape)) }
            if !accepts(shape, scalar.string) {
                var message = "'\(key)' must be \(describe(shape)), not '\(scalar.string)'"
                if case .oneOf(let words, _) = shape { message += Suggestion.hint(for: scalar.string, among: words) }
                problems.append(Problem(severity: .error, key: key, message: message, location: location(node, name)))
            }
        }
    }

    static func accepts(_ shape: Shape, _ value: String) -> Bool {
        switch shape {
        case .boolean: ["true", "false", "yes", "no", "on", "off", "y", "n"].contains(value.lowercased())
        case .integer: Int(value) != nil || (value.lowercased().hasPrefix("0x") && Int(value.dropFirst(2), radix: 16) != nil)
        case .number: Double(value) != nil || Double("0" + value) != nil
        case .text: true
        case .duration: UInt64(value) != nil || isPrometheusDuration(value)
        case .oneOf(let words, let caseInsensitive): words.contains(caseInsensitive ? value.lowercased() : value)
        case .list, .map, .free: true
        }
    }

    /// `1h`, `30s`, `1h30m`, `500ms`: units y w d h m s ms, largest first.
    static func isPrometheusDuration(_ value: String) -> Bool {
        let units = ["y", "w", "d", "h", "m", "s", "ms"]
        var rest = Substring(value), lastUnit = -1
        guard !rest.isEmpty else { return false }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return false }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.hasPrefix("ms") ? "ms" : String(rest.prefix(1))
            guard let unit = units.firstIndex(of: unitText), unit > lastUnit else { return false }
            lastUnit = unit
            rest = rest.dropFirst(unitText.count)
        }
        return true
    }

    static func describe(_ shape: Shape) -> String {
        switch shape {
        case .boolean: "true or false"
        case .integer: "an integer"
        case .number: "a number"
        case .text: "a string"
        case .duration: "milliseconds or a duration such as 1h"
        case .oneOf(let words, _): "one of " + words.joined(separator: ", ")
        case .list: "a list"
        case .map: "a mapping"
        case .free: "anything"
        }
    }
}

extension FalcoConfigSchema.Shape {
    var isScalar: Bool {
        switch self {
        case .boolean, .integer, .number, .text, .duration, .oneOf: true
        case .list, .map, .free: false
        }
    }
}
