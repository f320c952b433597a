package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lbipam.ipam.redis.ClaimKeys;
import dev.lbipam.ipam.redis.ClaimStore;
import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.RedisSentinel;
import dev.lbipam.testsupport.RedisServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/**
 * Two clusters share one pool through Redis (a master, a replica and a Sentinel). While both burst,
 * Redis loses claims three ways: killed and restarted empty, flushed, and failed over to a replica.
 * At no watch event is an address shown in both clusters; after a clash is resolved by deleting one
 * side, the survivor keeps its address and new Services never get it.
 */
class RedisDataLossIT {
  static final Duration WAIT = Duration.ofSeconds(180);

  static ControllerProcess controller(KubeApiServer server, String cluster, RedisServer redis, RedisSentinel sentinel)
      throws Exception {
    ControllerProcess process =
        ControllerProcess.start(
            server,
            "loss-" + cluster,
            Map.of("LBIPAM_SECRET_REDIS_USERNAME", RedisServer.USER, "LBIPAM_SECRET_REDIS_PASSWORD", redis.password()),
            "--backend=redis",
            "--cluster-id=" + cluster,
            "--backend-option=url=redis://unused-with-sentinel:6379",
            "--backend-option=sentinel-master=" + RedisSentinel.MASTER,
            "--backend-option=sentinels=" + sentinel.address(),
            "--backend-option=timeout=PT0.5S",
            "--backend-option=gc-grace=PT1S",
            "--maintenance-interval=PT1S",
            "--claim-gc-grace=PT2S");
    process.httpPort();
    return process;
  }

  static void burst(TestServices kube, String ns, String prefix, int count) throws Exception {
    FrozenLeaderIT.create(kube, ns, prefix, count);
  }

  static boolean allAddressed(TestServices kube, String ns) throws Exception {
    return kube.list(ns).stream().allMatch(s -> s.getMetadata().getAnnotations() != null
        && s.getMetadata().getAnnotations().containsKey(KubeVipNames.ADDRESSES_ANNOTATION));
  }

  interface Disruption {
    void run() throws Exception;
  }

