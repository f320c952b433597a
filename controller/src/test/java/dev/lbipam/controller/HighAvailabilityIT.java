package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1Service;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two replicas, failover, and kill -9 restarts: never a duplicate, never a moved address. */
class HighAvailabilityIT {
  @RegisterExtension static final KubeApiServerExtension KUBE = new KubeApiServerExtension();
  static final Duration WAIT = Duration.ofSeconds(180);

  @org.junit.jupiter.api.BeforeAll
  static void rbac() throws Exception {
    Manifests.installPrerequisites(KUBE.server().adminClient());
  }

  private static Map<String, String> addressesByService(TestServices kube, String ns) throws Exception {
    return kube.addressesByService(ns);
  }

  private static void createConcurrently(TestServices kube, String ns, String prefix, int from, int to) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<V1Service>> futures = new ArrayList<>();
      for (int i = from; i < to; i++) {
        int n = i;
        futures.add(pool.submit(() -> kube.create(TestServices.loadBalancer(ns, prefix + n))));
      }
      for (Future<V1Service> future : futures) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static void assertNoDuplicates(Map<String, String> addresses) {
    assertThat(new HashSet<>(addresses.values())).as("distinct addresses").hasSize(addresses.size());
  }

  private static String leaseHolder(KubeApiServer server) throws Exception {
    V1Lease lease =
        new CoordinationV1Api(server.adminClient()).readNamespacedLease("kube-vip-cloud-controller", "kube-system").execute();
    return lease.getSpec().getHolderIdentity();
  }

  @Test
  void twoReplicasWithTwoHundredConcurrentServicesNeverDuplicateEvenWhenTheLeaderDies() throws Exception {
    KubeApiServer server = KUBE.server();
    TestServices kube = new TestServices(server.adminClient());
    String ns = server.createNamespace("ha");
    kube.setPoolKeys(Map.of("cidr-" + ns, "10.40.0.0/23"));
    try (ControllerProcess a = ControllerProcess.start(server, "replica-a");
        ControllerProcess b = ControllerProcess.start(server, "replica-b")) {
      createConcurrently(kube, ns, "svc-", 0, 100);
      await().atMost(WAIT).until(() -> addressesByService(kube, ns).size() >= 50);
      String leader = leaseHolder(server);
      ControllerProcess leaderProcess = leader.equals("replica-a") ? a : b;
      ControllerProcess standby = leaderProcess == a ? b : a;
      leaderProcess.kill();
      createConcurrently(kube, ns, "svc-", 100, 200);

      await().atMost(WAIT).until(() -> addressesByService(kube, ns).size() == 200);
      Map<String, String> addresses = addressesByService(kube, ns);
      assertNoDuplicates(addresses);
      assertThat(addresses.values()).allMatch(ip -> ip.startsWith("10.40."));
      assertThat(leaseHolder(server)).isNotEqualTo(leader);
      assertThat(standby.isAlive()).isTrue();
      // The standby kept the configmap backend's holdings as the Services changed (ADR 0019): at
      // take-over it had to hold few of them itself, where it would hold all without that.
      Matcher index = Pattern.compile("indexed existing services services=(\\d+) .*heldNow=(\\d+)").matcher(standby.log());
      assertThat(index.find()).as("the new leader's start-up index line").isTrue();
      assertThat(Integer.parseInt(index.group(2))).as("Services the new leader held itself, of " + index.group(1))
          .isLessThan(Integer.parseInt(index.group(1)) / 4);

      // A clean shutdown hands the Lease back at once.
      standby.stop();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        String holder = leaseHolder(server);
        return holder == null || holder.isEmpty();
      });
    }
  }

  @Test
  void aReplicaThatLosesItsLeaseExitsInsteadOfRunningOnAsAZombie() throws Exception {
    KubeApiServer server = KUBE.server();
    try (ControllerProcess replica = ControllerProcess.start(server, "zombie-candidate")) {
      await().atMost(WAIT).until(() -> "zombie-candidate".equals(leaseHolderOrNull(server)));
      CoordinationV1Api leases = new CoordinationV1Api(server.adminClient());
      V1Lease lease = leases.readNamespacedLease("kube-vip-cloud-controller", "kube-system").execute();
      lease.getSpec()
          .holderIdentity("thief")
          .leaseDurationSeconds(3600)
          .renewTime(java.time.OffsetDateTime.now());
      leases.replaceNamespacedLease("kube-vip-cloud-controller", "kube-system", lease).execute();

      await().atMost(Duration.ofSeconds(60)).until(() -> !replica.isAlive());
      assertThat(replica.exitCode()).isEqualTo(1);
      assertThat(replica.log()).contains("lost the leader lease");
    } finally {
      new CoordinationV1Api(server.adminClient()).deleteNamespacedLease("kube-vip-cloud-controller", "kube-system").execute();
    }
  }

  private static String leaseHolderOrNull(KubeApiServer server) {
    try {
      return leaseHolder(server);
    } catch (Exception e) {
      return null;
    }
  }

  @Test
  void killDashNineWithTwoHundredServicesMovesNothingAndServesPendingOnesAfterRestart() throws Exception {
    KubeApiServer server = KUBE.server();
    TestServices kube = new TestServices(server.adminClient());
    String ns = server.createNamespace("restart");
    kube.setPoolKeys(Map.of("cidr-" + ns, "10.41.0.0/23"));
    Map<String, String> before;
    try (ControllerProcess first = ControllerProcess.start(server, "first")) {
      createConcurrently(kube, ns, "svc-", 0, 200);
      await().atMost(WAIT).until(() -> addressesByService(kube, ns).size() == 200);
      before = addressesByService(kube, ns);
      first.kill();
    }
    // Created while no controller runs; one of them pins an address by hand.
    createConcurrently(kube, ns, "late-", 0, 20);
    V1Service pinned = TestServices.loadBalancer(ns, "pinned");
    pinned.getMetadata().putAnnotationsItem(KubeVipNames.ADDRESSES_ANNOTATION, "10.41.1.100");
    kube.create(pinned);

    try (ControllerProcess second = ControllerProcess.start(server, "second")) {
      await().atMost(WAIT).until(() -> addressesByService(kube, ns).size() == 221);
      Map<String, String> after = addressesByService(kube, ns);
      for (Map.Entry<String, String> entry : before.entrySet()) {
        assertThat(after.get(entry.getKey())).as(entry.getKey()).isEqualTo(entry.getValue());
      }
      assertNoDuplicates(after);
      assertThat(after.get("pinned")).isEqualTo("10.41.1.100");
      assertThat(second.log()).contains("indexed existing services");
    }
  }
}
