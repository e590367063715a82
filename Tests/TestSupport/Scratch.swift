import Foundation

/// A folder of this test process's own under the system's temporary folder, removed when the process exits:
/// whatever a test does (and however it fails), the files it writes do not outlive the run.
public enum Scratch {
    public static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tracelab-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("tracelab-tests-\(getpid())"))
        }
        return url
    }()
}
