public import SluiceDerive

/// Swift transforms through the library API (docs/derivations.md "Swift transforms"): a
/// derivation whose catalog says `using: {swift: {}}` runs the transforms registered under its
/// collection name (`using: {swift: {module: M}}`: under `M`).
///
///     var connectors = ConnectorSet.builtIn
///     connectors.registerSwiftDerivation("acme/totals", migrations: ["CREATE TABLE seen (id TEXT PRIMARY KEY)"],
///                                        transforms: ["fromOrders": { order, context in
///         try context.publish(["customer": order.root["customer"]!.jsonValue, "orders": 1])
///     }])
extension ConnectorSet {
    /// Registers closures, by transform name, for derivation (or module) `name`. Every
    /// transform of the derivation needs one, and each closure must name a transform; the
    /// task fails to start otherwise. State goes in `context.database` (tables from
    /// `migrations`, applied once each, in order).
    public mutating func registerSwiftDerivation(_ name: String, migrations: [String] = [], transforms: [String: SwiftTransform]) {
        derivations["swift:" + name] = { _ in
            SwiftDerivationConnector(SwiftClosureDerivation(migrations: migrations, transforms: transforms))
        }
    }

    /// Registers a type conforming to `SwiftDerivation`; `make` builds one instance per task
    /// start and per shard.
    public mutating func registerSwiftDerivation(_ name: String, _ make: @escaping @Sendable () -> any SwiftDerivation) {
        derivations["swift:" + name] = { _ in SwiftDerivationConnector(make()) }
    }
}
