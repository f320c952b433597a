package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lbipam.controller.TestServices.Port;
import dev.lbipam.ipam.redis.ClaimKeys;
import dev.lbipam.ipam.redis.ClaimStore;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.RedisServer;
import io.kubernetes.client.openapi.models.V1Service;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** Redis mode end to end: real API servers, the real controller, a real redis-server. */
class RedisModeIT {
  static final Duration WAIT = Duration.ofSeconds(120);
  static final IpRange EVERYTHING_V4 = new IpRange(IpAddress.parse("0.0.0.0"), IpAddress.parse("255.255.255.255"));
  RedisServer redis;
  KubeApiServer server;
  final List<ControllerProcess> controllers = new ArrayList<>();
  final List<ClaimStore> stores = new ArrayList<>();

  /** A fresh API server per test: what one test's Services hold must not leak into another's claims. */
  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    server = KubeApiServer.start();
    Manifests.installPrerequisites(server.adminClient());
  }

  @AfterEach
  void stopAll() throws Exception {
    for (ControllerProcess controller : controllers) {
      controller.close();
    }
    stores.forEach(ClaimStore::close);
    redis.close();
    server.close();
  }

  ControllerProcess controller(KubeApiServer server, String cluster) throws Exception {
    ControllerProcess process =
        ControllerProcess.start(
            server,
            "redis-" + cluster + "-" + controllers.size(),
            Map.of("LBIPAM_SECRET_REDIS_USERNAME", RedisServer.USER, "LBIPAM_SECRET_REDIS_PASSWORD", redis.password()),
            "--backend=redis",
            "--cluster-id=" + cluster,
            "--backend-option=url=" + redis.url(),
            "--backend-option=timeout=PT0.5S",
            "--backend-option=gc-grace=PT1S",
            "--maintenance-interval=PT1S");
    controllers.add(process);
    process.httpPort();
    return process;
  }

  ClaimStore claims(String cluster) {
    RedisClient client =
        RedisClient.builder()
            .hostAndPort("127.0.0.1", redis.port())
            .clientConfig(DefaultJedisClientConfig.builder().user(RedisServer.USER).password(redis.password()).build())
            .build();
    ClaimStore store = new ClaimStore(client, new ClaimKeys("lbipam", "default"), cluster, Clock.systemUTC());
    stores.add(store);
    return store;
  }

  static Map<String, String> addresses(TestServices kube, String ns) throws Exception {
    return kube.addressesByService(ns);
  }

  static void createConcurrently(TestServices kube, String ns, int count) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<V1Service>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int n = i;
        futures.add(pool.submit(() -> kube.create(TestServices.loadBalancer(ns, "svc-" + n))));
      }
      for (Future<V1Service> future : futures) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void allocatesDualStackAndSharesWithinTheCluster() throws Exception {
    TestServices kube = new TestServices(server.adminClient());
    String ns = server.createNamespace("redis-basic");
    kube.setPoolKeys(Map.of("cidr-" + ns, "10.70.0.0/29,fd00:70::/125", "allow-share-" + ns, "true"));
    ControllerProcess controller = controller(server, "basic");
    kube.create(TestServices.withPorts(TestServices.loadBalancer(ns, "tcp"), new Port("TCP", 53)));
    kube.create(TestServices.dualStack(TestServices.loadBalancer(ns, "dual"), "RequireDualStack", "IPv6", "IPv4"));
    await().atMost(WAIT).until(() -> addresses(kube, ns).size() == 2);
    kube.create(TestServices.withPorts(TestServices.loadBalancer(ns, "udp"), new Port("UDP", 53)));
    await().atMost(WAIT).until(() -> addresses(kube, ns).size() == 3);

    Map<String, String> got = addresses(kube, ns);
    assertThat(got.get("udp")).isEqualTo(got.get("tcp"));
    assertThat(got.get("dual")).startsWith("fd00:70::").contains(",10.70.0.");
    // dual (TCP/80) may share the IPv4 address with TCP/53 and UDP/53 as well: no port clashes.
    List<ClaimStore.ClusterClaim> held = claims("basic").clusterClaims();
    ClaimStore.ClusterClaim shared =
        held.stream().filter(c -> c.address().toString().equals(got.get("tcp"))).findFirst().orElseThrow();
    assertThat(shared.owners().keySet()).anyMatch(o -> o.contains("/tcp/")).anyMatch(o -> o.contains("/udp/"));
    assertThat(held.stream().mapToInt(c -> c.owners().size()).sum()).isEqualTo(4);

    String scrape = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + controller.httpPort() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertThat(scrape).contains("lbipam_backend_calls_total{backend=\"redis\",operation=\"claim\",outcome=\"ok\",}")
        .containsPattern("lbipam_backend_call_duration_seconds_count\\{backend=\"redis\",operation=\"claim\",\\} [1-9]");
    assertThat(MonitoringNames.assertExported(scrape, true)).as("the dashboard's backend panels")
        .contains("lbipam_backend_call_duration_seconds_bucket", "lbipam_backend_circuit_state");
  }

  @Test
  void twoClustersShareOnePoolWithoutDuplicatesAndLeaveNoClaimsBehind() throws Exception {
    KubeApiServer east = server;
    try (KubeApiServer west = KubeApiServer.start()) {
      Manifests.installPrerequisites(west.adminClient());
      TestServices eastKube = new TestServices(east.adminClient());
      TestServices westKube = new TestServices(west.adminClient());
      String ns = "shared-pool";
      eastKube.createNamespace(ns);
      westKube.createNamespace(ns);
      eastKube.setPoolKeys(Map.of("cidr-" + ns, "10.80.0.0/22"));
      westKube.setPoolKeys(Map.of("cidr-" + ns, "10.80.0.0/22"));
      controller(east, "east");
      controller(west, "west");

      ExecutorService both = Executors.newFixedThreadPool(2);
      Future<?> e = both.submit(() -> { createConcurrently(eastKube, ns, 300); return null; });
      Future<?> w = both.submit(() -> { createConcurrently(westKube, ns, 300); return null; });
      e.get();
      w.get();
      both.shutdown();
      await().atMost(Duration.ofMinutes(4)).until(() -> addresses(eastKube, ns).size() == 300 && addresses(westKube, ns).size() == 300);

      List<String> all = new ArrayList<>(addresses(eastKube, ns).values());
      all.addAll(addresses(westKube, ns).values());
      assertThat(new HashSet<>(all)).as("600 Services, 600 distinct addresses").hasSize(600);
      Map<String, String> eastAddresses = addresses(eastKube, ns);
      List<String> strays = new ArrayList<>();
      for (ClaimStore.ClusterClaim claim : claims("east").clusterClaims()) {
        for (String owner : claim.owners().keySet()) {
          String name = owner.split("/")[2];
          if (!claim.address().toString().equals(eastAddresses.get(name))) {
            strays.add(claim.address() + " owner=" + owner + " annotation=" + eastAddresses.get(name));
          }
        }
      }
      assertThat(strays).as("claims that no Service carries").isEmpty();
      assertThat(claims("east").clusterClaims()).hasSize(300);
      assertThat(claims("west").clusterClaims()).hasSize(300);

      for (V1Service service : eastKube.list(ns)) {
        eastKube.delete(ns, service.getMetadata().getName());
      }
      for (V1Service service : westKube.list(ns)) {
        westKube.delete(ns, service.getMetadata().getName());
      }
      await().atMost(WAIT).until(() -> eastKube.list(ns).isEmpty() && westKube.list(ns).isEmpty());
      await().atMost(WAIT).until(() -> claims("east").claimedWithin(EVERYTHING_V4).isEmpty());
      assertThat(claims("east").clusterClaims()).isEmpty();
      assertThat(claims("west").clusterClaims()).isEmpty();
    }
  }

  @Test
  void redisRestartedEmptyIsRefilledFromTheServicesAndWaitingOnesAreServed() throws Exception {
    TestServices kube = new TestServices(server.adminClient());
    String ns = server.createNamespace("redis-restore");
    kube.setPoolKeys(Map.of("cidr-" + ns, "10.71.0.0/24"));
    ControllerProcess controller = controller(server, "restore");
    createConcurrently(kube, ns, 40);
    await().atMost(WAIT).until(() -> addresses(kube, ns).size() == 40);
    Map<String, String> before = addresses(kube, ns);

    redis.restart();
    for (int i = 0; i < 5; i++) {
      kube.create(TestServices.loadBalancer(ns, "late-" + i));
    }
    await().atMost(WAIT).until(() -> addresses(kube, ns).size() == 45);
    await().atMost(WAIT).until(() -> claims("restore").clusterClaims().size() == 45);
    Map<String, String> after = addresses(kube, ns);
    before.forEach((name, address) -> assertThat(after.get(name)).as(name).isEqualTo(address));
    assertThat(new HashSet<>(after.values())).hasSize(45);
    assertThat(controller.log()).contains("re-asserted holdings");
    assertThat(controller.isAlive()).isTrue();
  }

  @Test
  void redisDownForAWhileWarnsKeepsAddressesAndConverges() throws Exception {
    TestServices kube = new TestServices(server.adminClient());
    String ns = server.createNamespace("redis-outage");
    kube.setPoolKeys(Map.of("cidr-" + ns, "10.72.0.0/24"));
    ControllerProcess controller = controller(server, "outage");
    kube.create(TestServices.loadBalancer(ns, "before"));
    await().atMost(WAIT).until(() -> addresses(kube, ns).size() == 1);

    redis.kill();
    kube.create(TestServices.loadBalancer(ns, "during"));
    await().atMost(WAIT).until(() -> kube.hasEvent(ns, "during", "Warning", "BackendUnavailable", "redis"));
    Thread.sleep(3000);
    assertThat(controller.isAlive()).isTrue();
    assertThat(kube.addresses(ns, "before")).contains("10.72.0.1");
    assertThat(kube.addresses(ns, "during")).isEmpty();

    redis.restart();
    await().atMost(WAIT).until(() -> kube.addresses(ns, "during").isPresent());
    assertThat(kube.addresses(ns, "during")).contains("10.72.0.2");
    assertThat(controller.log()).doesNotContain("fatal").doesNotContain(redis.password());
  }

  @Test
  void aServiceDeletedWhileTheControllerIsDownIsReleasedByGcAfterRestart() throws Exception {
    TestServices kube = new TestServices(server.adminClient());
    String ns = server.createNamespace("redis-gc");
    kube.setPoolKeys(Map.of("cidr-" + ns, "10.73.0.0/24"));
    ControllerProcess first = controller(server, "gc");
    kube.create(TestServices.loadBalancer(ns, "doomed"));
    await().atMost(WAIT).until(() -> addresses(kube, ns).size() == 1);
    first.kill();

    // Forced deletion past the finalizer, as an impatient admin would do.
    kube.patchService(ns, "doomed", "{\"metadata\":{\"finalizers\":null}}");
    kube.delete(ns, "doomed");
    await().atMost(WAIT).until(() -> kube.get(ns, "doomed").isEmpty());
    assertThat(claims("gc").clusterClaims()).hasSize(1);

    controller(server, "gc");
    await().atMost(WAIT).until(() -> claims("gc").clusterClaims().isEmpty());
  }

  @Test
  void aCrashBetweenClaimAndPatchLeaksNothing() throws Exception {
    TestServices kube = new TestServices(server.adminClient());
    String ns = server.createNamespace("redis-crash");
    kube.setPoolKeys(Map.of("cidr-" + ns, "10.74.0.0/24"));
    V1Service created = kube.create(TestServices.loadBalancer(ns, "victim"));
    OwnerRef victim = new OwnerRef("crash", ns, "victim", created.getMetadata().getUid());
    OwnerRef ghost = new OwnerRef("crash", ns, "ghost", "no-such-uid");
    // The state a controller leaves when killed after its claims and before its patches.
    ClaimStore store = claims("crash");
    ClaimStore.Generation generation = store.generation("crash-test");
    store.claim(IpAddress.parse("10.74.0.9"), victim, generation, false);
    store.claim(IpAddress.parse("10.74.0.1"), ghost, generation, false);

    controller(server, "crash");
    await().atMost(WAIT).until(() -> kube.addresses(ns, "victim").isPresent());
    assertThat(kube.addresses(ns, "victim")).contains("10.74.0.9");
    await().atMost(WAIT).until(() -> store.claimsOf(ghost).isEmpty());
    assertThat(store.clusterClaims()).extracting(ClaimStore.ClusterClaim::address).containsExactly(IpAddress.parse("10.74.0.9"));
    kube.create(TestServices.loadBalancer(ns, "next"));
    await().atMost(WAIT).until(() -> kube.addresses(ns, "next").isPresent());
    assertThat(kube.addresses(ns, "next")).contains("10.74.0.1");
    assertThat(IpFamily.IPV4).isNotNull();
  }
}
