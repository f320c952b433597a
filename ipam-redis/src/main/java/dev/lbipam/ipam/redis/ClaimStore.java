package dev.lbipam.ipam.redis;

import dev.lbipam.ipam.remote.CallMetrics;
import dev.lbipam.ipam.remote.Resilience;
import dev.lbipam.ipam.spi.IpamException;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Exclusive per-address claims in Redis. Each check-and-claim and each release is one Lua script,
 * so it is atomic; all keys of a script share the address space's hash tag. Every call goes
 * through a retry (with exponential backoff) and a circuit breaker; socket timeouts bound each try.
 */
public final class ClaimStore implements AutoCloseable {
  /** How long the circuit breaker refuses calls once it opened; the quarantine's default counts it. */
  public static final Duration CIRCUIT_OPEN = Duration.ofSeconds(5);

  /** What a claim attempt found. */
  public sealed interface ClaimResult {
    /** The address was free and is now ours. */
    record Claimed() implements ClaimResult {}

    /**
     * Our cluster already held it; the owner was added (idempotent, or sharing). {@code contestedBy}
     * names an owner in another cluster that tried to hold the same address, or is empty.
     */
    record AlreadyOurs(String contestedBy) implements ClaimResult {
      public AlreadyOurs() {
        this("");
      }
    }

    /** Another cluster holds it. */
    record Taken(String cluster, String firstOwner) implements ClaimResult {}

    /**
     * Nothing was written: Redis is not the data set the caller knows (it restarted, was flushed,
     * or a replica took over), so the caller's view of who holds what may be missing writes.
     */
    record GenerationChanged(Generation current) implements ClaimResult {}
  }

  /**
   * Which data set Redis serves: the epoch key (gone after a restart without data or a FLUSHALL)
   * and the master's replication id (new after a restart or when Sentinel promotes a replica,
   * which may lack the last writes). A change means claims may have been lost.
   */
  public record Generation(String epoch, String replicationId) {
    @Override
    public String toString() {
      return epoch + "/" + replicationId;
    }
  }

  /** One entry of the change log: the address was claimed ({@code claimed}) or freed. */
  public record Change(long sequence, IpAddress address, boolean claimed) {}

  /**
   * What {@link #prepare} read: the owner's claims, and the changes after the caller's sequence
   * number, in order. {@code complete} is false when the log no longer reaches back that far (or
   * belongs to another data set): then the claims must be read afresh.
   */
  public record Prepared(String epoch, long version, List<Change> changes, List<IpAddress> ownerClaims) {
    public boolean reachesBackTo(long sequence, String knownEpoch) {
      return epoch.equals(knownEpoch) && sequence <= version && sequence >= version - CHANGES_KEPT;
    }
  }

  /** One claim of this cluster: the address and its owners with the time each claimed it. */
  public record ClusterClaim(IpAddress address, Map<String, Long> owners) {}

  // Reads the data set's generation inside a script, so that it is checked atomically with a claim.
  private static String readGeneration(String epochKey) {
    return "local epoch = redis.call('GET', " + epochKey + ") or ''\n"
        + "local replid = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)') or ''\n";
  }

  /** How many changes the log keeps; a reader further behind reads the claims afresh. */
  public static final long CHANGES_KEPT = 20_000;

  // Appends one change (a member claimed or freed) to the log and trims the oldest entry.
  private static String logChange() {
    return """
        local function logChange(versionKey, logKey, indexKey, member, state)
          local seq = tonumber(redis.call('GET', versionKey) or '0') + 1
          local seqText = string.format('%d', seq)
          redis.call('SET', versionKey, seqText)
          local entry = string.format('%016x', seq) .. ':' .. state .. ':' .. member
          redis.call('ZADD', logKey, 0, entry)
          redis.call('HSET', indexKey, seqText, entry)
          local old = string.format('%d', seq - KEPT)
          local gone = redis.call('HGET', indexKey, old)
          if gone then
            redis.call('ZREM', logKey, gone)
            redis.call('HDEL', indexKey, old)
          end
        end
        """.replace("KEPT", Long.toString(CHANGES_KEPT));
  }

