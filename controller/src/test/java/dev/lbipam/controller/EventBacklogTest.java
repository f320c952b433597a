package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.extended.event.legacy.EventSink;
import io.kubernetes.client.extended.event.legacy.LegacyEventBroadcaster;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1EventSource;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventBacklogTest {
  @Test
  void admitsUpToTheLimitThenDropsAndCounts() {
    EventBacklog backlog = new EventBacklog(3, System::nanoTime);
    assertThat(backlog.admit()).isTrue();
    assertThat(backlog.admit()).isTrue();
    assertThat(backlog.admit()).isTrue();
    assertThat(backlog.admit()).isFalse();
    assertThat(backlog.admit()).isFalse();
    assertThat(backlog.waiting()).isEqualTo(3);
    assertThat(backlog.dropped()).isEqualTo(2);
  }

  @Test
  void anEventTakenFromTheQueueFreesItsPlace() {
    EventBacklog backlog = new EventBacklog(1, System::nanoTime);
    assertThat(backlog.admit()).isTrue();
    assertThat(backlog.admit()).isFalse();
    backlog.taken();
    assertThat(backlog.admit()).isTrue();
    assertThat(backlog.dropped()).isEqualTo(1);
  }

  @Test
  void theCorrelatorCountsEachEventItTakes() {
    EventBacklog backlog = new EventBacklog(10, System::nanoTime);
    backlog.admit();
    backlog.admit();
    backlog.correlator().correlate(event("a"));
    assertThat(backlog.waiting()).isEqualTo(1);
  }

  /** client-java's own broadcaster, its sink stuck: the queue stops at the limit, and what was admitted is written. */
  @Test
  void aStuckWriterHoldsAtMostTheLimitAndLosesNothingAdmitted() throws Exception {
    int limit = 50;
    EventBacklog backlog = new EventBacklog(limit, System::nanoTime);
    CountDownLatch release = new CountDownLatch(1);
    Set<String> written = ConcurrentHashMap.newKeySet();
    AtomicInteger admitted = new AtomicInteger();
    EventSink sink = new EventSink() {
      @Override
      public CoreV1Event create(CoreV1Event event) {
        awaitQuietly(release);
        written.add(event.getInvolvedObject().getName());
        return event;
      }

      @Override
      public CoreV1Event update(CoreV1Event event) {
        return create(event);
      }

      @Override
      public CoreV1Event patch(CoreV1Event event, V1Patch patch) {
        return create(event);
      }
    };
    LegacyEventBroadcaster broadcaster = new LegacyEventBroadcaster(backlog.correlator(), sink);
    Events events = new Events(broadcaster.newRecorder(new V1EventSource().component("test")), null, () -> {
      boolean ok = backlog.admit();
      if (ok) {
        admitted.incrementAndGet();
      }
      return ok;
    });
    broadcaster.startRecording();
    try {
      for (int i = 0; i < 3 * limit; i++) {
        events.normal(ServiceSnapshot.of(service("s-" + i)), EventReason.EnsuredLoadBalancer, "assigned");
      }
      // The worker holds one Event in the stuck sink; the queue holds the rest, never more than the limit.
      assertThat(backlog.waiting()).isLessThanOrEqualTo(limit);
      assertThat(backlog.dropped()).isGreaterThanOrEqualTo(3L * limit - limit - 1);
      release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> written.size() == admitted.get());
      assertThat(backlog.waiting()).isZero();
      assertThat(admitted.get() + backlog.dropped()).isEqualTo(3L * limit);
    } finally {
      release.countDown();
      broadcaster.shutdown();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static V1Service service(String name) {
    return new V1Service().metadata(new V1ObjectMeta().namespace("ns").name(name).uid("uid-" + name).resourceVersion("1"))
        .spec(new V1ServiceSpec().type("LoadBalancer"));
  }

  private static CoreV1Event event(String name) {
    return new CoreV1Event().metadata(new V1ObjectMeta().namespace("ns").name(name))
        .involvedObject(new io.kubernetes.client.openapi.models.V1ObjectReference().kind("Service").namespace("ns").name(name))
        .reason("EnsuredLoadBalancer").message("m").type("Normal").source(new V1EventSource().component("test"))
        .count(1);
  }
}
