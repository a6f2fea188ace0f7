import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `S3Transport` over Foundation's URLSession (on Linux, FoundationNetworking over libcurl):
/// HTTP/1.1 keep-alive connections pooled per host, TLS from the system, no package to build.
/// The session is ephemeral (no cookies, no cache).
public final class URLSessionTransport: S3Transport {
    private let session: URLSession

    /// `connectionsPerHostMax`: 8 by default, enough to keep parts of a few uploads in flight.
    public init(connectionsPerHostMax: Int = 8) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = connectionsPerHostMax
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func send(_ request: S3HTTPRequest, timeout: Duration) async throws -> S3HTTPResponse {
        guard let url = URL(string: request.url) else {
            throw S3TransportError("not a URL: \(request.url)", isRetryable: false)
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        urlRequest.timeoutInterval = seconds
        for header in request.headers { urlRequest.setValue(header.value, forHTTPHeaderField: header.name) }
        let data: Data
        let response: URLResponse
        do {
            if request.method == "PUT" || request.method == "POST" {
                // upload(for:from:) sends Content-Length (0 included), which S3 requires.
                (data, response) = try await session.upload(for: urlRequest, from: Data(request.body))
            } else {
                (data, response) = try await session.data(for: urlRequest)
            }
        } catch let error as URLError {
            throw S3TransportError(Self.describe(error), isRetryable: error.code != .unsupportedURL && error.code != .badURL)
        } catch {
            throw S3TransportError("\(error)")
        }
        guard let http = response as? HTTPURLResponse else { throw S3TransportError("not an HTTP response") }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return S3HTTPResponse(status: http.statusCode, headers: headers, body: [UInt8](data))
    }

    private static func describe(_ error: URLError) -> String {
        let reason: String
        switch error.code {
        case .timedOut: reason = "timed out"
        case .cannotConnectToHost: reason = "cannot connect (refused)"
        case .cannotFindHost: reason = "host not found"
        case .networkConnectionLost: reason = "connection lost"
        case .notConnectedToInternet: reason = "no network"
        case .secureConnectionFailed: reason = "TLS failed"
        default: reason = "URL error \(error.code.rawValue)"
        }
        let detail = (error.userInfo[NSLocalizedDescriptionKey] as? String).map { ": \($0)" } ?? ""
        return reason + detail
    }
}
