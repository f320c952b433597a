package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.openapi.apis.NetworkingV1Api;
import io.kubernetes.client.openapi.models.V1IPAddress;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Address claims (lbipam.dev AddressClaim objects) on a real API server: created before an address
 * is written, released with it, kept while a Service is being deleted, collected when orphaned,
 * created for every address at start-up, and the IPAddress claims of an earlier version removed.
 */
class AddressClaimsIT {
  @RegisterExtension static final KubeApiServerExtension KUBE = new KubeApiServerExtension();
  static final Duration WAIT = Duration.ofSeconds(60);
  static TestServices kube;
  static ControllerProcess controller;

  @BeforeAll
  static void startController() throws Exception {
    KubeApiServer server = KUBE.server();
    Manifests.installPrerequisites(server.adminClient());
    kube = new TestServices(server.adminClient());
    controller = ControllerProcess.start(server, "claims", "--claim-gc-grace=PT2S", "--maintenance-interval=PT1S");
    controller.httpPort();
  }

  @AfterAll
  static void stopController() throws Exception {
    if (controller != null) {
      assertThat(controller.stop()).as("exit code after SIGTERM\n%s", controller.log()).isEqualTo(143);
    }
  }

  static List<AddressClaimObject> claims(ApiClient admin) throws Exception {
    return admin.<AddressClaimObject.ListObject>execute(
            AddressClaimObject.list(new CustomObjectsApi(admin)).buildCall(null),
            AddressClaimObject.ListObject.class)
        .getData()
        .getItems();
  }

  /** Claimed address to the ns/name of its first holder, for claims of Services in {@code ns}. */
  static Map<String, String> claimsIn(ApiClient admin, String ns) throws Exception {
    return claims(admin).stream()
        .filter(c -> ns.equals(c.getSpec().getHolders().get(0).namespace()))
        .collect(Collectors.toMap(c -> AddressClaim.addressOf(c.getMetadata().getName()).toString(),
            c -> c.getSpec().getHolders().get(0).namespace() + "/" + c.getSpec().getHolders().get(0).name()));
  }

  /** The cells of the table the API server renders for kubectl get addressclaims, without Age. */
  static List<List<String>> kubectlGetRows(ApiClient admin) throws Exception {
    okhttp3.Request request = new okhttp3.Request.Builder()
        .url(admin.getBasePath() + "/apis/lbipam.dev/v1alpha1/addressclaims")
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .header("Authorization", "Bearer " + KUBE.server().adminToken())
        .build();
    List<List<String>> rows = new ArrayList<>();
    try (okhttp3.Response response = admin.getHttpClient().newCall(request).execute()) {
      var table = com.google.gson.JsonParser.parseString(response.body().string()).getAsJsonObject();
      List<String> columns = new ArrayList<>();
      table.getAsJsonArray("columnDefinitions").forEach(c -> columns.add(c.getAsJsonObject().get("name").getAsString()));
      assertThat(columns).startsWith("Name", "Address", "Namespace", "Service", "Age");
      for (var row : table.getAsJsonArray("rows")) {
        var cells = row.getAsJsonObject().getAsJsonArray("cells");
        rows.add(List.of(cells.get(0).getAsString(), cells.get(1).getAsString(), cells.get(2).getAsString(),
            cells.get(3).getAsString()));
      }
    }
    return rows;
  }

  private static void pools(Map<String, String> keys) throws Exception {
    String version = kube.setPoolKeys(keys);
    await().atMost(WAIT).until(() -> controller.log().contains("resourceVersion=" + version + " problems="));
  }

