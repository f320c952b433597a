package dev.lbipam.ipam.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.BackendHistogram;
import dev.lbipam.ipam.spi.BackendMetric;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CallMetricsTest {
  @ParameterizedTest(name = "{0} s lands in the bucket le={1}")
  @CsvSource({
      "0.0001, 0.0005",
      "0.0005, 0.0005", // le is inclusive
      "0.0006, 0.001",
      "0.3, 0.5",
      "10, 10",
      "29.9, 30",
  })
  void anObservationCountsInItsBucketAndEveryBucketAbove(double seconds, double firstBound) {
    CallMetrics metrics = new CallMetrics();
    metrics.record("claim", CallMetrics.OK, (long) (seconds * 1e9));
    BackendHistogram h = metrics.histograms().get(0);
    for (int i = 0; i < h.upperBounds().size(); i++) {
      long expected = h.upperBounds().get(i) >= firstBound ? 1 : 0;
      assertThat(h.cumulativeCounts().get(i)).as("le=%s", h.upperBounds().get(i)).isEqualTo(expected);
    }
    assertThat(h.count()).isEqualTo(1);
    assertThat(h.sum()).isCloseTo(seconds, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(h.labels()).containsEntry("operation", "claim");
  }

  @Test
  void aSlowerCallThanTheLastBoundCountsOnlyInTheTotal() {
    CallMetrics metrics = new CallMetrics();
    metrics.record("claim", CallMetrics.OK, 31_000_000_000L);
    BackendHistogram h = metrics.histograms().get(0);
    assertThat(h.cumulativeCounts()).allMatch(n -> n == 0);
    assertThat(h.count()).isEqualTo(1);
  }

  @Test
  void callsRefusedByTheCircuitBreakerAreCountedButNotTimed() {
    CallMetrics metrics = new CallMetrics();
    metrics.record("claim", CallMetrics.CIRCUIT_OPEN, 0);
    metrics.record("claim", CallMetrics.IO_ERROR, 2_000_000);
    assertThat(metrics.calls("claim", CallMetrics.CIRCUIT_OPEN)).isEqualTo(1);
    assertThat(metrics.histograms()).singleElement().extracting(BackendHistogram::count).isEqualTo(1L);
  }

  @Test
  void theCircuitStateAndTheCountersUseTheSharedNames() {
    CallMetrics metrics = new CallMetrics();
    metrics.record("read", CallMetrics.OK, 1);
    metrics.count("retry");
    CircuitBreaker breaker = CircuitBreaker.ofDefaults("test");
    breaker.transitionToOpenState();
    List<BackendMetric> samples = metrics.metrics(breaker);
    assertThat(samples).extracting(BackendMetric::name)
        .contains("calls", "events", "circuit_state", "circuit_failure_rate");
    assertThat(samples).filteredOn(m -> m.name().equals("circuit_state") && m.value() == 1)
        .singleElement().extracting(m -> m.labels().get("state")).isEqualTo("open");
    assertThat(samples).filteredOn(m -> m.name().equals("calls")).singleElement()
        .satisfies(m -> assertThat(m.labels()).containsEntry("operation", "read").containsEntry("outcome", "ok"));
  }

  @Test
  void knownEventsAreExportedBeforeTheyHappen() {
    List<BackendMetric> samples = new CallMetrics("retry").metrics(CircuitBreaker.ofDefaults("test"));
    assertThat(samples).filteredOn(m -> m.name().equals("events")).singleElement()
        .satisfies(m -> assertThat(m.labels()).containsEntry("event", "retry"))
        .extracting(BackendMetric::value).isEqualTo(0.0);
  }

  @Property
  void bucketsAreCumulativeAndNeverExceedTheTotal(@ForAll @Size(max = 50) List<@LongRange(max = 40_000_000_000L) Long> nanos) {
    CallMetrics metrics = new CallMetrics();
    nanos.forEach(n -> metrics.record("op", CallMetrics.OK, n));
    for (BackendHistogram h : metrics.histograms()) {
      for (int i = 1; i < h.cumulativeCounts().size(); i++) {
        assertThat(h.cumulativeCounts().get(i)).isGreaterThanOrEqualTo(h.cumulativeCounts().get(i - 1));
      }
      assertThat(h.cumulativeCounts().get(h.cumulativeCounts().size() - 1)).isLessThanOrEqualTo(h.count());
      assertThat(h.count()).isEqualTo(nanos.size());
    }
  }
}
