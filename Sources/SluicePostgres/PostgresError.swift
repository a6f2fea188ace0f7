// PostgresError: every failure of SluicePostgres, saying where: the server (host:port/database,
// never the password), the SQL and the position in it, and the server's SQLSTATE, message,
// detail and hint.

/// An error from PostgreSQL or from talking to it.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The DSN could not be parsed.
        case configuration
        /// Connecting failed: refused, unreachable, authentication, unknown database.
        case connection
        /// The server reported an error for a statement (`sqlState` says which).
        case server
        /// No answer within the deadline; the connection was closed.
        case timeout
        /// The connection broke (server gone, socket closed) or was closed earlier.
        case connectionLost
        /// The server sent something this client does not understand (replication messages).
        case protocolViolation
        /// The caller's data cannot be sent as asked (a value that does not fit a column), or a
        /// table cannot be used as asked.
        case data
        /// A materialization's checkpoint row has a newer fence: another instance took over.
        case fenced
    }

    public var kind: Kind
    /// What went wrong, from the server or from this client.
    public var message: String
    /// The five-character SQLSTATE (`42P01`, `23505`, …) for server errors.
    public var sqlState: String?
    public var detail: String?
    public var hint: String?
    /// 1-based character position in `sql` the server pointed at.
    public var position: Int?
    /// `host:port/database` of the server (the password never appears in errors).
    public var endpoint: String
    /// The statement, when one was being run.
    public var sql: String?

    public init(_ kind: Kind, _ message: String, endpoint: String, sql: String? = nil, sqlState: String? = nil,
                detail: String? = nil, hint: String? = nil, position: Int? = nil) {
        self.kind = kind
        self.message = message
        self.endpoint = endpoint
        self.sql = sql
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.position = position
    }

    /// SQLSTATE 40001/40P01: a serialization failure or deadlock; retrying may succeed.
    public var isTransient: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// SQLSTATE 57014: the statement was canceled (statement_timeout).
    public var isStatementTimeout: Bool { sqlState == "57014" }

    public var description: String {
        var text = "postgres \(endpoint): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { text += "; detail: \(detail)" }
        if let hint, !hint.isEmpty { text += "; hint: \(hint)" }
        if let sql {
            let shown = sql.count > 300 ? String(sql.prefix(300)) + "…" : sql
            if let position, position > 0 {
                let (line, column) = PostgresError.lineAndColumn(ofCharacter: position, in: sql)
                text += " at line \(line), column \(column) of: \(shown)"
            } else {
                text += " in: \(shown)"
            }
        }
        return text
    }

    /// 1-based line and column of the 1-based character `position` in `sql`.
    static func lineAndColumn(ofCharacter position: Int, in sql: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for (index, character) in sql.enumerated() {
            if index >= position - 1 { break }
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
