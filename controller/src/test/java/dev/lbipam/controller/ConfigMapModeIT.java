package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lbipam.controller.TestServices.Port;
import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
import io.kubernetes.client.openapi.models.V1Service;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ConfigMap mode end to end: a real API server, the real controller as its ServiceAccount. */
class ConfigMapModeIT {
  @RegisterExtension static final KubeApiServerExtension KUBE = new KubeApiServerExtension();
  static final Duration WAIT = Duration.ofSeconds(60);
  static TestServices kube;
  static ControllerProcess controller;

  @BeforeAll
  static void startController() throws Exception {
    KubeApiServer server = KUBE.server();
    Manifests.installPrerequisites(server.adminClient());
    kube = new TestServices(server.adminClient());
    kube.setPoolKeys(Map.of("cidr-global", "10.99.0.0/24"));
    controller = ControllerProcess.start(server, "cm-mode");
    controller.httpPort();
  }

  @AfterAll
  static void stopController() throws Exception {
    if (controller != null) {
      // SIGTERM: the JVM runs the shutdown hook and exits with 128+15.
      assertThat(controller.stop()).as("exit code after SIGTERM\n%s", controller.log()).isEqualTo(143);
      assertThat(controller.log()).contains("stopped");
      assertThat(controller.log()).as("a clean shutdown logs no error").doesNotContain("level=ERROR");
      for (String line : controller.log().split("\n")) {
        if (line.startsWith("time=")) {
          assertThat(LogLineTest.parseLogfmt(line)).as(line).containsKeys("time", "level", "logger", "thread", "msg");
        }
      }
    }
  }

  /**
   * Sets pool keys and waits until the controller has applied that version of the ConfigMap, so a
   * Service created next cannot race the ConfigMap watch.
   */
  private static void pools(Map<String, String> keys) throws Exception {
    String version = kube.setPoolKeys(keys);
    await().atMost(WAIT).until(() -> controller.log().contains("resourceVersion=" + version + " problems="));
  }

  private static String namespace(String prefix) {
    return KUBE.server().createNamespace(prefix);
  }

  private static String awaitAddress(String ns, String name) {
    return await().atMost(WAIT).until(() -> kube.addresses(ns, name), Optional::isPresent).orElseThrow();
  }

  private static void awaitEvent(String ns, String name, String type, String reason, String text) {
    await().atMost(WAIT).until(() -> kube.hasEvent(ns, name, type, reason, text));
  }

  @Test
  void allocatesTheLowestAddressAndWritesWhatKubeVipWrites() throws Exception {
    String ns = namespace("basic");
    pools(Map.of("cidr-" + ns, "10.20.0.0/29", "interface-" + ns, "eth7"));
    kube.create(TestServices.loadBalancer(ns, "web"));

    assertThat(awaitAddress(ns, "web")).isEqualTo("10.20.0.1");
    V1Service service = kube.get(ns, "web").orElseThrow();
    assertThat(service.getMetadata().getLabels()).containsEntry("implementation", "kube-vip");
    assertThat(service.getMetadata().getAnnotations()).containsEntry("kube-vip.io/serviceInterface", "eth7");
    assertThat(service.getSpec().getLoadBalancerIP()).isEqualTo("10.20.0.1");
    assertThat(service.getMetadata().getFinalizers()).contains("service.kubernetes.io/load-balancer-cleanup");
    awaitEvent(ns, "web", "Normal", "EnsuredLoadBalancer", "10.20.0.1");

    kube.create(TestServices.loadBalancer(ns, "second"));
    assertThat(awaitAddress(ns, "second")).isEqualTo("10.20.0.2");
  }

