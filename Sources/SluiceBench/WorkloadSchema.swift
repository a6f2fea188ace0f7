// The standard workload's JSON schema (Benchmarks/workload-schema.json holds the same text,
// for peers and the command line; a test keeps the two equal): required fields, types, a
// date-time format, patterns, enums on tier and region, and the reduce annotations of the
// combine benchmark (root merge; sum amount and qty; maximize ts; lastWriteWins note).

public import SluiceSchema
import SluiceDocument

public enum WorkloadSchema {
    /// The schema as JSON text.
    public static let json = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://sluice.invalid/schemas/workload-event.json",
  "title": "A sales event of the standard benchmark workload",
  "type": "object",
  "reduce": {"strategy": "merge"},
  "required": ["id", "seq", "ts", "customer", "amount", "qty", "tags", "note"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string", "pattern": "^key-[0-9]{6,8}$"},
    "seq": {"type": "integer", "minimum": 0},
    "ts": {"type": "string", "format": "date-time", "reduce": {"strategy": "maximize"}},
    "customer": {"$ref": "#/$defs/customer"},
    "amount": {"type": "number", "minimum": 0, "reduce": {"strategy": "sum"}},
    "qty": {"type": "integer", "minimum": 1, "maximum": 1000, "reduce": {"strategy": "sum"}},
    "tags": {"type": "array", "maxItems": 16, "items": {"type": "string", "minLength": 1, "maxLength": 32}},
    "note": {"type": "string", "maxLength": 2000, "reduce": {"strategy": "lastWriteWins"}}
  },
  "$defs": {
    "customer": {
      "type": "object",
      "required": ["cid", "name", "tier", "region"],
      "properties": {
        "cid": {"type": "string", "pattern": "^c-[0-9]{4}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "tier": {"enum": ["free", "bronze", "silver", "gold", "platinum"]},
        "region": {"enum": ["eu", "na", "sa", "apac", "mea"]},
        "city": {"type": "string", "maxLength": 100}
      }
    }
  }
}
"""#

    /// A fresh validator of the compiled workload schema (one per thread).
    public static func validator() throws -> SchemaValidator {
        try schema().validator()
    }

    /// The compiled workload schema (validators of one `Schema` have equal annotation tables).
    public static func schema() throws -> Schema {
        try Schema(JSONValue(parsing: json))
    }
}
