package dev.lbipam.ipam.remote;

import dev.lbipam.ipam.spi.BackendHistogram;
import dev.lbipam.ipam.spi.BackendMetric;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Calls to a backend's server, counted the same way by every remote backend so that dashboards and
 * alerts work for all of them: {@code calls_total{operation,outcome}},
 * {@code call_duration_seconds{operation}} (a histogram), {@code events_total{event}},
 * {@code circuit_state{state}} and {@code circuit_failure_rate}; the host adds the prefix
 * {@code lbipam_backend_} and the label {@code backend}. Lock-free; a scrape may see a call counted
 * and not yet timed, as metrics may.
 */
public final class CallMetrics {
  /** Outcomes a backend reports; the same words across backends. */
  public static final String OK = "ok";
  public static final String CLIENT_ERROR = "client_error";
  public static final String SERVER_ERROR = "server_error";
  public static final String IO_ERROR = "io_error";
  public static final String CIRCUIT_OPEN = "circuit_open";

  /** Seconds: from a loopback Redis call to a NetBox write under load. */
  static final double[] BOUNDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  private record CallKey(String operation, String outcome) {}

  private static final class Latency {
    final LongAdder[] buckets = new LongAdder[BOUNDS.length];
    final LongAdder count = new LongAdder();
    final DoubleAdder sum = new DoubleAdder();

    Latency() {
      Arrays.setAll(buckets, i -> new LongAdder());
    }

    void observe(double seconds) {
      int i = Arrays.binarySearch(BOUNDS, seconds);
      int first = i >= 0 ? i : -i - 1;
      if (first < BOUNDS.length) {
        buckets[first].increment();
      }
      count.increment();
      sum.add(seconds);
    }
  }

  private final Map<CallKey, LongAdder> calls = new ConcurrentHashMap<>();
  private final Map<String, Latency> latency = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> events = new ConcurrentHashMap<>();

  /** @param knownEvents event kinds exported at 0 before they first happen, so rates and alerts see them */
  public CallMetrics(String... knownEvents) {
    for (String event : knownEvents) {
      events.put(event, new LongAdder());
    }
  }

  /** One finished call; a call refused by the circuit breaker is recorded with no time. */
  public void record(String operation, String outcome, long nanos) {
    calls.computeIfAbsent(new CallKey(operation, outcome), k -> new LongAdder()).increment();
    if (!outcome.equals(CIRCUIT_OPEN)) {
      latency.computeIfAbsent(operation, k -> new Latency()).observe(nanos / 1e9);
    }
  }

  /** Something worth counting besides calls: a retry, a recovered reply, a released record. */
  public void count(String event) {
    events.computeIfAbsent(event, k -> new LongAdder()).increment();
  }

  public long calls(String operation, String outcome) {
    LongAdder adder = calls.get(new CallKey(operation, outcome));
    return adder == null ? 0 : adder.sum();
  }

  public long events(String event) {
    LongAdder adder = events.get(event);
    return adder == null ? 0 : adder.sum();
  }

  /** Counters and the circuit breaker's state, named as the class comment says. */
  public List<BackendMetric> metrics(CircuitBreaker breaker) {
    List<BackendMetric> out = new ArrayList<>();
    calls.forEach((key, n) -> out.add(new BackendMetric("calls", "Calls to the backend's server, by operation and outcome.",
        true, Map.of("operation", key.operation(), "outcome", key.outcome()), n.sum())));
    events.forEach((event, n) -> out.add(new BackendMetric("events", "Retries, recoveries and releases, by kind.", true,
        Map.of("event", event), n.sum())));
    CircuitBreaker.State state = breaker.getState();
    for (String name : List.of("closed", "open", "half_open")) {
      out.add(new BackendMetric("circuit_state", "1 for the circuit breaker's current state.", false,
          Map.of("state", name), state.name().equalsIgnoreCase(name) ? 1 : 0));
    }
    out.add(new BackendMetric("circuit_failure_rate",
        "Failure rate (percent) in the circuit breaker's window; -1 until enough calls.", false, Map.of(),
        breaker.getMetrics().getFailureRate()));
    return out;
  }

  /** Call latency by operation (calls refused by the circuit breaker are not timed). */
  public List<BackendHistogram> histograms() {
    List<BackendHistogram> out = new ArrayList<>();
    List<Double> bounds = Arrays.stream(BOUNDS).boxed().toList();
    latency.forEach((operation, l) -> {
      List<Long> cumulative = new ArrayList<>(BOUNDS.length);
      long running = 0;
      for (LongAdder bucket : l.buckets) {
        running += bucket.sum();
        cumulative.add(running);
      }
      long count = Math.max(l.count.sum(), running);
      out.add(new BackendHistogram("call_duration_seconds", "Time of one call to the backend's server, by operation.",
          Map.of("operation", operation), bounds, cumulative, l.sum.sum(), count));
    });
    return out;
  }
}
