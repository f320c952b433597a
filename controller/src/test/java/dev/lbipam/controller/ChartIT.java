package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
import dev.lbipam.testsupport.KubeBinaries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart in charts/lbipam: it lints, its default rendering is manifest/base (one source of
 * truth, checked here), its redis and netbox renderings are the kustomize overlays, every rendering
 * is accepted by a real API server, and the RBAC it installs passes the least-privilege checks.
 */
class ChartIT {
  @RegisterExtension static final KubeApiServerExtension KUBE = new KubeApiServerExtension();
  /** Labels Helm adds for its own bookkeeping; everything else must be as in manifest/. */
  static final List<String> HELM_LABELS =
      List.of("helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "app.kubernetes.io/version");
  /** The placeholders the overlays carry, so that the chart renders the same objects. */
  static final List<String> REDIS_AS_OVERLAY = List.of("--set", "backend.type=redis", "--set", "clusterId=CHANGE-ME-cluster-a",
      "--set", "backend.redis.url=rediss://redis.example.internal:6380");
  static final List<String> NETBOX_AS_OVERLAY = List.of("--set", "backend.type=netbox", "--set", "clusterId=prod-eu-1",
      "--set", "backend.netbox.url=https://netbox.example.com");

  static Path chart;

  @BeforeAll
  static void locate() {
    chart = Manifests.directory().getParent().resolve("charts/lbipam");
    assertThat(chart.resolve("Chart.yaml")).exists();
  }

  static String helm(List<String> args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(KubeBinaries.helm().toString());
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
    }
    return output;
  }

  /** {@code helm template lbipam charts/lbipam -n kube-system --include-crds <values...>}, rendered into objects. */
  static List<Map<String, Object>> render(List<String> values) throws IOException, InterruptedException {
    return objects(renderText(values));
  }

