// SluiceHTTP: a small HTTP/1.1 server over SwiftNIO (NIOPosix + NIOHTTP1), for the parts of
// Sluice that answer HTTP: the http-ingest capture (SluiceCapture) and, later, the runtime's
// Prometheus `/metrics`.
//
// - `HTTPRequest` / `HTTPResponse` (HTTPMessages.swift): a whole request (head and body,
//   collected up to a limit) and a whole response; no NIO type appears in the API.
// - `HTTPRoute` / `HTTPRouter` (HTTPRoute.swift): routes by method and path template
//   (`/orders/{region}` binds `region`), each with an async handler and an optional `preflight`
//   that answers from the head alone (authorization before the body is read).
// - `HTTPServer` (HTTPServer.swift): binds, accepts connections (keep-alive, pipelined requests
//   answered in order, connections served concurrently), enforces the body limit (413), and
//   stops by closing its listener and every open connection.
//
// Adding a route is adding an `HTTPRoute` to the list a server starts with.