  @Test
  void dualStackRequireAndPreferWithOneFamilyExhausted() throws Exception {
    String ns = namespace("dual");
    pools(Map.of("cidr-" + ns, "10.21.0.1/32,fd00:21::/127"));
    kube.create(TestServices.dualStack(TestServices.loadBalancer(ns, "require-a"), "RequireDualStack", "IPv6", "IPv4"));
    assertThat(awaitAddress(ns, "require-a")).isEqualTo("fd00:21::,10.21.0.1");
    assertThat(kube.get(ns, "require-a").orElseThrow().getSpec().getLoadBalancerIP()).isEqualTo("fd00:21::");

    kube.create(TestServices.dualStack(TestServices.loadBalancer(ns, "require-b"), "RequireDualStack", "IPv4", "IPv6"));
    awaitEvent(ns, "require-b", "Warning", "PoolExhausted", "IPv4");
    assertThat(kube.addresses(ns, "require-b")).isEmpty();

    kube.create(TestServices.dualStack(TestServices.loadBalancer(ns, "prefer"), "PreferDualStack", "IPv4", "IPv6"));
    assertThat(awaitAddress(ns, "prefer")).isEqualTo("fd00:21::1");
  }

  @Test
  void sharingComparesProtocolAndPort() throws Exception {
    String ns = namespace("share");
    pools(Map.of("cidr-" + ns, "10.22.0.1/32", "allow-share-" + ns, "true"));
    kube.create(TestServices.withPorts(TestServices.loadBalancer(ns, "dns-tcp"), new Port("TCP", 53)));
    assertThat(awaitAddress(ns, "dns-tcp")).isEqualTo("10.22.0.1");

    kube.create(TestServices.withPorts(TestServices.loadBalancer(ns, "dns-udp"), new Port("UDP", 53)));
    assertThat(awaitAddress(ns, "dns-udp")).isEqualTo("10.22.0.1");

    kube.create(TestServices.withPorts(TestServices.loadBalancer(ns, "dns-tcp-2"), new Port("TCP", 53)));
    awaitEvent(ns, "dns-tcp-2", "Warning", "PoolExhausted", "10.22.0.1/32");
    assertThat(kube.addresses(ns, "dns-tcp-2")).isEmpty();
  }

  @Test
  void globalCidrBeatsNamespaceRangeAndNamespaceCidrBeatsGlobal() throws Exception {
    String rangeNs = namespace("prec-range");
    String cidrNs = namespace("prec-cidr");
    pools(Map.of("range-" + rangeNs, "10.23.0.10-10.23.0.20", "cidr-" + cidrNs, "10.23.1.0/30"));
    kube.create(TestServices.loadBalancer(rangeNs, "svc"));
    kube.create(TestServices.loadBalancer(cidrNs, "svc"));
    assertThat(awaitAddress(rangeNs, "svc")).startsWith("10.99.0.");
    assertThat(awaitAddress(cidrNs, "svc")).isEqualTo("10.23.1.1");
  }

  @Test
  void staticAddressesViaSpecAndAnnotationCountAsUsed() throws Exception {
    String ns = namespace("static");
    pools(Map.of("cidr-" + ns, "10.24.0.0/29"));
    V1Service viaSpec = TestServices.loadBalancer(ns, "via-spec");
    viaSpec.getSpec().setLoadBalancerIP("10.24.0.1");
    kube.create(viaSpec);
    V1Service viaAnnotation = TestServices.loadBalancer(ns, "via-annotation");
    viaAnnotation.getMetadata().putAnnotationsItem("kube-vip.io/loadbalancerIPs", "10.24.0.2");
    kube.create(viaAnnotation);
    assertThat(awaitAddress(ns, "via-spec")).isEqualTo("10.24.0.1");
    await().atMost(WAIT).until(() -> kube.get(ns, "via-annotation").orElseThrow().getMetadata().getLabels() != null);
    awaitEvent(ns, "via-annotation", "Normal", "EnsuredLoadBalancer", "Using 10.24.0.2 from the annotation");
    awaitEvent(ns, "via-spec", "Normal", "EnsuredLoadBalancer", "Using 10.24.0.1 from spec.loadBalancerIP");
    assertThat(kube.hasEvent(ns, "via-spec", "Normal", "EnsuringLoadBalancer", "")).isTrue();

    kube.create(TestServices.loadBalancer(ns, "auto"));
    assertThat(awaitAddress(ns, "auto")).isEqualTo("10.24.0.3");
  }