  @Test
  void everyAddressIsClaimedByItsServiceBeforeItIsShownAndReleasedWithIt() throws Exception {
    ApiClient admin = KUBE.server().adminClient();
    String ns = KUBE.server().createNamespace("claims-basic");
    pools(Map.of("cidr-" + ns, "10.60.0.0/29,fd00:60::/125"));
    kube.create(TestServices.loadBalancer(ns, "a"));
    kube.create(TestServices.dualStack(TestServices.loadBalancer(ns, "dual"), "RequireDualStack", "IPv4", "IPv6"));
    await().atMost(WAIT).until(() -> kube.addresses(ns, "a").isPresent() && kube.addresses(ns, "dual").isPresent());

    Map<String, String> expected = new HashMap<>();
    for (String name : List.of("a", "dual")) {
      for (String address : kube.addresses(ns, name).orElseThrow().split(",")) {
        expected.put(address, ns + "/" + name);
      }
    }
    assertThat(expected).hasSize(3);
    assertThat(claimsIn(admin, ns)).isEqualTo(expected);
    String addressOfA = kube.addresses(ns, "a").orElseThrow();
    AddressClaimObject one = claims(admin).stream()
        .filter(c -> c.getMetadata().getName().equals(addressOfA)).findFirst().orElseThrow();
    assertThat(one.getSpec().getAddress()).isEqualTo(addressOfA);
    String uidOfA = kube.get(ns, "a").orElseThrow().getMetadata().getUid();
    assertThat(one.getSpec().getHolders()).singleElement().satisfies(h -> assertThat(h.uid()).isEqualTo(uidOfA));
    String v6 = java.util.Arrays.stream(kube.addresses(ns, "dual").orElseThrow().split(","))
        .filter(a -> a.contains(":")).findFirst().orElseThrow();
    assertThat(kubectlGetRows(admin)).as("what kubectl get addressclaims prints").contains(
        List.of(kube.addresses(ns, "a").orElseThrow(), kube.addresses(ns, "a").orElseThrow(), ns, "a"),
        List.of(AddressClaim.nameOf(dev.lbipam.ipam.spi.net.IpAddress.parse(v6)), v6, ns, "dual"));

    kube.delete(ns, "a");
    kube.delete(ns, "dual");
    await().atMost(WAIT).until(() -> claimsIn(admin, ns).isEmpty());
  }

  @Test
  void aServiceBeingDeletedKeepsItsAddressUntilItsFinalizerIsGone() throws Exception {
    String ns = KUBE.server().createNamespace("claims-deleting");
    pools(Map.of("cidr-" + ns, "10.61.0.1/32"));
    V1Service held = TestServices.loadBalancer(ns, "held");
    held.getMetadata().addFinalizersItem("example.com/hold");
    kube.create(held);
    await().atMost(WAIT).until(() -> kube.addresses(ns, "held").isPresent());
    assertThat(kube.addresses(ns, "held")).contains("10.61.0.1");

    kube.delete(ns, "held");
    await().atMost(WAIT).until(() ->
        kube.get(ns, "held").map(s -> !s.getMetadata().getFinalizers().contains(KubeVipNames.FINALIZER)).orElse(true));
    // Still there (another finalizer holds it), still showing its address: nobody else may get it.
    assertThat(kube.addresses(ns, "held")).contains("10.61.0.1");
    kube.create(TestServices.loadBalancer(ns, "next"));
    await().atMost(WAIT).until(() -> kube.hasEvent(ns, "next", "Warning", "PoolExhausted", "10.61.0.1"));
    assertThat(kube.addresses(ns, "next")).isEmpty();

    kube.patchService(ns, "held", "{\"metadata\":{\"finalizers\":null}}");
    await().atMost(WAIT).until(() -> kube.addresses(ns, "next").isPresent());
    assertThat(kube.addresses(ns, "next")).contains("10.61.0.1");
    kube.delete(ns, "next");
    await().atMost(WAIT).until(() -> claimsIn(KUBE.server().adminClient(), ns).isEmpty());
  }

