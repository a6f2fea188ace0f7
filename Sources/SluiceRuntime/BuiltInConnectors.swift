import SluiceMaterialize
import SluiceCapture
import SluiceDerive

/// The connectors built into `sluice`. Each connector module registers here (one line each),
/// so `sluice run`, `sluice test` and the library API find them by the catalog's names.
extension ConnectorSet {
    public static var builtIn: ConnectorSet {
        var set = ConnectorSet()
        // Captures (SluiceCapture): files, http-ingest, airbyte, postgres-cdc.
        set.captures["files"] = FilesCapture()
        set.captures["http-ingest"] = HTTPIngestCapture()
        set.captures["airbyte"] = AirbyteCapture()
        set.captures["postgres-cdc"] = PostgresCDCCapture()
        // Derivations (SluiceDerive): sqlite; Swift transforms come from the library API.
        set.derivations["sqlite"] = { definition in SQLiteDerivationConnector(definition: definition) }
        set.checks.append { catalog in DerivationChecks.diagnostics(catalog) }
        // Materializations (SluiceMaterialize): sqlite, postgres, redis, files, s3.
        set.materializations["sqlite"] = SQLiteMaterialization()
        set.materializations["postgres"] = PostgresMaterialization()
        set.materializations["redis"] = RedisMaterialization()
        set.materializations["files"] = FilesMaterialization()
        set.materializations["s3"] = S3Materialization()
        return set
    }
}
