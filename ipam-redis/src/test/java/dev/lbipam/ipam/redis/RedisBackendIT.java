package dev.lbipam.ipam.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.testsupport.RedisServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** The Redis backend against a real redis-server (Debian's package). */
class RedisBackendIT {
  RedisServer redis;
  final List<IpamBackend> backends = new ArrayList<>();

  @BeforeEach
  void startRedis() {
    redis = RedisServer.start();
  }

  @AfterEach
  void stop() {
    backends.forEach(IpamBackend::close);
    redis.close();
  }

  IpamBackend backend(String cluster, Map<String, String> pools, String... options) {
    Map<String, String> opts = new HashMap<>(Map.of("url", redis.url(), "timeout", "PT0.5S", "gc-grace", "PT0S"));
    for (int i = 0; i < options.length; i += 2) {
      opts.put(options[i], options[i + 1]);
    }
    Map<String, Optional<String>> secrets =
        Map.of(RedisSettings.SECRET_USERNAME, Optional.of(RedisServer.USER), RedisSettings.SECRET_PASSWORD, Optional.of(redis.password()));
    IpamBackend backend =
        new RedisBackendFactory().create(new BackendContext(cluster, opts, n -> secrets.getOrDefault(n, Optional.empty())));
    backend.configure(Optional.of(pools));
    backends.add(backend);
    return backend;
  }

  static OwnerRef owner(String cluster, String name) {
    return new OwnerRef(cluster, "ns", name, UUID.randomUUID().toString());
  }

  static AllocationRequest request(OwnerRef owner, FamilyPolicy policy, IpFamily... families) {
    return new AllocationRequest(owner, List.of(families), policy, List.of(new PortKey("TCP", 80)));
  }

  static List<IpAddress> addresses(AllocationOutcome outcome) {
    assertThat(outcome).isInstanceOf(AllocationOutcome.Allocated.class);
    return ((AllocationOutcome.Allocated) outcome).addresses();
  }

  @Test
  void allocatesLowestFirstAndIsIdempotentForTheSameOwner() {
    IpamBackend backend = backend("c1", Map.of("cidr-global", "10.0.0.0/29"));
    OwnerRef a = owner("c1", "a");
    assertThat(addresses(backend.allocate(request(a, FamilyPolicy.SINGLE_STACK)))).containsExactly(IpAddress.parse("10.0.0.1"));
    assertThat(addresses(backend.allocate(request(a, FamilyPolicy.SINGLE_STACK)))).containsExactly(IpAddress.parse("10.0.0.1"));
    assertThat(addresses(backend.allocate(request(owner("c1", "b"), FamilyPolicy.SINGLE_STACK))))
        .containsExactly(IpAddress.parse("10.0.0.2"));
  }

  @Test
  void descendingSearchAndIpv6OrderingAreExactBeyondFiftyThreeBits() {
    IpamBackend backend =
        backend("c1", Map.of("cidr-global", "2001:db8:ffff:ffff:ffff:ffff:ffff:fff0/124", "search-order", "desc"));
    List<IpAddress> got = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      got.addAll(addresses(backend.allocate(request(owner("c1", "v6-" + i), FamilyPolicy.SINGLE_STACK, IpFamily.IPV6))));
    }
    assertThat(got).containsExactly(
        IpAddress.parse("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
        IpAddress.parse("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"),
        IpAddress.parse("2001:db8:ffff:ffff:ffff:ffff:ffff:fffd"));
  }

  /** Another cluster's release reaches this cluster's mirror through the change log. */
  @Test
  void anAddressFreedByAnotherClusterComesBackLowestFirst() {
    IpamBackend one = backend("one", Map.of("cidr-global", "10.2.0.0/24"));
    IpamBackend two = backend("two", Map.of("cidr-global", "10.2.0.0/24"));
    OwnerRef a = owner("one", "a");
    assertThat(addresses(one.allocate(request(a, FamilyPolicy.SINGLE_STACK)))).containsExactly(IpAddress.parse("10.2.0.1"));
    assertThat(addresses(two.allocate(request(owner("two", "x"), FamilyPolicy.SINGLE_STACK))))
        .containsExactly(IpAddress.parse("10.2.0.2"));
    one.release(a);
    assertThat(addresses(two.allocate(request(owner("two", "y"), FamilyPolicy.SINGLE_STACK))))
        .as("two learned from the log that 10.2.0.1 is free").containsExactly(IpAddress.parse("10.2.0.1"));
    assertThat(addresses(one.allocate(request(owner("one", "b"), FamilyPolicy.SINGLE_STACK))))
        .containsExactly(IpAddress.parse("10.2.0.3"));
  }

  /**
   * A cluster whose mirror is further behind than the log reaches (here: more claims elsewhere
   * than the log keeps) reads the pools afresh, so the release it would otherwise miss is seen.
   */
  @Test
  void aMirrorFurtherBehindThanTheLogReachesReadsThePoolsAfresh() {
    IpamBackend one = backend("one", Map.of("cidr-global", "10.3.0.0/16"));
    IpamBackend two = backend("two", Map.of("cidr-global", "10.3.0.0/16"));
    OwnerRef a = owner("one", "a");
    assertThat(addresses(one.allocate(request(a, FamilyPolicy.SINGLE_STACK)))).containsExactly(IpAddress.parse("10.3.0.1"));
    assertThat(addresses(two.allocate(request(owner("two", "x"), FamilyPolicy.SINGLE_STACK))))
        .containsExactly(IpAddress.parse("10.3.0.2"));
    one.release(a);
    RedisClient client = RedisClient.builder()
        .hostAndPort("127.0.0.1", redis.port())
        .clientConfig(DefaultJedisClientConfig.builder().user(RedisServer.USER).password(redis.password()).build())
        .build();
    try (ClaimStore flood = new ClaimStore(client, new ClaimKeys("lbipam", "default"), "flood", java.time.Clock.systemUTC())) {
      ClaimStore.Generation generation = flood.generation("unused");
      for (long i = 0; i < ClaimStore.CHANGES_KEPT + 50; i++) {
        IpAddress address = IpAddress.of(IpFamily.IPV4, 0x0a038000L + i);
        assertThat(flood.claim(address, new OwnerRef("flood", "ns", "f" + i, "u" + i), generation, false))
            .isInstanceOf(ClaimStore.ClaimResult.Claimed.class);
      }
    }
    assertThat(addresses(two.allocate(request(owner("two", "y"), FamilyPolicy.SINGLE_STACK))))
        .as("the release fell out of the log; two must read the pool again").containsExactly(IpAddress.parse("10.3.0.1"));
    assertThat(addresses(two.allocate(request(owner("two", "z"), FamilyPolicy.SINGLE_STACK))))
        .containsExactly(IpAddress.parse("10.3.0.3"));
  }

  @Test
  void twoClustersWithOverlappingPoolsNeverShareAnAddress() throws Exception {
    IpamBackend one = backend("one", Map.of("cidr-global", "10.1.0.0/24"));
    IpamBackend two = backend("two", Map.of("cidr-global", "10.1.0.0/25"));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<AllocationOutcome>> futures = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      int n = i;
      futures.add(pool.submit((Callable<AllocationOutcome>) () -> one.allocate(request(owner("one", "s" + n), FamilyPolicy.SINGLE_STACK))));
      futures.add(pool.submit((Callable<AllocationOutcome>) () -> two.allocate(request(owner("two", "s" + n), FamilyPolicy.SINGLE_STACK))));
    }
    List<IpAddress> all = new ArrayList<>();
    int exhaustedInTwo = 0;
    for (int i = 0; i < futures.size(); i++) {
      AllocationOutcome outcome = futures.get(i).get();
      if (outcome instanceof AllocationOutcome.Allocated allocated) {
        all.addAll(allocated.addresses());
      } else {
        assertThat(i % 2).as("cluster one's /24 has room for everyone").isEqualTo(1);
        assertThat(((AllocationOutcome.Rejected) outcome).reason()).isEqualTo(RejectReason.POOL_EXHAUSTED);
        exhaustedInTwo++;
      }
    }
    pool.shutdown();
    assertThat(new HashSet<>(all)).as("no address twice across clusters").hasSize(all.size());
    assertThat(all).hasSize(200 - exhaustedInTwo);
    if (exhaustedInTwo > 0) {
      // "two" was turned away only because its /25 (.1 to .127: 127 allocatable addresses) was full.
      long inSmallPool = all.stream().filter(a -> a.compareTo(IpAddress.parse("10.1.0.127")) <= 0).count();
      assertThat(inSmallPool).isEqualTo(127);
    }
  }

  @Test
  void holdingAnAddressAnotherClusterClaimedIsAConflictAndMovesNothing() {
    IpamBackend one = backend("one", Map.of("cidr-global", "10.2.0.0/24"));
    IpamBackend two = backend("two", Map.of("cidr-global", "10.2.0.0/24"));
    OwnerRef first = owner("one", "first");
    IpAddress taken = addresses(one.allocate(request(first, FamilyPolicy.SINGLE_STACK))).get(0);
    OwnerRef pinned = owner("two", "pinned");
    HoldOutcome outcome = two.hold(new Holding(pinned, List.of(taken), List.of(), true));
    assertThat(outcome).isInstanceOf(HoldOutcome.Conflicted.class);
    HoldOutcome.Conflict conflict = ((HoldOutcome.Conflicted) outcome).conflicts().get(0);
    assertThat(conflict.otherOwner()).isEqualTo(first);
    assertThat(conflict.message()).contains("cluster one");
    assertThat(one.holdings()).extracting(Holding::owner).containsExactly(first);

    // The side that holds the address hears of the clash too, the next time it asserts its holding.
    HoldOutcome ours = one.hold(new Holding(first, List.of(taken), List.of(), true));
    assertThat(ours).isInstanceOf(HoldOutcome.Conflicted.class);
    assertThat(((HoldOutcome.Conflicted) ours).conflicts().get(0).message()).contains("two/ns/pinned");

    two.release(pinned);
    assertThat(one.hold(new Holding(first, List.of(taken), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
  }

  @Test
  void releaseFreesAndGcTouchesOnlyThisClustersStaleClaims() {
    IpamBackend one = backend("one", Map.of("cidr-global", "10.3.0.0/24"));
    IpamBackend two = backend("two", Map.of("cidr-global", "10.3.0.0/24"));
    OwnerRef kept = owner("one", "kept");
    OwnerRef gone = owner("one", "gone");
    OwnerRef theirs = owner("two", "theirs");
    addresses(one.allocate(request(kept, FamilyPolicy.SINGLE_STACK)));
    addresses(one.allocate(request(gone, FamilyPolicy.SINGLE_STACK)));
    addresses(two.allocate(request(theirs, FamilyPolicy.SINGLE_STACK)));

    assertThat(one.retainOnly(Set.of(kept))).containsExactly(gone);
    assertThat(one.holdings()).extracting(Holding::owner).containsExactly(kept);
    assertThat(two.holdings()).extracting(Holding::owner).containsExactly(theirs);

    one.release(kept);
    assertThat(one.holdings()).isEmpty();
    assertThat(addresses(two.allocate(request(owner("two", "next"), FamilyPolicy.SINGLE_STACK))))
        .containsExactly(IpAddress.parse("10.3.0.1"));
  }

  @Test
  void redisDownGivesBackendUnavailableAndAnEmptyRestartAsksForRestore() {
    IpamBackend backend = backend("c1", Map.of("cidr-global", "10.4.0.0/24"));
    OwnerRef a = owner("c1", "a");
    IpAddress held = addresses(backend.allocate(request(a, FamilyPolicy.SINGLE_STACK))).get(0);
    assertThat(backend.needsRestore()).isFalse();

    redis.kill();
    AllocationOutcome down = backend.allocate(request(owner("c1", "b"), FamilyPolicy.SINGLE_STACK));
    assertThat(down).isInstanceOf(AllocationOutcome.Rejected.class);
    assertThat(((AllocationOutcome.Rejected) down).reason()).isEqualTo(RejectReason.BACKEND_UNAVAILABLE);

    redis.restart();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(backend::needsRestore);
    assertThat(backend.hold(new Holding(a, List.of(held), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    backend.restoreCompleted();
    assertThat(backend.needsRestore()).isFalse();
    IpamBackend other = backend("c2", Map.of("cidr-global", "10.4.0.0/24"));
    assertThat(addresses(other.allocate(request(owner("c2", "x"), FamilyPolicy.SINGLE_STACK)))).doesNotContain(held);
  }

  @Test
  void anOwnerThatClaimedBeforeACrashGetsTheSameAddressBack() {
    IpamBackend before = backend("c1", Map.of("cidr-global", "10.5.0.0/24"));
    OwnerRef a = owner("c1", "a");
    List<IpAddress> first = addresses(before.allocate(request(a, FamilyPolicy.SINGLE_STACK)));
    IpamBackend after = backend("c1", Map.of("cidr-global", "10.5.0.0/24"));
    addresses(after.allocate(request(owner("c1", "other"), FamilyPolicy.SINGLE_STACK)));
    assertThat(addresses(after.allocate(request(a, FamilyPolicy.SINGLE_STACK)))).isEqualTo(first);
  }

  @Test
  void dualStackClaimsOneAddressPerFamily() {
    IpamBackend backend = backend("c1", Map.of("cidr-global", "10.6.0.0/30,fd00:6::/126"));
    List<IpAddress> got =
        addresses(backend.allocate(request(owner("c1", "d"), FamilyPolicy.REQUIRE_DUAL_STACK, IpFamily.IPV6, IpFamily.IPV4)));
    assertThat(got).containsExactly(IpAddress.parse("fd00:6::"), IpAddress.parse("10.6.0.1"));
  }
}
