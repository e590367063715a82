#if canImport(Glibc)
import Glibc
#endif

/// Expands command-line paths: a directory becomes the files in it whose names end with one of
/// `suffixes`, sorted by name so runs are deterministic; any other path is kept as given, or
/// dropped when `keepMissing` is false and nothing exists there (Falco skips missing rules files).
public func expandDirectories(_ paths: [String], suffixes: [String], keepMissing: Bool = true) -> [String] {
    var files: [String] = []
    for path in paths {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if keepMissing { files.append(path) }
            continue
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            files.append(path)
            continue
        }
        guard let directory = opendir(path) else { continue }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if suffixes.contains(where: { name.hasSuffix($0) }) { names.append(name) }
        }
        closedir(directory)
        let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
        files += names.sorted().map { folder + "/" + $0 }
    }
    return files
}