  @Test
  void anOrphanedClaimIsCollectedAndAClaimOfAWaitingServiceIsGivenToIt() throws Exception {
    ApiClient admin = KUBE.server().adminClient();
    String ns = KUBE.server().createNamespace("claims-orphan");
    V1Service waiting = kube.create(TestServices.loadBalancer(ns, "waiting"));
    await().atMost(WAIT).until(() -> kube.hasEvent(ns, "waiting", "Warning", "NoPool", ""));
    // What a replica leaves when it stops between its claim and its patch: a claim for a Service
    // that no longer exists, and one for a Service that still waits.
    createClaim(admin, "10.62.0.1", ns, "ghost", "00000000-0000-0000-0000-000000000000");
    createClaim(admin, "10.62.0.5", ns, "waiting", waiting.getMetadata().getUid());

    pools(Map.of("cidr-" + ns, "10.62.0.0/29"));
    await().atMost(WAIT).until(() -> kube.addresses(ns, "waiting").isPresent());
    assertThat(kube.addresses(ns, "waiting")).as("the address claimed for it").contains("10.62.0.5");
    await().atMost(WAIT).until(() -> !claimsIn(admin, ns).containsKey("10.62.0.1"));
    assertThat(controller.log()).contains("released orphaned claim address=10.62.0.1");

    kube.create(TestServices.loadBalancer(ns, "next"));
    await().atMost(WAIT).until(() -> kube.addresses(ns, "next").isPresent());
    assertThat(kube.addresses(ns, "next")).contains("10.62.0.1");
    assertThat(claimsIn(admin, ns)).containsOnlyKeys("10.62.0.1", "10.62.0.5");
    kube.delete(ns, "next");
    kube.delete(ns, "waiting");
    await().atMost(WAIT).until(() -> claimsIn(admin, ns).isEmpty());
  }

  static void createClaim(ApiClient admin, String address, String ns, String name, String uid) throws Exception {
    AddressClaimObject claim = new AddressClaimObject()
        .metadata(new io.kubernetes.client.openapi.models.V1ObjectMeta().name(address))
        .spec(new AddressClaimObject.Spec().address(address)
            .holders(AddressClaims.entries(List.of(new AddressClaim.Holder(ns, name, uid, List.of())))));
    new CustomObjectsApi(admin)
        .createClusterCustomObject(AddressClaimObject.GROUP, AddressClaimObject.VERSION, AddressClaimObject.PLURAL, claim)
        .execute();
  }

  /** A claim as lbipam before ADR 0016 made it: an IPAddress object with our managed-by label. */
  static void createLegacyClaim(ApiClient admin, String address, String ns, String name) throws Exception {
    new NetworkingV1Api(admin).createIPAddress(new V1IPAddress()
        .metadata(new io.kubernetes.client.openapi.models.V1ObjectMeta().name(address)
            .putLabelsItem("ipaddress.kubernetes.io/managed-by", "lbipam.dev"))
        .spec(new io.kubernetes.client.openapi.models.V1IPAddressSpec().parentRef(
            new io.kubernetes.client.openapi.models.V1ParentReference().resource("services").namespace(ns).name(name))))
        .execute();
  }

  static List<V1IPAddress> legacyClaims(ApiClient admin) throws Exception {
    return new NetworkingV1Api(admin).listIPAddress().labelSelector(LegacyIpAddressClaims.SELECTOR).execute().getItems();
  }

  @Test
  void withoutTheCrdTheControllerExitsNamingTheFileToApplyAndACrdAppliedBesideItIsWaitedFor() throws Exception {
    try (KubeApiServer server = KubeApiServer.start()) {
      Manifests.create(server.adminClient(), Manifests.load("base/serviceaccount.yaml", "base/rbac.yaml"), false);
      try (ControllerProcess controller = ControllerProcess.start(server, "no-crd")) {
        await().atMost(WAIT).until(() -> !controller.isAlive());
        assertThat(controller.exitCode()).as(controller.log()).isNotZero();
        assertThat(controller.log())
            .contains("address claim resource not served yet; retrying code=404")
            .contains("apply manifest/base/crd.yaml");
      }
      // As kubectl apply -k does it: the Deployment starts while the CRD is still being established.
      TestServices later = new TestServices(server.adminClient());
      String ns = server.createNamespace("crd-later");
      later.setPoolKeys(Map.of("cidr-" + ns, "10.64.0.0/30"));
      try (ControllerProcess controller = ControllerProcess.start(server, "crd-later")) {
        await().atMost(WAIT).until(() -> controller.log().contains("address claim resource not served yet"));
        Manifests.create(server.adminClient(), Manifests.load("base/crd.yaml"), false);
        later.create(TestServices.loadBalancer(ns, "web"));
        await().atMost(WAIT).until(() -> later.addresses(ns, "web").isPresent());
        assertThat(controller.isAlive()).isTrue();
        assertThat(claimsIn(server.adminClient(), ns)).containsOnlyKeys(later.addresses(ns, "web").orElseThrow());
      }
    }
  }

