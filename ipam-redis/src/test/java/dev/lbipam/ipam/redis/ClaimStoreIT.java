package dev.lbipam.ipam.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.redis.ClaimStore.ClaimResult;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import dev.lbipam.testsupport.RedisServer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** The Lua claim and release scripts against a real redis-server. */
class ClaimStoreIT {
  RedisServer redis;
  final List<ClaimStore> stores = new ArrayList<>();

  @BeforeEach
  void start() {
    redis = RedisServer.start();
  }

  @AfterEach
  void stop() {
    stores.forEach(ClaimStore::close);
    redis.close();
  }

  ClaimStore store(String cluster) {
    RedisClient client =
        RedisClient.builder()
            .hostAndPort("127.0.0.1", redis.port())
            .clientConfig(DefaultJedisClientConfig.builder().user(RedisServer.USER).password(redis.password()).build())
            .build();
    ClaimStore store = new ClaimStore(client, new ClaimKeys("t", "space"), cluster, Clock.systemUTC());
    stores.add(store);
    return store;
  }

  /** A claim on the data set as it is now, by a Service that shows the address. */
  static ClaimResult claim(ClaimStore store, IpAddress address, OwnerRef owner) {
    return store.claim(address, owner, store.generation("test-epoch"), true);
  }

  static OwnerRef owner(String cluster, String name) {
    return new OwnerRef(cluster, "ns", name, "uid-" + name);
  }

  @Test
  void concurrentClaimsFromTwoClustersGiveEachAddressToExactlyOne() throws Exception {
    ClaimStore a = store("a");
    ClaimStore b = store("b");
    Map<IpAddress, String> winners = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 1; i <= 200; i++) {
      IpAddress address = IpAddress.of(IpFamily.IPV4, 0x0a000000L + i);
      for (ClaimStore store : List.of(a, b)) {
        futures.add(pool.submit(() -> {
          ClaimResult result = claim(store, address, owner(store.clusterId(), "s" + address));
          if (result instanceof ClaimResult.Claimed) {
            assertThat(winners.putIfAbsent(address, store.clusterId())).as("second winner for " + address).isNull();
          } else {
            assertThat(result).isInstanceOf(ClaimResult.Taken.class);
          }
          return null;
        }));
      }
    }
    for (Future<?> future : futures) {
      future.get();
    }
    pool.shutdown();
    assertThat(winners).hasSize(200);
    assertThat(a.clusterClaims().size() + b.clusterClaims().size()).isEqualTo(200);
  }

  @Test
  void claimingAgainIsIdempotentAndTheLastOwnerToLeaveFreesTheAddress() {
    ClaimStore store = store("a");
    IpAddress address = IpAddress.parse("10.0.0.7");
    OwnerRef tcp = owner("a", "tcp");
    OwnerRef udp = owner("a", "udp");
    assertThat(claim(store, address, tcp)).isInstanceOf(ClaimResult.Claimed.class);
    assertThat(claim(store, address, tcp)).isInstanceOf(ClaimResult.AlreadyOurs.class);
    assertThat(claim(store, address, udp)).isInstanceOf(ClaimResult.AlreadyOurs.class);
    assertThat(store.claimsOf(tcp)).containsExactly(address);

    store.release(address, tcp);
    assertThat(store.claimedWithin(IpRange.single(address))).containsExactly(address);
    store.release(address, udp);
    assertThat(store.claimedWithin(IpRange.single(address))).isEmpty();
    assertThat(store.clusterClaims()).isEmpty();
  }

  @Test
  void anotherClusterCannotReleaseOurClaim() {
    ClaimStore a = store("a");
    ClaimStore b = store("b");
    IpAddress address = IpAddress.parse("2001:db8::1");
    claim(a, address, owner("a", "x"));
    b.release(address, owner("b", "x"));
    b.release(address, owner("a", "x"));
    assertThat(claim(b, address, owner("b", "y"))).isEqualTo(new ClaimResult.Taken("a", "a/ns/x/uid-x"));
  }

  @Test
  void claimedWithinIsOrderedNumericallyForIpv6() {
    ClaimStore store = store("a");
    List<IpAddress> addresses =
        List.of(IpAddress.parse("2001:db8::ffff:0:1"), IpAddress.parse("2001:db8::2"), IpAddress.parse("2001:db8::1:0"),
            IpAddress.parse("2001:db9::"));
    addresses.forEach(address -> claim(store, address, owner("a", address.toString().replace(':', '-'))));
    assertThat(store.claimedWithin(new IpRange(IpAddress.parse("2001:db8::"), IpAddress.parse("2001:db8::ffff:ffff:ffff:ffff"))))
        .containsExactly(IpAddress.parse("2001:db8::2"), IpAddress.parse("2001:db8::1:0"), IpAddress.parse("2001:db8::ffff:0:1"));
  }

  @Test
  void aClaimOnADataSetThatWasFlushedOrRestartedWritesNothing() {
    ClaimStore store = store("a");
    ClaimStore.Generation before = store.generation("first");
    assertThat(store.claim(IpAddress.parse("10.0.0.1"), owner("a", "x"), before, false)).isInstanceOf(ClaimResult.Claimed.class);

    redis.restart();
    ClaimResult afterRestart = store.claim(IpAddress.parse("10.0.0.2"), owner("a", "y"), before, false);
    assertThat(afterRestart).isInstanceOf(ClaimResult.GenerationChanged.class);
    assertThat(store.claimedWithin(IpRange.single(IpAddress.parse("10.0.0.2")))).isEmpty();

    ClaimStore.Generation now = store.generation("second");
    assertThat(now.epoch()).isEqualTo("second");
    assertThat(now.replicationId()).isNotEqualTo(before.replicationId());
    assertThat(store.claim(IpAddress.parse("10.0.0.2"), owner("a", "y"), now, false)).isInstanceOf(ClaimResult.Claimed.class);
    assertThat(store.generation("third")).as("the epoch is only created once").isEqualTo(now);
  }

  @Test
  void whenTheHolderOfAClashedAddressLetsGoTheOtherClusterKeepsItsClaim() {
    ClaimStore a = store("a");
    ClaimStore b = store("b");
    IpAddress address = IpAddress.parse("10.0.0.9");
    OwnerRef holder = owner("a", "first");
    OwnerRef survivor = owner("b", "second");
    assertThat(claim(a, address, holder)).isInstanceOf(ClaimResult.Claimed.class);
    assertThat(claim(b, address, survivor)).isInstanceOf(ClaimResult.Taken.class);

    a.release(address, holder);

    ClaimResult newcomer = a.claim(address, owner("a", "newcomer"), a.generation("test-epoch"), false);
    assertThat(newcomer).as("an allocation attempt").isEqualTo(new ClaimResult.Taken("b", ClaimKeys.ownerId(survivor)));
    assertThat(claim(b, address, survivor)).isInstanceOf(ClaimResult.AlreadyOurs.class);
    assertThat(b.clusterClaims()).extracting(ClaimStore.ClusterClaim::address).containsExactly(address);
    assertThat(b.claimsOf(survivor)).containsExactly(address);
    assertThat(a.clusterClaims()).isEmpty();
    b.release(address, survivor);
    assertThat(b.claimedWithin(IpRange.single(address))).isEmpty();
  }
}