  @Test
  void aConfigMapEditUnblocksAWaitingService() throws Exception {
    String ns = namespace("unblock");
    pools(Map.of("cidr-" + ns, "10.25.0.1/32"));
    kube.create(TestServices.loadBalancer(ns, "first"));
    assertThat(awaitAddress(ns, "first")).isEqualTo("10.25.0.1");
    kube.create(TestServices.loadBalancer(ns, "waiting"));
    awaitEvent(ns, "waiting", "Warning", "PoolExhausted", "no addresses available");
    await().atMost(WAIT).until(() ->
        kube.get(ns, "waiting").orElseThrow().getMetadata().getFinalizers().contains(KubeVipNames.FINALIZER));

    pools(Map.of("cidr-" + ns, "10.25.0.1/32, 10.25.0.2/32"));
    assertThat(awaitAddress(ns, "waiting")).isEqualTo("10.25.0.2");
    assertThat(kube.addresses(ns, "first")).contains("10.25.0.1");
  }

  @Test
  void aMalformedPoolGivesAWarningWhileAnotherNamespaceStillAllocates() throws Exception {
    String bad = namespace("bad");
    String good = namespace("good");
    Map<String, String> keys = new HashMap<>();
    keys.put("cidr-" + bad, "10.26.0.0/33");
    keys.put("cidr-" + good, "10.26.1.0/30");
    pools(keys);
    kube.create(TestServices.loadBalancer(bad, "svc"));
    kube.create(TestServices.loadBalancer(good, "svc"));
    assertThat(awaitAddress(good, "svc")).isEqualTo("10.26.1.1");
    awaitEvent(bad, "svc", "Warning", "InvalidPoolConfig", "cidr-" + bad);
    assertThat(kube.events(bad, "svc")).anyMatch(e -> e.getMessage().contains("10.26.0.0/33"));
    assertThat(kube.addresses(bad, "svc")).isEmpty();
    assertThat(controller.log()).contains("key=cidr-" + bad).contains("10.26.0.0/33");
    String metrics = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.httpPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("lbipam_config_problems{key=\"cidr-" + bad + "\",} 1.0")
        .contains("lbipam_allocation_failures_total{reason=\"invalid_config\",}");
  }

  @Test
  void deletingAServiceReleasesItsAddressForTheNextOne() throws Exception {
    String ns = namespace("release");
    pools(Map.of("cidr-" + ns, "10.27.0.1/32"));
    kube.create(TestServices.loadBalancer(ns, "old"));
    assertThat(awaitAddress(ns, "old")).isEqualTo("10.27.0.1");
    kube.create(TestServices.loadBalancer(ns, "new"));
    awaitEvent(ns, "new", "Warning", "PoolExhausted", "10.27.0.1/32");

    kube.delete(ns, "old");
    await().atMost(WAIT).until(() -> kube.get(ns, "old").isEmpty());
    assertThat(awaitAddress(ns, "new")).isEqualTo("10.27.0.1");
    awaitEvent(ns, "old", "Normal", "DeletedLoadBalancer", "");
  }

  @Test
  void aMalformedAnnotationGetsAWarningAndHarmsNobodyElse() throws Exception {
    String ns = namespace("badanno");
    pools(Map.of("cidr-" + ns, "10.28.0.0/30"));
    V1Service broken = TestServices.loadBalancer(ns, "broken");
    broken.getMetadata().putAnnotationsItem("kube-vip.io/loadbalancerIPs", "10.28.0.300");
    kube.create(broken);
    awaitEvent(ns, "broken", "Warning", "InvalidAnnotation", "10.28.0.300");
    kube.create(TestServices.loadBalancer(ns, "fine"));
    assertThat(awaitAddress(ns, "fine")).isEqualTo("10.28.0.1");
  }

