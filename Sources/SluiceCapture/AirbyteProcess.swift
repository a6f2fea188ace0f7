// AirbyteProcess: an Airbyte connector running as a child process. Its standard output is read
// line by line on a dedicated thread (blocking read(2) there never holds a thread of Swift's
// cooperative pool), its standard error on another, and its exit status is collected by the
// stdout thread after end of file. The child runs in its own process group with default signal
// handling (the engine ignores SIGINT/SIGTERM, and ignored signals would be inherited), so
// `terminate` reaches the connector and any workers it forked.
import Foundation
import SluiceDocument
import Synchronization

/// A running connector process.
final class AirbyteProcess: Sendable {
    /// The connector's process id (also its process group id).
    let pid: pid_t
    /// `source-faker read`, for messages.
    let label: String
    /// The exit status once the child is reaped. Signals to the group are sent under this lock
    /// only while the child is not reaped, so its id cannot have been reused.
    private let reaped = Mutex<Int32?>(nil)

    /// What the reader threads hand out: each non-blank stdout line with its 1-based number, a
    /// stdout line over `lineBytesMax` (by number), each stderr line, then the exit status (a
    /// signal number plus 128 when killed by one).
    struct Handlers: Sendable {
        var standardOutputLine: @Sendable (UnsafeRawBufferPointer, Int) -> Void
        var standardOutputOverlong: @Sendable (Int) -> Void
        var standardErrorLine: @Sendable (String) -> Void
        var exit: @Sendable (Int32) -> Void
    }

    /// Longest line of connector output (bytes): a RECORD is one line, and connectors emit
    /// records of several MiB at most; bounds the memory of a runaway line.
    static let lineBytesMax = 64 << 20
    /// Read size (bytes): large enough to take many records per system call.
    static let readBytes = 1 << 16

    /// Starts `executable` (a path) with `arguments` (argv[1...]) and `environment`.
    init(executable: String, arguments: [String], environment: [String: String], label: String,
         handlers: Handlers) throws(AirbyteError) {
        self.label = label
        var standardOutput: [Int32] = [-1, -1]
        var standardError: [Int32] = [-1, -1]
        guard pipe(&standardOutput) == 0 else {
            throw AirbyteError.spawn(label: label, reason: "pipe: \(String(cString: strerror(errno)))")
        }
        guard pipe(&standardError) == 0 else {
            close(standardOutput[0])
            close(standardOutput[1])
            throw AirbyteError.spawn(label: label, reason: "pipe: \(String(cString: strerror(errno)))")
        }
        // Not inherited by other children (the child gets its ends through dup2, which clears it).
        for descriptor in standardOutput + standardError { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&fileActions, standardOutput[1], 1)
        posix_spawn_file_actions_adddup2(&fileActions, standardError[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)

        let argv = [executable] + arguments
        let environ = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let spawned = AirbyteProcess.withCStrings(argv) { argvPointers in
            AirbyteProcess.withCStrings(environ) { environPointers in
                posix_spawn(&child, executable, &fileActions, &attributes, argvPointers, environPointers)
            }
        }
        close(standardOutput[1])
        close(standardError[1])
        guard spawned == 0 else {
            close(standardOutput[0])
            close(standardError[0])
            throw AirbyteError.spawn(label: label, reason: "\(executable): \(String(cString: strerror(spawned)))")
        }
        pid = child

        let outputDescriptor = standardOutput[0]
        let errorDescriptor = standardError[0]
        let errorDone = ErrorReaderDone()
        let errorThread = Thread {
            AirbyteProcess.readLines(errorDescriptor, { line, _ in handlers.standardErrorLine(AirbyteLineParser.text(line)) },
                                     overlong: { _ in })
            errorDone.flag.store(true, ordering: .releasing)
        }
        errorThread.name = "airbyte-stderr"
        errorThread.start()
        let outputThread = Thread { [self] in
            AirbyteProcess.readLines(outputDescriptor, handlers.standardOutputLine, overlong: handlers.standardOutputOverlong)
            let status = waitForExit()
            // Give the stderr reader a moment to log the connector's last words (its pipe ends
            // with the process group, which waitForExit killed).
            let deadline = ContinuousClock.now + .seconds(2)
            while !errorDone.flag.load(ordering: .acquiring) && ContinuousClock.now < deadline { usleep(5_000) }
            handlers.exit(status)
        }
        outputThread.name = "airbyte-stdout"
        outputThread.start()
    }

    /// The exit status, once the child is reaped.
    var status: Int32? { reaped.withLock { $0 } }

    /// Asks the connector's process group to stop (SIGTERM), then kills it (SIGKILL) if it has
    /// not exited within `graceSeconds`. Returns at once; reaping is the stdout thread's job.
    func terminate(graceSeconds: Double = 2) {
        signalGroup(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + graceSeconds) { [self] in signalGroup(SIGKILL) }
    }

    /// Kills the process group at once.
    func forceKill() { signalGroup(SIGKILL) }

    private func signalGroup(_ signal: Int32) {
        reaped.withLock { status in
            if status == nil { kill(-pid, signal) }
        }
    }

    /// Waits for the child's exit without reaping it, kills what is left of its group (forked
    /// workers must not outlive it), then reaps it.
    private func waitForExit() -> Int32 {
        var information = siginfo_t()
        while waitid(P_PID, id_t(pid), &information, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        return reaped.withLock { status in
            kill(-pid, SIGKILL)
            var raw: Int32 = 0
            var result: Int32
            repeat { result = waitpid(pid, &raw, 0) } while result < 0 && errno == EINTR
            // Exited: low 7 bits zero and the status in bits 8-15; else the terminating signal.
            let code: Int32 = result < 0 ? 255 : ((raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F))
            status = code
            return code
        }
    }

    /// Reads `descriptor` to its end, handing out lines; closes it.
    private static func readLines(_ descriptor: Int32, _ body: (UnsafeRawBufferPointer, Int) -> Void,
                                  overlong: (Int) -> Void) {
        var splitter = JSONLinesSplitter(lineBytesMax: lineBytesMax)
        var buffer = [UInt8](repeating: 0, count: readBytes)
        defer { close(descriptor) }
        reading: while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                break reading
            }
            if count == 0 { break reading }
            do {
                try buffer.withUnsafeBytes { try splitter.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count]), body) }
            } catch {
                // A line over the limit: reported, and the splitter starts over (the rest of
                // that line comes out as a line of its own, which is not JSON).
                overlong(splitter.lineNumber)
                splitter = JSONLinesSplitter(lineBytesMax: lineBytesMax)
            }
        }
        try? splitter.finish(body)
    }

    /// Calls `body` with a NULL-terminated array of C strings.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        // Safety: the array outlives the call; the strings are freed after it.
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Finds `name` like a shell would: a path containing `/` (relative ones against `folder`),
    /// or the first executable of that name on `PATH`.
    static func resolveExecutable(_ name: String, folder: String, path: String?) -> String? {
        if name.contains("/") {
            let absolute = name.hasPrefix("/") ? name : (folder as NSString).appendingPathComponent(name)
            return FileManager.default.isExecutableFile(atPath: absolute) ? absolute : nil
        }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = String(directory) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Set by the stderr thread when it is done (a class: atomics cannot be captured by value).
private final class ErrorReaderDone: Sendable {
    let flag = Atomic<Bool>(false)
}