  @Test
  void startUpClaimsEveryAddressAlreadyShownMovesNothingAndWarnsBothSidesOfAClash() throws Exception {
    try (KubeApiServer server = KubeApiServer.start()) {
      Manifests.installPrerequisites(server.adminClient());
      TestServices old = new TestServices(server.adminClient());
      String ns = server.createNamespace("upgrade");
      old.setPoolKeys(Map.of("cidr-" + ns, "10.63.0.0/23"));
      // As kube-vip-cloud-provider (or lbipam 0.1) left them: addresses in the annotation, no claims.
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        int n = i;
        futures.add(pool.submit(() -> {
          V1Service service = TestServices.loadBalancer(ns, "old-" + n);
          service.getMetadata().putAnnotationsItem(KubeVipNames.ADDRESSES_ANNOTATION, "10.63.0." + (n + 1));
          service.getMetadata().putLabelsItem(KubeVipNames.IMPLEMENTATION_LABEL, KubeVipNames.IMPLEMENTATION_VALUE);
          return old.create(service);
        }));
      }
      for (Future<?> future : futures) {
        future.get();
      }
      pool.shutdown();
      // Two Services that share an address although their ports clash.
      for (String name : List.of("clash-a", "clash-b")) {
        V1Service service = TestServices.loadBalancer(ns, name);
        service.getMetadata().putAnnotationsItem(KubeVipNames.ADDRESSES_ANNOTATION, "10.63.1.10");
        old.create(service);
      }
      // lbipam before ADR 0016 claimed with IPAddress objects; a ClusterIP has one of the allocator's.
      for (int i = 0; i < 3; i++) {
        createLegacyClaim(server.adminClient(), "10.63.0." + (i + 1), ns, "old-" + i);
      }
      V1Service internal = old.create(new V1Service()
          .metadata(new io.kubernetes.client.openapi.models.V1ObjectMeta().namespace(ns).name("internal"))
          .spec(new V1ServiceSpec().type("ClusterIP").addPortsItem(new V1ServicePort().port(80).protocol("TCP"))));
      String clusterIp = internal.getSpec().getClusterIP();
      assertThat(legacyClaims(server.adminClient())).hasSize(3);

      try (ControllerProcess upgraded = ControllerProcess.start(server, "upgraded")) {
        await().atMost(WAIT).until(() -> claimsIn(server.adminClient(), ns).size() == 201);
        assertThat(upgraded.log()).contains("indexed existing services");
        Map<String, String> claimed = claimsIn(server.adminClient(), ns);
        for (int i = 0; i < 200; i++) {
          assertThat(old.addresses(ns, "old-" + i)).as("nothing moves").contains("10.63.0." + (i + 1));
          assertThat(claimed.get("10.63.0." + (i + 1))).isEqualTo(ns + "/old-" + i);
        }
        assertThat(old.addresses(ns, "clash-a")).contains("10.63.1.10");
        assertThat(old.addresses(ns, "clash-b")).contains("10.63.1.10");
        await().atMost(WAIT).until(() ->
            old.hasEvent(ns, "clash-a", "Warning", "AddressInUse", "10.63.1.10")
                && old.hasEvent(ns, "clash-b", "Warning", "AddressInUse", "10.63.1.10"));
        old.create(TestServices.loadBalancer(ns, "new"));
        await().atMost(WAIT).until(() -> old.addresses(ns, "new").isPresent());
        assertThat(old.addresses(ns, "new")).contains("10.63.0.201");
        await().atMost(WAIT).until(() -> legacyClaims(server.adminClient()).isEmpty());
        assertThat(upgraded.log()).contains("removed the IPAddress claims of an earlier version removed=3");
        assertThat(new NetworkingV1Api(server.adminClient()).readIPAddress(clusterIp).execute().getMetadata().getLabels())
            .as("the ClusterIP keeps the allocator's IPAddress").containsEntry("ipaddress.kubernetes.io/managed-by", "ipallocator.k8s.io");
      }
    }
  }
}
