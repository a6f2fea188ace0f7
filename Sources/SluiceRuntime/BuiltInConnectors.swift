import SluiceDerive

/// The connectors built into `sluice`. Each connector module registers here (one line each),
/// so `sluice run`, `sluice test` and the library API find them by the catalog's names.
extension ConnectorSet {
    public static var builtIn: ConnectorSet {
        var set = ConnectorSet()
        // Captures (SluiceCapture): files, http-ingest, airbyte, postgres-cdc.
        // Derivations (SluiceDerive): sqlite; Swift transforms come from the library API.
        set.derivations["sqlite"] = { definition in SQLiteDerivationConnector(definition: definition) }
        // Materializations (SluiceMaterialize): sqlite, postgres, redis, files, s3.
        return set
    }
}
