import Foundation

/// A glob pattern over paths: `*`, `?` and `[…]` within one path segment (fnmatch(3) rules;
/// they do not match a leading `.`), and `**` as a whole segment for zero or more folders.
/// Relative patterns resolve against a root folder.
///
///     FileGlob("data/**/*.jsonl", root: "/srv").matches()   // sorted absolute paths of regular files
struct FileGlob: Sendable, CustomStringConvertible {
    /// The absolute pattern.
    let pattern: String
    /// The folder that holds every match: the pattern's segments before the first wildcard.
    let base: String
    /// The segments after `base`.
    let segments: [String]

    init(_ pattern: String, root: String) {
        let absolute = pattern.hasPrefix("/") ? pattern : (root as NSString).appendingPathComponent(pattern)
        self.pattern = absolute
        var baseSegments: [String] = []
        var rest: [String] = []
        for segment in absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init) {
            if rest.isEmpty && !Self.hasWildcard(segment) {
                baseSegments.append(segment)
            } else {
                rest.append(segment)
            }
        }
        // A pattern without wildcards names one file: its folder is the base.
        if rest.isEmpty, let last = baseSegments.popLast() { rest = [last] }
        base = "/" + baseSegments.joined(separator: "/")
        segments = rest
    }

    var description: String { pattern }

    static func hasWildcard(_ segment: String) -> Bool {
        segment.contains("*") || segment.contains("?") || segment.contains("[")
    }

    /// Absolute paths of the regular files (symbolic links followed) matching now, sorted.
    func matches() -> [String] {
        var found: [String] = []
        walk(folder: base, segments: segments[...], into: &found)
        return found.sorted()
    }

    private func walk(folder: String, segments: ArraySlice<String>, into found: inout [String]) {
        guard let segment = segments.first else { return }
        let rest = segments.dropFirst()
        if segment == "**" {
            // Zero folders, then each sub-folder in turn (hidden ones skipped).
            walk(folder: folder, segments: rest, into: &found)
            for entry in entries(of: folder) where !entry.hasPrefix(".") {
                let path = join(folder, entry)
                if isFolder(path) { walk(folder: path, segments: segments, into: &found) }
            }
            return
        }
        let names: [String]
        if Self.hasWildcard(segment) {
            names = entries(of: folder).filter { fnmatch(segment, $0, FNM_PERIOD) == 0 }
        } else {
            names = [segment]
        }
        for name in names {
            let path = join(folder, name)
            if rest.isEmpty {
                if isRegularFile(path) { found.append(path) }
            } else if isFolder(path) {
                walk(folder: path, segments: rest, into: &found)
            }
        }
    }

    private func join(_ folder: String, _ name: String) -> String { folder == "/" ? "/" + name : folder + "/" + name }

    private func entries(of folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }

    private func isFolder(_ path: String) -> Bool {
        var information = stat()
        return stat(path, &information) == 0 && (information.st_mode & S_IFMT) == S_IFDIR
    }

    private func isRegularFile(_ path: String) -> Bool {
        var information = stat()
        return stat(path, &information) == 0 && (information.st_mode & S_IFMT) == S_IFREG
    }
}
