package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
import dev.lbipam.testsupport.netbox.NetBoxStandIn;
import dev.lbipam.testsupport.netbox.NetBoxUnderTest;
import dev.lbipam.testsupport.netbox.ProxiedRealNetBox;
import dev.lbipam.testsupport.netbox.HttpCall;
import dev.lbipam.testsupport.netbox.NetBoxStandIn.RecordedAddress;
import io.kubernetes.client.openapi.models.V1Service;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * NetBox mode end to end: a real API server, the real controller ({@code --backend=netbox}) as
 * its ServiceAccount, and the NetBox stand-in in this JVM ({@link NetBoxModeOnRealNetBoxIT} runs the
 * same scenarios on real NetBox). The token reaches the controller as {@code LBIPAM_SECRET_NETBOX_TOKEN}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetBoxModeIT {
  @RegisterExtension static final KubeApiServerExtension KUBE = new KubeApiServerExtension();
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String CLUSTER = "alpha";
  static NetBoxUnderTest netbox;
  static TestServices kube;
  static ControllerProcess controller;
  private static int runs;

  @BeforeAll
  static void start(TestInfo run) throws Exception {
    boolean real = run.getTestClass().filter(NetBoxModeOnRealNetBoxIT.class::isAssignableFrom).isPresent();
    netbox = real ? ProxiedRealNetBox.start() : NetBoxStandIn.start();
    KubeApiServer server = KUBE.server();
    Manifests.installPrerequisites(server.adminClient());
    kube = new TestServices(server.adminClient());
    kube.setPoolKeys(Map.of());
    controller = startController(server, CLUSTER);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (controller != null) {
        assertThat(controller.stop()).as("exit code after SIGTERM\n%s", controller.log()).isEqualTo(143);
        assertThat(controller.log()).doesNotContain(netbox.controllerToken());
      }
    } finally {
      netbox.close();
    }
  }

  @AfterEach
  void healNetBox() {
    netbox.clearFaults();
    netbox.startListening();
  }

  static ControllerProcess startController(KubeApiServer server, String clusterId) throws Exception {
    ControllerProcess process =
        ControllerProcess.start(
            server,
            "netbox-" + clusterId + "-" + runs++,
            Map.of("LBIPAM_SECRET_NETBOX_TOKEN", netbox.controllerToken()),
            "--backend=netbox",
            "--cluster-id=" + clusterId,
            "--backend-option=url=" + netbox.url(),
            "--backend-option=gc-grace=PT2S",
            "--backend-option=retry-backoff=PT0.05S",
            "--backend-option=circuit-open-duration=PT2S",
            "--maintenance-interval=PT1S");
    process.httpPort();
    return process;
  }

  private static String namespace(String prefix) {
    return KUBE.server().createNamespace(prefix);
  }

  private static String awaitAddress(TestServices k, String ns, String name) {
    return await().atMost(WAIT).until(() -> k.addresses(ns, name), Optional::isPresent).orElseThrow();
  }

  private static String awaitAddress(String ns, String name) {
    return awaitAddress(kube, ns, name);
  }

  private static void awaitEvent(String ns, String name, String type, String reason, String text) {
    await().atMost(WAIT).until(() -> kube.hasEvent(ns, name, type, reason, text));
  }

  private static String uid(String ns, String name) throws Exception {
    return kube.get(ns, name).orElseThrow().getMetadata().getUid();
  }

  private static List<RecordedAddress> claimed(String cluster, String ns, String name, String uid) {
    String prefix = cluster + "/" + ns + "/" + name + "/" + uid + "/";
    return netbox.addresses().stream()
        .filter(a -> a.customField("lbipam_claim").map(c -> c.startsWith(prefix)).orElse(false)).toList();
  }

  private static List<RecordedAddress> within(String hostPrefix) {
    return netbox.addresses().stream().filter(a -> a.host().startsWith(hostPrefix)).toList();
  }

  @Test
  @Order(1)
  void allocatesFromANetBoxPrefixAndRecordsTheServiceThere() throws Exception {
    String ns = namespace("nb-basic");
    netbox.createPrefix("10.71.0.0/28");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.71.0.0/28"));
    kube.create(TestServices.loadBalancer(ns, "web"));

    assertThat(awaitAddress(ns, "web")).isEqualTo("10.71.0.1");
    awaitEvent(ns, "web", "Normal", "EnsuredLoadBalancer", "10.71.0.1");
    RecordedAddress record = claimed(CLUSTER, ns, "web", uid(ns, "web")).get(0);
    assertThat(record.address()).isEqualTo("10.71.0.1/28");
    assertThat(record.dnsName()).isEqualTo("web." + ns);
    assertThat(record.tags()).containsExactly("lbipam");
    assertThat(record.customField("lbipam_cluster")).contains(CLUSTER);

    kube.create(TestServices.loadBalancer(ns, "second"));
    assertThat(awaitAddress(ns, "second")).isEqualTo("10.71.0.2");
    assertThat(within("10.71.0.")).hasSize(2);

    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.URI metrics = java.net.URI.create("http://127.0.0.1:" + controller.httpPort() + "/metrics");
    String body = http.send(java.net.http.HttpRequest.newBuilder(metrics).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertThat(body)
        .contains("lbipam_backend_calls_total{backend=\"netbox\",operation=\"allocate\",outcome=\"ok\",}")
        .contains("lbipam_backend_call_duration_seconds_bucket{backend=\"netbox\",operation=\"allocate\",le=\"+Inf\",}")
        .contains("lbipam_backend_call_duration_seconds_count{backend=\"netbox\",operation=\"allocate\",}")
        .contains("lbipam_backend_circuit_state{backend=\"netbox\",state=\"closed\",} 1.0")
        .contains("lbipam_backend_up 1.0")
        .contains("lbipam_allocations_total{pool=\"netbox-prefix-" + ns + "\",}");
    assertThat(MonitoringNames.assertExported(body, true)).as("the dashboard's backend panels")
        .contains("lbipam_backend_call_duration_seconds_bucket", "lbipam_backend_circuit_state");
    // Counted by NetBox in each maintenance round: a /28 that is no pool gives 14, 2 of them used.
    await().atMost(WAIT).untilAsserted(() -> assertThat(http.send(java.net.http.HttpRequest.newBuilder(metrics).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body())
        .contains("lbipam_pool_addresses{pool=\"netbox-prefix-" + ns + "\",family=\"IPv4\",} 14.0")
        .contains("lbipam_pool_addresses_in_use{pool=\"netbox-prefix-" + ns + "\",family=\"IPv4\",} 2.0"));
  }

  @Test
  @Order(2)
  void aKubeVipKeyNetBoxModeIgnoresGivesTheServicesItAppliesToAWarning() throws Exception {
    String ns = namespace("nb-ignored");
    netbox.createPrefix("10.78.0.0/28");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.78.0.0/28", "allow-share-" + ns, "true"));
    kube.create(TestServices.loadBalancer(ns, "web"));
    assertThat(awaitAddress(ns, "web")).isEqualTo("10.78.0.1");
    awaitEvent(ns, "web", "Warning", "AllocationNote", "allow-share-" + ns + ": ignored by the netbox backend");
    assertThat(controller.log()).as("a log line naming the key and the value")
        .containsPattern("key=allow-share-" + ns + " value=\\\\?\"true\\\\?\" problem=\\\\?\"ignored by the netbox backend");
  }

  @Test
  @Order(2)
  void aDualStackServiceGetsOneAddressPerFamily() throws Exception {
    String ns = namespace("nb-dual");
    netbox.createPrefix("10.72.0.0/28");
    netbox.createPrefix("fd00:72::/64");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.72.0.0/28,fd00:72::/64"));
    kube.create(TestServices.dualStack(TestServices.loadBalancer(ns, "both"), "RequireDualStack", "IPv6", "IPv4"));
    assertThat(awaitAddress(ns, "both")).isEqualTo("fd00:72::1,10.72.0.1");
    assertThat(claimed(CLUSTER, ns, "both", uid(ns, "both"))).hasSize(2);
  }

  @Test
  @Order(3)
  void staticAddressesAreRecordedAndATakenOneGetsAClearWarning() throws Exception {
    String ns = namespace("nb-static");
    netbox.createPrefix("10.73.0.0/28");
    long router = netbox.createAddress("10.73.0.9/28", null, "core router");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.73.0.0/28"));

    V1Service pinned = TestServices.loadBalancer(ns, "pinned");
    pinned.getMetadata().putAnnotationsItem(KubeVipNames.ADDRESSES_ANNOTATION, "10.73.0.5");
    kube.create(pinned);
    await().atMost(WAIT).until(() -> claimed(CLUSTER, ns, "pinned", uid(ns, "pinned")).size() == 1);
    assertThat(claimed(CLUSTER, ns, "pinned", uid(ns, "pinned")).get(0).address()).isEqualTo("10.73.0.5/28");

    V1Service clash = TestServices.loadBalancer(ns, "clash");
    clash.getMetadata().putAnnotationsItem(KubeVipNames.ADDRESSES_ANNOTATION, "10.73.0.9");
    kube.create(clash);
    awaitEvent(ns, "clash", "Warning", "AddressInUse", "ip-address #" + router);
    assertThat(kube.events(ns, "clash")).anyMatch(e -> e.getMessage().contains("core router") && e.getMessage().contains("not moved"));
    assertThat(kube.addresses(ns, "clash")).contains("10.73.0.9");

    kube.create(TestServices.loadBalancer(ns, "auto"));
    assertThat(awaitAddress(ns, "auto")).isEqualTo("10.73.0.1");
  }

  @Test
  @Order(4)
  void deletingAServiceReleasesItsNetBoxRecord() throws Exception {
    String ns = namespace("nb-delete");
    netbox.createPrefix("10.74.0.0/28");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.74.0.0/28"));
    kube.create(TestServices.loadBalancer(ns, "gone"));
    awaitAddress(ns, "gone");
    assertThat(within("10.74.0.")).hasSize(1);

    kube.delete(ns, "gone");
    await().atMost(WAIT).until(() -> kube.get(ns, "gone").isEmpty());
    await().atMost(WAIT).until(() -> within("10.74.0.").isEmpty());
    awaitEvent(ns, "gone", "Normal", "DeletedLoadBalancer", "");
  }

  @Test
  @Order(5)
  void aLostPostReplyGivesNoSecondAddressAndNoLeak() throws Exception {
    String ns = namespace("nb-lost");
    netbox.createPrefix("10.75.0.0/28");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.75.0.0/28"));
    long before = netbox.countCalls(HttpCall::isAllocation);
    netbox.loseReplies(1, HttpCall::isAllocation);
    kube.create(TestServices.loadBalancer(ns, "web"));

    assertThat(awaitAddress(ns, "web")).isEqualTo("10.75.0.1");
    assertThat(within("10.75.0.")).singleElement()
        .satisfies(r -> assertThat(r.customField("lbipam_claim")).contains(CLUSTER + "/" + ns + "/web/" + uid(ns, "web") + "/ipv4"));
    assertThat(netbox.countCalls(HttpCall::isAllocation) - before).isEqualTo(1);
    kube.create(TestServices.loadBalancer(ns, "next"));
    assertThat(awaitAddress(ns, "next")).isEqualTo("10.75.0.2");
  }

  @Test
  @Order(6)
  void aNetBoxOutageGivesWarningsKeepsAddressesAndConvergesWhenItReturns() throws Exception {
    String ns = namespace("nb-outage");
    netbox.createPrefix("10.76.0.0/28");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.76.0.0/28"));
    kube.create(TestServices.loadBalancer(ns, "before"));
    assertThat(awaitAddress(ns, "before")).isEqualTo("10.76.0.1");

    netbox.stopListening();
    kube.create(TestServices.loadBalancer(ns, "during"));
    awaitEvent(ns, "during", "Warning", "BackendUnavailable", "NetBox");
    netbox.startListening();
    netbox.failRequests(503, -1);
    kube.create(TestServices.loadBalancer(ns, "during-5xx"));
    awaitEvent(ns, "during-5xx", "Warning", "BackendUnavailable", "503");
    assertThat(kube.addresses(ns, "during")).isEmpty();
    assertThat(kube.addresses(ns, "before")).contains("10.76.0.1");
    assertThat(controller.isAlive()).isTrue();

    netbox.clearFaults();
    String during = awaitAddress(ns, "during");
    String during5xx = awaitAddress(ns, "during-5xx");
    assertThat(List.of(during, during5xx)).containsExactlyInAnyOrder("10.76.0.2", "10.76.0.3");
    assertThat(kube.addresses(ns, "before")).contains("10.76.0.1");
    assertThat(within("10.76.0.")).hasSize(3);
  }

  @Test
  @Order(7)
  void aRestartRestoresRecordsAndReleasesWhatWasDeletedWhileTheControllerWasDown() throws Exception {
    String ns = namespace("nb-restart");
    netbox.createPrefix("10.77.0.0/28");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.77.0.0/28"));
    for (String name : List.of("kept", "lost-record", "deleted-with-finalizer", "deleted-without-finalizer")) {
      kube.create(TestServices.loadBalancer(ns, name));
      awaitAddress(ns, name);
    }
    Map<String, String> before = new HashMap<>();
    for (V1Service s : kube.list(ns)) {
      before.put(s.getMetadata().getName(), s.getMetadata().getAnnotations().get(KubeVipNames.ADDRESSES_ANNOTATION));
    }
    String lostUid = uid(ns, "lost-record");
    String goneUid = uid(ns, "deleted-without-finalizer");
    controller.kill();

    // While no controller runs: a record is lost in NetBox, Services come and go.
    netbox.deleteAddress(claimed(CLUSTER, ns, "lost-record", lostUid).get(0).id());
    kube.delete(ns, "deleted-with-finalizer");
    kube.patchService(ns, "deleted-without-finalizer", "{\"metadata\":{\"finalizers\":null}}");
    kube.delete(ns, "deleted-without-finalizer");
    await().atMost(WAIT).until(() -> kube.get(ns, "deleted-without-finalizer").isEmpty());
    kube.create(TestServices.loadBalancer(ns, "late"));

    controller = startController(KUBE.server(), CLUSTER);

    await().atMost(WAIT).until(() -> claimed(CLUSTER, ns, "lost-record", lostUid).size() == 1);
    assertThat(claimed(CLUSTER, ns, "lost-record", lostUid).get(0).host()).isEqualTo(before.get("lost-record"));
    await().atMost(WAIT).until(() -> kube.get(ns, "deleted-with-finalizer").isEmpty());
    await().atMost(WAIT).until(() -> claimed(CLUSTER, ns, "deleted-without-finalizer", goneUid).isEmpty());
    String late = awaitAddress(ns, "late");
    assertThat(kube.addresses(ns, "kept")).contains(before.get("kept"));
    assertThat(kube.addresses(ns, "lost-record")).contains(before.get("lost-record"));
    assertThat(late).isNotIn(before.get("kept"), before.get("lost-record"));
    await().atMost(WAIT).untilAsserted(() -> assertThat(within("10.77.0.")).hasSize(3));
    assertThat(controller.log()).contains("released netbox records of a Service that is gone");
  }

  @Test
  @Order(8)
  void twoClustersOnOneNetBoxNeverShareAnAddress() throws Exception {
    netbox.createPrefix("10.79.0.0/26");
    String ns = namespace("nb-two");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, "10.79.0.0/26"));
    try (KubeApiServer second = KubeApiServer.start()) {
      Manifests.installPrerequisites(second.adminClient());
      TestServices kube2 = new TestServices(second.adminClient());
      String ns2 = second.createNamespace("nb-two");
      kube2.setPoolKeys(Map.of("netbox-prefix-" + ns2, "10.79.0.0/26"));
      ControllerProcess bravo = startController(second, "bravo");
      try {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
          List<Future<?>> futures = new ArrayList<>();
          for (int i = 0; i < 20; i++) {
            int n = i;
            futures.add(pool.submit(() -> kube.create(TestServices.loadBalancer(ns, "svc-" + n))));
            futures.add(pool.submit(() -> kube2.create(TestServices.loadBalancer(ns2, "svc-" + n))));
          }
          for (Future<?> f : futures) {
            f.get();
          }
        } finally {
          pool.shutdown();
        }
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          addresses.add(awaitAddress(kube, ns, "svc-" + i));
          addresses.add(awaitAddress(kube2, ns2, "svc-" + i));
        }
        assertThat(addresses).hasSize(40).doesNotHaveDuplicates().allMatch(a -> a.startsWith("10.79.0."));
        List<RecordedAddress> records = within("10.79.0.");
        assertThat(records).hasSize(40);
        assertThat(new HashSet<>(records.stream().map(RecordedAddress::host).toList())).hasSize(40);
        assertThat(records.stream().filter(r -> r.customField("lbipam_cluster").orElse("").equals("bravo"))).hasSize(20);
        assertThat(bravo.log()).doesNotContain(netbox.controllerToken());
      } finally {
        bravo.stop();
      }
    }
  }

  /**
   * A Service moved to an address of its own (annotation and spec): the address it had is free in
   * NetBox at once, but the cluster still claims it for the grace period. NetBox must not be asked
   * for it over and over (each time refused by the claim): the claim's stand-in reserves it there
   * until the claim goes.
   */
  @Test
  @Order(8)
  void anAddressStillClaimedInTheClusterIsReservedInNetBoxSoTheNextServiceGetsAnotherAtOnce() throws Exception {
    String ns = moveWebToAnAddressOfItsOwn("nb-moved", "10.80.0.", () -> {});
    nextGetsTheSecondAddressWhileTheFirstIsReserved(ns, "10.80.0.");
    // The claim is collected after --claim-gc-grace (60 s), and the reservation goes with it.
    await().atMost(WAIT.multipliedBy(3)).until(() -> netbox.addresses().stream().noneMatch(r -> r.host().equals("10.80.0.1")));
    assertThat(within("10.80.0.")).extracting(RecordedAddress::host).containsExactlyInAnyOrder("10.80.0.9", "10.80.0.2");
  }

  /**
   * The same, when the claim's stand-in is made while NetBox is away: it is recorded once NetBox
   * is back (restore, or the next claim race at the latest), not only after the claim is gone.
   */
  @Test
  @Order(8)
  void aClaimedAddressHeldWhileNetBoxWasAwayIsReservedWhenItReturns() throws Exception {
    String ns = moveWebToAnAddressOfItsOwn("nb-away", "10.84.0.", () -> {
      netbox.stopListening();
      await().atMost(WAIT).until(() -> controller.log().contains("held for its claim address=10.84.0.1 "));
      netbox.startListening();
    });
    nextGetsTheSecondAddressWhileTheFirstIsReserved(ns, "10.84.0.");
  }

  interface Step {
    void run() throws Exception;
  }

  /**
   * {@code web} gets {@code <net>1} from the /28, then is given {@code <net>9} in its annotation
   * and spec, with {@code whileMoving} run right after that patch. Returns the namespace once
   * NetBox records the new address for web.
   */
  private static String moveWebToAnAddressOfItsOwn(String nsPrefix, String net, Step whileMoving) throws Exception {
    String ns = namespace(nsPrefix);
    netbox.createPrefix(net + "0/28");
    kube.setPoolKeys(Map.of("netbox-prefix-" + ns, net + "0/28"));
    kube.create(TestServices.loadBalancer(ns, "web"));
    assertThat(awaitAddress(ns, "web")).isEqualTo(net + "1");
    kube.patchService(ns, "web",
        "{\"metadata\":{\"annotations\":{\"" + KubeVipNames.ADDRESSES_ANNOTATION + "\":\"" + net + "9\"}},"
            + "\"spec\":{\"loadBalancerIP\":\"" + net + "9\"}}");
    whileMoving.run();
    await().atMost(WAIT).until(() -> claimed(CLUSTER, ns, "web", uid(ns, "web")).stream()
        .map(RecordedAddress::host).toList().equals(List.of(net + "9")));
    return ns;
  }

  private static void nextGetsTheSecondAddressWhileTheFirstIsReserved(String ns, String net) throws Exception {
    long before = netbox.countCalls(HttpCall::isAllocation);
    kube.create(TestServices.loadBalancer(ns, "next"));
    assertThat(awaitAddress(ns, "next")).isEqualTo(net + "2");
    assertThat(netbox.countCalls(HttpCall::isAllocation) - before)
        .as("at most one allocation meets the claimed address before it is reserved").isLessThanOrEqualTo(2);
    assertThat(netbox.addresses().stream().filter(r -> r.host().equals(net + "1")))
        .singleElement().satisfies(r -> assertThat(r.status()).isEqualTo("reserved"));
  }

  @Test
  @Order(9)
  void theNetBoxManifestsAreValidAndKeptInStepWithTheBaseDeployment() throws Exception {
    KubeApiServer server = KUBE.server();
    // What kubectl apply -k manifest/netbox/ applies, less the base's RBAC that the test installed.
    List<Object> objects = Manifests.kustomize("netbox").stream()
        .filter(o -> o instanceof io.kubernetes.client.openapi.models.V1Deployment
            || o instanceof io.kubernetes.client.openapi.models.V1ConfigMap)
        .toList();
    io.kubernetes.client.openapi.models.V1Deployment netboxDeployment = null;
    for (Object o : objects) {
      if (o instanceof io.kubernetes.client.openapi.models.V1ConfigMap cm) {
        cm.getMetadata().setName("kubevip-netbox-check"); // the test's own pool ConfigMap exists already
        assertThat(cm.getData()).containsKeys("netbox-prefix-global", "netbox-range-global");
      }
      if (o instanceof io.kubernetes.client.openapi.models.V1Deployment d) {
        netboxDeployment = d;
      }
    }
    assertThat(Manifests.create(server.adminClient(), objects, true)).hasSize(2);
    io.kubernetes.client.openapi.models.V1Secret secret =
        (io.kubernetes.client.openapi.models.V1Secret) Manifests.load("netbox/secret-example.yaml").get(0);
    new io.kubernetes.client.openapi.apis.CoreV1Api(server.adminClient())
        .createNamespacedSecret("kube-system", secret).dryRun("All").execute();
    assertThat(secret.getStringData()).containsKey("netbox-token");

    io.kubernetes.client.openapi.models.V1Deployment base =
        (io.kubernetes.client.openapi.models.V1Deployment) Manifests.load("base/deployment.yaml").get(0);
    var baseContainer = base.getSpec().getTemplate().getSpec().getContainers().get(0);
    var container = netboxDeployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getImage()).isEqualTo(baseContainer.getImage());
    assertThat(container.getArgs()).containsAll(baseContainer.getArgs()).contains("--backend=netbox")
        .anyMatch(a -> a.startsWith("--backend-option=url=https://"));
    assertThat(container.getEnv()).containsAll(baseContainer.getEnv()).anyMatch(e -> e.getName().equals("LBIPAM_CLUSTER_ID"));
    assertThat(container.getReadinessProbe()).isEqualTo(baseContainer.getReadinessProbe());
    assertThat(container.getLivenessProbe()).isEqualTo(baseContainer.getLivenessProbe());
    assertThat(container.getResources()).isEqualTo(baseContainer.getResources());
    assertThat(container.getSecurityContext()).isEqualTo(baseContainer.getSecurityContext());
    assertThat(container.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/etc/lbipam/secrets") && m.getReadOnly());
    var tokenVolume = netboxDeployment.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getSecret() != null).findFirst().orElseThrow();
    assertThat(tokenVolume.getSecret().getSecretName()).isEqualTo(secret.getMetadata().getName());
    assertThat(tokenVolume.getSecret().getItems()).singleElement()
        .satisfies(i -> assertThat(i.getPath()).isEqualTo("netbox-token"));
    assertThat(netboxDeployment.getSpec().getTemplate().getSpec().getSecurityContext().getFsGroup()).isEqualTo(65532L);
  }
}