  // KEYS: used zset, claim hash, cluster set, owner set, epoch, version, changes, change index.
  // ARGV: hex, cluster, owner id, now, member, expected epoch, expected replication id, '1' when a
  // Service shows the address (a taken claim then records the contest) or '0' for a mere
  // allocation attempt.
  static final String CLAIM =
      logChange() + readGeneration("KEYS[5]")
          + """
      if epoch ~= ARGV[6] or replid ~= ARGV[7] then
        return {'generation', epoch, replid}
      end
      local holder = redis.call('HGET', KEYS[2], 'cluster')
      if holder and holder ~= ARGV[2] then
        if ARGV[8] == '1' then
          redis.call('HSET', KEYS[2], 'contested', ARGV[3], 'contested-cluster', ARGV[2])
        end
        return {'taken', holder, redis.call('HGET', KEYS[2], 'first') or ''}
      end
      local result = 'ours'
      if not holder then
        redis.call('ZADD', KEYS[1], 0, ARGV[1])
        redis.call('HSET', KEYS[2], 'cluster', ARGV[2], 'first', ARGV[3], 'since', ARGV[4])
        redis.call('SADD', KEYS[3], ARGV[5])
        logChange(KEYS[6], KEYS[7], KEYS[8], ARGV[5], '1')
        result = 'claimed'
      end
      if redis.call('HEXISTS', KEYS[2], 'o:' .. ARGV[3]) == 0 then
        redis.call('HSET', KEYS[2], 'o:' .. ARGV[3], ARGV[4])
      end
      redis.call('SADD', KEYS[4], ARGV[5])
      return {result, redis.call('HGET', KEYS[2], 'contested') or ''}
      """;

  // KEYS as CLAIM's first four, then version, changes, change index. ARGV: hex, cluster, owner id,
  // now, member, key base. Removes one
  // owner. When the last owner of the holding cluster goes while another cluster's Service shows the
  // same address (a clash), the claim passes to that Service instead of being freed: the survivor of
  // a clash is never left without a claim. The new holder's set keys share this hash tag.
  static final String RELEASE =
      logChange() + """
      redis.call('SREM', KEYS[4], ARGV[5])
      if redis.call('HGET', KEYS[2], 'contested') == ARGV[3] then
        redis.call('HDEL', KEYS[2], 'contested', 'contested-cluster')
      end
      if redis.call('HGET', KEYS[2], 'cluster') ~= ARGV[2] then
        return 0
      end
      redis.call('HDEL', KEYS[2], 'o:' .. ARGV[3])
      for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
        if string.sub(field, 1, 2) == 'o:' then
          return 1
        end
      end
      redis.call('SREM', KEYS[3], ARGV[5])
      local heir = redis.call('HGET', KEYS[2], 'contested')
      local heirCluster = redis.call('HGET', KEYS[2], 'contested-cluster')
      if heir and heirCluster then
        redis.call('DEL', KEYS[2])
        redis.call('HSET', KEYS[2], 'cluster', heirCluster, 'first', heir, 'since', ARGV[4], 'o:' .. heir, ARGV[4])
        redis.call('SADD', ARGV[6] .. 'cluster:' .. heirCluster, ARGV[5])
        redis.call('SADD', ARGV[6] .. 'owner:' .. heir, ARGV[5])
        logChange(KEYS[5], KEYS[6], KEYS[7], ARGV[5], '1')
        return 3
      end
      redis.call('DEL', KEYS[2])
      redis.call('ZREM', KEYS[1], ARGV[1])
      logChange(KEYS[5], KEYS[6], KEYS[7], ARGV[5], '0')
      return 2
      """;

  // KEYS: version, changes, epoch, owner set. ARGV: the last sequence number the caller applied,
  // how many entries at most. One round trip before a decision: the owner's claims (a crash between
  // claim and write) and what changed since.
  static final String PREPARE =
      """
      local version = tonumber(redis.call('GET', KEYS[1]) or '0')
      local epoch = redis.call('GET', KEYS[3]) or ''
      local from = '[' .. string.format('%016x', tonumber(ARGV[1]) + 1)
      local entries = redis.call('ZRANGEBYLEX', KEYS[2], from, '+', 'LIMIT', 0, tonumber(ARGV[2]))
      return {epoch, string.format('%d', version), entries, redis.call('SMEMBERS', KEYS[4])}
      """;

  // KEYS: epoch. ARGV: a proposal for a new epoch.
  static final String GENERATION =
      "redis.call('SET', KEYS[1], ARGV[1], 'NX')\n" + readGeneration("KEYS[1]") + "return {epoch, replid}\n";

  private final UnifiedJedis jedis;
  private final ClaimKeys keys;
  private final String clusterId;
  private final Clock clock;
  private final Retry retry;
  private final CircuitBreaker breaker;
  private final CallMetrics metrics = new CallMetrics("retry");

