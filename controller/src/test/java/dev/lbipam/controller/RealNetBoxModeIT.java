package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.netbox.HttpCall;
import dev.lbipam.testsupport.netbox.NetBoxFaultProxy;
import dev.lbipam.testsupport.netbox.RealNetBox;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * NetBox mode against a real NetBox 4.7.3 (gunicorn, PostgreSQL), with lbipam's least-privilege
 * token: two clusters, each with its own API server and controller, share one prefix. Bursts of
 * creates and deletes in both, plainly, with lost replies, and through an outage; a raw watch
 * checks after every event that no address is shown in both clusters; at the end every record is
 * gone from NetBox again. Faults come from a {@link NetBoxFaultProxy} in front of NetBox.
 */
class RealNetBoxModeIT {
  static final Duration WAIT = Duration.ofSeconds(120);
  static final String NS = "nb-real";
  static final int PER_WAVE = 20;

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static ControllerProcess controller(KubeApiServer server, RealNetBox netbox, String url, String cluster) throws Exception {
    ControllerProcess process = ControllerProcess.start(server, "real-netbox-" + cluster,
        Map.of("LBIPAM_SECRET_NETBOX_TOKEN", netbox.lbipamToken()),
        "--backend=netbox", "--cluster-id=" + cluster, "--backend-option=url=" + url,
        "--backend-option=gc-grace=PT2S", "--maintenance-interval=PT1S");
    process.httpPort();
    return process;
  }

