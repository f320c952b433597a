package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServicePatchTest {
  static ServiceSnapshot fresh() {
    return new ServiceSnapshot("ns", "svc", "uid", "42", false, "LoadBalancer", Optional.empty(), Optional.empty(),
        Optional.empty(), List.of(), List.of(), Optional.empty(), List.of(), List.of("example.com/other"),
        Map.of("ipam-address", "10.0.0.1"), Map.of());
  }

  @Test
  void allocationWritesWhatKubeVipWritesWithAResourceVersionPrecondition() {
    String patch =
        ServicePatch.ensure(fresh(), Optional.of(List.of(IpAddress.parse("fd00::1"), IpAddress.parse("10.0.0.1"))),
            Optional.of("eth0"), false).orElseThrow();
    assertThat(patch)
        .isEqualTo("{\"metadata\":{\"finalizers\":[\"example.com/other\",\"service.kubernetes.io/load-balancer-cleanup\"],"
            + "\"labels\":{\"implementation\":\"kube-vip\"},"
            + "\"annotations\":{\"kube-vip.io/loadbalancerIPs\":\"fd00::1,10.0.0.1\",\"kube-vip.io/serviceInterface\":\"eth0\"},"
            + "\"resourceVersion\":\"42\"},\"spec\":{\"loadBalancerIP\":\"fd00::1\"}}");
  }

  @Test
  void adoptingSpecAddressCopiesItAndDropsTheLegacyLabel() {
    String patch = ServicePatch.ensure(fresh(), Optional.of(List.of(IpAddress.parse("10.0.0.1"))), Optional.empty(), true).orElseThrow();
    assertThat(patch).contains("\"ipam-address\":null").contains("\"kube-vip.io/loadbalancerIPs\":\"10.0.0.1\"").doesNotContain("spec");
  }

  @Test
  void nothingToDoMeansNoPatch() {
    ServiceSnapshot done = new ServiceSnapshot("ns", "svc", "uid", "42", false, "LoadBalancer", Optional.empty(),
        Optional.of("10.0.0.1"), Optional.of("10.0.0.1"), List.of(), List.of(), Optional.empty(), List.of(),
        List.of(KubeVipNames.FINALIZER), Map.of("implementation", "kube-vip"), Map.of());
    assertThat(ServicePatch.ensure(done, Optional.empty(), Optional.empty(), false)).isEmpty();
    assertThat(ServicePatch.ensure(done, Optional.of(List.of(IpAddress.parse("10.0.0.1"))), Optional.empty(), false)).isEmpty();
  }

  @Test
  void removingTheFinalizerKeepsOthers() {
    ServiceSnapshot deleting = new ServiceSnapshot("ns", "svc", "uid", "43", true, "LoadBalancer", Optional.empty(),
        Optional.empty(), Optional.empty(), List.of(), List.of(), Optional.empty(), List.of(),
        List.of("a/b", KubeVipNames.FINALIZER), Map.of(), Map.of());
    assertThat(ServicePatch.removeFinalizer(deleting))
        .contains("{\"metadata\":{\"finalizers\":[\"a/b\"],\"resourceVersion\":\"43\"}}");
    assertThat(ServicePatch.removeFinalizer(fresh())).isEmpty();
  }

  @Test
  void aPinnedValueWithSpacesIsRewrittenWithoutThemAndNothingElseChanges() {
    ServiceSnapshot spaced = new ServiceSnapshot("ns", "svc", "uid", "42", false, "LoadBalancer", Optional.empty(),
        Optional.of(" 10.0.0.5 , 2001:db8::5 "), Optional.empty(), List.of(), List.of(), Optional.empty(), List.of(),
        List.of("service.kubernetes.io/load-balancer-cleanup"), Map.of("implementation", "kube-vip"), Map.of());
    assertThat(ServicePatch.ensure(spaced, Optional.empty(), Optional.empty(), false).orElseThrow())
        .isEqualTo("{\"metadata\":{\"annotations\":{\"kube-vip.io/loadbalancerIPs\":\"10.0.0.5,2001:db8::5\"},"
            + "\"resourceVersion\":\"42\"}}");
    ServiceSnapshot clean = new ServiceSnapshot("ns", "svc", "uid", "42", false, "LoadBalancer", Optional.empty(),
        Optional.of("10.0.0.5"), Optional.empty(), List.of(), List.of(), Optional.empty(), List.of(),
        List.of("service.kubernetes.io/load-balancer-cleanup"), Map.of("implementation", "kube-vip"), Map.of());
    assertThat(ServicePatch.ensure(clean, Optional.empty(), Optional.empty(), false)).isEmpty();
  }

  @Test
  void longUserTextIsCappedInLogsAndEvents() {
    String huge = "x".repeat(100_000);
    assertThat(LogText.cap(huge)).hasSizeLessThan(400).startsWith("xxx").endsWith("(99744 more characters)");
    assertThat(LogText.cap("short")).isEqualTo("short");
  }
}
