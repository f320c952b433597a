package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.BackendMetric;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters for NetBox calls, exported through {@code IpamBackend#metrics()} (the host prefixes the
 * names with {@code lbipam_backend_}). Lock-free; reads may be slightly torn, as metrics are.
 */
final class CallStats {
  private record CallKey(String operation, String outcome) {}

  private final Map<CallKey, LongAdder> calls = new ConcurrentHashMap<>();
  private final Map<String, DoubleAdder> seconds = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> events = new ConcurrentHashMap<>();

  /** One finished (or refused) call; outcome is ok, client_error, server_error, io_error or circuit_open. */
  void record(String operation, long nanos, String outcome) {
    calls.computeIfAbsent(new CallKey(operation, outcome), k -> new LongAdder()).increment();
    seconds.computeIfAbsent(operation, k -> new DoubleAdder()).add(nanos / 1e9);
  }

  /** Something worth counting: retry, gc_released, conflict, lost_reply_recovered... */
  void count(String event) {
    events.computeIfAbsent(event, k -> new LongAdder()).increment();
  }

  long events(String event) {
    LongAdder adder = events.get(event);
    return adder == null ? 0 : adder.sum();
  }

  long calls(String operation, String outcome) {
    LongAdder adder = calls.get(new CallKey(operation, outcome));
    return adder == null ? 0 : adder.sum();
  }

  List<BackendMetric> metrics(CircuitBreaker breaker, boolean setupDone) {
    List<BackendMetric> out = new ArrayList<>();
    calls.forEach((key, n) -> out.add(new BackendMetric("netbox_calls", "NetBox API calls by operation and outcome.", true,
        Map.of("operation", key.operation(), "outcome", key.outcome()), n.sum())));
    seconds.forEach((op, s) -> out.add(new BackendMetric("netbox_call_seconds",
        "Time spent in NetBox API calls, by operation (divide by netbox_calls for the mean latency).", true,
        Map.of("operation", op), s.sum())));
    long errors = calls.entrySet().stream().filter(e -> !e.getKey().outcome().equals("ok")).mapToLong(e -> e.getValue().sum()).sum();
    out.add(new BackendMetric("netbox_call_errors", "NetBox API calls that failed or were refused by the circuit breaker.", true,
        Map.of(), errors));
    events.forEach((event, n) -> out.add(new BackendMetric("netbox_events", "Retries, recoveries and releases, by kind.", true,
        Map.of("event", event), n.sum())));
    CircuitBreaker.State state = breaker.getState();
    for (String name : List.of("closed", "open", "half_open")) {
      out.add(new BackendMetric("netbox_circuit_state", "1 for the circuit breaker's current state.", false,
          Map.of("state", name), state.name().equalsIgnoreCase(name) ? 1 : 0));
    }
    out.add(new BackendMetric("netbox_circuit_failure_rate", "Failure rate (percent) in the breaker's window; -1 until enough calls.",
        false, Map.of(), breaker.getMetrics().getFailureRate()));
    out.add(new BackendMetric("netbox_setup_done", "1 once the tag and custom fields are verified.", false, Map.of(),
        setupDone ? 1 : 0));
    return out;
  }
}
