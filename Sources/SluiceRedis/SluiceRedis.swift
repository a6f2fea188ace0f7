// SluiceRedis: a Redis client for Sluice's Redis materialization (issue 9, SEMANTICS.md §6).
//
// Contents, from the bytes up:
//
// - `RESPValue`: a RESP2 reply (simple string, error, integer, bulk string as bytes, array,
//   null). `RESPEncoder` writes commands as arrays of bulk strings; `RESPDecoder` reads replies
//   incrementally from a byte buffer, with limits on bulk length, array length and nesting.
// - `RedisCommand` (a command's arguments as bytes) and `RedisEndpoint` (parsed from
//   `redis://[user:password@]host:port/db`, the password never printed).
// - `RedisSocket`: a nonblocking POSIX TCP socket; every wait is a `poll` with a deadline, so
//   no call blocks longer than its timeout.
// - `RedisConnection`: one synchronous connection (connect, AUTH, SELECT, then commands),
//   pipelined: many commands are written while replies are read, in one exchange.
// - `RedisClient`: the async face. Each client owns a serial dispatch queue; blocking socket
//   calls run there, never on Swift's cooperative thread pool, and each is bounded by the
//   connect or command timeout. A connection broken by an I/O error is dropped and the next
//   call reconnects.
// - `RedisCheckpointStore` / `RedisCheckpointSession`: exactly-once commits. `open()` increments
//   the materialization's fence key and reads its checkpoint key (a hash holding the fence that
//   committed and the checkpoint bytes). `commit(writes, checkpoint)` WATCHes the fence key,
//   checks it still holds this session's fence, then sends MULTI, the writes (`RedisWrite`:
//   SET with PX, DEL + HSET + PEXPIRE, DEL), the checkpoint HSET and EXEC in one pipeline. A
//   fence that moved (a newer instance opened) makes EXEC return nil: the outcome is
//   `.fencedOff`, and nothing of the transaction was applied.
// - `RedisError`: what failed, where (the server, the command and its first key) and whether a
//   retry may help.
//
// docs/redis.md describes the protocol subset, the key layout of checkpoints and the limits.
