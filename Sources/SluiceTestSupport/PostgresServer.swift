// PostgresServer: a throwaway PostgreSQL server for tests, from Debian's binaries
// (/usr/lib/postgresql/<version>/bin), in a temporary directory, on a loopback port, with
// `wal_level=logical` for CDC. initdb and postgres refuse to run as root, so as root they run
// as the `postgres` user (setpriv, which execs: the child's PID is the server's). Stopped by PID.
import Foundation

/// A running PostgreSQL server. `stop()` shuts it down (immediate mode) and removes its files.
public final class PostgresServer: @unchecked Sendable {
    // Safety: `process` is set in init and only signalled/waited afterwards (ChildProcess is
    // itself thread-safe for that); `stopped` is guarded by `lock`.
    public let port: Int
    public let directory: TestDirectory
    /// The superuser's name and password (host connections use scram-sha-256).
    public let user = "postgres"
    public let password: String
    private let process: ChildProcess
    private let lock = NSLock()
    private var stopped = false

    /// `postgresql://postgres:PASSWORD@127.0.0.1:PORT/DATABASE`.
    public func dsn(database: String = "postgres", user: String? = nil, password: String? = nil) -> String {
        "postgresql://\(user ?? self.user):\(password ?? self.password)@127.0.0.1:\(port)/\(database)"
    }

    /// The server's PID (the postmaster).
    public var pid: Int32 { process.pid }

    /// The folder holding `initdb`, `postgres` and `psql`, or an error saying how to install it.
    public static func binaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for version in versions {
            let folder = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: folder + "/postgres"),
               FileManager.default.isExecutableFile(atPath: folder + "/initdb") {
                return folder
            }
        }
        throw TestSupportError("PostgreSQL server binaries not found under \(root)/*/bin: install Debian's `postgresql` "
                                + "package (`make deps` or `make test` installs it)")
    }

    /// initdb, configure, start, and wait until the server accepts connections (at most
    /// `readySecondsMax`). `settings` are extra postgresql.conf lines.
    public init(label: String = "postgres", settings: [String] = [], readySecondsMax: Double = 60) throws {
        let binaries = try PostgresServer.binaries()
        directory = TestDirectory(label)
        password = "pw-\(UUID().uuidString.prefix(12))"
        let data = directory.file("data")
        let isRoot = getuid() == 0
        let passwordFile = try directory.write("password", password + "\n")
        if isRoot {
            // The postgres user must own the data folder and reach it (the temporary folder's
            // parent is world-searchable; ours is made so).
            _ = try ChildProcess.run("/bin/chown", ["-R", "postgres:postgres", directory.path])
            _ = try ChildProcess.run("/bin/chmod", ["755", directory.path])
        }
        let initdb = [binaries + "/initdb", "-D", data, "--username=postgres", "--pwfile=\(passwordFile)",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"]
        let initialized = try ChildProcess.run(isRoot ? "/usr/bin/setpriv" : initdb[0],
                                               isRoot ? PostgresServer.asPostgresUser + initdb : Array(initdb.dropFirst()))
        guard initialized.status == 0 else {
            throw TestSupportError("initdb failed (\(initialized.status)): \(initialized.error)\(initialized.output)")
        }
        port = try FreePort.find()
        let configuration = [
            "listen_addresses = '127.0.0.1'", "port = \(port)", "unix_socket_directories = '\(directory.path)'",
            "wal_level = logical", "max_replication_slots = 16", "max_wal_senders = 16", "max_connections = 60",
            // Tests need no durability across power loss; these make them faster.
            "fsync = off", "synchronous_commit = off", "full_page_writes = off",
            "shared_buffers = 32MB", "log_min_messages = warning", "log_line_prefix = '%m [%p] '",
        ] + settings
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
        handle.seekToEndOfFile()
        handle.write(Data(("\n# Sluice tests\n" + configuration.joined(separator: "\n") + "\n").utf8))
        try handle.close()
        if isRoot { _ = try ChildProcess.run("/bin/chown", ["-R", "postgres:postgres", directory.path]) }

        let server = [binaries + "/postgres", "-D", data]
        process = try ChildProcess(isRoot ? "/usr/bin/setpriv" : server[0],
                                   isRoot ? PostgresServer.asPostgresUser + server : Array(server.dropFirst()),
                                   directory: directory.path, label: "postgres")
        let deadline = Date().addingTimeInterval(readySecondsMax)
        while !isReady(data: data) {
            if !process.isRunning {
                let log = process.standardError
                directory.remove()
                throw TestSupportError("PostgreSQL exited during start-up: \(log.suffix(2000))")
            }
            if Date() > deadline {
                process.signal(SIGQUIT)
                process.wait(seconds: 10)
                directory.remove()
                throw TestSupportError("PostgreSQL was not ready within \(readySecondsMax) s")
            }
            usleep(20_000)
        }
    }

    /// setpriv arguments that run the rest of a command line as the postgres user.
    private static let asPostgresUser = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--"]

    /// postmaster.pid's eighth line says `ready` once connections are accepted (PostgreSQL 10+).
    private func isReady(data: String) -> Bool {
        guard let text = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8) else { return false }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.count >= 8 && lines[7].trimmingCharacters(in: .whitespaces) == "ready" && FreePort.isListening(port)
    }

    /// The server's log (its standard error).
    public var log: String { process.standardError }

    /// Runs SQL through `psql` as the superuser over the socket (for setup the client under test
    /// should not be trusted with). Returns psql's output; throws on failure.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let binaries = try PostgresServer.binaries()
        let result = try ChildProcess.run(binaries + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory.path,
                                                               "-p", String(port), "-U", user, "-d", database, "-c", sql])
        guard result.status == 0 else { throw TestSupportError("psql failed: \(result.error)") }
        return result.output
    }

    /// Immediate shutdown (SIGQUIT to the postmaster, which stops its children), then SIGKILL
    /// if it lingers; removes the directory unless `keepFiles`.
    public func stop(keepFiles: Bool = false) {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        if process.isRunning {
            process.signal(SIGQUIT)
            process.wait(seconds: 15)
        }
        if !keepFiles { directory.remove() }
    }

    deinit { stop() }
}
