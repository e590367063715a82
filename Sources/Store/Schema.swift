import GRDB

/// The database schema, as versioned migrations. A migration is never edited once released; later
/// issues add tables (packets, flows, metric series, detections, submissions, grades) as new ones.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 traces, events, runs and alerts") { db in
            try db.execute(sql: """
            CREATE TABLE traces (
                id INTEGER PRIMARY KEY,
                content_hash TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                format TEXT NOT NULL,
                source_path TEXT NOT NULL,
                size_bytes INTEGER NOT NULL,
                event_count INTEGER NOT NULL,
                first_ts INTEGER,
                last_ts INTEGER,
                hostname TEXT,
                machine TEXT,
                start_ts INTEGER,
                description TEXT,
                recorded_by TEXT,
                first_event_id INTEGER,
                last_event_id INTEGER,
                ingested_at TEXT NOT NULL
            );
            CREATE TABLE containers (
                id INTEGER PRIMARY KEY,
                trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
                container_id TEXT NOT NULL,
                full_id TEXT,
                name TEXT NOT NULL,
                image TEXT NOT NULL,
                repository TEXT NOT NULL,
                tag TEXT NOT NULL,
                digest TEXT,
                runtime TEXT NOT NULL,
                privileged INTEGER NOT NULL,
                mounts TEXT NOT NULL,
                start_ts INTEGER,
                pod_name TEXT,
                pod_namespace TEXT,
                pod_uid TEXT,
                pod_labels TEXT,
                pod_ip TEXT
            );
            CREATE INDEX containers_trace ON containers(trace_id);
            CREATE TABLE threads (
                id INTEGER PRIMARY KEY,
                trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
                parent_id INTEGER REFERENCES threads(id),
                container_ref INTEGER REFERENCES containers(id),
                tid INTEGER NOT NULL,
                pid INTEGER NOT NULL,
                ptid INTEGER NOT NULL,
                vtid INTEGER, vpid INTEGER, sid INTEGER, pgid INTEGER, vpgid INTEGER,
                name TEXT NOT NULL,
                exe TEXT NOT NULL,
                exepath TEXT NOT NULL,
                args TEXT NOT NULL,
                cwd TEXT,
                env TEXT NOT NULL,
                uid INTEGER, gid INTEGER, euid INTEGER, egid INTEGER,
                user_name TEXT, group_name TEXT, home TEXT, shell TEXT,
                loginuid INTEGER, loginname TEXT,
                tty INTEGER NOT NULL,
                cap_permitted TEXT, cap_effective TEXT, cap_inheritable TEXT,
                start_ts INTEGER,
                exe_writable INTEGER NOT NULL,
                exe_upper_layer INTEGER NOT NULL,
                exe_from_memfd INTEGER NOT NULL,
                exe_mtime INTEGER,
                exe_ctime INTEGER
            );
            CREATE INDEX threads_trace ON threads(trace_id);
            CREATE TABLE fds (
                id INTEGER PRIMARY KEY,
                trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
                num INTEGER NOT NULL,
                type TEXT NOT NULL,
                name TEXT NOT NULL,
                nameraw TEXT,
                l4proto TEXT,
                cip TEXT, cport INTEGER, sip TEXT, sport INTEGER,
                is_server INTEGER, connected INTEGER, family TEXT,
                dev INTEGER, ino INTEGER, upper_layer INTEGER,
                name_changed INTEGER NOT NULL
            );
            CREATE INDEX fds_trace ON fds(trace_id);
            -- Events of one trace have consecutive ids (traces.first_event_id .. last_event_id). The
            -- references to traces, threads and fds are kept by the ingest, not declared as foreign
            -- keys: checking three parents per row would halve the ingest rate.
            CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                trace_id INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                num INTEGER NOT NULL,
                ts INTEGER NOT NULL,
                type TEXT NOT NULL,
                dir TEXT NOT NULL,
                cpu INTEGER NOT NULL,
                thread_id INTEGER,
                fd_id INTEGER,
                params BLOB NOT NULL
            );
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                ruleset_hash TEXT NOT NULL,
                rules_files TEXT NOT NULL,
                config TEXT NOT NULL,
                engine_version TEXT NOT NULL,
                trace_ids TEXT NOT NULL,
                event_count INTEGER NOT NULL,
                alert_count INTEGER NOT NULL,
                status TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                duration_ms INTEGER
            );
            CREATE TABLE alerts (
                id INTEGER PRIMARY KEY,
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                trace_id INTEGER NOT NULL REFERENCES traces(id),
                event_id INTEGER NOT NULL REFERENCES events(id),
                event_seq INTEGER NOT NULL,
                event_num INTEGER NOT NULL,
                time INTEGER NOT NULL,
                rule TEXT NOT NULL,
                priority TEXT NOT NULL,
                source TEXT NOT NULL,
                hostname TEXT NOT NULL,
                output TEXT NOT NULL,
                output_fields TEXT NOT NULL,
                tags TEXT NOT NULL
            );
            CREATE INDEX alerts_run ON alerts(run_id, id);
            """)
        }
        migrator.registerMigration("v2 submissions and grades") { db in
            try db.execute(sql: """
            CREATE TABLE submissions (
                id INTEGER PRIMARY KEY,
                sha256 TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                source_path TEXT NOT NULL
            );
            CREATE TABLE grades (
                id INTEGER PRIMARY KEY,
                submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
                key_name TEXT NOT NULL,
                key_version INTEGER NOT NULL,
                key_sha256 TEXT NOT NULL,
                score REAL NOT NULL,
                max_score REAL NOT NULL,
                error TEXT,
                report_json TEXT NOT NULL,
                UNIQUE (submission_id, key_sha256)
            );
            CREATE TABLE grade_items (
                grade_id INTEGER NOT NULL REFERENCES grades(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                item_id TEXT NOT NULL,
                question TEXT NOT NULL,
                score REAL NOT NULL,
                max_score REAL NOT NULL,
                status TEXT NOT NULL,
                feedback TEXT NOT NULL,
                PRIMARY KEY (grade_id, item_id)
            );
            """)
        }
        migrator.registerMigration("v3 captures, packets, flows, detections and metric series") { db in
            try db.execute(sql: """
            CREATE TABLE captures (
                id INTEGER PRIMARY KEY,
                content_hash TEXT NOT NULL UNIQUE,
                source_path TEXT NOT NULL,
                format TEXT NOT NULL,
                link_type TEXT NOT NULL,
                size_bytes INTEGER NOT NULL,
                packet_count INTEGER NOT NULL,
                tcp_count INTEGER NOT NULL,
                udp_count INTEGER NOT NULL,
                icmp_count INTEGER NOT NULL,
                arp_count INTEGER NOT NULL,
                other_count INTEGER NOT NULL,
                truncated_count INTEGER NOT NULL,
                flow_count INTEGER NOT NULL,
                first_ts INTEGER,
                last_ts INTEGER,
                problems TEXT NOT NULL,
                ingested_at TEXT NOT NULL
            );
            -- One row per packet: its decoded headers (no payload), keyed by capture and packet number.
            CREATE TABLE packets (
                capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
                num INTEGER NOT NULL,
                ts INTEGER NOT NULL,
                wire_len INTEGER NOT NULL,
                cap_len INTEGER NOT NULL,
                network TEXT NOT NULL,
                src TEXT, dst TEXT,
                proto INTEGER,
                sport INTEGER, dport INTEGER,
                tcp_flags INTEGER,
                icmp_type INTEGER, icmp_code INTEGER,
                truncated INTEGER NOT NULL,
                PRIMARY KEY (capture_id, num)
            ) WITHOUT ROWID;
            CREATE TABLE flows (
                capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
                first_packet INTEGER NOT NULL,
                proto TEXT NOT NULL,
                orig TEXT NOT NULL, orig_port INTEGER NOT NULL,
                resp TEXT NOT NULL, resp_port INTEGER NOT NULL,
                first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
                orig_packets INTEGER NOT NULL, resp_packets INTEGER NOT NULL,
                orig_bytes INTEGER NOT NULL, resp_bytes INTEGER NOT NULL,
                state TEXT NOT NULL,
                history TEXT NOT NULL,
                PRIMARY KEY (capture_id, first_packet)
            ) WITHOUT ROWID;
            CREATE TABLE detections (
                capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                kind TEXT NOT NULL,
                technique TEXT NOT NULL,
                confidence REAL NOT NULL,
                fingerprint TEXT NOT NULL,
                sources TEXT NOT NULL,
                targets TEXT NOT NULL,
                ports INTEGER NOT NULL,
                open_ports TEXT NOT NULL,
                first_ts INTEGER NOT NULL,
                last_ts INTEGER NOT NULL,
                packets INTEGER NOT NULL,
                peak_per_second INTEGER NOT NULL,
                baseline REAL,
                evidence_packets TEXT NOT NULL,
                summary TEXT NOT NULL,
                PRIMARY KEY (capture_id, position)
            ) WITHOUT ROWID;
            -- Metric series: the labels (with __name__) as canonical JSON, and their samples.
            CREATE TABLE metric_series (
                id INTEGER PRIMARY KEY,
                capture_id INTEGER REFERENCES captures(id) ON DELETE CASCADE,
                metric TEXT NOT NULL,
                labels TEXT NOT NULL
            );
            CREATE INDEX metric_series_metric ON metric_series(metric);
            CREATE INDEX metric_series_capture ON metric_series(capture_id);
            CREATE TABLE metric_samples (
                series_id INTEGER NOT NULL REFERENCES metric_series(id) ON DELETE CASCADE,
                ts_ms INTEGER NOT NULL,
                value REAL NOT NULL,
                PRIMARY KEY (series_id, ts_ms)
            ) WITHOUT ROWID;
            """)
        }
        migrator.registerMigration("v4 metric files") { db in
            try db.execute(sql: """
            CREATE TABLE metric_files (
                id INTEGER PRIMARY KEY,
                content_hash TEXT NOT NULL UNIQUE,
                source_path TEXT NOT NULL,
                format TEXT NOT NULL,
                series_count INTEGER NOT NULL,
                sample_count INTEGER NOT NULL,
                first_ms INTEGER,
                last_ms INTEGER,
                problems TEXT NOT NULL,
                ingested_at TEXT NOT NULL
            );
            ALTER TABLE metric_series ADD COLUMN file_id INTEGER REFERENCES metric_files(id) ON DELETE CASCADE;
            CREATE INDEX metric_series_file ON metric_series(file_id);
            """)
        }
        migrator.registerMigration("v5 the runs a grade rests on") { db in
            try db.execute(sql: """
            CREATE TABLE grade_runs (
                grade_id INTEGER NOT NULL REFERENCES grades(id) ON DELETE CASCADE,
                run_id INTEGER NOT NULL REFERENCES runs(id),
                role TEXT NOT NULL,
                PRIMARY KEY (grade_id, role)
            );
            CREATE INDEX grade_runs_run ON grade_runs(run_id);
            CREATE INDEX alerts_event ON alerts(event_id);
            """)
        }
        migrator.registerMigration("v6 course staff's decisions on items") { db in
            try db.execute(sql: """
            CREATE TABLE overrides (
                id INTEGER PRIMARY KEY,
                submission TEXT NOT NULL,
                item_id TEXT NOT NULL,
                score REAL NOT NULL,
                comment TEXT NOT NULL,
                submission_sha256 TEXT NOT NULL,
                recorded_by TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            );
            CREATE INDEX overrides_submission ON overrides(submission, item_id);
            """)
        }
        migrator.registerMigration("v7 the process that runs a replay") { db in
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN pid INTEGER")
        }
        migrator.registerMigration("v8 a cheap fingerprint of each trace file") { db in
            try db.execute(sql: "ALTER TABLE traces ADD COLUMN quick_hash TEXT; CREATE INDEX traces_quick_hash ON traces(quick_hash)")
        }
        return migrator
    }
}
