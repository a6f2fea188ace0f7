// SluiceJournal: Sluice's storage. A journal is a named, append-only byte log addressed by byte
// offsets, in the manner of Gazette's brokers (https://gazette.dev):
//
// - A **journal** (`Journal`) has a `JournalName` (`acme/orders/region=eu`) and a `JournalSpec`
//   (fragment length target, codec, fsync policy, flush interval, retention). Appends are
//   atomic and serialized: all of an append becomes readable, or none of it, and each append
//   learns its `[begin, end)`. Readers (`JournalReader`, an AsyncSequence) read from any offset,
//   across sealed fragments and the spool, and a blocking read wakes when a commit moves the
//   head.
// - The **spool** (`Spool`) is the open fragment: a local file of `SpoolRecord`s, one per append,
//   each with a header carrying the append's begin offset and an XXH3 checksum, so recovery
//   finds a torn tail and truncates it (`RecoveryReport` says how many bytes were dropped).
// - When the spool reaches the fragment length target, crosses a flush-interval boundary or is
//   sealed on request, it is **rolled**: a new spool starts at its end, and the old one is
//   sealed in the background (`Sealer`): compressed by its `FragmentCodec` into a
//   `SealedFragment` file named `<begin:016x>-<end:016x>-<sha1:40x>.<raw|lz4|zst>`
//   (`FragmentName`), written under a temporary name, fsynced, renamed, and its directory
//   fsynced. Sealed content is the plain appended bytes: `zstd -d` or `lz4 -d` reads it.
// - Sealed fragments live in a `FragmentStore` (the local directory, `LocalFragmentStore`; an
//   object store later). The `FragmentIndex` is rebuilt from the store's listing on open.
// - **Durability** follows the journal's `FsyncPolicy`: `always`, group commit (`GroupCommit`:
//   concurrent appends share one fdatasync) or `none`. An append becomes readable only once it
//   is durable under that policy, so no reader acts on bytes a crash could take back.
// - **Retention** (`Retention`) drops whole sealed fragments by age or bytes, never the spool.
// - All file access goes through the `FileSystem` seam and all wall time through the
//   `JournalClock` seam, so tests can substitute storage that tears writes and a clock that
//   jumps.
//
// A data directory (`JournalDataDirectory`) holds many journals; its layout, the spool record
// format and the fragment names are specified with test vectors in docs/journal.md.