  @Test
  void aServiceOfAnotherClassIsNotTouchedButItsAddressCounts() throws Exception {
    String ns = namespace("class");
    pools(Map.of("cidr-" + ns, "10.29.0.0/30"));
    V1Service foreign = TestServices.loadBalancer(ns, "foreign");
    foreign.getSpec().setLoadBalancerClass("example.com/other");
    foreign.getMetadata().putAnnotationsItem("kube-vip.io/loadbalancerIPs", "10.29.0.1");
    kube.create(foreign);
    kube.create(TestServices.loadBalancer(ns, "ours"));
    assertThat(awaitAddress(ns, "ours")).isEqualTo("10.29.0.2");
    V1Service untouched = kube.get(ns, "foreign").orElseThrow();
    assertThat(untouched.getMetadata().getFinalizers()).isNullOrEmpty();
    assertThat(untouched.getMetadata().getLabels()).isNullOrEmpty();
  }

  @Test
  void anAddressSurvivesPoolEditsAndIsReplacedOnlyWhenTheUserRemovesIt() throws Exception {
    String ns = namespace("renew");
    pools(Map.of("cidr-" + ns, "10.31.0.0/29"));
    kube.create(TestServices.loadBalancer(ns, "svc"));
    assertThat(awaitAddress(ns, "svc")).isEqualTo("10.31.0.1");

    pools(Map.of("cidr-" + ns, "10.31.1.0/29"));
    kube.create(TestServices.loadBalancer(ns, "probe"));
    assertThat(awaitAddress(ns, "probe")).isEqualTo("10.31.1.1");
    assertThat(kube.addresses(ns, "svc")).contains("10.31.0.1");

    kube.patchService(ns, "svc",
        "{\"metadata\":{\"annotations\":{\"kube-vip.io/loadbalancerIPs\":null}},\"spec\":{\"loadBalancerIP\":null}}");
    await().atMost(WAIT).until(() -> kube.addresses(ns, "svc").filter(a -> !a.equals("10.31.0.1")).isPresent());
    assertThat(kube.addresses(ns, "svc")).contains("10.31.1.2");
  }

  @Test
  void metricsReportPoolsLeadershipAndAllocations() throws Exception {
    String ns = namespace("metrics");
    pools(Map.of("cidr-" + ns, "10.30.0.0/24,fd00:30::/64"));
    kube.create(TestServices.loadBalancer(ns, "svc"));
    awaitAddress(ns, "svc");
    HttpClient http = HttpClient.newHttpClient();
    URI base = URI.create("http://127.0.0.1:" + controller.httpPort());
    await().atMost(WAIT).untilAsserted(() -> {
      String body = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
      assertThat(body)
          .contains("lbipam_pool_addresses{pool=\"cidr-" + ns + "\",family=\"IPv4\",} 254.0")
          .contains("lbipam_pool_addresses_in_use{pool=\"cidr-" + ns + "\",family=\"IPv4\",} 1.0")
          .contains("lbipam_pool_addresses{pool=\"cidr-" + ns + "\",family=\"IPv6\",} 1.8446744073709552E19")
          .contains("lbipam_leader 1.0")
          .contains("lbipam_build_info{version=\"")
          .contains("lbipam_claims ")
          .contains("lbipam_events_dropped_total 0.0")
          .contains("lbipam_reconcile_duration_seconds_count")
          .contains("lbipam_allocations_total{pool=\"cidr-" + ns + "\",}");
    });
    assertThat(http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(http.send(HttpRequest.newBuilder(base.resolve("/readyz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
  }

  @Test
  void everyMetricTheDashboardAndTheAlertsUseIsExported() throws Exception {
    String exported = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.httpPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(MonitoringNames.assertExported(exported, false))
        .contains("lbipam_leader", "lbipam_pool_addresses", "lbipam_services_waiting", "lbipam_backend_up",
            "lbipam_reconcile_duration_seconds_bucket");
    java.nio.file.Path monitoring = Manifests.directory().resolve("monitoring");
    var rules = (java.util.Map<?, ?>) new org.yaml.snakeyaml.Yaml().load(
        java.nio.file.Files.readString(monitoring.resolve("prometheus-rules.yaml")));
    assertThat(rules.get("kind")).isEqualTo("PrometheusRule");
    assertThat(com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(monitoring.resolve("grafana-dashboard.json")))
        .getAsJsonObject().getAsJsonArray("panels")).hasSizeGreaterThan(5);
  }
}
