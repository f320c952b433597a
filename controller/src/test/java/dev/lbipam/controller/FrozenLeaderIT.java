package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lbipam.testsupport.KubeApiServer;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A leader frozen (SIGSTOP) for longer than its lease, resumed while the new leader works through a
 * burst: no address is on two Services at any watch event, and the resumed replica sends no write
 * after its lease ran out, as the API server's audit log shows.
 */
class FrozenLeaderIT {
  static final Duration WAIT = Duration.ofSeconds(180);
  /** ControllerProcess runs with a 6 s lease. */
  static final Duration LEASE = Duration.ofSeconds(6);

  record Write(Instant received, String userAgent, String verb, String resource, String name, int code) {}

  static List<Write> audit(Path log) throws Exception {
    List<Write> writes = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      JsonObject event = JsonParser.parseString(line).getAsJsonObject();
      JsonObject ref = event.getAsJsonObject("objectRef");
      int code = event.has("responseStatus") && event.getAsJsonObject("responseStatus").has("code")
          ? event.getAsJsonObject("responseStatus").get("code").getAsInt() : 0;
      writes.add(new Write(
          Instant.parse(event.get("requestReceivedTimestamp").getAsString()),
          event.has("userAgent") ? event.get("userAgent").getAsString() : "",
          event.get("verb").getAsString(),
          ref == null || !ref.has("resource") ? "" : ref.get("resource").getAsString(),
          ref == null || !ref.has("name") ? "" : ref.get("name").getAsString(),
          code));
    }
    return writes;
  }

  static String leaseHolder(KubeApiServer server) {
    return leaseHolder(server, "kube-system", "kube-vip-cloud-controller");
  }

  static String leaseHolder(KubeApiServer server, String namespace, String name) {
    try {
      return new CoordinationV1Api(server.adminClient())
          .readNamespacedLease(name, namespace).execute().getSpec().getHolderIdentity();
    } catch (Exception e) {
      return "";
    }
  }

  @Test
  void aResumedLeaderStopsBeforeItsNextWriteAndNoAddressIsEverShownTwice() throws Exception {
    Path dir = Files.createTempDirectory("lbipam-audit-");
    Path log = dir.resolve("audit.log");
    try (KubeApiServer server = KubeApiServer.builder()
        .auditWrites(log, "{group: \"\", resources: [services]}", "{group: lbipam.dev, resources: [addressclaims]}",
            "{group: networking.k8s.io, resources: [ipaddresses]}",
            "{group: coordination.k8s.io, resources: [leases]}")
        .start()) {
      Manifests.installPrerequisites(server.adminClient());
      TestServices kube = new TestServices(server.adminClient());
      String ns = server.createNamespace("frozen");
      kube.setPoolKeys(Map.of("cidr-" + ns, "10.47.0.0/23"));
      List<ControllerProcess> all = new ArrayList<>();
      List<String> frozenIdentities = new ArrayList<>();
      try (DuplicateWatch watch = new DuplicateWatch(SplitBrainIT.watchClient(server), ns, "frozen").start()) {
        ControllerProcess a = ControllerProcess.start(server, "frozen-a");
        ControllerProcess b = ControllerProcess.start(server, "frozen-b");
        all.add(a);
        all.add(b);
        create(kube, ns, "base-", 40);
        await().atMost(WAIT).until(() -> addressed(kube, ns) == 40);
        int total = 40;
        for (int cycle = 1; cycle <= 2; cycle++) {
          String leaderName = leaseHolder(server);
          ControllerProcess leader = a.name().equals(leaderName) ? a : b;
          ControllerProcess standby = leader == a ? b : a;
          assertThat(leaderName).isIn(a.name(), b.name());
          leader.freeze();
          frozenIdentities.add(leader.name());
          await().atMost(Duration.ofSeconds(60)).until(() -> standby.name().equals(leaseHolder(server)));
          // A burst runs while the old leader is frozen, and goes on as it wakes up.
          ExecutorService pool = Executors.newFixedThreadPool(16);
          String prefix = "c" + cycle + "-";
          Future<?> burst = pool.submit(() -> {
            create(kube, ns, prefix, 120);
            return null;
          });
          Thread.sleep(1500);
          leader.resume();
          burst.get();
          pool.shutdown();
          total += 120;
          int expected = total;
          await().atMost(Duration.ofSeconds(60)).until(() -> !leader.isAlive());
          assertThat(leader.exitCode()).as("the resumed replica exits\n%s", leader.log()).isEqualTo(1);
          assertThat(leader.log()).containsAnyOf("stopped writing", "lost the leader lease");
          await().atMost(WAIT).until(() -> addressed(kube, ns) == expected);
          ControllerProcess replacement = ControllerProcess.start(server, leader.name() + "-" + cycle);
          all.add(replacement);
          if (leader == a) {
            a = replacement;
          } else {
            b = replacement;
          }
          ControllerProcess newLeader = standby;
          await().atMost(Duration.ofSeconds(60)).until(() -> newLeader.name().equals(leaseHolder(server)));
        }
        watch.awaitQuiet(Duration.ofSeconds(2));
        watch.assertHealthy();
        assertThat(watch.duplicates()).as("addresses on two Services at some watch event").isEmpty();
        assertThat(watch.current()).hasSize(total);
        for (var shown : watch.everShown().entrySet()) {
          assertThat(shown.getValue()).as("%s never moved", shown.getKey()).hasSize(1);
        }
      } finally {
        for (ControllerProcess process : all) {
          process.close();
        }
      }

      List<Write> writes = audit(log);
      for (String identity : frozenIdentities) {
        String agent = "lbipam/" + identity;
        Instant lastRenewal = writes.stream()
            // 201: it created the Lease and was frozen before its first renewal (the base Services
            // can be addressed within the first retry period).
            .filter(w -> w.userAgent().equals(agent) && w.resource().equals("leases") && (w.code() == 200 || w.code() == 201))
            .map(Write::received)
            .max(Instant::compareTo)
            .orElseThrow();
        Instant expiry = lastRenewal.plus(LEASE);
        List<Write> late = writes.stream()
            .filter(w -> w.userAgent().equals(agent) && !w.resource().equals("leases"))
            .filter(w -> w.received().isAfter(expiry))
            .toList();
        assertThat(late).as("writes by %s after its lease expired at %s", identity, expiry).isEmpty();
        assertThat(writes.stream().filter(w -> w.userAgent().equals(agent) && !w.resource().equals("leases")))
            .as("it did write while it led").isNotEmpty();
      }
    }
  }

  static void create(TestServices kube, String ns, String prefix, int count) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String name = prefix + i;
        futures.add(pool.submit(() -> kube.create(TestServices.loadBalancer(ns, name))));
      }
      for (Future<?> future : futures) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  static long addressed(TestServices kube, String ns) throws Exception {
    return kube.list(ns).stream()
        .filter(s -> s.getMetadata().getAnnotations() != null
            && s.getMetadata().getAnnotations().containsKey(KubeVipNames.ADDRESSES_ANNOTATION))
        .count();
  }
}
