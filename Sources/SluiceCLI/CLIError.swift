import ArgumentParser
import Foundation
import SluiceCatalog
import SluiceCollection
import SluiceJournal

/// How a command failed, which decides its exit code.
public enum CLIFailure: Error, CustomStringConvertible {
    /// Bad input: arguments, documents, catalogs, a failed test. Exit code 1.
    case user(String)
    /// The environment or Sluice itself failed: I/O errors, bugs. Exit code 2.
    case `internal`(String)

    public var description: String {
        switch self {
        case .user(let message), .internal(let message): return message
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .user: return 1
        case .internal: return 2
        }
    }
}

/// Writes `message` to standard error, followed by a newline.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a command body, turning a `CLIFailure` into its message on stderr and its exit code.
/// Any other error is reported as internal (exit 2): commands classify the errors they expect.
func runReportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CLIFailure {
        printError("error: \(failure.description)")
        throw ExitCode(failure.exitCode)
    } catch let exit as ExitCode {
        throw exit
    } catch let error as JournalError {
        printError("error: \(error)")
        throw ExitCode(error.isUserError ? 1 : 2)
    } catch let error as CatalogError {
        printError("error: \(error)")
        throw ExitCode(1)
    } catch let error as CollectionError {
        printError("error: \(error)")
        switch error {
        case .badJournalLine, .lineTooLarge: throw ExitCode(2)  // stored data
        default: throw ExitCode(1)
        }
    } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
}
