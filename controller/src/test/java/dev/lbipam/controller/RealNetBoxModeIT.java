package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lbipam.testsupport.KubeApiServer;
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
 * creates and deletes in both; a raw watch checks after every event that no address is shown in
 * both clusters; at the end every record is gone from NetBox again.
 */
class RealNetBoxModeIT {
  static final Duration WAIT = Duration.ofSeconds(120);
  static final String PREFIX = "10.81.0.0/25";
  static final String NS = "nb-real";

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static ControllerProcess controller(KubeApiServer server, RealNetBox netbox, String cluster) throws Exception {
    ControllerProcess process = ControllerProcess.start(server, "real-netbox-" + cluster,
        Map.of("LBIPAM_SECRET_NETBOX_TOKEN", netbox.lbipamToken()),
        "--backend=netbox", "--cluster-id=" + cluster, "--backend-option=url=" + netbox.url(),
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

  @Test
  void twoClustersOnARealNetBoxNeverShowOneAddressAndLeaveNoRecords() throws Exception {
    RealNetBox netbox = RealNetBox.shared();
    JsonObject prefix = new JsonObject();
    prefix.addProperty("prefix", PREFIX);
    HttpResponse<String> created = admin(netbox, "POST", "/api/ipam/prefixes/", prefix.toString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    try (KubeApiServer one = KubeApiServer.start(); KubeApiServer two = KubeApiServer.start()) {
      List<TestServices> kubes = new ArrayList<>();
      for (KubeApiServer server : List.of(one, two)) {
        Manifests.installRbac(server.adminClient());
        TestServices kube = new TestServices(server.adminClient());
        kube.createNamespace(NS);
        kube.setPoolKeys(Map.of("netbox-prefix-global", PREFIX));
        kubes.add(kube);
      }
      try (DuplicateWatch watchOne = new DuplicateWatch(SplitBrainIT.watchClient(one), NS, "one").start();
          DuplicateWatch watchTwo = new DuplicateWatch(SplitBrainIT.watchClient(two), NS, "two").start();
          ControllerProcess alpha = controller(one, netbox, "alpha");
          ControllerProcess bravo = controller(two, netbox, "bravo")) {
        DuplicateWatch.crossCheck(watchOne, watchTwo);
        for (int wave = 0; wave < 3; wave++) {
          String name = "w" + wave + "-";
          ExecutorService pool = Executors.newFixedThreadPool(2);
          List<Future<?>> bursts = new ArrayList<>();
          for (TestServices kube : kubes) {
            bursts.add(pool.submit(() -> {
              FrozenLeaderIT.create(kube, NS, name, 20);
              return null;
            }));
          }
          if (wave > 0) {
            // Deletes of the previous wave race the creates of this one, in both clusters.
            String previous = "w" + (wave - 1) + "-";
            for (TestServices kube : kubes) {
              bursts.add(pool.submit(() -> {
                deleteAll(kube, NS, previous, 0, 10);
                return null;
              }));
            }
          }
          for (Future<?> burst : bursts) {
            burst.get();
          }
          pool.shutdown();
          await().atMost(WAIT).until(() -> RedisDataLossIT.allAddressed(kubes.get(0), NS)
              && RedisDataLossIT.allAddressed(kubes.get(1), NS));
          watchOne.assertHealthy();
          watchTwo.assertHealthy();
          assertThat(watchOne.duplicates()).as("shown in both clusters, wave %d", wave).isEmpty();
          assertThat(watchTwo.duplicates()).as("shown in both clusters, wave %d", wave).isEmpty();
        }
        int live = kubes.get(0).list(NS).size() + kubes.get(1).list(NS).size();
        await().atMost(WAIT).untilAsserted(() -> assertThat(recordsIn(netbox, PREFIX)).as("one record per live Service")
            .isEqualTo(live));
        for (TestServices kube : kubes) {
          for (var service : kube.list(NS)) {
            kube.delete(NS, service.getMetadata().getName());
          }
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(recordsIn(netbox, PREFIX)).as("records left in NetBox").isZero());
        assertThat(alpha.log() + bravo.log()).doesNotContain(netbox.lbipamToken().substring(netbox.lbipamToken().indexOf('.') + 1));
      }
    }
  }
}
