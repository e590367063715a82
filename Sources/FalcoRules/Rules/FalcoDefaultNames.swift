/// The names Falco's default rules file defines (`falco_rules.yaml` of the `falco-rules` 3.x and 5.x
/// artifacts, the union of 3.2.0 and 5.1.0), for telling a course whose default rules lack one: a
/// student's rule that calls such a macro loads in the students' Falco and would not load here.
/// Names only (facts about the files); `DefaultRulesDifferential` checks them against the files.
public enum FalcoDefaultNames {
    /// Macro names (87: 86 in 3.2.0, plus `postgres_running_cnpg` from 5.x).
    public static let macros: [String] = [
        "access_log_files", "allowed_clear_log_files", "ansible_running_python", "check_process_status",
        "clear_data_procs", "cmp_cp_by_passwd", "consul_running_alert_checks", "consul_running_net_scripts", "container",
        "container_entrypoint", "containerd_activities", "create_hardlink", "create_symlink", "directory_traversal", "dup",
        "etc_dir", "grep_commands", "grep_more", "interactive", "k8s_api_server", "k8s_containers", "kernel_module_load",
        "known_drop_and_execute_activities", "known_memfd_execution_processes", "known_ptrace_procs",
        "linux_bench_reading_etc_shadow", "mandb_postinst", "never_true", "nginx_running_aws_s3_cp",
        "nginx_starting_nginx", "open_file_failed", "open_read", "open_write", "outbound", "parent_java_running_activemq",
        "parent_java_running_cassandra", "parent_java_running_datastax", "parent_java_running_elasticsearch",
        "parent_java_running_glassfish", "parent_java_running_hadoop", "parent_java_running_jboss_wildfly",
        "parent_java_running_kafka", "parent_java_running_zookeeper", "perl_running_centrifydc", "perl_running_plesk",
        "perl_running_updmap", "possibly_node_in_container", "possibly_parent_java_running_tomcat",
        "postgres_running_cnpg", "postgres_running_wal_e", "private_aws_credentials", "private_key_or_password",
        "proc_is_new", "proc_name_exists", "protected_shell_spawner", "ptrace_attach_or_injection",
        "python_mesos_marathon_scripting", "rabbitmq_running_scripts", "rabbitmqctl_running_scripts",
        "redis_running_prepost_scripts", "run_by_appdynamics", "run_by_chef", "run_by_foreman",
        "run_by_google_accounts_daemon", "run_by_package_mgmt_binaries", "run_by_qualys", "runuser_reading_pam",
        "sensitive_files", "serf_script", "server_procs", "shell_procs", "spawned_process", "splunk_running_forwarder",
        "ssh_non_standard_ports_network", "system_users", "trusted_logging_images",
        "user_expected_terminal_shell_in_container_conditions", "user_known_contact_k8s_api_server_activities",
        "user_known_read_sensitive_files_activities", "user_known_remove_data_activities",
        "user_known_stand_streams_redirect_activities", "user_known_system_user_login",
        "user_read_sensitive_file_conditions", "user_read_sensitive_file_containers", "user_shell_container_exclusions",
        "user_ssh_directory", "veritas_driver_script"
    ]

    /// List names (49 in both versions).
    public static let lists: [String] = [
        "allowed_container_images_loading_kernel_module", "cron_binaries", "data_remove_commands", "db_server_binaries",
        "deb_binaries", "docker_binaries", "falco_containers", "falco_no_driver_containers", "falco_privileged_images",
        "gitlab_binaries", "grep_binaries", "hids_binaries", "http_server_binaries", "ibm_cloud_containers",
        "known_drop_and_execute_containers", "known_memfd_execution_binaries", "known_ptrace_binaries",
        "known_shell_spawn_cmdlines", "log_directories", "log_files", "login_binaries", "mail_binaries",
        "mail_config_binaries", "mesos_shell_binaries", "needrestart_binaries", "nomachine_binaries",
        "nosql_server_binaries", "package_mgmt_binaries", "passwd_binaries", "postgres_mgmt_binaries",
        "protected_shell_spawning_binaries", "python_package_managers", "read_sensitive_file_binaries",
        "read_sensitive_file_images", "rfc_1918_addresses", "rpm_binaries", "sematext_images", "sensitive_directory_names",
        "sensitive_file_names", "shadowutils_binaries", "shell_binaries", "ssh_non_standard_ports",
        "sshkit_script_binaries", "trusted_images", "user_known_packet_socket_binaries", "user_known_shell_spawn_binaries",
        "user_mgmt_binaries", "userexec_binaries", "vpn_binaries"
    ]

    /// Rule names (25 in both versions).
    public static let rules: [String] = [
        "Clear Log Activities", "Contact K8S API Server From Container", "Create Hardlink Over Sensitive Files",
        "Create Symlink Over Sensitive Files", "Debugfs Launched in Privileged Container",
        "Detect release_agent File Container Escapes", "Directory traversal monitored file read",
        "Disallowed SSH Connection Non Standard Port", "Drop and execute new binary in container",
        "Execution from /dev/shm", "Fileless execution via memfd_create", "Find AWS Credentials",
        "Linux Kernel Module Injection Detected", "Netcat Remote Code Execution in Container", "PTRACE anti-debug attempt",
        "PTRACE attached to process", "Packet socket created in container", "Read sensitive file trusted after startup",
        "Read sensitive file untrusted", "Redirect STDOUT/STDIN to Network Connection in Container",
        "Remove Bulk Data from Disk", "Run shell untrusted", "Search Private Keys or Passwords", "System user interactive",
        "Terminal shell in container"
    ]

    /// One sentence naming what `missing` lacks (at most ten names), for a warning.
    public static func warning(missing: [(kind: String, name: String)], in files: [String]) -> String {
        let shown = missing.prefix(10).map { "\($0.name) (\($0.kind))" }.joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
        return "the default rules (\(files.joined(separator: ", "))) lack \(missing.count) of the macro and list names Falco's default rules define: \(shown). "
            + "A student's rule that uses one loads in the students' Falco but not here; load the course's own falco_rules.yaml (--default-rules) or TraceLab's rules/default_rules.yaml."
    }

    /// Names only one of the two versions defines (5.x added them); a 3.x file lacks them by design.
    public static let onlyIn5: Set<String> = ["postgres_running_cnpg"]

    /// The macro and list names both versions define that a rule set lacks, each with its kind ("macro",
    /// "list"), sorted by kind then name.
    public static func missing(from loader: RulesLoader) -> [(kind: String, name: String)] {
        let macros = Set(loader.macroNames), lists = Set(loader.listNames)
        return FalcoDefaultNames.macros.filter { !macros.contains($0) && !onlyIn5.contains($0) }.map { ("macro", $0) }
            + FalcoDefaultNames.lists.filter { !lists.contains($0) && !onlyIn5.contains($0) }.map { ("list", $0) }
    }
}
