package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.PortKey;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.workqueue.DefaultWorkQueue;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
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

  @Test
  void aServiceThatNeedsWorkAfterTheTakeOverIsServedBeforeTheSettledOnesBehindIt() throws Exception {
    List<V1Service> cached = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      cached.add(new V1Service().metadata(new V1ObjectMeta().namespace("ns").name("settled-" + i)));
    }
    DefaultWorkQueue<Request> queue = new DefaultWorkQueue<>();
    queue.add(new Request("ns", "waited-while-standing-by"));

    Thread feed = StandbyQueue.takeOver(cached, queue);
    List<String> served = new ArrayList<>();
    Request late = new Request("ns", "created-after-the-take-over");
    while (served.size() < cached.size() + 2) {
      if (served.size() == 100) {
        queue.add(late);
      }
      Request next = queue.get();
      served.add(next.getName());
      queue.done(next);
    }
    feed.join(10_000);

    assertThat(served.get(0)).isEqualTo("waited-while-standing-by");
    assertThat(served.indexOf(late.getName()) - 100)
        .as("settled Services served before the late one")
        .isLessThanOrEqualTo(StandbyQueue.FEED_LOW_WATER + StandbyQueue.FEED_BATCH);
    assertThat(new HashSet<>(served)).hasSize(cached.size() + 2);
    assertThat(feed.isAlive()).isFalse();
    assertThat(queue.length()).isZero();
  }
}