  static String renderText(List<String> values) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("template", "lbipam", chart.toString(), "--namespace", "kube-system", "--include-crds"));
    args.addAll(values);
    return helm(args);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> objects(String yaml) {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object document : new Yaml().loadAll(yaml)) {
      if (document != null) {
        objects.add((Map<String, Object>) document);
      }
    }
    return objects;
  }

  /** kind/name → the object without Helm's own labels (an emptied labels map is dropped). */
  @SuppressWarnings("unchecked")
  static Map<String, Map<String, Object>> byKindAndName(List<Map<String, Object>> objects) {
    Map<String, Map<String, Object>> result = new TreeMap<>();
    for (Map<String, Object> object : objects) {
      Map<String, Object> copy = new LinkedHashMap<>(object);
      Map<String, Object> metadata = new LinkedHashMap<>((Map<String, Object>) copy.get("metadata"));
      if (metadata.get("labels") instanceof Map<?, ?> labels) {
        Map<String, Object> kept = new LinkedHashMap<>((Map<String, Object>) labels);
        HELM_LABELS.forEach(kept::remove);
        if (kept.isEmpty()) {
          metadata.remove("labels");
        } else {
          metadata.put("labels", kept);
        }
      }
      copy.put("metadata", metadata);
      result.put(copy.get("kind") + "/" + metadata.get("name"), copy);
    }
    return result;
  }

  static Map<String, Map<String, Object>> kustomized(String dir) throws IOException, InterruptedException {
    return byKindAndName(objects(Manifests.kubectl("kustomize", Manifests.directory().resolve(dir).toString())));
  }

  static List<List<String>> everyValuesSet() throws IOException {
    List<List<String>> sets = new ArrayList<>();
    sets.add(List.of());
    try (var files = Files.list(chart.resolve("ci"))) {
      files.sorted().forEach(f -> sets.add(List.of("--values", f.toString())));
    }
    sets.add(REDIS_AS_OVERLAY);
    sets.add(NETBOX_AS_OVERLAY);
    return sets;
  }

  @Test
  void theChartLintsStrictlyWithEveryValuesSet() throws Exception {
    for (List<String> values : everyValuesSet()) {
      List<String> args = new ArrayList<>(List.of("lint", "--strict", chart.toString()));
      args.addAll(values);
      assertThat(helm(args)).as("helm lint %s", values).contains("0 chart(s) failed");
    }
  }

  @Test
  void theDefaultRenderingIsManifestBase() throws Exception {
    Map<String, Map<String, Object>> fromChart = byKindAndName(render(List.of()));
    Map<String, Map<String, Object>> fromManifest = kustomized("base");
    assertThat(fromChart.keySet()).containsExactlyElementsOf(fromManifest.keySet());
    for (String key : fromManifest.keySet()) {
      assertThat(fromChart.get(key)).as(key).isEqualTo(fromManifest.get(key));
    }
  }

  @Test
  void theRedisAndNetBoxRenderingsAreTheOverlays() throws Exception {
    for (var variant : Map.of("redis", REDIS_AS_OVERLAY, "netbox", NETBOX_AS_OVERLAY).entrySet()) {
      Map<String, Map<String, Object>> fromChart = byKindAndName(render(variant.getValue()));
      Map<String, Map<String, Object>> fromOverlay = kustomized(variant.getKey());
      // The netbox overlay also carries an example pool ConfigMap; the chart creates one only on request.
      fromOverlay.remove("ConfigMap/kubevip");
      assertThat(fromChart.keySet()).as(variant.getKey()).containsExactlyElementsOf(fromOverlay.keySet());
      for (String key : fromOverlay.keySet()) {
        assertThat(fromChart.get(key)).as("%s %s", variant.getKey(), key).isEqualTo(fromOverlay.get(key));
      }
    }
  }

  @Test
  void everyRenderingIsAcceptedByTheApiServer() throws Exception {
    KubeApiServer server = KUBE.server();
    // ServiceMonitor and PrometheusRule need prometheus-operator's CRDs: a minimal stand-in for them.
    Manifests.kubectl("--kubeconfig", server.adminKubeconfig().toString(), "apply", "--server-side", "-f",
        Path.of("src/test/resources/monitoring-crds.yaml").toAbsolutePath().toString());
    Manifests.kubectl("--kubeconfig", server.adminKubeconfig().toString(), "wait", "--for=condition=Established",
        "crd/servicemonitors.monitoring.coreos.com", "crd/prometheusrules.monitoring.coreos.com");
    for (List<String> values : everyValuesSet()) {
      Path rendered = Files.createTempFile("lbipam-chart", ".yaml");
      Files.writeString(rendered, renderText(values));
      String applied = Manifests.kubectl("--kubeconfig", server.adminKubeconfig().toString(), "apply", "--server-side",
          "--force-conflicts", "--dry-run=server", "-f", rendered.toString());
      assertThat(applied).as("%s", values).contains("deployment.apps/lbipam-controller serverside-applied");
      Files.delete(rendered);
    }
  }

  @Test
  void everyOptionalObjectRendersWhenAskedFor() throws Exception {
    Map<String, Map<String, Object>> all =
        byKindAndName(render(List.of("--values", chart.resolve("ci/monitoring-values.yaml").toString())));
    assertThat(all.keySet()).contains("ServiceMonitor/lbipam-controller", "PrometheusRule/lbipam", "Service/lbipam-controller-metrics",
        "ConfigMap/kubevip", "PodDisruptionBudget/lbipam-controller");
    assertThat(all.keySet()).anyMatch(k -> k.startsWith("ConfigMap/") && k.contains("dashboard"));
  }

  @Test
  void theMonitoringFilesAreManifestMonitorings() throws Exception {
    Path monitoring = Manifests.directory().resolve("monitoring");
    assertThat(Files.readString(chart.resolve("files/grafana-dashboard.json")))
        .isEqualTo(Files.readString(monitoring.resolve("grafana-dashboard.json")));
    Map<String, Object> rules = new Yaml().load(Files.readString(monitoring.resolve("prometheus-rules.yaml")));
    Map<String, Map<String, Object>> rendered =
        byKindAndName(render(List.of("--set", "prometheusRule.enabled=true")));
    assertThat(rendered.get("PrometheusRule/lbipam").get("spec")).isEqualTo(rules.get("spec"));
  }

  @Test
  void redisOrNetBoxWithoutAClusterIdIsRefusedWithAClearMessage() {
    assertThatThrownBy(() -> render(List.of("--set", "backend.type=redis", "--set", "backend.redis.url=redis://r:6379")))
        .hasMessageContaining("clusterId");
    assertThatThrownBy(() -> render(List.of("--set", "backend.type=netbox", "--set", "backend.netbox.url=https://n")))
        .hasMessageContaining("clusterId");
    assertThatThrownBy(() -> render(List.of("--set", "backend.type=etcd")))
        .hasMessageContaining("backend");
  }

  @Test
  @SuppressWarnings("unchecked")
  void aPoolConfigMapElsewhereMovesItsRoleWithIt() throws Exception {
    List<Map<String, Object>> rendered =
        render(List.of("--set", "pools.namespace=lbipam-pools", "--set", "pools.configMap=pools"));
    List<String> configMapRoles = rendered.stream()
        .filter(o -> o.get("kind").equals("Role") && o.get("rules").toString().contains("configmaps"))
        .map(o -> ((Map<String, Object>) o.get("metadata")).get("namespace") + " " + o.get("rules"))
        .toList();
    assertThat(configMapRoles).singleElement().asString()
        .startsWith("lbipam-pools ").contains("resourceNames=[pools]").doesNotContain("kubevip");
    Map<String, Object> deployment = byKindAndName(rendered).get("Deployment/lbipam-controller");
    assertThat(deployment.toString()).contains("name=KUBEVIP_NAMESPACE, value=lbipam-pools")
        .contains("name=KUBEVIP_CONFIG_MAP, value=pools");
  }

  @Test
  void withoutAddressClaimsTheClusterRoleLeavesThemOutAndTheFlagIsPassed() throws Exception {
    Map<String, Map<String, Object>> off = byKindAndName(render(List.of("--set", "addressClaims=false")));
    assertThat(off.get("ClusterRole/lbipam-controller").get("rules").toString())
        .doesNotContain("addressclaims").doesNotContain("ipaddresses").contains("services");
    assertThat(off.get("Deployment/lbipam-controller").toString()).contains("--address-claims=false");
    Map<String, Map<String, Object>> on = byKindAndName(render(List.of()));
    assertThat(on.get("ClusterRole/lbipam-controller").get("rules").toString()).contains("addressclaims", "ipaddresses");
    assertThat(on.get("Deployment/lbipam-controller").toString()).doesNotContain("--address-claims");
  }

  @Test
  void theRbacHelmInstallsPassesTheLeastPrivilegeChecks() throws Exception {
    KubeApiServer server = KUBE.server();
    String installed = helm(List.of("install", "lbipam", chart.toString(), "--namespace", "kube-system",
        "--kubeconfig", server.adminKubeconfig().toString(), "--set", "pools.create=true",
        "--set", "pools.data.cidr-global=10.120.0.0/24"));
    assertThat(installed).contains("STATUS: deployed");
    RbacChecks.mayDoWhatItNeeds(server);
    RbacChecks.mayDoNothingMore(server);
  }
}
