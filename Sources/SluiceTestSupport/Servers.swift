import Foundation

/// A server process the tests start on 127.0.0.1 with a free port, in a temporary directory,
/// and stop by PID. A missing binary is an error that says how to install it, never a skip.
public final class LoopbackServer: @unchecked Sendable {
    // Safety: every property is set in `init` and never changed; `ChildProcess` is thread-safe.
    public let name: String
    public let port: Int
    public let directory: TestDirectory
    private let process: ChildProcess

    /// Starts `executable` with the arguments `arguments(port)` and waits until the port accepts
    /// connections (at most `startTimeoutSeconds`). A port taken between choosing it and the
    /// server binding it is retried with another.
    init(name: String, executable: String, environment: [String: String]? = nil, startTimeoutSeconds: Double,
         arguments: (_ port: Int, _ directory: TestDirectory) -> [String]) throws {
        var lastError = ""
        for _ in 0..<3 {
            let directory = TestDirectory(name)
            let port = try FreePort.find()
            let process = try ChildProcess(executable, arguments(port, directory), environment: environment,
                                           directory: directory.path, label: name)
            let deadline = Date().addingTimeInterval(startTimeoutSeconds)
            while process.isRunning, !FreePort.isListening(port), Date() < deadline { usleep(20_000) }
            if process.isRunning, FreePort.isListening(port) {
                self.name = name
                self.port = port
                self.directory = directory
                self.process = process
                return
            }
            process.signal(SIGKILL)
            process.wait()
            lastError = "\(name) did not listen on 127.0.0.1:\(port) within \(startTimeoutSeconds) s; stderr: "
                + String(process.standardError.suffix(2000)) + " stdout: " + String(process.standardOutput.suffix(2000))
            directory.remove()
        }
        throw TestSupportError(lastError)
    }

    public var pid: Int32 { process.pid }
    public var isRunning: Bool { process.isRunning }

    /// Stops the server (SIGKILL by PID), waits for it, and removes its directory. Idempotent.
    public func stop() {
        if process.isRunning {
            process.signal(SIGKILL)
        }
        process.wait()
        directory.remove()
    }

    deinit { stop() }

    static func locate(_ executable: String, extraFolders: [String], install: String) throws -> String {
        guard let path = ChildProcess.findExecutable(executable, extraFolders: extraFolders) else {
            throw TestSupportError("\(executable) is not installed: \(install)")
        }
        return path
    }
}

/// Redis 7 from Debian (`redis-server`), in memory (`--save '' --appendonly no`), on loopback.
public final class RedisServer: Sendable {
    public let server: LoopbackServer
    public let password: String?

    /// Starts a server; `password` sets `requirepass`, `arguments` adds configuration such as
    /// `["--maxmemory-policy", "allkeys-lru"]` (one value per argument).
    public init(password: String? = nil, arguments: [String] = []) throws {
        let executable = try LoopbackServer.locate(
            "redis-server", extraFolders: ["/usr/bin", "/usr/sbin"],
            install: "run `make deps` (the Makefile's APT_PACKAGES lists redis-server) or `apt-get install redis-server`")
        server = try LoopbackServer(name: "redis", executable: executable, startTimeoutSeconds: 10) { port, directory in
            var all = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                       "--dir", directory.path, "--daemonize", "no", "--protected-mode", "no"]
            if let password { all += ["--requirepass", password] }
            return all + arguments
        }
        self.password = password
    }

    public var port: Int { server.port }

    /// `redis://[:password@]127.0.0.1:port/database`.
    public func url(database: Int = 0) -> String {
        let credentials = password.map { ":\($0)@" } ?? ""
        return "redis://\(credentials)127.0.0.1:\(port)/\(database)"
    }

    public func stop() { server.stop() }
}

/// moto's S3 server (`moto_server`, in memory) on loopback. `make test` installs a pinned
/// `moto[server]` into `.build-venv/` (see the Makefile); this looks there before PATH.
public final class MotoS3Server: Sendable {
    public let server: LoopbackServer

    /// `environment` configures moto: `["INITIAL_NO_AUTH_ACTION_COUNT": "3"]` makes it check
    /// SigV4 signatures against its IAM users from the fourth request on.
    public init(environment: [String: String] = [:]) throws {
        let venv = BuiltProducts.repositoryRoot + "/.build-venv/bin"
        let executable = try LoopbackServer.locate(
            "moto_server", extraFolders: [venv],
            install: "run `make test` (it installs moto[server] into .build-venv/) or `pip install 'moto[server]'`")
        // Python starts slowly on a busy machine: allow 60 s.
        server = try LoopbackServer(name: "moto", executable: executable, environment: environment,
                                    startTimeoutSeconds: 60) { port, _ in
            ["-H", "127.0.0.1", "-p", String(port)]
        }
    }

    public var port: Int { server.port }

    /// `http://127.0.0.1:port`, the S3 endpoint (path-style addressing).
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    public func stop() { server.stop() }
}