  static HttpResponse<String> admin(RealNetBox netbox, String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(netbox.url() + path))
        .header("Authorization", "Bearer " + netbox.adminToken()).header("Accept", "application/json")
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30));
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static int recordsIn(RealNetBox netbox, String prefix) throws Exception {
    HttpResponse<String> reply = admin(netbox, "GET", "/api/ipam/ip-addresses/?limit=1&parent=" + prefix, null);
    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
    return JsonParser.parseString(reply.body()).getAsJsonObject().get("count").getAsInt();
  }

  static void deleteAll(TestServices kube, String ns, String prefix, int from, int to) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = from; i < to; i++) {
        String name = prefix + i;
        futures.add(pool.submit(() -> {
          kube.delete(ns, name);
          return null;
        }));
      }
      for (Future<?> future : futures) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  /** What a scenario does to NetBox around each wave's burst. */
  interface Faults {
    default void beforeBurst(int wave) {}

    default void afterBurst(int wave, List<TestServices> kubes) throws Exception {}
  }

  @Test
  void twoClustersOnARealNetBoxNeverShowOneAddressAndLeaveNoRecords() throws Exception {
    RealNetBox netbox = RealNetBox.shared();
    twoClustersInWaves(netbox, netbox.url(), "10.81.0.0/25", new Faults() {});
  }

  @Test
  void lostRepliesOfAllocationsAndDeletesGiveNoDuplicateAndNoLeak() throws Exception {
    RealNetBox netbox = RealNetBox.shared();
    try (NetBoxFaultProxy proxy = NetBoxFaultProxy.to(netbox.url())) {
      twoClustersInWaves(netbox, proxy.url(), "10.82.0.0/25", new Faults() {
        @Override
        public void beforeBurst(int wave) {
          proxy.loseReplies(4, HttpCall::isAllocation);
          proxy.loseReplies(2, HttpCall::isAddressDelete);
        }
      });
      assertThat(proxy.faults().applied()).as("replies lost (4 allocations a wave, 2 deletes a wave with deletes)")
          .isGreaterThanOrEqualTo(3 * 4 + 2 * 2);
    }
  }

  @Test
  void anOutageMidBurstGivesWarningsAndConvergesWithNoDuplicateAndNoLeak() throws Exception {
    RealNetBox netbox = RealNetBox.shared();
    try (NetBoxFaultProxy proxy = NetBoxFaultProxy.to(netbox.url())) {
      twoClustersInWaves(netbox, proxy.url(), "10.83.0.0/25", new Faults() {
        @Override
        public void beforeBurst(int wave) {
          if (wave == 1) {
            proxy.stopListening();
          }
        }

        @Override
        public void afterBurst(int wave, List<TestServices> kubes) throws Exception {
          if (wave != 1) {
            return;
          }
          for (TestServices kube : kubes) {
            await().atMost(WAIT).until(() -> kube.hasEvent(NS, "w1-0", "Warning", "BackendUnavailable", "NetBox"));
            assertThat(kube.addresses(NS, "w1-0")).as("no address while NetBox is unreachable").isEmpty();
          }
          proxy.failRequests(503, -1);
          proxy.startListening();
          for (TestServices kube : kubes) {
            kube.create(TestServices.loadBalancer(NS, "w1-during-503"));
          }
          // Once the open circuit breakers let a probe through, it meets the 503s.
          await().atMost(WAIT).until(() -> proxy.faults().applied() >= 2);
          for (TestServices kube : kubes) {
            await().atMost(WAIT).until(() -> kube.hasEvent(NS, "w1-during-503", "Warning", "BackendUnavailable", "NetBox"));
            assertThat(kube.addresses(NS, "w1-during-503")).as("no address while NetBox answers 503").isEmpty();
            assertThat(kube.addresses(NS, "w0-15")).as("addresses given before the outage stay").isPresent();
          }
          proxy.clearFaults();
        }
      });
      assertThat(proxy.faults().applied()).as("503s injected").isPositive();
    }
  }

  /**
   * Three waves of {@value #PER_WAVE} creates in each cluster; from the second wave on, half of
   * the previous wave is deleted while the creates run. Controllers reach NetBox at {@code url}.
   */
  private static void twoClustersInWaves(RealNetBox netbox, String url, String prefixCidr, Faults faults) throws Exception {
    JsonObject prefix = new JsonObject();
    prefix.addProperty("prefix", prefixCidr);
    HttpResponse<String> created = admin(netbox, "POST", "/api/ipam/prefixes/", prefix.toString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    try (KubeApiServer one = KubeApiServer.start(); KubeApiServer two = KubeApiServer.start()) {
      List<TestServices> kubes = new ArrayList<>();
      for (KubeApiServer server : List.of(one, two)) {
        Manifests.installPrerequisites(server.adminClient());
        TestServices kube = new TestServices(server.adminClient());
        kube.createNamespace(NS);
        kube.setPoolKeys(Map.of("netbox-prefix-global", prefixCidr));
        kubes.add(kube);
      }
      try (DuplicateWatch watchOne = new DuplicateWatch(SplitBrainIT.watchClient(one), NS, "one").start();
          DuplicateWatch watchTwo = new DuplicateWatch(SplitBrainIT.watchClient(two), NS, "two").start();
          ControllerProcess alpha = controller(one, netbox, url, "alpha");
          ControllerProcess bravo = controller(two, netbox, url, "bravo")) {
        DuplicateWatch.crossCheck(watchOne, watchTwo);
        for (int wave = 0; wave < 3; wave++) {
          String name = "w" + wave + "-";
          faults.beforeBurst(wave);
          ExecutorService pool = Executors.newFixedThreadPool(4);
          List<Future<?>> bursts = new ArrayList<>();
          for (TestServices kube : kubes) {
            bursts.add(pool.submit(() -> {
              FrozenLeaderIT.create(kube, NS, name, PER_WAVE);
              return null;
            }));
          }
          if (wave > 0) {
            // Deletes of the previous wave race the creates of this one, in both clusters.
            String previous = "w" + (wave - 1) + "-";
            for (TestServices kube : kubes) {
              bursts.add(pool.submit(() -> {
                deleteAll(kube, NS, previous, 0, PER_WAVE / 2);
                return null;
              }));
            }
          }
          for (Future<?> burst : bursts) {
            burst.get();
          }
          pool.shutdown();
          faults.afterBurst(wave, kubes);
          await().atMost(WAIT).until(() -> RedisDataLossIT.allAddressed(kubes.get(0), NS)
              && RedisDataLossIT.allAddressed(kubes.get(1), NS));
          watchOne.assertHealthy();
          watchTwo.assertHealthy();
          assertThat(watchOne.duplicates()).as("shown in both clusters, wave %d", wave).isEmpty();
          assertThat(watchTwo.duplicates()).as("shown in both clusters, wave %d", wave).isEmpty();
        }
        assertThat(alpha.isAlive() && bravo.isAlive()).as("both controllers still running").isTrue();
        int live = kubes.get(0).list(NS).size() + kubes.get(1).list(NS).size();
        await().atMost(WAIT).untilAsserted(() -> assertThat(recordsIn(netbox, prefixCidr)).as("one record per live Service")
            .isEqualTo(live));
        for (TestServices kube : kubes) {
          for (var service : kube.list(NS)) {
            kube.delete(NS, service.getMetadata().getName());
          }
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(recordsIn(netbox, prefixCidr)).as("records left in NetBox").isZero());
        String secret = netbox.lbipamToken().substring(netbox.lbipamToken().indexOf('.') + 1);
        assertThat(alpha.log() + bravo.log()).doesNotContain(secret);
      }
    }
  }
}
