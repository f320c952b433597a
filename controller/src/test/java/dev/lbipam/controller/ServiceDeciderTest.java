package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ServiceDeciderTest {
  static final ServiceDecider.Scope DEFAULT = new ServiceDecider.Scope(false, Settings.DEFAULT_CLASS);
  static final ServiceDecider.Scope CLASS_ONLY = new ServiceDecider.Scope(true, Settings.DEFAULT_CLASS);

  static ServiceSnapshot service(
      String type, String lbClass, String annotation, String specIp, List<String> ingress, boolean deleting, boolean finalizer) {
    Map<String, String> annotations = new HashMap<>();
    if (annotation != null) {
      annotations.put(KubeVipNames.ADDRESSES_ANNOTATION, annotation);
    }
    return new ServiceSnapshot("ns", "svc", "uid-1", "7", deleting, type, Optional.ofNullable(lbClass),
        Optional.ofNullable(annotation), Optional.ofNullable(specIp), ingress, List.of(), Optional.empty(),
        List.of(new PortKey("TCP", 80)), finalizer ? List.of(KubeVipNames.FINALIZER) : List.of(), Map.of(), annotations);
  }

  record Case(String description, ServiceSnapshot service, ServiceDecider.Scope scope, Decision expected) {
    @Override
    public String toString() {
      return description;
    }
  }

  static List<IpAddress> ips(String... texts) {
    return Stream.of(texts).map(IpAddress::parse).toList();
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("plain LoadBalancer needs an address",
            service("LoadBalancer", null, null, null, List.of(), false, false), DEFAULT, new Decision.Allocate(List.of())),
        new Case("ClusterIP is not ours",
            service("ClusterIP", null, null, null, List.of(), false, false), DEFAULT, new Decision.NotOurs(List.of(), false)),
        new Case("type changed away from LoadBalancer drops our finalizer, keeps counting its address",
            service("ClusterIP", null, "10.0.0.5", null, List.of(), false, true), DEFAULT, new Decision.NotOurs(ips("10.0.0.5"), true)),
        new Case("another class is never touched",
            service("LoadBalancer", "example.com/x", null, null, List.of("10.0.0.9"), false, false), DEFAULT,
            new Decision.NotOurs(ips("10.0.0.9"), false)),
        new Case("with class mode on, a class-less Service is not ours",
            service("LoadBalancer", null, null, null, List.of(), false, false), CLASS_ONLY, new Decision.NotOurs(List.of(), false)),
        new Case("with class mode on, our class is ours",
            service("LoadBalancer", Settings.DEFAULT_CLASS, null, null, List.of(), false, false), CLASS_ONLY, new Decision.Allocate(List.of())),
        new Case("annotation pins the address",
            service("LoadBalancer", null, "10.0.0.1,2001:db8::1", null, List.of(), false, false), DEFAULT,
            new Decision.Keep(ips("10.0.0.1", "2001:db8::1"), ips("10.0.0.1", "2001:db8::1"))),
        new Case("annotation entries are trimmed",
            service("LoadBalancer", null, "10.0.0.1, 2001:db8::1", null, List.of(), false, false), DEFAULT,
            new Decision.Keep(ips("10.0.0.1", "2001:db8::1"), ips("10.0.0.1", "2001:db8::1"))),
        new Case("DHCP placeholder is kept",
            service("LoadBalancer", null, "0.0.0.0", null, List.of(), false, false), DEFAULT, new Decision.Keep(ips("0.0.0.0"), ips("0.0.0.0"))),
        new Case("spec.loadBalancerIP only is adopted",
            service("LoadBalancer", null, null, "10.0.0.7", List.of(), false, false), DEFAULT, new Decision.Adopt(ips("10.0.0.7"), ips("10.0.0.7"))),
        new Case("annotation wins over spec",
            service("LoadBalancer", null, "10.0.0.1", "10.0.0.7", List.of(), false, false), DEFAULT, new Decision.Keep(ips("10.0.0.1"), ips("10.0.0.1", "10.0.0.7"))),
        new Case("malformed annotation",
            service("LoadBalancer", null, "10.0.0.300", null, List.of(), false, false), DEFAULT,
            new Decision.Invalid("annotation kube-vip.io/loadbalancerIPs", "10.0.0.300", "not an IPv4 address: \"10.0.0.300\"", List.of())),
        new Case("two IPv4 addresses are not a dual-stack pair",
            service("LoadBalancer", null, "10.0.0.1,10.0.0.2", null, List.of(), false, false), DEFAULT,
            new Decision.Invalid("annotation kube-vip.io/loadbalancerIPs", "10.0.0.1,10.0.0.2",
                "expected one address, or one IPv4 and one IPv6, in \"10.0.0.1,10.0.0.2\"", ips("10.0.0.1", "10.0.0.2"))),
        new Case("deleting with our finalizer releases and removes it",
            service("LoadBalancer", null, "10.0.0.1", null, List.of(), true, true), DEFAULT, new Decision.Release(ips("10.0.0.1"), true)),
        new Case("deleting without our finalizer just releases",
            service("LoadBalancer", null, "10.0.0.1", null, List.of(), true, false), DEFAULT, new Decision.Release(ips("10.0.0.1"), false)),
        new Case("status ingress is remembered while allocating",
            service("LoadBalancer", null, null, null, List.of("10.0.0.3"), false, false), DEFAULT, new Decision.Allocate(ips("10.0.0.3"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decides(Case c) {
    assertThat(ServiceDecider.decide(c.service(), c.scope())).isEqualTo(c.expected());
  }
}
