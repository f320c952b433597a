package dev.lbipam.ipam.redis;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.testsupport.RedisServer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/**
 * Claims per second, single client thread, against a local redis-server started here:
 * <ol>
 *   <li>floor: a raw jedis loop sending the same claim script with the same keys (no retry, no
 *       circuit breaker, no decision);
 *   <li>ClaimStore.claim: the script plus resilience4j;
 *   <li>RedisBackend.allocate: the change log read (and the owner's claims), the pool decision, then
 *       the claim, as a pool fills.
 * </ol>
 * Run: {@code dev/bench.sh} or {@code mvn -q -pl ipam-redis exec:exec -Dexec.executable=java
 * -Dexec.classpathScope=test -Dexec.args="-classpath %classpath dev.lbipam.ipam.redis.RedisClaimBenchmark 20000 2000"}.
 */
public final class RedisClaimBenchmark {
  public static void main(String[] args) {
    int claims = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
    int allocations = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    try (RedisServer redis = RedisServer.start()) {
      DefaultJedisClientConfig auth = DefaultJedisClientConfig.builder().user(RedisServer.USER).password(redis.password()).build();
      // Warm-up of the JIT and the connection pool, in a separate space.
      runRaw(redis, auth, "warm", 3000);
      runStore(redis, auth, "warm2", 3000);

      // Alternate the two claim loops over five rounds (fresh key space each) and keep the medians,
      // so JIT warm-up and machine noise hit both alike.
      runBackend(redis, "warm3", Math.min(allocations, 2000));
      long[] raws = new long[5];
      long[] stores = new long[5];
      long[] backends = new long[5];
      for (int round = 0; round < 5; round++) {
        raws[round] = runRaw(redis, auth, "raw" + round, claims);
        stores[round] = runStore(redis, auth, "store" + round, claims);
        backends[round] = runBackend(redis, "backend" + round, allocations);
      }
      System.out.printf("5 alternating rounds, medians below; raw rounds (ms): %s; store rounds (ms): %s; backend rounds (ms): %s%n",
          millis(raws), millis(stores), millis(backends));
      java.util.Arrays.sort(raws);
      java.util.Arrays.sort(stores);
      java.util.Arrays.sort(backends);
      long raw = raws[2];
      long store = stores[2];
      long backend = backends[2];
      System.out.printf("%-48s %8s %12s %14s%n", "path", "n", "claims/s", "us/claim");
      print("floor: raw jedis EVAL loop", claims, raw);
      print("ClaimStore.claim (script + resilience4j)", claims, store);
      print("RedisBackend.allocate (prepare + decide + claim)", allocations, backend);
      System.out.printf("overhead ClaimStore vs floor: %.2fx%n", (double) store / raw);
      System.out.printf("backend rate / floor rate: %.2f%n", (allocations / (backend / 1e9)) / (claims / (raw / 1e9)));
    }
  }

  private static String millis(long[] nanos) {
    return java.util.Arrays.toString(java.util.Arrays.stream(nanos).map(x -> x / 1_000_000).toArray());
  }

  private static void print(String name, int n, long nanos) {
    System.out.printf("%-48s %8d %12.0f %14.1f%n", name, n, n / (nanos / 1e9), nanos / 1e3 / n);
  }

  private static long runRaw(RedisServer redis, DefaultJedisClientConfig auth, String space, int n) {
    ClaimKeys keys = new ClaimKeys("bench", space);
    try (RedisClient jedis = RedisClient.builder().hostAndPort("127.0.0.1", redis.port()).clientConfig(auth).build();
        ClaimStore probe = new ClaimStore(
            RedisClient.builder().hostAndPort("127.0.0.1", redis.port()).clientConfig(auth).build(), keys, "c",
            Clock.systemUTC())) {
      ClaimStore.Generation generation = probe.generation("bench");
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        IpAddress address = IpAddress.of(IpFamily.IPV4, 0x0a000000L + i);
        OwnerRef owner = new OwnerRef("c", "ns", "s" + i, "u" + i);
        jedis.eval(
            ClaimStore.CLAIM,
            List.of(keys.used(IpFamily.IPV4), keys.claim(address), keys.cluster("c"), keys.owner(owner), keys.epoch(),
                keys.version(), keys.changes(), keys.changeIndex()),
            List.of(ClaimKeys.hex(address), "c", ClaimKeys.ownerId(owner), Long.toString(System.currentTimeMillis()),
                ClaimKeys.member(address), generation.epoch(), generation.replicationId(), "0"));
      }
      return System.nanoTime() - start;
    }
  }

  private static long runStore(RedisServer redis, DefaultJedisClientConfig auth, String space, int n) {
    RedisClient client = RedisClient.builder().hostAndPort("127.0.0.1", redis.port()).clientConfig(auth).build();
    try (ClaimStore store = new ClaimStore(client, new ClaimKeys("bench", space), "c", Clock.systemUTC())) {
      ClaimStore.Generation generation = store.generation("bench");
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        store.claim(IpAddress.of(IpFamily.IPV4, 0x0a000000L + i), new OwnerRef("c", "ns", "s" + i, "u" + i), generation, false);
      }
      return System.nanoTime() - start;
    }
  }

  /** {@code n} Services into one /16, one after the other: the pool fills to {@code n} claims. */
  private static long runBackend(RedisServer redis, String space, int n) {
    Map<String, Optional<String>> secrets =
        Map.of(RedisSettings.SECRET_USERNAME, Optional.of(RedisServer.USER), RedisSettings.SECRET_PASSWORD, Optional.of(redis.password()));
    try (IpamBackend backend =
        new RedisBackendFactory()
            .create(new BackendContext("c", Map.of("url", redis.url(), "address-space", space),
                name -> secrets.getOrDefault(name, Optional.empty())))) {
      backend.configure(Optional.of(Map.of("cidr-global", "10.128.0.0/16")));
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        AllocationOutcome outcome =
            backend.allocate(new AllocationRequest(new OwnerRef("c", "ns", "s" + i, "u" + i), List.of(), FamilyPolicy.SINGLE_STACK, List.of()));
        if (!(outcome instanceof AllocationOutcome.Allocated)) {
          throw new IllegalStateException("allocation " + i + " failed: " + outcome);
        }
      }
      return System.nanoTime() - start;
    }
  }
}
