package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.PortKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class StandbyQueueTest {
  private static final Map<String, String> LABELLED = Map.of(KubeVipNames.IMPLEMENTATION_LABEL, KubeVipNames.IMPLEMENTATION_VALUE);

  static ServiceSnapshot service(String type, String annotation, boolean deleting, boolean finalizer, Map<String, String> labels) {
    Map<String, String> annotations = annotation == null ? Map.of() : Map.of(KubeVipNames.ADDRESSES_ANNOTATION, annotation);
    return new ServiceSnapshot("ns", "svc", "uid-1", "7", deleting, type, Optional.empty(),
        Optional.ofNullable(annotation), Optional.empty(), List.of(), List.of(), Optional.empty(),
        List.of(new PortKey("TCP", 80)), finalizer ? List.of(KubeVipNames.FINALIZER) : List.of(), labels, annotations);
  }

  record Case(String description, ServiceSnapshot service, boolean settled) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("addressed, labelled, with our finalizer: waits for take-over",
            service("LoadBalancer", "10.0.0.1", false, true, LABELLED), true),
        new Case("no address yet: queued at once", service("LoadBalancer", null, false, false, Map.of()), false),
        new Case("names an address but has no finalizer yet (first sight)",
            service("LoadBalancer", "10.0.0.1", false, false, LABELLED), false),
        new Case("finalizer but no label", service("LoadBalancer", "10.0.0.1", false, true, Map.of()), false),
        new Case("annotation with spaces still to be trimmed",
            service("LoadBalancer", "10.0.0.1, 2001:db8::1", false, true, LABELLED), false),
        new Case("being deleted", service("LoadBalancer", "10.0.0.1", true, true, LABELLED), false),
        new Case("malformed annotation", service("LoadBalancer", "10.0.0.300", false, true, LABELLED), false),
        new Case("type changed away while holding our finalizer", service("ClusterIP", "10.0.0.1", false, true, LABELLED), false));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void decidesWhatAStandbyQueuesAtOnce(Case c) {
    assertThat(StandbyQueue.settled(c.service(), ServiceDeciderTest.DEFAULT)).isEqualTo(c.settled());
  }
}
