package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceList;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Service informer lists in protobuf ({@link ProtobufServicePages}); the controller must read
 * every Service exactly as from the JSON the watch and the rest of client-java use. Against the real
 * API server, with Services of every shape the controller reads.
 */
class ProtobufServicePagesIT {
  @RegisterExtension static final KubeApiServerExtension KUBE = new KubeApiServerExtension();

  @Test
  void everyServiceReadsAsFromJson(KubeApiServer server) throws Exception {
    CoreV1Api api = new CoreV1Api(server.adminClient());
    String ns = server.createNamespace("proto");
    List<V1Service> services = new ArrayList<>();
    services.add(TestServices.loadBalancer(ns, "plain"));
    V1Service rich = TestServices.dualStack(TestServices.loadBalancer(ns, "rich"), "RequireDualStack", "IPv6", "IPv4");
    rich.getMetadata().labels(Map.of("implementation", "kube-vip")).finalizers(List.of(KubeVipNames.FINALIZER))
        .annotations(new HashMap<>(Map.of(KubeVipNames.ADDRESSES_ANNOTATION, "10.0.0.7,fd00::7",
            ServiceSnapshot.LAST_APPLIED, "{\"kind\":\"Service\"}", "other", "kept")));
    rich.getSpec().loadBalancerClass("kube-vip.io/kube-vip-class").loadBalancerIP("10.0.0.7")
        .ports(List.of(new V1ServicePort().name("dns").protocol("UDP").port(53), new V1ServicePort().name("web").port(80)));
    services.add(rich);
    services.add(new V1Service().metadata(new io.kubernetes.client.openapi.models.V1ObjectMeta().namespace(ns).name("headless"))
        .spec(new V1ServiceSpec().clusterIP("None")));
    services.add(new V1Service().metadata(new io.kubernetes.client.openapi.models.V1ObjectMeta().namespace(ns).name("external"))
        .spec(new V1ServiceSpec().type("ExternalName").externalName("db.example")));
    V1Service deleting = TestServices.loadBalancer(ns, "deleting");
    deleting.getMetadata().finalizers(List.of(KubeVipNames.FINALIZER));
    services.add(deleting);
    for (V1Service service : services) {
      api.createNamespacedService(ns, service).execute();
    }
    V1Service shown = api.readNamespacedService("rich", ns).execute();
    shown.status(new V1ServiceStatus().loadBalancer(new V1LoadBalancerStatus().ingress(List.of(
        new V1LoadBalancerIngress().ip("10.0.0.7").ipMode("VIP"), new V1LoadBalancerIngress().hostname("lb.example")))));
    api.replaceNamespacedServiceStatus("rich", ns, shown).execute();
    api.deleteNamespacedService("deleting", ns).execute();

    Map<String, ServiceSnapshot> fromJson = new TreeMap<>();
    for (V1Service service : api.listServiceForAllNamespaces().execute().getItems()) {
      fromJson.put(ServiceSnapshot.of(service).key(), ServiceSnapshot.of(service));
    }
    Map<String, ServiceSnapshot> fromProtobuf = new TreeMap<>();
    ProtobufServicePages pages = new ProtobufServicePages(server.adminClient());
    String next = null;
    int requests = 0;
    do {
      V1ServiceList page = pages.page(2, next);
      assertThat(page.getItems()).hasSizeLessThanOrEqualTo(2);
      assertThat(page.getMetadata().getResourceVersion()).isNotEmpty();
      page.getItems().forEach(s -> fromProtobuf.put(ServiceSnapshot.of(s).key(), ServiceSnapshot.of(s)));
      next = page.getMetadata().getContinue();
      requests++;
    } while (next != null && !next.isEmpty());

    assertThat(requests).as("pages of 2").isGreaterThan(2);
    assertThat(fromProtobuf).isEqualTo(fromJson);
    ServiceSnapshot richSnapshot = fromProtobuf.get(ns + "/rich");
    assertThat(richSnapshot.ingressIps()).containsExactly("10.0.0.7");
    assertThat(richSnapshot.families()).containsExactly("IPv6", "IPv4");
    assertThat(richSnapshot.annotations()).containsKey("other").doesNotContainKey(ServiceSnapshot.LAST_APPLIED);
    assertThat(fromProtobuf.get(ns + "/deleting").deleting()).isTrue();
  }

  @Test
  void aRefusedPageIsAnApiExceptionWithTheServersCode(KubeApiServer server) {
    ApiException refused = catchThrowableOfType(ApiException.class,
        () -> new ProtobufServicePages(server.adminClient()).page(10, "not-a-continue-token"));
    assertThat(refused.getCode()).isEqualTo(400);
    assertThat(refused.getMessage()).contains("listing Services failed");
  }
}