  public ClaimStore(UnifiedJedis jedis, ClaimKeys keys, String clusterId, Clock clock) {
    this.jedis = jedis;
    this.keys = keys;
    this.clusterId = clusterId;
    this.clock = clock;
    Predicate<Throwable> unavailable = e -> e instanceof JedisException && !(e instanceof JedisDataException);
    this.retry = Resilience.retry("redis", 3, Duration.ofMillis(100), 0, unavailable, metrics);
    this.breaker = Resilience.breaker("redis", CIRCUIT_OPEN, 2, unavailable);
  }

  public String clusterId() {
    return clusterId;
  }

  public CircuitBreaker.State circuitState() {
    return breaker.getState();
  }

  /**
   * Atomically claims the address for the owner unless another cluster holds it, and only while
   * Redis still serves the generation the caller knows.
   *
   * @param shown true when the owner's Service already shows the address (restore, re-assertion,
   *     a pinned address): if another cluster holds it, the clash is recorded, and the claim passes
   *     to this owner when the holder lets go. False for an allocation attempt, which just moves on.
   */
  public ClaimResult claim(IpAddress address, OwnerRef owner, Generation known, boolean shown) {
    List<String> keys = new ArrayList<>(scriptKeys(address, owner));
    keys.add(this.keys.epoch());
    keys.addAll(changeKeys());
    List<String> args = new ArrayList<>(scriptArgs(address, owner));
    args.add(known.epoch());
    args.add(known.replicationId());
    args.add(shown ? "1" : "0");
    Object reply = call("claim", () -> jedis.eval(CLAIM, keys, args));
    List<?> list = (List<?>) reply;
    String kind = String.valueOf(list.get(0));
    return switch (kind) {
      case "claimed" -> new ClaimResult.Claimed();
      case "ours" -> new ClaimResult.AlreadyOurs(String.valueOf(list.get(1)));
      case "generation" -> new ClaimResult.GenerationChanged(
          new Generation(String.valueOf(list.get(1)), String.valueOf(list.get(2))));
      default -> new ClaimResult.Taken(String.valueOf(list.get(1)), String.valueOf(list.get(2)));
    };
  }

  /**
   * Removes the owner from the claim; frees the address when no owner of ours is left, or passes
   * it to the other cluster's Service that showed it too.
   */
  public void release(IpAddress address, OwnerRef owner) {
    List<String> args = new ArrayList<>(scriptArgs(address, owner));
    args.add(keys.base());
    List<String> scriptKeys = new ArrayList<>(scriptKeys(address, owner));
    scriptKeys.addAll(changeKeys());
    call("release", () -> jedis.eval(RELEASE, scriptKeys, args));
  }

  /**
   * The owner's claims and at most {@code limit} changes after sequence number {@code after}, in
   * one round trip; O(log n + limit).
   */
  public Prepared prepare(OwnerRef owner, long after, int limit) {
    List<String> keys = List.of(this.keys.version(), this.keys.changes(), this.keys.epoch(), this.keys.owner(owner));
    List<?> reply = (List<?>) call("prepare",
        () -> jedis.eval(PREPARE, keys, List.of(Long.toString(after), Integer.toString(limit))));
    List<Change> changes = new ArrayList<>();
    for (Object entry : (List<?>) reply.get(2)) {
      String text = String.valueOf(entry);
      int first = text.indexOf(':');
      changes.add(new Change(Long.parseLong(text.substring(0, first), 16), ClaimKeys.fromMember(text.substring(first + 3)),
          text.charAt(first + 1) == '1'));
    }
    List<IpAddress> ownerClaims = ((List<?>) reply.get(3)).stream().map(m -> ClaimKeys.fromMember(String.valueOf(m)))
        .sorted().toList();
    return new Prepared(String.valueOf(reply.get(0)), Long.parseLong(String.valueOf(reply.get(1))), changes, ownerClaims);
  }

  /** Claimed addresses of every cluster inside the range; O(log n + k) for k claims in it. */
  public List<IpAddress> claimedWithin(IpRange range) {
    return claimedWithin(range, Integer.MAX_VALUE);
  }

