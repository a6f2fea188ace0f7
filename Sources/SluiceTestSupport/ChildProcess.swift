public import Foundation

/// A child process whose output goes to files, stopped by PID. Used for crash tests (SIGKILL at
/// a chosen moment) and for servers the tests start.
public final class ChildProcess: @unchecked Sendable {
    // Safety: `process` is configured before `run` and only queried afterwards; Foundation's
    // Process is thread-safe for those queries.
    private let process = Process()
    public let standardOutputPath: String
    public let standardErrorPath: String

    /// Starts `executable` with `arguments`; stdout and stderr go to files in `directory`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                directory: String, label: String = "child", standardInput: String? = nil) throws {
        standardOutputPath = (directory as NSString).appendingPathComponent("\(label).stdout")
        standardErrorPath = (directory as NSString).appendingPathComponent("\(label).stderr")
        _ = FileManager.default.createFile(atPath: standardOutputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: standardErrorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: standardOutputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: standardErrorPath))
        if let standardInput {
            process.standardInput = FileHandle(forReadingAtPath: standardInput)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Sends a signal to the process (SIGKILL by default).
    public func signal(_ signal: Int32 = SIGKILL) { kill(process.processIdentifier, signal) }

    /// Waits for the exit and returns the status (the signal number plus 128 if killed).
    @discardableResult
    public func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Waits at most `seconds`; kills the process if it is still running then. Returns the status.
    @discardableResult
    public func wait(seconds: Double) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { signal(SIGKILL) }
        return wait()
    }

    /// Kills the child with SIGKILL part-way through its work: waits (blocking, off any async
    /// pool) until the files under `directory` have grown past their size at the call, then
    /// `delayMicroseconds` more, then kills it if it is still running. Returns whether it was
    /// killed (false: it ended by itself first). Crash tests use this instead of a fixed sleep,
    /// so a loaded machine, slow to start the child, still gets kills that land mid-work.
    public func killAfterProgress(under directory: String, delayMicroseconds: UInt32, timeoutSeconds: Double = 120) -> Bool {
        let baseline = Self.bytes(under: directory)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while isRunning, Self.bytes(under: directory) <= baseline, Date() < deadline { usleep(5_000) }
        if delayMicroseconds > 0 { usleep(delayMicroseconds) }
        guard isRunning else { return false }
        signal(SIGKILL)
        return wait() == 128 + SIGKILL
    }

    /// The total size of the regular files under `directory` (0 when it does not exist).
    public static func bytes(under directory: String) -> Int {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total = 0
        while let relative = enumerator.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + relative)
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? Int) ?? 0 }
        }
        return total
    }

    public var standardOutput: String { (try? String(contentsOfFile: standardOutputPath, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOfFile: standardErrorPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// As `run`, in the working directory `directory`.
    public static func runIn(_ directory: String, _ executable: String, _ arguments: [String], input: String = "",
                             environment: [String: String]? = nil) throws -> (status: Int32, output: String, error: String) {
        try run(executable, arguments, input: input, environment: environment, workingDirectory: directory)
    }

    /// Runs a command to completion and returns its status and output (for short commands).
    public static func run(_ executable: String, _ arguments: [String], input: String = "",
                           environment: [String: String]? = nil,
                           workingDirectory: String? = nil) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let standardInput = Pipe(), standardOutput = Pipe(), standardError = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let errorData = LockedData()
        let errorReader = Thread { errorData.set(standardError.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        standardInput.fileHandleForWriting.write(Data(input.utf8))
        try standardInput.fileHandleForWriting.close()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1_000) }
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errorData.value, as: UTF8.self))
    }

    /// Finds an executable on PATH or in the given extra folders.
    public static func findExecutable(_ name: String, extraFolders: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in extraFolders + path.split(separator: ":").map(String.init) {
            let candidate = (folder as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false

    func set(_ value: Data) { lock.withLock { data = value; done = true } }
    var isSet: Bool { lock.withLock { done } }
    var value: Data { lock.withLock { data } }
}
