package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1ManagedFieldsEntry;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1PortStatus;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The informer keeps {@link ServiceSnapshot#slim} copies: the controller must see no difference. */
class ServiceSnapshotTest {

  @Property(tries = 500)
  void theSlimCopyReadsExactlyAsTheService(@ForAll("services") V1Service service) {
    assertThat(ServiceSnapshot.of(ServiceSnapshot.slim(service))).isEqualTo(ServiceSnapshot.of(service));
  }

  @Test
  void aTypicalServiceShrinksToAFraction() {
    V1Service service = full(true, true);
    JSON json = new JSON();
    int before = json.serialize(service).length();
    int after = json.serialize(ServiceSnapshot.slim(service)).length();
    assertThat(after).as("bytes of JSON, slim against full (%d)", before).isLessThan(before / 2);
    assertThat(ServiceSnapshot.slim(service).getMetadata().getManagedFields()).isNullOrEmpty();
  }

  @Test
  void slimCopiesShareTheValuesManyServicesRepeat() {
    V1Service one = full(false, false);
    V1Service two = full(false, false);
    two.getMetadata().namespace(new String("web"));
    two.getSpec().type(new String("LoadBalancer")).ipFamilies(List.of(new String("IPv4")));

    V1Service a = ServiceSnapshot.slim(one);
    V1Service b = ServiceSnapshot.slim(two);

    assertThat(b.getMetadata().getNamespace()).isSameAs(a.getMetadata().getNamespace());
    assertThat(b.getSpec().getType()).isSameAs(a.getSpec().getType());
    assertThat(b.getSpec().getIpFamilies().get(0)).isSameAs(a.getSpec().getIpFamilies().get(0));
  }

  static V1Service full(boolean lastApplied, boolean deleting) {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(KubeVipNames.ADDRESSES_ANNOTATION, "10.0.0.1,fd00::1");
    annotations.put(KubeVipNames.INTERFACE_ANNOTATION, "eth1");
    if (lastApplied) {
      annotations.put(ServiceSnapshot.LAST_APPLIED, "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{}}".repeat(20));
    }
    List<V1ManagedFieldsEntry> managed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      managed.add(new V1ManagedFieldsEntry().manager("kubectl-" + i).operation("Update").apiVersion("v1")
          .fieldsType("FieldsV1").fieldsV1(Map.of("f:metadata", Map.of("f:annotations", Map.of("f:x", Map.of())))));
    }
    return new V1Service().apiVersion("v1").kind("Service")
        .metadata(new V1ObjectMeta().namespace("web").name("shop").uid("u-1").resourceVersion("42")
            .deletionTimestamp(deleting ? OffsetDateTime.parse("2026-12-01T10:00:00Z") : null)
            .generation(3L).creationTimestamp(OffsetDateTime.parse("2026-11-01T10:00:00Z"))
            .finalizers(List.of(KubeVipNames.FINALIZER)).labels(Map.of("implementation", "kube-vip", "app", "shop"))
            .annotations(annotations).managedFields(managed))
        .spec(new V1ServiceSpec().type("LoadBalancer").loadBalancerClass("kube-vip.io/kube-vip-class")
            .loadBalancerIP("10.0.0.1").ipFamilies(List.of("IPv4", "IPv6")).ipFamilyPolicy("PreferDualStack")
            .clusterIP("10.96.0.10").clusterIPs(List.of("10.96.0.10", "fd00:10:96::a")).selector(Map.of("app", "shop"))
            .externalTrafficPolicy("Local").healthCheckNodePort(31000).sessionAffinity("None")
            .ports(List.of(new V1ServicePort().name("http").protocol("TCP").port(80).nodePort(30080),
                new V1ServicePort().name("dns").protocol("UDP").port(53))))
        .status(new V1ServiceStatus().loadBalancer(new V1LoadBalancerStatus().ingress(List.of(
            new V1LoadBalancerIngress().ip("10.0.0.1").ipMode("VIP").ports(List.of(new V1PortStatus().port(80).protocol("TCP"))),
            new V1LoadBalancerIngress().hostname("lb.example")))));
  }

  @Provide
  Arbitrary<V1Service> services() {
    Arbitrary<String> text = Arbitraries.of("", "10.0.0.7", "fd00::7", "0.0.0.0", "x", "10.0.0.1,10.0.0.2");
    Arbitrary<String> type = Arbitraries.of("LoadBalancer", "ClusterIP", "NodePort", null);
    Arbitrary<List<String>> families = Arbitraries.of(List.of(), List.of("IPv4"), List.of("IPv6", "IPv4"));
    Arbitrary<String> policy = Arbitraries.of(null, "SingleStack", "PreferDualStack", "RequireDualStack");
    Arbitrary<Boolean> flag = Arbitraries.of(true, false);
    return Combinators.combine(text, type, families, policy, flag, flag, flag, text).as(
        (address, kind, fams, pol, lastApplied, deleting, withStatus, specIp) -> {
          V1Service service = full(lastApplied, deleting);
          service.getSpec().type(kind).ipFamilies(fams).ipFamilyPolicy(pol).loadBalancerIP(specIp.isEmpty() ? null : specIp);
          service.getMetadata().getAnnotations().put(KubeVipNames.ADDRESSES_ANNOTATION, address);
          if (!withStatus) {
            service.status(null);
          }
          if (address.equals("x")) {
            service.spec(null);
            service.getMetadata().annotations(null).finalizers(null).labels(null);
          }
          return service;
        });
  }
}
