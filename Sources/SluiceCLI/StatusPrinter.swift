import Foundation
import SluiceRuntime

/// `sluice run`'s progress: on a terminal, a live block of status lines (one per task: rate,
/// lag, a progress bar while a reading task is far behind) redrawn every second on stderr;
/// otherwise a plain log line per active task every 10 seconds.
final class StatusPrinter: @unchecked Sendable {
    // Safety: `task` is set once in start and read in stop, on the command's task.
    private let engine: Engine
    private var task: Task<Void, Never>?
    let isTerminal = isatty(STDERR_FILENO) == 1

    init(engine: Engine) { self.engine = engine }

    func start() {
        let engine = engine
        let terminal = isTerminal
        task = Task.detached {
            var previous: [String: Int] = [:]
            var drawnLines = 0
            var lastPlain = Date.distantPast
            let interval = 1.0
            while !Task.isCancelled && !engine.isStopRequested {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                var lines: [String] = []
                for (name, status) in engine.statuses.sorted(by: { $0.key < $1.key }) {
                    let s = status.snapshot
                    let rate = Double(s.documentsRead - previous[name, default: 0]) / interval
                    previous[name] = s.documentsRead
                    var line = "\(s.kind.rawValue.prefix(1)) \(name): \(Self.count(s.documentsRead)) docs (\(Self.count(Int(rate)))/s)"
                    if s.kind != .capture {
                        line += ", lag \(Self.bytes(s.lagBytes))"
                        if s.sourceBytes > 0, s.lagBytes > 1 << 20 {
                            let done = 1 - Double(s.lagBytes) / Double(s.sourceBytes)
                            let width = 20
                            let filled = max(0, min(width, Int(done * Double(width))))
                            line += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                                + "] \(Int(done * 100))%"
                        }
                    } else if s.exhausted {
                        line += ", done"
                    }
                    if s.restarts > 0 { line += ", \(s.restarts) restarts" }
                    lines.append(line)
                }
                if terminal {
                    var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
                    for line in lines { text += "\u{1B}[2K" + line + "\n" }
                    FileHandle.standardError.write(Data(text.utf8))
                    drawnLines = lines.count
                } else if Date().timeIntervalSince(lastPlain) >= 10 {
                    lastPlain = Date()
                    for line in lines { FileHandle.standardError.write(Data(("status: " + line + "\n").utf8)) }
                }
            }
        }
    }

    func stop() { task?.cancel() }

    static func count(_ value: Int) -> String {
        value >= 1_000_000 ? String(format: "%.1fM", Double(value) / 1e6)
            : value >= 10_000 ? String(format: "%.1fk", Double(value) / 1e3) : String(value)
    }

    static func bytes(_ value: Int64) -> String {
        value >= 1 << 30 ? String(format: "%.1f GiB", Double(value) / Double(1 << 30))
            : value >= 1 << 20 ? String(format: "%.1f MiB", Double(value) / Double(1 << 20))
            : value >= 1 << 10 ? String(format: "%.1f KiB", Double(value) / 1024) : "\(value) B"
    }
}