  /** At most {@code limit} claimed addresses inside the range, ascending; O(log n + limit). */
  public List<IpAddress> claimedWithin(IpRange range, int limit) {
    IpFamily family = range.family();
    String min = "[" + ClaimKeys.hex(range.first());
    String max = "[" + ClaimKeys.hex(range.last());
    List<String> members =
        call(
            "scan",
            () -> limit == Integer.MAX_VALUE
                ? jedis.zrangeByLex(keys.used(family), min, max)
                : jedis.zrangeByLex(keys.used(family), min, max, 0, limit));
    List<IpAddress> addresses = new ArrayList<>(members.size());
    for (String hex : members) {
      addresses.add(ClaimKeys.fromHex(family, hex));
    }
    return addresses;
  }

  /** What one owner holds, e.g. after a crash between claim and write. */
  public List<IpAddress> claimsOf(OwnerRef owner) {
    Set<String> members = call("owner", () -> jedis.smembers(keys.owner(owner)));
    return members.stream().map(ClaimKeys::fromMember).sorted().toList();
  }

  /**
   * Every claim this cluster holds, with its owners. O(claims of this cluster) work in two round
   * trips: the cluster's set, then every claim's hash in one pipeline.
   */
  public List<ClusterClaim> clusterClaims() {
    List<IpAddress> addresses = call("list", () -> jedis.smembers(keys.cluster(clusterId))).stream()
        .map(ClaimKeys::fromMember).toList();
    if (addresses.isEmpty()) {
      return List.of();
    }
    List<Map<String, String>> hashes = call("list", () -> {
      try (AbstractPipeline pipeline = jedis.pipelined()) {
        List<Response<Map<String, String>>> replies = new ArrayList<>(addresses.size());
        for (IpAddress address : addresses) {
          replies.add(pipeline.hgetAll(keys.claim(address)));
        }
        pipeline.sync();
        return replies.stream().map(Response::get).toList();
      }
    });
    List<ClusterClaim> claims = new ArrayList<>();
    for (int i = 0; i < addresses.size(); i++) {
      Map<String, String> hash = hashes.get(i);
      if (!clusterId.equals(hash.get("cluster"))) {
        continue;
      }
      Map<String, Long> owners = new HashMap<>();
      hash.forEach((field, value) -> {
        if (field.startsWith("o:")) {
          owners.put(field.substring(2), Long.parseLong(value));
        }
      });
      claims.add(new ClusterClaim(addresses.get(i), owners));
    }
    return claims;
  }

  /**
   * The data set's generation; the epoch is created with {@code proposal} if missing. A changed
   * generation means claims may have been lost (or another cluster noticed that first).
   */
  public Generation generation(String proposal) {
    Object reply = call("epoch", () -> jedis.eval(GENERATION, List.of(keys.epoch()), List.of(proposal)));
    List<?> list = (List<?>) reply;
    return new Generation(String.valueOf(list.get(0)), String.valueOf(list.get(1)));
  }

  /** Calls, their latency and the circuit breaker, named as for every remote backend. */
  public CallMetrics callMetrics() {
    return metrics;
  }

  public CircuitBreaker breaker() {
    return breaker;
  }

  private <T> T call(String op, Supplier<T> action) {
    long start = System.nanoTime();
    try {
      T result = Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(breaker, action)).get();
      metrics.record(op, CallMetrics.OK, System.nanoTime() - start);
      return result;
    } catch (CallNotPermittedException e) {
      metrics.record(op, CallMetrics.CIRCUIT_OPEN, 0);
      throw new IpamException("redis circuit open: recent calls failed", true, e);
    } catch (JedisDataException e) {
      metrics.record(op, CallMetrics.SERVER_ERROR, System.nanoTime() - start);
      throw new IpamException("redis rejected " + op + ": " + e.getMessage(), false, e);
    } catch (JedisException e) {
      metrics.record(op, CallMetrics.IO_ERROR, System.nanoTime() - start);
      throw new IpamException("redis unavailable during " + op + ": " + e.getClass().getSimpleName(), true, e);
    }
  }

  private List<String> scriptKeys(IpAddress address, OwnerRef owner) {
    return List.of(keys.used(address.family()), keys.claim(address), keys.cluster(clusterId), keys.owner(owner));
  }

  private List<String> changeKeys() {
    return List.of(keys.version(), keys.changes(), keys.changeIndex());
  }

  private List<String> scriptArgs(IpAddress address, OwnerRef owner) {
    return List.of(
        ClaimKeys.hex(address),
        clusterId,
        ClaimKeys.ownerId(owner),
        Long.toString(clock.millis()),
        ClaimKeys.member(address));
  }

  @Override
  public void close() {
    jedis.close();
  }
}