  @Test
  void noAddressIsEverHeldInBothClustersWhileRedisLosesItsData() throws Exception {
    try (RedisServer master = RedisServer.start();
        RedisServer replica = RedisServer.startReplicaOf(master);
        RedisSentinel sentinel = RedisSentinel.watching(master);
        KubeApiServer one = KubeApiServer.start();
        KubeApiServer two = KubeApiServer.start()) {
      long sentinelStarted = System.nanoTime();
      List<TestServices> kubes = new ArrayList<>();
      for (KubeApiServer server : List.of(one, two)) {
        Manifests.installPrerequisites(server.adminClient());
        TestServices kube = new TestServices(server.adminClient());
        kube.setPoolKeys(Map.of("cidr-global", "10.48.0.0/22", "cidr-clash", "10.49.0.0/29"));
        kube.createNamespace("burst");
        kube.createNamespace("clash");
        kubes.add(kube);
      }
      try (DuplicateWatch watchOne = new DuplicateWatch(SplitBrainIT.watchClient(one), "burst", "one").start();
          DuplicateWatch watchTwo = new DuplicateWatch(SplitBrainIT.watchClient(two), "burst", "two").start();
          ControllerProcess first = controller(one, "one", master, sentinel);
          ControllerProcess second = controller(two, "two", master, sentinel)) {
        DuplicateWatch.crossCheck(watchOne, watchTwo);
        burst(kubes.get(0), "burst", "warm-", 30);
        burst(kubes.get(1), "burst", "warm-", 30);
        await().atMost(WAIT).until(() -> allAddressed(kubes.get(0), "burst") && allAddressed(kubes.get(1), "burst"));

        Map<String, Disruption> disruptions = new java.util.LinkedHashMap<>();
        disruptions.put("restart", master::restart);
        disruptions.put("flush", master::flushAll);
        disruptions.put("failover", () -> {
          // Sentinel learns of the replica from the master's INFO, every 10 s.
          long waited = Duration.ofNanos(System.nanoTime() - sentinelStarted).toMillis();
          Thread.sleep(Math.max(0, 12_000 - waited));
          master.kill();
        });
        for (Map.Entry<String, Disruption> disruption : disruptions.entrySet()) {
          String prefix = disruption.getKey() + "-";
          ExecutorService pool = Executors.newFixedThreadPool(2);
          Future<?> a = pool.submit(() -> {
            burst(kubes.get(0), "burst", prefix, 50);
            return null;
          });
          Future<?> b = pool.submit(() -> {
            burst(kubes.get(1), "burst", prefix, 50);
            return null;
          });
          Thread.sleep(300);
          disruption.getValue().run();
          a.get();
          b.get();
          pool.shutdown();
          await().atMost(WAIT).until(() -> allAddressed(kubes.get(0), "burst") && allAddressed(kubes.get(1), "burst"));
          watchOne.assertHealthy();
          watchTwo.assertHealthy();
          assertThat(watchOne.duplicates()).as("held in both clusters, after %s", disruption.getKey()).isEmpty();
          assertThat(watchTwo.duplicates()).as("held in both clusters, after %s", disruption.getKey()).isEmpty();
        }
        assertThat(first.log() + second.log()).contains("claims must be restored");
        assertThat(first.log() + second.log()).contains("claims re-asserted on the new redis data set");
        assertThat(watchOne.current()).hasSize(180);
        assertThat(watchTwo.current()).hasSize(180);

        // A clash made by hand: both clusters pin 10.49.0.1. The one that holds the claim goes.
        for (TestServices kube : kubes) {
          var pinned = TestServices.loadBalancer("clash", "pinned");
          pinned.getMetadata().putAnnotationsItem(KubeVipNames.ADDRESSES_ANNOTATION, "10.49.0.1");
          kube.create(pinned);
          Thread.sleep(1500);
        }
        await().atMost(WAIT).until(() -> kubes.get(1).hasEvent("clash", "pinned", "Warning", "AddressInUse", "10.49.0.1"));
        kubes.get(0).delete("clash", "pinned");
        await().atMost(WAIT).until(() -> kubes.get(0).get("clash", "pinned").isEmpty());
        for (int i = 0; i < 5; i++) {
          kubes.get(0).create(TestServices.loadBalancer("clash", "new-" + i));
        }
        await().atMost(WAIT).until(() -> allAddressed(kubes.get(0), "clash"));
        for (int i = 0; i < 5; i++) {
          assertThat(kubes.get(0).addresses("clash", "new-" + i)).as("new-" + i).isPresent().get().isNotEqualTo("10.49.0.1");
        }
        assertThat(kubes.get(1).addresses("clash", "pinned")).contains("10.49.0.1");

        // Nothing leaks: with every Service gone, neither Redis nor the API servers hold a claim.
        for (TestServices kube : kubes) {
          for (String ns : List.of("burst", "clash")) {
            for (var service : kube.list(ns)) {
              kube.delete(ns, service.getMetadata().getName());
            }
          }
        }
        RedisServer current = master.isRunning() ? master : replica;
        try (ClaimStore storeOne = claims(current, "one"); ClaimStore storeTwo = claims(current, "two")) {
          await().atMost(WAIT).until(() -> storeOne.clusterClaims().isEmpty() && storeTwo.clusterClaims().isEmpty());
        }
        await().atMost(WAIT).until(() ->
            AddressClaimsIT.claims(one.adminClient()).isEmpty() && AddressClaimsIT.claims(two.adminClient()).isEmpty());
      }
    }
  }

  static ClaimStore claims(RedisServer redis, String cluster) {
    RedisClient client =
        RedisClient.builder()
            .hostAndPort("127.0.0.1", redis.port())
            .clientConfig(DefaultJedisClientConfig.builder().user(RedisServer.USER).password(redis.password()).build())
            .build();
    return new ClaimStore(client, new ClaimKeys("lbipam", "default"), cluster, Clock.systemUTC());
  }
}
