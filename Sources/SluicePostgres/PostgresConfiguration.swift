// PostgresConfiguration: where and how to connect. The DSN is libpq's (`postgresql://user:pw@
// 127.0.0.1:5432/db` or `host=… port=… dbname=…`); it is parsed once up front so a bad DSN fails
// before any I/O, and so errors can name the server as `host:port/database` without ever
// showing the password.
import CLibPQ
import Foundation

/// How to reach a PostgreSQL server, with the session settings Sluice relies on.
public struct PostgresConfiguration: Sendable {
    /// The DSN as given. Never printed: it may hold a password.
    let dsn: String
    /// `host:port/database` for messages.
    public let endpoint: String
    /// The user the DSN names (libpq's default otherwise).
    public let user: String?

    /// Bound on establishing a connection (TCP, TLS negotiation, authentication). libpq counts
    /// whole seconds and at least 2; this client also enforces it with its own deadline.
    public var connectTimeout: Duration = .seconds(10)
    /// Server-side `statement_timeout`: the server cancels a statement running longer
    /// (SQLSTATE 57014). `.zero` turns it off (replication connections ignore it).
    public var statementTimeout: Duration = .seconds(60)
    /// How long past `statementTimeout` this client waits for any answer before it gives up on
    /// a server that does not respond at all, closes the connection, and reports `.timeout`.
    /// Calls that pass their own timeout use that instead of the sum.
    public var unresponsiveGrace: Duration = .seconds(5)
    /// `application_name`, visible in `pg_stat_activity`.
    public var applicationName: String = "sluice"
    /// Opens a logical replication connection (`replication=database`): replication commands
    /// and simple queries only.
    public var replication = false

    /// Parses `dsn` (a libpq URI or key=value string) without connecting.
    public init(dsn: String) throws(PostgresError) {
        self.dsn = dsn
        var parseError: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(dsn, &parseError) else {
            let message = parseError.map { String(cString: $0) } ?? "out of memory"
            if let parseError { PQfreemem(parseError) }
            // Some of libpq's URI errors quote the whole URI: show it with the password masked.
            let shown = message.trimmingTrailingNewlines.replacingOccurrences(of: dsn, with: PostgresConfiguration.redacted(dsn))
            throw PostgresError(.configuration, "invalid DSN: \(shown)", endpoint: "(unparsed DSN)")
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            cursor += 1
        }
        let host = values["host"] ?? values["hostaddr"] ?? "(default socket)"
        let port = values["port"] ?? "5432"
        let database = values["dbname"] ?? values["user"] ?? "(default database)"
        endpoint = "\(host):\(port)/\(database)"
        user = values["user"]
        userOptions = values["options"]
    }

    /// `options` of the DSN, kept so Sluice's session settings can follow them.
    let userOptions: String?

    /// Session settings the type mapping depends on (docs/postgres.md). They come after any
    /// options of the DSN, so they win.
    var sessionOptions: String {
        var options = [
            "-c DateStyle=ISO", "-c IntervalStyle=iso_8601", "-c TimeZone=UTC", "-c extra_float_digits=1",
            "-c bytea_output=hex", "-c client_min_messages=warning", "-c client_encoding=UTF8",
        ]
        if !replication {
            options.append("-c statement_timeout=\(PostgresConfiguration.milliseconds(statementTimeout))")
        }
        if let userOptions, !userOptions.isEmpty { options.insert(userOptions, at: 0) }
        return options.joined(separator: " ")
    }

    /// Keyword/value pairs for `PQconnectStartParams`, the DSN first (expanded), then Sluice's.
    var connectParameters: [(String, String)] {
        var parameters: [(String, String)] = [
            ("dbname", dsn),
            ("connect_timeout", String(max(2, Int((connectTimeout.components.seconds))))),
            ("application_name", applicationName),
            ("options", sessionOptions),
            ("client_encoding", "UTF8"),
            // Detect a vanished peer on an idle connection within about 25 s.
            ("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"), ("keepalives_count", "3"),
        ]
        if replication { parameters.append(("replication", "database")) }
        return parameters
    }

    /// The DSN with its password replaced by `***` (URI user info or `password=` keyword).
    public static func redacted(_ dsn: String) -> String {
        var text = Substring(dsn)
        var output = ""
        if let scheme = text.range(of: "://") {
            output += text[..<scheme.upperBound]
            text = text[scheme.upperBound...]
            let authorityEnd = text.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
            if let at = text[..<authorityEnd].lastIndex(of: "@"), let colon = text[..<at].firstIndex(of: ":") {
                output += text[..<colon] + ":***"
                text = text[at...]
            }
            output += text
            // A password may also come as a query parameter.
            if let range = output.range(of: "password=") {
                let end = output[range.upperBound...].firstIndex(of: "&") ?? output.endIndex
                output.replaceSubrange(range.upperBound..<end, with: "***")
            }
            return output
        }
        // key=value form: mask the value after `password` (quoted or not).
        guard let range = dsn.range(of: #"password\s*=\s*('([^'\\]|\\.)*'|\S*)"#, options: .regularExpression) else { return dsn }
        return dsn.replacingCharacters(in: range, with: "password=***")
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last == "\n" || text.last == "\r" || text.last == " " { text.removeLast() }
        return text
    }
}
